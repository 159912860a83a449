"""The short version of bench/load.py: a burst far over capacity against gunicorn with the tiny models.
Every answer is a 200 or a 503 with Retry-After, nothing is dropped, /healthz stays fast, the server lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SUMMARY_PROFILE, TRANSLATION_PROFILE
from tests.helpers import free_port, stop_server, wait_healthy

ROOT = Path(__file__).parents[1]
ARTICLE = ("Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dài 76,34 km, vốn 75.378 tỷ đồng. "
           "Người dân trong vùng dự án đồng tình cao. ") * 8


def post(url: str, body: dict) -> tuple[int, float, str | None]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            resp.read()
            return resp.status, time.perf_counter() - started, None
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, time.perf_counter() - started, exc.headers.get("Retry-After")
    except OSError:
        return 0, time.perf_counter() - started, None


@pytest.mark.slow
def test_a_burst_over_capacity_gets_answers_or_503s_with_retry_after(replica, tmp_path):
    port = free_port()
    env = os.environ | {
        "TOMTAT_PORT": str(port), "TOMTAT_HOST": "127.0.0.1", "TOMTAT_DB": str(tmp_path / "db.sqlite3"),
        "TOMTAT_SUMMARY_MODEL": str(replica(SUMMARY_PROFILE)), "TOMTAT_SUMMARY_PROFILE": SUMMARY_PROFILE,
        "TOMTAT_TRANSLATION_MODEL": str(replica(TRANSLATION_PROFILE)),
        "TOMTAT_TRANSLATION_PROFILE": TRANSLATION_PROFILE, "TOMTAT_DEVICE": "cpu", "TOMTAT_CACHE": "off",
        # a small queue and a short deadline, so that the burst really overloads the models
        "TOMTAT_MAX_QUEUE": "32", "TOMTAT_REQUEST_DEADLINE": "1.5", "TOMTAT_SERVER_THREADS": "32",
    }
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tomtat")), "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, seconds=90)
        body = {"text": ARTICLE, "min_new_tokens": 24, "max_new_tokens": 24, "num_beams": 2}
        health: list[float] = []
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                started = time.perf_counter()
                with urllib.request.urlopen(base + "/healthz", timeout=10) as resp:
                    assert resp.status == 200
                health.append(time.perf_counter() - started)
                time.sleep(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        with ThreadPoolExecutor(max_workers=48) as pool:
            results = list(pool.map(lambda _: post(base + "/v1/translate", body), range(96)))
        stop.set()
        prober.join(30)
        statuses = [status for status, _, _ in results]
        assert set(statuses) <= {200, 503}, statuses
        assert 200 in statuses and 503 in statuses  # some served, the overload refused
        assert all(retry and int(retry) >= 1 for status, _, retry in results if status == 503)
        refusals = sorted(took for status, took, _ in results if status == 503)
        assert refusals[len(refusals) // 2] < 2.0  # refused near the deadline at the latest, not after a wait
        assert health and max(health) < 1.0, health
        assert proc.poll() is None
    finally:
        stop_server(proc)


@pytest.fixture()
def one_slot(tiny_config, tmp_path):
    """An app that holds one interactive request at a time, whose translation model blocks until released:
    ``hold(path, body)`` starts a request that stays in flight; ``release()`` lets it finish → its status."""
    from models.runtime import Runtime
    from service.app import create_app
    from service.config import Settings

    runtime = Runtime(tiny_config).load()
    backend = runtime.translation_model.backend
    original, gate = backend.generate_ids, threading.Event()

    def slow(batch, options):
        gate.wait(30)
        return original(batch, options)

    backend.generate_ids = slow
    app = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), max_in_flight=1), runtime)
    held: dict = {}
    threads: list[threading.Thread] = []

    def hold(path: str, body: dict) -> None:
        thread = threading.Thread(target=lambda: held.setdefault(
            "status", app.test_client().post(path, json=body).status_code))
        thread.start()
        threads.append(thread)
        deadline = time.time() + 10
        while app.extensions["tomtat.priority"].in_flight < 1 and time.time() < deadline:
            time.sleep(0.01)

    def release() -> int:
        gate.set()
        for thread in threads:
            thread.join(30)
        return held["status"]

    try:
        yield app, hold, release
    finally:
        gate.set()
        runtime.close()


def test_requests_over_the_in_flight_limit_are_refused_at_once(one_slot):
    """Every request thread waiting on the models would leave none for /healthz: one more is a 503 at once."""
    from tests.helpers import problem

    app, hold, release = one_slot
    body = {"text": "Giá vàng tăng mạnh trong phiên sáng nay.", "max_new_tokens": 4, "num_beams": 1}
    hold("/v1/translate", body)
    client = app.test_client()
    started = time.perf_counter()
    refused = client.post("/v1/translate", json=body)
    assert time.perf_counter() - started < 0.5
    assert problem(refused, 503)["type"].endswith("saturated") and refused.headers["Retry-After"] == "1"
    assert client.get("/healthz").status_code == 200
    assert release() == 200
    assert client.post("/v1/translate", json=body).status_code == 200  # the slot is free again


def test_libretranslate_requests_count_towards_the_in_flight_limit(one_slot):
    app, hold, release = one_slot
    hold("/translate", {"q": "Giá vàng tăng mạnh.", "source": "vi", "target": "en"})
    assert app.extensions["tomtat.priority"].in_flight == 1  # the LibreTranslate call is counted
    busy = app.test_client().post("/v1/summarize", json={"text": "Giá vàng tăng mạnh trong phiên sáng nay.",
                                                         "method": "extractive"})
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert release() == 200
