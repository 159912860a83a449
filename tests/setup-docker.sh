#!/usr/bin/env bash
# What tests/test_docker.py needs beyond Python packages, made ready when missing (idempotent):
#   1. Debian's docker.io (dockerd, containerd, runc), mmdebstrap and a compose implementation
#      (`docker compose` when the plugin is there, else Debian's docker-compose 1.29);
#   2. a docker daemon answering: when none does, dockerd is started with no bridge and no iptables
#      rules (containers run with --network host only), its own data root /var/lib/tomtat-docker,
#      logging to /var/log/tomtat-dockerd.log;
#   3. the base image tomtat-debian:bookworm (Debian bookworm, python3 and its venv module), made from
#      Debian packages with mmdebstrap and `docker import`, since no container registry is needed.
# Already there: nothing to do, nothing printed. Missing and not installable here (not root, no apt-get,
# apt-get failing, dockerd not starting): one line says what to do and the exit status is 1, so the
# suite stops instead of reporting the docker tests as failures one by one.
set -euo pipefail

me=tests/setup-docker.sh
base=${TOMTAT_DOCKER_BASE:-tomtat-debian:bookworm}
mirror=${TOMTAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${TOMTAT_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
data_root=/var/lib/tomtat-docker
exec_root=/run/tomtat-docker
daemon_log=/var/log/tomtat-dockerd.log

die() { echo "$me: $*" >&2; exit 1; }

have_compose() { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }
daemon_answers() { timeout 20 docker info >/dev/null 2>&1; }
base_present() { docker image inspect "$base" >/dev/null 2>&1; }

# All there (also for a user in the docker group): done.
if command -v docker >/dev/null 2>&1 && have_compose && daemon_answers && base_present; then
    exit 0
fi

. "$(dirname "${BASH_SOURCE[0]}")/setup-root.sh"
can_be_root || die "docker is not ready for tests/test_docker.py and setting it up needs root: run  sudo bash $me  then make test again"

# 1. packages
packages=()
command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
command -v docker >/dev/null 2>&1 || packages+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || packages+=(mmdebstrap)
have_compose || packages+=(docker-compose)
if [ ${#packages[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 \
        || die "${packages[*]} missing and there is no apt-get here: install Docker (daemon and client), mmdebstrap and docker compose by hand, then make test again"
    echo "$me: installing ${packages[*]} with apt-get (tests/test_docker.py builds and runs the image)"
    log=$(mktemp)
    # DPkg::Lock::Timeout: wait for another apt run to let go of its lock instead of failing.
    if ! { as_root apt-get -q -o DPkg::Lock::Timeout=600 update \
           && as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 \
                  install -y --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "apt-get could not install ${packages[*]} (its output is above): sudo apt-get install -y ${packages[*]}"
    fi
    rm -f "$log"
fi

# 2. the daemon: no bridge, no iptables; every container of the tests runs with --network host
if ! daemon_answers; then
    command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed (Debian: apt-get install docker.io)"
    echo "$me: starting dockerd (--bridge=none --iptables=false, data in $data_root, log $daemon_log)"
    as_root mkdir -p "$data_root" "$exec_root"
    # a daemon killed without its shutdown (a session's processes ended, a crash) leaves its pid file and
    # containerd's behind, and dockerd then refuses to start: clear those whose process is gone
    # (gone: no such process, a zombie nobody reaped yet, or the pid now used by another program)
    for pidfile in "$exec_root/dockerd.pid" "$exec_root/containerd/containerd.pid"; do
        if as_root test -f "$pidfile"; then
            pid=$(as_root cat "$pidfile" 2>/dev/null || true)
            name=$(basename "$pidfile" .pid)
            if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$name" ] \
                    || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
                as_root rm -f "$pidfile"
            fi
        fi
    done
    as_root env -C / setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
        --data-root "$data_root" --exec-root "$exec_root" --pidfile "$exec_root/dockerd.pid" \
        </dev/null >>"$daemon_log" 2>&1 &
    for _ in $(seq 60); do
        daemon_answers && break
        sleep 1
    done
    daemon_answers || { tail -n 20 "$daemon_log" >&2 || true
                        die "dockerd did not answer within a minute (its log is above: $daemon_log)"; }
fi

# 3. the base image, from Debian packages
if ! base_present; then
    echo "$me: building $base from Debian packages with mmdebstrap (no registry needed)"
    work=$(mktemp -d)
    trap 'as_root rm -rf "$work"' EXIT
    if ! as_root mmdebstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$work/base.tar" \
            "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
            "deb $security bookworm-security main" >"$work/log" 2>&1; then
        tail -n 30 "$work/log" >&2
        die "mmdebstrap could not build $base (its output is above; mirror $mirror, TOMTAT_DEBIAN_MIRROR to change it)"
    fi
    docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' "$work/base.tar" "$base" >/dev/null \
        || die "docker import of $base failed"
fi
