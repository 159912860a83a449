"""Graceful shutdown under gunicorn (service/gunicorn_conf.py): SIGTERM lets the in-flight request
finish, then the shutdown hooks run (job workers checkpoint their running items) and the process exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_healthy

ROOT = Path(__file__).parents[1]


def slow_app():
    """gunicorn factory: the real app without models, plus a slow route and a shutdown hook."""
    from models.runtime import Runtime, RuntimeConfig
    from service.app import create_app
    from service.config import Settings

    app = create_app(Settings.from_env(), Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load())

    @app.get("/__slow")
    def slow():
        time.sleep(2)
        return "done"

    mark = Path(os.environ["TOMTAT_TEST_SHUTDOWN_MARK"])
    app.extensions.setdefault("tomtat.on_shutdown", []).append(lambda: mark.write_text("checkpointed"))
    return app


@pytest.mark.slow
def test_sigterm_finishes_in_flight_requests_then_checkpoints(tmp_path):
    port = free_port()
    mark = tmp_path / "mark"
    env = os.environ | {"TOMTAT_PORT": str(port), "TOMTAT_HOST": "127.0.0.1", "TOMTAT_DB": str(tmp_path / "db.sqlite3"),
                        "TOMTAT_LOAD_MODELS": "0", "TOMTAT_TEST_SHUTDOWN_MARK": str(mark)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "--config", "python:service.gunicorn_conf", "tests.test_shutdown:slow_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, seconds=30)
        result = {}

        def call():
            with urllib.request.urlopen(base + "/__slow", timeout=20) as resp:
                result["status"], result["body"] = resp.status, resp.read().decode()

        thread = threading.Thread(target=call)
        thread.start()
        time.sleep(0.7)  # the request is in flight
        proc.send_signal(signal.SIGTERM)
        thread.join(20)
        assert result == {"status": 200, "body": "done"}
        assert proc.wait(30) == 0
        assert mark.read_text() == "checkpointed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
