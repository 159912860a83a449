"""Request rates and character quotas (Flask-Limiter), in memory and in the real Redis server."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from limits import parse

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


# -- a refused request costs nothing; one Retry-After; characters as read (NFC) ----------------------------


def vi_text(n: int) -> str:
    """``n`` characters of Vietnamese news text (NFC)."""
    return (TEXT + " ") * (n // (len(TEXT) + 1)) + TEXT[:n % (len(TEXT) + 1)]


@pytest.fixture(params=["redis", "memory", "fallback"])
def storage(request, redis_prefix):
    """Settings of where the counters live: the real Redis, this process's memory, or the in-memory
    fallback a replica counts in while its Redis is away (a forwarder in front of the real one, cut)."""
    if request.param == "memory":
        yield {"limits_storage": "memory://"}
    elif request.param == "redis":
        yield {"limits_storage": REDIS_URI, "limits_prefix": redis_prefix}
    else:
        from tests.servers import Cut, host_port

        cut = Cut(*host_port(REDIS_URI, 6379))
        cut.down()
        try:
            yield {"limits_storage": cut.url(REDIS_URI), "limits_prefix": redis_prefix}
        finally:
            cut.close()


def left(client, headers) -> tuple[int, int]:
    """What /v1/limits says is left: of the request rate (this call counted), of the character quota."""
    body = client.get("/v1/limits", headers=headers).get_json()["client"]
    return body["rate"][0]["remaining"], body["char_quota"][0]["remaining"]


def test_a_request_refused_for_the_character_quota_costs_nothing(offline_runtime, db, storage, caplog):
    _, key = KeyStore(db).create("k", rate_limit="1000/minute", char_quota="3000/minute")
    client = create_app(Settings(auth=True, db_path=db, jobs=False, **storage), offline_runtime).test_client()
    headers = {"X-API-Key": key}
    assert summarize(client, headers, vi_text(2500)).status_code == 200
    assert left(client, headers) == (998, 500)

    resp = summarize(client, headers, vi_text(1000))
    body = problem(resp, 429)
    assert body["type"].endswith("/quota-exceeded") and body["chars"] == 1000 and body["remaining"] == 500
    assert "this request needs 1000 characters; 500 of 3000 are left in this minute" in body["detail"]
    assert f"retry in {body['retry_after']} s or send less" in body["detail"]
    assert "used up" not in body["detail"]
    assert left(client, headers) == (997, 500)  # neither the characters nor the request were counted

    assert summarize(client, headers, vi_text(400)).status_code == 200  # what was left is there to use
    assert left(client, headers) == (995, 100)
    assert not [r for r in caplog.records if "Swallowing" in r.getMessage()]


def test_a_request_refused_for_its_rate_costs_no_characters(offline_runtime, db, storage):
    """Each limit is counted only if all of them have room: the character quota (a minute, so checked
    first) is given back when the hourly rate refuses the request."""
    record, key = KeyStore(db).create("k", rate_limit="2/hour", char_quota="1000/minute")
    app = create_app(Settings(auth=True, db_path=db, jobs=False, **storage), offline_runtime)
    client, headers = app.test_client(), {"X-API-Key": key}
    assert summarize(client, headers, vi_text(300)).status_code == 200
    assert client.get("/v1/models", headers=headers).status_code == 200
    body = problem(summarize(client, headers, vi_text(300)), 429)
    assert body["type"].endswith("/rate-limited")
    limiter = app.extensions["tomtat.limiter"]
    prefix = storage.get("limits_prefix", "tomtat")
    with app.test_request_context():
        _, chars_left = limiter.limiter.get_window_stats(parse("1000/minute"), prefix, f"key:{record.id}", "chars")
    assert chars_left == 700


@pytest.mark.parametrize("where", ["redis", "memory"])
def test_refused_requests_racing_take_no_room_from_others(offline_runtime, db, redis_prefix, where):
    """Requests too big for what is left, sent at once (to two replicas sharing Redis, or threads of one
    process), never take the room of the small ones that fit: checking and counting is one step."""
    from concurrent.futures import ThreadPoolExecutor

    _, key = KeyStore(db).create("k", rate_limit="1000/minute", char_quota="1000/minute")
    settings = Settings(auth=True, db_path=db, jobs=False, limits_prefix=redis_prefix,
                        limits_storage=REDIS_URI if where == "redis" else "memory://")
    apps = [create_app(settings, offline_runtime) for _ in range(2 if where == "redis" else 1)]
    headers = {"X-API-Key": key}
    assert summarize(apps[0].test_client(), headers, vi_text(500)).status_code == 200

    sizes = [1000] * 16 + [100] * 5  # the big ones first: each would have used the room up
    with ThreadPoolExecutor(len(sizes)) as pool:
        statuses = list(pool.map(lambda i: summarize(apps[i % len(apps)].test_client(), headers,
                                                     vi_text(sizes[i])).status_code, range(len(sizes))))
    assert statuses == [429] * 16 + [200] * 5
    assert left(apps[-1].test_client(), headers)[1] == 0


@pytest.mark.parametrize("where", ["redis", "memory"])
@pytest.mark.parametrize("limit", ["anon_rate_limit", "anon_char_quota"])
def test_retry_after_is_the_seconds_the_problem_says(offline_runtime, db, redis_prefix, where, limit):
    settings = Settings(db_path=db, jobs=False, limits_prefix=redis_prefix,
                        limits_storage=REDIS_URI if where == "redis" else "memory://",
                        **{limit: "1/minute" if limit == "anon_rate_limit" else f"{len(TEXT) + 10}/minute"})
    client = create_app(settings, offline_runtime).test_client()
    assert summarize(client).status_code == 200
    resp = summarize(client)
    body = problem(resp, 429)
    assert resp.headers["Retry-After"] == str(body["retry_after"])
    assert f"retry in {body['retry_after']} s" in body["detail"]
    assert 1 <= body["retry_after"] <= 61


def test_the_character_quota_counts_characters_as_read_nfc(offline_runtime, db, redis_prefix):
    """Vietnamese typed with combining marks (NFD) costs the characters the service reads (NFC)."""
    import unicodedata

    text = vi_text(900)
    nfd = unicodedata.normalize("NFD", text)
    assert len(nfd) > 1000 and len(unicodedata.normalize("NFC", nfd)) == 900
    client = create_app(Settings(db_path=db, jobs=False, anon_char_quota="1000/hour", limits_storage=REDIS_URI,
                                 limits_prefix=redis_prefix), offline_runtime).test_client()
    assert summarize(client, text=nfd).status_code == 200
    assert client.get("/v1/limits").get_json()["client"]["char_quota"][0]["remaining"] == 100
    body = problem(summarize(client, text=nfd), 429)
    assert body["chars"] == 900 and "100 of 1000 are left" in body["detail"]
    form = client.post("/detect", data={"q": unicodedata.normalize("NFD", "Hà Nội")})  # 6 characters
    assert form.status_code == 200
    assert client.get("/v1/limits").get_json()["client"]["char_quota"][0]["remaining"] == 94


def test_a_key_whose_stored_limit_is_unusable_gets_the_default_not_no_limit(offline_runtime, db, caplog):
    import sqlite3

    record, key = KeyStore(db).create("k")
    with sqlite3.connect(db) as conn:  # written by hand, or by a release that did not check it
        conn.execute("UPDATE api_keys SET rate_limit = 'lots', char_quota = '1/eon' WHERE id = ?", (record.id,))
    client = create_app(Settings(auth=True, db_path=db, jobs=False, rate_limit="2/minute"),
                        offline_runtime).test_client()
    headers = {"X-API-Key": key}
    assert [summarize(client, headers).status_code for _ in range(3)] == [200, 200, 429]
    assert not [r for r in caplog.records if "Swallowing" in r.getMessage()]
    assert any("unusable rate 'lots'" in r.getMessage() for r in caplog.records)
