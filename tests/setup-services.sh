#!/usr/bin/env bash
# The servers the suite talks to (never mocks): PostgreSQL on 127.0.0.1:5432 (trust auth, database
# `test`) and Redis on 127.0.0.1:6379. `make test` runs this before pytest: a server that answers is
# left alone; one that does not is installed from Debian's packages when missing and started, as root
# (or with passwordless sudo). Otherwise one line says what to start and the exit status is 1, so the
# suite does not start without them (their tests would fail, never skip).
# TOMTAT_TEST_POSTGRES / TOMTAT_TEST_REDIS point the tests at other servers; then nothing is started here.
set -euo pipefail
me=tests/setup-services.sh

. "$(dirname "${BASH_SOURCE[0]}")/setup-root.sh"

apt_install() {
    as_root apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y "$@" >/dev/null
}

wait_for() {  # wait_for WHAT COMMAND...: up to 30 s
    for _ in $(seq 60); do "${@:2}" >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "$me: $1 did not come up" >&2
    return 1
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 && psql -h 127.0.0.1 -U postgres -d test -Atc 'SELECT 1' >/dev/null 2>&1; }

if [ -z "${TOMTAT_TEST_POSTGRES:-}" ] && ! postgres_up; then
    echo "$me: PostgreSQL does not answer on 127.0.0.1:5432; starting it"
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        apt_install postgresql || { echo "$me: install PostgreSQL (sudo apt-get install -y postgresql) or set TOMTAT_TEST_POSTGRES" >&2; exit 1; }
    fi
    version=$(ls /etc/postgresql | sort -V | tail -1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    # the tests connect as postgres over loopback without a password: trust on 127.0.0.1 only
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
        || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload \
        || { echo "$me: could not start PostgreSQL $version (pg_ctlcluster $version main start)" >&2; exit 1; }
    wait_for "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432
    psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
        || psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
    postgres_up || { echo "$me: PostgreSQL runs but postgres@127.0.0.1/test does not answer (pg_hba.conf?)" >&2; exit 1; }
fi

if [ -z "${TOMTAT_TEST_REDIS:-}" ] && ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    echo "$me: Redis does not answer on 127.0.0.1:6379; starting it"
    if ! command -v redis-server >/dev/null 2>&1; then
        apt_install redis-server || { echo "$me: install Redis (sudo apt-get install -y redis-server) or set TOMTAT_TEST_REDIS" >&2; exit 1; }
    fi
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/tomtat-ci.log \
        || { echo "$me: could not start redis-server" >&2; exit 1; }
    wait_for "Redis" sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
fi
