"""Faults: an inference error fails only its own batch's requests; a full job store turns the job routes into a
503 that says why while the interactive routes keep working, and nothing stored is corrupted."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from sqlalchemy import event

from models.runtime import Runtime
from service.app import create_app
from service.config import Settings
from service.db import Database
from tests.helpers import problem

ARTICLE = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án hoàn thành năm 2025. Người dân rất vui."


@pytest.fixture()
def runtime(tiny_config):
    rt = Runtime(tiny_config).load()
    yield rt
    rt.close()


def test_an_inference_error_fails_only_its_batch(runtime, tmp_path):
    backend = runtime.translation_model.backend
    original = backend.generate_ids
    calls = {"n": 0}

    def failing_once(batch, options):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return original(batch, options)

    backend.generate_ids = failing_once
    client = create_app(Settings(db_path=str(tmp_path / "db.sqlite3")), runtime).test_client()
    body = {"text": ARTICLE, "max_new_tokens": 4, "num_beams": 1}
    failed = client.post("/v1/translate", json=body, headers={"X-Request-ID": "req-fault-1"})
    details = problem(failed, 500)
    assert details["request_id"] == "req-fault-1" and "Traceback" not in failed.get_data(as_text=True)
    assert client.post("/v1/translate", json=body).status_code == 200  # the next batch is served
    summary = client.post("/v1/summarize", json={"text": ARTICLE, "method": "abstractive", "max_new_tokens": 4,
                                                 "num_beams": 1})
    assert summary.status_code == 200  # the other model never noticed


def test_concurrent_requests_in_another_batch_are_not_failed(runtime, tmp_path):
    backend = runtime.translation_model.backend
    original = backend.generate_ids
    gate = threading.Event()

    def fail_the_marked_batch(batch, options):
        if any(len(ids) > 40 for ids in batch):  # the long sentence's batch only
            gate.set()
            raise RuntimeError("injected")
        return original(batch, options)

    backend.generate_ids = fail_the_marked_batch
    client = create_app(Settings(db_path=str(tmp_path / "db.sqlite3")), runtime).test_client()
    long_text = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông " + "và đô thị " * 20 + "tại hội trường lớn."
    results = {}

    def send(name, text):
        results[name] = client.post("/v1/translate", json={"text": text, "max_new_tokens": 4, "num_beams": 1,
                                                            "min_new_tokens": 4}).status_code

    threads = [threading.Thread(target=send, args=("long", long_text))]
    threads[0].start()
    gate.wait(30)
    threads.append(threading.Thread(target=send, args=("short", "Giá vàng tăng.")))
    threads[1].start()
    for t in threads:
        t.join(60)
    assert results == {"long": 500, "short": 200}


def test_a_full_job_store_is_a_503_and_the_rest_keeps_serving(runtime, tmp_path, monkeypatch):
    db_path = tmp_path / "db.sqlite3"
    settings = Settings(db_path=str(db_path), job_workers=0)
    client = create_app(settings, runtime).test_client()
    job = {"articles": [{"id": "a1", "text": ARTICLE}], "summary": {"method": "extractive"}, "translate": "none"}
    first = client.post("/v1/jobs", json=job)
    assert first.status_code == 202, first.get_json()
    job_id = first.get_json()["job_id"]

    database = Database.shared(settings.database)

    def full_disk(dbapi_conn, _record):  # SQLite's own "database or disk is full" once the file would grow
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {max(1, pages)}")

    event.listen(database.engine, "connect", full_disk)
    database.engine.dispose()  # every connection from now on is a full disk's
    full = create_app(settings, runtime).test_client()
    big = {**job, "articles": [{"id": f"b{i}", "text": ARTICLE * 20} for i in range(200)]}
    refused = full.post("/v1/jobs", json=big)
    body = problem(refused, 503)
    assert "full" in body["detail"] and "keep working" in body["detail"] and refused.headers["Retry-After"] == "30"
    assert full.post("/v1/summarize", json={"text": ARTICLE, "method": "extractive"}).status_code == 200
    assert full.get("/healthz").status_code == 200
    event.remove(database.engine, "connect", full_disk)
    database.engine.dispose()
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1  # the refused job left nothing behind
    again = create_app(settings, runtime).test_client()
    assert again.get(f"/v1/jobs/{job_id}").status_code == 200


def test_an_item_whose_result_could_not_be_written_is_redone(offline_runtime, tmp_path):
    """A write error after the work (the disk full for a moment) must not leave the item 'running' for good:
    the heartbeat renews only the items still being worked on, so its lease runs out and it is redone."""
    import time
    import types

    from tests.helpers import app_factory

    with app_factory(offline_runtime, db_path=str(tmp_path / "db.sqlite3"), job_lease_s=0.6) as make:
        app = make()
        client = app.test_client()
        store = app.extensions["tomtat.jobs"].store
        original = store.complete
        calls = {"n": 0}

        def flaky(self, claim, owner, result):
            calls["n"] += 1
            if calls["n"] == 1:
                raise sqlite3.OperationalError("database or disk is full")
            return original(claim, owner, result)

        store.complete = types.MethodType(flaky, store)
        articles = [{"id": "a", "text": ARTICLE}, {"id": "b", "text": "Sài Gòn đông người. Trời nóng."}]
        job_id = client.post("/v1/jobs?translate=none&method=extractive", json=articles).get_json()["job_id"]
        deadline = time.time() + 20
        while time.time() < deadline:
            body = client.get(f"/v1/jobs/{job_id}").get_json()
            if body["status"] == "done":
                break
            time.sleep(0.2)
        assert body["status"] == "done" and body["counts"]["done"] == 2, body
        assert calls["n"] >= 3  # the injected failure happened, then both results were written
        results = client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True)
        assert results.count('"id": "a"') + results.count('"id":"a"') == 1
        assert results.count('"id": "b"') + results.count('"id":"b"') == 1
