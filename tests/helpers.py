"""Shared test helpers: problem+json answers, and real server processes on 127.0.0.1."""

from __future__ import annotations

import socket
from contextlib import contextmanager
import subprocess
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until ``base``/healthz answers; fail with the server's output if it dies or never answers."""
    deadline = time.time() + seconds
    while True:
        try:
            if urllib.request.urlopen(base + "/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            output = proc.stdout.read().decode(errors="replace")[-2000:] if proc.stdout else ""
            pytest.fail(f"server at {base} did not become healthy: {output}")
        time.sleep(0.2)


def problem(resp, status: int) -> dict:
    """The RFC 9457 problem body of ``resp``, after checking the fields every error must carry."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def stop_server(proc: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM a server process, then SIGKILL it if it has not exited within ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def app_factory(runtime, **defaults):
    """``make(**overrides)`` builds apps on ``runtime`` with ``defaults | overrides`` as settings; their job
    workers are shut down when the block ends."""
    from service import jobs
    from service.app import create_app
    from service.config import Settings

    apps = []

    def make(**overrides):
        app = create_app(Settings(**(defaults | overrides)), runtime)
        apps.append(app)
        return app

    try:
        yield make
    finally:
        for app in apps:
            jobs.shutdown(app, timeout=10)
