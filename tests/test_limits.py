"""Request rates and character quotas (Flask-Limiter), in memory and in the real Redis server."""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from service.app import create_app
from tests.helpers import problem
from service.config import Settings
from service.keys import KeyStore

TEXT = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025."
REDIS_URI = "redis://127.0.0.1:6379/0"


def summarize(client, headers=None, text=TEXT):
    return client.post("/v1/summarize", json={"text": text, "method": "extractive"}, headers=headers or {})


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tomtat.sqlite3")


def test_no_limits_by_default(offline_runtime, db):
    client = create_app(Settings(db_path=db), offline_runtime).test_client()
    for _ in range(5):
        assert summarize(client).status_code == 200


def test_anonymous_rate_limit_is_429_with_retry_after(offline_runtime, db):
    client = create_app(Settings(db_path=db, anon_rate_limit="2/minute"), offline_runtime).test_client()
    assert summarize(client).status_code == 200
    assert client.get("/v1/models").status_code == 200  # one counter for every /v1 route
    resp = summarize(client)
    body = problem(resp, 429)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert body["limit"] == "2 per 1 minute" and body["retry_after"] >= 1
    assert "this client address" in body["detail"]
    assert client.get("/healthz").status_code == 200  # probes are never limited


def test_per_key_rate_from_the_key_or_the_default(offline_runtime, db):
    store = KeyStore(db)
    _, own = store.create("fast", rate_limit="3/minute")
    _, default = store.create("default")
    client = create_app(Settings(auth=True, db_path=db, rate_limit="1/minute"), offline_runtime).test_client()
    for _ in range(3):
        assert summarize(client, {"X-API-Key": own}).status_code == 200
    assert problem(summarize(client, {"X-API-Key": own}), 429)["limit"] == "3 per 1 minute"
    assert summarize(client, {"X-API-Key": default}).status_code == 200  # counted separately
    body = problem(summarize(client, {"X-API-Key": default}), 429)
    assert body["limit"] == "1 per 1 minute" and "tt_" in body["detail"]


def test_character_quota(offline_runtime, db):
    store = KeyStore(db)
    _, key = store.create("desk", char_quota=f"{len(TEXT) * 2 + 10}/day")
    client = create_app(Settings(auth=True, db_path=db), offline_runtime).test_client()
    headers = {"X-API-Key": key}
    assert summarize(client, headers).status_code == 200
    assert summarize(client, headers).status_code == 200
    resp = summarize(client, headers)
    body = problem(resp, 429)
    assert body["type"].endswith("/quota-exceeded") and body["chars"] == len(TEXT)
    assert int(resp.headers["Retry-After"]) > 0
    assert client.get("/v1/models", headers=headers).status_code == 200  # reads cost no characters


def test_one_request_over_the_whole_quota_says_so(offline_runtime, db):
    client = create_app(Settings(db_path=db, anon_char_quota="20/hour"), offline_runtime).test_client()
    body = problem(summarize(client), 429)
    assert "more than the whole quota" in body["detail"]


def test_limits_report(offline_runtime, db):
    store = KeyStore(db)
    _, key = store.create("desk", rate_limit="5/minute", char_quota="1000/day")
    client = create_app(Settings(auth=True, db_path=db, max_chars=1234), offline_runtime).test_client()
    summarize(client, {"X-API-Key": key})
    body = client.get("/v1/limits", headers={"X-API-Key": key}).get_json()
    assert body["auth"] is True and body["limits"]["max_chars"] == 1234
    assert {"max_body_bytes", "max_texts"} <= set(body["limits"])
    assert body["client"]["rate"][0]["remaining"] == 3  # the summary and this call
    assert body["client"]["char_quota"][0]["remaining"] == 1000 - len(TEXT)


def test_size_limits_are_reported_in_errors(offline_runtime, db):
    client = create_app(Settings(db_path=db, max_chars=50, max_body_bytes=2000), offline_runtime).test_client()
    body = problem(summarize(client), 413)
    assert body["limit"] == 50 and "TOMTAT_MAX_CHARS" in body["detail"]
    body = problem(summarize(client, text="a" * 3000), 413)
    assert "2000" in body["detail"] and "TOMTAT_MAX_BODY_BYTES" in body["detail"]


@pytest.fixture
def redis_prefix():
    prefix = f"tomtat-test-{uuid.uuid4().hex[:10]}"
    conn = redis.Redis.from_url(REDIS_URI)
    yield prefix
    for key in conn.scan_iter(f"*{prefix}*"):
        conn.delete(key)


def test_redis_counters_are_shared_between_replicas(offline_runtime, db, redis_prefix):
    settings = Settings(db_path=db, anon_rate_limit="3/minute", anon_char_quota="100000/day",
                        limits_storage=REDIS_URI, limits_prefix=redis_prefix)
    replica_a = create_app(settings, offline_runtime).test_client()
    replica_b = create_app(settings, offline_runtime).test_client()
    assert summarize(replica_a).status_code == 200
    assert summarize(replica_b).status_code == 200
    assert summarize(replica_a).status_code == 200
    resp = summarize(replica_b)
    problem(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1
    keys = [k.decode() for k in redis.Redis.from_url(REDIS_URI).scan_iter(f"*{redis_prefix}*")]
    assert any("requests" in k for k in keys) and any("chars" in k for k in keys)


def test_jsonl_job_bodies_count_against_the_character_quota(offline_runtime, db):
    client = create_app(Settings(db_path=db, anon_char_quota="100/hour"), offline_runtime).test_client()
    rows = [{"id": f"a{i}", "text": "Hà Nội mưa to, đường ngập sâu. " * 3} for i in range(3)]  # ~270 characters
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    resp = client.post("/v1/jobs?method=extractive&translate=none", data=body, content_type="application/x-ndjson")
    problem(resp, 429)  # a whole archive is not one free request


def test_cors_preflights_do_not_spend_the_request_rate(offline_runtime, db):
    client = create_app(Settings(db_path=db, anon_rate_limit="2/minute"), offline_runtime).test_client()
    headers = {"Origin": "https://newsroom.example", "Access-Control-Request-Method": "POST"}
    for _ in range(5):
        assert client.options("/v1/summarize", headers=headers).status_code < 400
    body = {"text": "Chiều 22/7, UBND TP.HCM họp bàn về giao thông.", "method": "extractive"}
    assert [client.post("/v1/summarize", json=body).status_code for _ in range(3)] == [200, 200, 429]
