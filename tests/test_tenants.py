"""Jobs belong to the API key that created them; old job stores migrate; finished jobs expire (retention)."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from sqlalchemy import text

from service import jobs
from service.app import create_app
from service.config import Settings
from service.db import LATEST, Database
from service.keys import KeyStore
from service.store import JobStore
from tests.helpers import app_factory, problem

FAST = "?translate=none&method=extractive"
TEXT = "Hà Nội mưa to, nhiều tuyến phố ngập sâu. Giao thông ùn tắc kéo dài đến tối."


def articles(n: int, prefix: str = "t") -> list[dict]:
    return [{"id": f"{prefix}{i}", "text": f"Bản tin số {i}. {TEXT}"} for i in range(n)]


@pytest.fixture()
def make_app(tmp_path, offline_runtime):
    with app_factory(offline_runtime, db_path=str(tmp_path / "jobs.sqlite3"), job_lease_s=1.0, job_workers=0) as make:
        yield make


def same_problem(a: dict, b: dict) -> bool:
    """Two 404s that tell nothing apart: equal but for the id each asked for (and each request's own id)."""
    strip = lambda p: {k: v for k, v in p.items() if k not in ("instance", "detail", "request_id")}  # noqa: E731
    return strip(a) == strip(b) and a["detail"].split("'")[0] == b["detail"].split("'")[0]


def test_another_keys_job_is_not_found(make_app, tmp_path):
    keys = KeyStore(tmp_path / "jobs.sqlite3")
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    client = make_app(auth=True).test_client()
    a, b = {"X-API-Key": alice}, {"X-API-Key": bob}
    created = client.post("/v1/jobs" + FAST, json=articles(3), headers=a)
    assert created.status_code == 202, created.get_data(as_text=True)
    job_id = created.get_json()["job_id"]

    assert client.get(f"/v1/jobs/{job_id}", headers=a).status_code == 200
    missing = problem(client.get("/v1/jobs/" + "0" * 32, headers=b), 404)
    for resp in (client.get(f"/v1/jobs/{job_id}", headers=b),
                 client.get(f"/v1/jobs/{job_id}/results", headers=b),
                 client.get(f"/v1/jobs/{job_id}/results?cursor=0&limit=10", headers=b),
                 client.delete(f"/v1/jobs/{job_id}", headers=b)):
        assert same_problem(problem(resp, 404), missing)  # exactly what a job that does not exist gets
    assert client.get(f"/v1/jobs/{job_id}", headers=a).get_json()["status"] == "queued"  # bob cancelled nothing
    assert client.delete(f"/v1/jobs/{job_id}", headers=a).get_json()["status"] == "cancelled"


def test_idempotency_keys_are_per_tenant(make_app, tmp_path):
    keys = KeyStore(tmp_path / "jobs.sqlite3")
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    client = make_app(auth=True).test_client()
    a, b = {"X-API-Key": alice, "Idempotency-Key": "nightly"}, {"X-API-Key": bob, "Idempotency-Key": "nightly"}
    first = client.post("/v1/jobs" + FAST, json=articles(2, "a"), headers=a)
    alice_job = first.get_json()["job_id"]

    other = client.post("/v1/jobs" + FAST, json=articles(1, "b"), headers=b)  # same key, another request
    assert other.status_code == 202 and "Idempotent-Replayed" not in other.headers
    bob_job = other.get_json()["job_id"]
    assert bob_job != alice_job and alice_job not in other.get_data(as_text=True)
    replay = client.post("/v1/jobs" + FAST, json=articles(1, "b"), headers=b)
    assert replay.get_json()["job_id"] == bob_job and replay.headers["Idempotent-Replayed"] == "true"

    conflict = problem(client.post("/v1/jobs" + FAST, json=articles(5, "b"), headers=b), 422)
    assert conflict["job_id"] == bob_job and alice_job not in json.dumps(conflict)  # only its own job's id
    assert client.post("/v1/jobs" + FAST, json=articles(2, "a"), headers=a).get_json()["job_id"] == alice_job


def test_with_keys_off_everyone_is_one_anonymous_tenant(make_app):
    client = make_app().test_client()
    job_id = client.post("/v1/jobs" + FAST, json=articles(1)).get_json()["job_id"]
    assert client.get(f"/v1/jobs/{job_id}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


OLD_SCHEMA = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, options TEXT NOT NULL, total INTEGER NOT NULL,
    idempotency_key TEXT UNIQUE, request_hash TEXT, error TEXT, created_at REAL NOT NULL, started_at REAL,
    finished_at REAL, updated_at REAL NOT NULL
);
CREATE TABLE job_items (
    item_id INTEGER PRIMARY KEY, job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    article_id TEXT NOT NULL, record TEXT NOT NULL, status TEXT NOT NULL, owner TEXT, lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0, result TEXT, done_order INTEGER, finished_at REAL, UNIQUE (job_id, seq)
);
CREATE INDEX job_items_queued ON job_items (item_id) WHERE status = 'queued';
CREATE TABLE result_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, used REAL NOT NULL);
"""


def old_store(path) -> None:
    """A job store as the service wrote it before tenants: one done job with results, one queued."""
    now = time.time()
    options = json.dumps({"summary": {"method": "extractive"}, "translate": "none", "translation": {}})
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO jobs VALUES ('old-done', 'done', ?, 2, 'idem-1', 'h', NULL, ?, ?, ?, ?)",
                   (options, now, now, now, now))
        db.execute("INSERT INTO jobs VALUES ('old-queued', 'queued', ?, 1, NULL, NULL, NULL, ?, NULL, NULL, ?)",
                   (options, now, now))
        for seq in range(2):
            db.execute("INSERT INTO job_items (job_id, seq, article_id, record, status, result, done_order, "
                       "finished_at) VALUES ('old-done', ?, ?, ?, 'done', ?, ?, ?)",
                       (seq, f"o{seq}", json.dumps({"id": f"o{seq}", "text": TEXT}),
                        json.dumps({"id": f"o{seq}", "summary_vi": "Tóm tắt."}), seq + 1, now))
        db.execute("INSERT INTO job_items (job_id, seq, article_id, record, status) VALUES "
                   "('old-queued', 0, 'q0', ?, 'queued')", (json.dumps({"id": "q0", "text": TEXT}),))
        db.execute("INSERT INTO result_cache VALUES ('k', 'v', 0)")


def test_a_store_from_before_tenants_migrates_in_place(make_app, tmp_path):
    path = tmp_path / "jobs.sqlite3"
    old_store(path)
    assert Database(str(path)).upgrade() == list(range(1, LATEST + 1))  # migrates (the service does on its first statement)
    assert Database(str(path)).upgrade() == []  # and a second open (another process) finds nothing to do
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT id, tenant FROM jobs ORDER BY id").fetchall() == [
            ("old-done", "anonymous"), ("old-queued", "anonymous")]
        assert db.execute("SELECT COUNT(*) FROM job_items").fetchone()[0] == 3  # no item lost to a cascade
        assert db.execute("SELECT value FROM result_cache").fetchone()[0] == "v"  # other tables untouched
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    client = make_app().test_client()  # keys off: the anonymous tenant owns the old jobs
    assert client.get("/v1/jobs/old-done").get_json()["counts"]["done"] == 2
    rows = client.get("/v1/jobs/old-done/results").get_data(as_text=True).splitlines()
    assert [json.loads(r)["id"] for r in rows] == ["o0", "o1"]
    conflict = problem(client.post("/v1/jobs" + FAST, json=articles(1), headers={"Idempotency-Key": "idem-1"}), 422)
    assert conflict["job_id"] == "old-done"  # the old key still belongs to its (anonymous) job

    _, key = KeyStore(path).create("newsroom")
    keyed = make_app(auth=True).test_client()
    assert problem(keyed.get("/v1/jobs/old-done", headers={"X-API-Key": key}), 404)
    own = keyed.post("/v1/jobs" + FAST, json=articles(1), headers={"X-API-Key": key, "Idempotency-Key": "idem-1"})
    assert own.status_code == 202 and own.get_json()["job_id"] != "old-done"

    worked = make_app(job_workers=1).test_client()  # the old queued item still runs
    deadline = time.time() + 60
    while worked.get("/v1/jobs/old-queued").get_json()["status"] != "done":
        assert time.time() < deadline
        time.sleep(0.05)


def test_finished_jobs_are_purged_after_the_retention(make_app, tmp_path):
    path = tmp_path / "jobs.sqlite3"
    app = make_app(job_workers=1, job_retention=1.0)
    client = app.test_client()
    waiting = make_app(job_workers=0, job_retention=1.0, db_path=str(tmp_path / "other.sqlite3")).test_client()
    queued = waiting.post("/v1/jobs" + FAST, json=articles(1)).get_json()["job_id"]
    job_id = client.post("/v1/jobs" + FAST, json=articles(2), headers={"Idempotency-Key": "k"}).get_json()["job_id"]
    deadline = time.time() + 60
    while client.get(f"/v1/jobs/{job_id}").get_json()["status"] != "done":
        assert time.time() < deadline
        time.sleep(0.05)
    assert len(client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True).splitlines()) == 2

    time.sleep(1.3)
    gone = problem(client.get(f"/v1/jobs/{job_id}"), 404)  # hidden at once, purged soon after
    assert "1 seconds" in gone["detail"] or "after they finish" in gone["detail"]
    deadline = time.time() + 10
    while True:  # the workers' heartbeat purges (every retention / 10)
        with sqlite3.connect(path) as db:
            left = db.execute("SELECT (SELECT COUNT(*) FROM jobs) + (SELECT COUNT(*) FROM job_items)").fetchone()[0]
        if left == 0:
            break
        assert time.time() < deadline, left
        time.sleep(0.1)
    again = client.post("/v1/jobs" + FAST, json=articles(1), headers={"Idempotency-Key": "k"})
    assert again.status_code == 202 and "Idempotent-Replayed" not in again.headers  # its key went with it

    assert waiting.get(f"/v1/jobs/{queued}").get_json()["status"] == "queued"  # unfinished jobs are kept
    waiting.post("/v1/jobs" + FAST, json=articles(1))  # a write purges too: the queued job is not finished
    assert waiting.get(f"/v1/jobs/{queued}").status_code == 200


def test_retention_setting_parses_durations():
    assert Settings.from_env({"TOMTAT_JOB_RETENTION": "7d"}).job_retention == 7 * 86400
    assert Settings.from_env({"TOMTAT_JOB_RETENTION": "90"}).job_retention == 90
    assert Settings.from_env({"TOMTAT_JOB_RETENTION": "12h"}).job_retention == 12 * 3600
    assert Settings.from_env({}).job_retention == 7 * 86400
    with pytest.raises(ValueError, match="TOMTAT_JOB_RETENTION"):
        Settings.from_env({"TOMTAT_JOB_RETENTION": "a week"})


def test_cached_results_are_per_key(tmp_path, tiny_config):
    """A cache hit (and its speed) must not tell one key what another submitted."""
    from models.runtime import Runtime

    keys = KeyStore(tmp_path / "jobs.sqlite3")
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    runtime = Runtime(tiny_config).load()
    try:
        client = create_app(Settings(auth=True, db_path=str(tmp_path / "jobs.sqlite3")), runtime).test_client()
        body = {"text": TEXT, "method": "abstractive", "max_new_tokens": 4, "num_beams": 1}

        def cache_state(key):
            resp = client.post("/v1/summarize", json=body, headers={"Authorization": f"Bearer {key}"})
            assert resp.status_code == 200, resp.get_json()
            return resp.get_json()["timings"]["cache"]

        assert cache_state(alice) == "miss"
        assert cache_state(bob) == "miss"  # bob cannot learn that alice sent this text
        assert cache_state(alice) == "hit" and cache_state(bob) == "hit"  # each key still has its own cache
    finally:
        runtime.close()


def test_an_idempotency_key_of_an_expired_job_starts_a_new_job(make_app):
    """Past its retention a job is gone even before the purge ran: its key replays into a new job, not a 500."""
    app = make_app(job_retention=3600.0)
    client = app.test_client()
    store = app.extensions["tomtat.jobs"].store
    first = client.post(f"/v1/jobs{FAST}", json=articles(1), headers={"Idempotency-Key": "K"})
    old_id = first.get_json()["job_id"]
    with store.db.tx() as db:
        db.execute(text("UPDATE jobs SET status = 'succeeded', finished_at = :t WHERE id = :id"),
                   {"t": time.time() - 3601, "id": old_id})
    store.purge_expired = lambda *args, **kwargs: 0  # the purge has not come round yet
    again = client.post(f"/v1/jobs{FAST}", json=articles(1), headers={"Idempotency-Key": "K"})
    assert again.status_code == 202, again.get_json()
    assert again.get_json()["job_id"] != old_id
    assert client.get(f"/v1/jobs/{old_id}").status_code == 404


def test_tenants_take_turns_for_job_items(tmp_path):
    """A key's big job must not hold up another key's one-article job until it is done."""
    store = JobStore(str(tmp_path / "turns.sqlite3"))
    big, _ = store.create_job([(f"b{i}", json.dumps({"id": f"b{i}", "text": TEXT})) for i in range(30)], {},
                              tenant="key:big")
    small, _ = store.create_job([("s0", json.dumps({"id": "s0", "text": TEXT}))], {}, tenant="key:small")
    claimed = [store.claim("worker") for _ in range(3)]
    assert [c.job_id for c in claimed[:2]] == [big, small]  # the small job's article comes second, not 31st
    assert claimed[2].job_id == big and [c.seq for c in claimed if c.job_id == big] == [0, 1]  # in order
    while store.claim("worker") is not None:
        pass
    assert store.claim("worker") is None
