"""HTTP jobs: submit, poll, page results, idempotency, cancel, priority, restart mid-job (exactly once)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service import jobs
from service.app import create_app
from service.config import Settings
from tests.helpers import app_factory, free_port, problem, wait_healthy
from tests.test_cli import tiny_env

ROOT = Path(__file__).resolve().parents[1]
FAST = "?translate=none&method=extractive"


def articles(n: int, seed: str, prefix: str = "j") -> list[dict]:
    return [{"id": f"{prefix}{i}", "title": f"Tin {i}", "text": f"Bản tin số {i}. " + seed[:500], "k": i}
            for i in range(n)]


def wait_done(client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while True:
        body = client.get(f"/v1/jobs/{job_id}").get_json()
        if body["status"] in ("done", "failed", "cancelled"):
            return body
        assert time.time() < deadline, body
        time.sleep(0.05)


@pytest.fixture()
def make_app(tmp_path, tiny_runtime):
    with app_factory(tiny_runtime, db_path=str(tmp_path / "jobs.sqlite3"), job_lease_s=1.0, job_max_yield_s=30.0,
                     max_chars=5000) as make:
        yield make


def test_submit_poll_and_page_results(make_app, seed_article):
    client = make_app().test_client()
    sent = articles(25, seed_article)
    resp = client.post("/v1/jobs" + FAST, json=sent)
    assert resp.status_code == 202
    body = resp.get_json()
    assert resp.headers["Location"] == f"/v1/jobs/{body['job_id']}" and body["status"] in ("queued", "running")
    assert body["counts"]["total"] == 25
    done = wait_done(client, body["job_id"])
    assert done["status"] == "done" and done["counts"]["done"] == 25 and done["progress"] == 1.0
    assert done["created_at"] and done["started_at"] and done["finished_at"]

    seen, cursor, pages = [], 0, 0
    while True:
        page = client.get(f"/v1/jobs/{body['job_id']}/results?cursor={cursor}&limit=10")
        assert page.status_code == 200 and page.mimetype == "application/x-ndjson"
        lines = [json.loads(line) for line in page.get_data(as_text=True).splitlines()]
        seen += lines
        pages += 1
        cursor = int(page.headers["X-Next-Cursor"])
        if "Link" not in page.headers:
            break
        assert f"cursor={cursor}" in page.headers["Link"]
    assert pages == 3 and len(lines) == 5  # 10 + 10 + 5: the job is done, no next page
    assert sorted(r["id"] for r in seen) == sorted(a["id"] for a in sent)
    assert all(r["summary_vi"] and r["models"] == {"summary": "extractive"} and "k" in r for r in seen)
    everything = client.get(f"/v1/jobs/{body['job_id']}/results").get_data(as_text=True).splitlines()
    assert len(everything) == 25


def test_idempotency_key_returns_the_same_job(make_app, seed_article):
    client = make_app(job_workers=0).test_client()
    sent = articles(3, seed_article)
    first = client.post("/v1/jobs" + FAST, json=sent, headers={"Idempotency-Key": "batch-2024-07-01"})
    again = client.post("/v1/jobs" + FAST, json=sent, headers={"Idempotency-Key": "batch-2024-07-01"})
    assert first.status_code == again.status_code == 202
    assert first.get_json()["job_id"] == again.get_json()["job_id"] and again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/jobs" + FAST, json=sent)
    assert other.get_json()["job_id"] != first.get_json()["job_id"]
    conflict = client.post("/v1/jobs" + FAST, json=sent[:1], headers={"Idempotency-Key": "batch-2024-07-01"})
    assert conflict.status_code == 422 and conflict.get_json()["job_id"] == first.get_json()["job_id"]


def test_jsonl_body_and_bad_rows(make_app, seed_article):
    client = make_app().test_client()
    lines = [json.dumps(a, ensure_ascii=False).encode() for a in articles(2, seed_article)]
    lines += [b'{"id": "broken"', b'{"id": "empty", "text": ""}', b'{"id": "notext"}',
              json.dumps({"id": "long", "text": "Dài. " * 2000}).encode(), b'{"id": "b", "text": "\xff"}', b""]
    resp = client.post("/v1/jobs" + FAST, data=b"\n".join(lines), content_type="application/x-ndjson")
    assert resp.status_code == 202, resp.get_data(as_text=True)
    done = wait_done(client, resp.get_json()["job_id"])
    assert done["counts"]["done"] == 2 and done["counts"]["failed"] == 5
    rows = {json.loads(x)["id"]: json.loads(x) for x in
            client.get(f"/v1/jobs/{done['job_id']}/results").get_data(as_text=True).splitlines()}
    assert {k: v.get("error") for k, v in rows.items()} == {
        "j0": None, "j1": None, "body:3": "invalid_json", "empty": "empty_text", "notext": "missing_text",
        "long": "too_long", "body:7": "undecodable"}


def test_cancel(make_app, seed_article):
    client = make_app(job_workers=0).test_client()  # nothing runs: cancel is deterministic
    job_id = client.post("/v1/jobs" + FAST, json=articles(5, seed_article)).get_json()["job_id"]
    resp = client.delete(f"/v1/jobs/{job_id}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "cancelled" and body["counts"]["cancelled"] == 5 and body["finished_at"]
    results = client.get(f"/v1/jobs/{job_id}/results")
    assert results.get_data() == b"" and "Link" not in results.headers
    assert client.delete("/v1/jobs/nope").status_code == 404


def test_errors_are_problems(make_app, seed_article):
    client = make_app(job_workers=0, max_job_articles=3).test_client()
    too_many = client.post("/v1/jobs" + FAST, json=articles(4, seed_article))
    assert too_many.status_code == 413 and too_many.mimetype == "application/problem+json"
    assert client.post("/v1/jobs", data="x", content_type="text/plain").status_code == 415
    assert client.post("/v1/jobs", json=[]).status_code == 422
    assert client.post("/v1/jobs", data="[", content_type="application/json").status_code == 400
    assert client.post("/v1/jobs?translate=everything", json=articles(1, seed_article)).status_code == 422
    assert client.get("/v1/jobs/unknown").status_code == 404
    job_id = client.post("/v1/jobs" + FAST, json=articles(1, seed_article)).get_json()["job_id"]
    assert client.get(f"/v1/jobs/{job_id}/results?cursor=-1").status_code == 422
    assert client.get(f"/v1/jobs/{job_id}/results?limit=0").status_code == 422


def test_job_body_may_exceed_the_interactive_body_limit(make_app, seed_article):
    client = make_app(job_workers=0, max_body_bytes=2000).test_client()
    assert client.post("/v1/jobs" + FAST, json=articles(20, seed_article)).status_code == 202


def test_job_body_over_its_own_limit_is_413(make_app, seed_article):
    small = make_app(job_workers=0, max_job_bytes=2000, db_path=":memory:").test_client()
    assert small.post("/v1/jobs" + FAST, json=articles(20, seed_article)).status_code == 413


def test_interactive_requests_come_first(make_app, seed_article):
    app = make_app()
    client = app.test_client()
    priority = app.extensions["tomtat.priority"]
    assert client.post("/v1/summarize", json={"text": "Hà Nội mưa to. Đường ngập.", "method": "extractive"}) \
        .status_code == 200
    assert priority.in_flight == 0  # the hook entered and left
    priority.enter()  # an interactive request in flight
    try:
        job_id = client.post("/v1/jobs" + FAST, json=articles(3, seed_article)).get_json()["job_id"]
        time.sleep(1.0)
        assert client.get(f"/v1/jobs/{job_id}").get_json()["counts"]["done"] == 0
    finally:
        priority.leave()
    assert wait_done(client, job_id)["counts"]["done"] == 3


def test_tiny_models_through_the_job_path(make_app, seed_article):
    client = make_app().test_client()
    payload = {"articles": articles(2, seed_article), "translate": "both",
               "summary": {"method": "abstractive", "max_new_tokens": 4, "num_beams": 1},
               "translation": {"max_new_tokens": 4, "num_beams": 1}}
    job_id = client.post("/v1/jobs", json=payload).get_json()["job_id"]
    assert wait_done(client, job_id, 120)["counts"]["done"] == 2
    for line in client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True).splitlines():
        row = json.loads(line)
        assert row["summary_en"] is not None and row["translation_en"] is not None
        assert set(row["models"]) == {"summary", "translation"}


@pytest.mark.slow
def test_server_killed_mid_job_resumes_on_restart_exactly_once(tmp_path, replica, tiny_runtime, seed_article):
    db = tmp_path / "jobs.sqlite3"
    port = free_port()
    env = {**os.environ, **tiny_env(replica), "TOMTAT_DB": str(db), "TOMTAT_JOB_LEASE_S": "1",
           "TOMTAT_JOB_WORKERS": "2", "TOMTAT_LOG_LEVEL": "WARNING"}
    server = ("import sys; from service.app import create_app; "
              "create_app().run(host='127.0.0.1', port=int(sys.argv[1]), threaded=True)")
    proc = subprocess.Popen([sys.executable, "-c", server, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    n = 80
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, seconds=90)
        payload = {"articles": articles(n, seed_article), "translate": "summary",
                   "summary": {"method": "extractive"}, "translation": {"max_new_tokens": 8, "num_beams": 1}}
        req = urllib.request.Request(base + "/v1/jobs", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
        job_id = json.loads(urllib.request.urlopen(req, timeout=30).read())["job_id"]
        deadline = time.time() + 90
        while True:
            status = json.loads(urllib.request.urlopen(f"{base}/v1/jobs/{job_id}", timeout=10).read())
            if status["counts"]["done"] >= 5:
                break
            assert time.time() < deadline, status
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # crash: items in flight keep their dead owner's lease
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with sqlite3.connect(db) as conn:
        before = dict(conn.execute("SELECT status, COUNT(*) FROM job_items GROUP BY status").fetchall())
    assert before.get("done", 0) < n, "the server should have died mid-job"

    app = create_app(Settings(db_path=str(db), job_lease_s=1.0, job_workers=2), tiny_runtime)
    try:
        jobs.start_workers(app)
        client = app.test_client()
        final = wait_done(client, job_id, 120)
        assert final["status"] == "done" and final["counts"]["done"] == n
        ids = [json.loads(x)["id"] for x in client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True).splitlines()]
    finally:
        jobs.shutdown(app)
    assert sorted(ids) == sorted(a["id"] for a in payload["articles"])  # every article once
    with sqlite3.connect(db) as conn:
        orders = [r[0] for r in conn.execute("SELECT done_order FROM job_items WHERE job_id = ? ORDER BY done_order",
                                             (job_id,))]
        assert orders == list(range(1, n + 1))  # one stored result per item, none overwritten or lost
        assert conn.execute("SELECT COUNT(*) FROM job_items WHERE result IS NULL").fetchone()[0] == 0


def test_numeric_options_in_the_query_string(make_app, seed_article):
    """JSONL bodies can take options only from the query string; its numbers are strings there."""
    client = make_app().test_client()
    resp = client.post("/v1/jobs?translate=none&method=extractive&max_sentences=2&max_words=40",
                       data=json.dumps({"id": "q1", "text": seed_article}) + "\n",
                       headers={"Content-Type": "application/x-ndjson"})
    assert resp.status_code == 202, resp.get_json()
    bad = client.post("/v1/jobs?translate=none&method=extractive&max_sentences=two",
                      data=json.dumps({"id": "q2", "text": seed_article}) + "\n",
                      headers={"Content-Type": "application/x-ndjson"})
    assert bad.status_code == 422 and "max_sentences" in bad.get_data(as_text=True)


def test_an_unknown_query_parameter_is_refused_not_ignored(make_app, seed_article):
    client = make_app(job_workers=0).test_client()
    line = json.dumps({"id": "q1", "text": seed_article}) + "\n"
    resp = client.post("/v1/jobs?translte=none&method=extractive", data=line,
                       headers={"Content-Type": "application/x-ndjson"})
    body = problem(resp, 422)
    assert "unknown query parameter 'translte'" in body["detail"] and "translate" in body["detail"]
    assert body["errors"] == [{"field": "translte", "message": "unknown query parameter"}]
    spec = client.get("/openapi.json").get_json()["paths"]["/v1/jobs"]["post"]
    query = {p["name"]: p["schema"] for p in spec["parameters"] if p["in"] == "query"}
    assert query["max_sentences"]["maximum"] == 50 and query["translate"]["enum"] == ["none", "summary", "full", "both"]
    assert spec["requestBody"]["content"]["application/x-ndjson"]["schema"]["type"] == "string"


def test_on_unfaithful_in_the_query_string_reaches_the_job(make_app, seed_article):
    client = make_app(job_workers=0).test_client()
    resp = client.post("/v1/jobs?translate=none&method=abstractive&on_unfaithful=fallback",
                       data=json.dumps({"id": "q1", "text": seed_article}) + "\n",
                       headers={"Content-Type": "application/x-ndjson"})
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["options"]["summary"]["on_unfaithful"] == "fallback"
    bad = client.post("/v1/jobs?translate=none&on_unfaithful=ignore",
                      data=json.dumps({"id": "q2", "text": seed_article}) + "\n",
                      headers={"Content-Type": "application/x-ndjson"})
    assert bad.status_code == 422 and "on_unfaithful" in bad.get_data(as_text=True)


def test_workers_build_a_job_s_options_once_per_job(make_app):
    app = make_app(job_workers=0)
    client = app.test_client()
    terms = {"UBND": "People's Committee"}
    made = [client.post("/v1/jobs", json={"articles": [{"id": f"a{i}", "text": "UBND họp."} for i in range(2)],
                                          "translate": "summary", "glossary": dict(terms, **{f"X{n}": f"Y{n}"})})
            for n in range(2)]
    assert all(r.status_code == 202 for r in made)
    workers = jobs._workers(app)
    claims = [workers.store.claim(workers.owner) for _ in range(4)]
    built = {}
    for claim in claims:
        built.setdefault(claim.job_id, []).append(workers._article_options(claim))
    assert len(built) == 2 and all(a is b for a, b in built.values())  # one ArticleOptions per job
    first, second = (built[r.get_json()["job_id"]][0] for r in made)
    assert first.glossary.entries == {"UBND": "People's Committee", "X0": "Y0"}  # each job its own terms
    assert second.glossary.entries == {"UBND": "People's Committee", "X1": "Y1"}


def test_a_worker_reports_progress_at_most_every_so_often_and_stops_once_refused(make_app):
    app = make_app(job_workers=0)
    workers = jobs._workers(app)
    asked: list[float] = []
    answer = [True]

    class Store:  # only what the reporter calls; the real store's side is tested in tests/test_store.py
        def report_progress(self, claim, owner, fraction):
            asked.append(fraction)
            return answer[0]

    workers._store = Store()
    claim = type("Claim", (), {"job_id": "j", "seq": 0})()
    report = workers._reporter(claim, every_s=60)
    report(0.1), report(0.2), report(1.0)  # within the minute: one write; the end is complete()'s to write
    assert asked == [0.1]
    answer[0] = False
    refused = workers._reporter(claim, every_s=0)
    refused(0.3), refused(0.4)  # the claim is no longer this worker's: asked once, then never again
    assert asked == [0.1, 0.3]
