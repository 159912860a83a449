"""API keys: the store (hashed, revocable), the CLI, and the 401/403 answers when TOMTAT_AUTH is on."""

from __future__ import annotations

import sqlite3

import pytest

from service.app import create_app
from tests.helpers import problem
from service.cli import main
from service.config import Settings
from service.keys import KeyError_, KeyStore

TEXT = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025."


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tomtat.sqlite3")


@pytest.fixture
def app(db, offline_runtime):
    return create_app(Settings(auth=True, db_path=db), offline_runtime)


def test_keys_are_stored_hashed_and_verified(db):
    store = KeyStore(db)
    record, key = store.create("bàn biên tập", "10/minute", "5000/day")
    assert key.startswith(f"tt_{record.id}_")
    raw = sqlite3.connect(db).execute("SELECT * FROM api_keys").fetchall()
    assert key.split("_", 2)[2] not in repr(raw)  # the secret is nowhere in the table
    assert store.verify(key).id == record.id
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify("tt_00000000_" + "x" * 43) is None
    assert store.verify("not a key") is None
    assert store.verify(key).rate_limit == "10/minute"


def test_revoke_by_id_prefix_or_name(db):
    store = KeyStore(db)
    a, key_a = store.create("a")
    b, _ = store.create("b")
    assert store.revoke(f"tt_{a.id}").revoked
    assert store.verify(key_a).revoked
    assert store.revoke("b").id == b.id
    with pytest.raises(KeyError_):
        store.revoke("nobody")


def test_a_revocation_by_another_process_counts_at_once(db):
    server = KeyStore(db)  # the serving process keeps one reading connection per thread
    record, key = server.create("desk")
    assert not server.verify(key).revoked
    KeyStore(db).revoke(record.id)  # `tomtat keys revoke` from a shell: another store, another connection
    assert server.verify(key).revoked


def test_bad_limit_syntax_is_refused(db):
    with pytest.raises(KeyError_, match="not a limit"):
        KeyStore(db).create("x", rate_limit="lots")


def test_cli_create_list_revoke(db, capsys):
    assert main(["keys", "--db", db, "create", "--name", "desk", "--rate", "30/minute", "--chars", "100000"]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("tt_") and "only time" in out.err
    record = KeyStore(db).verify(key)
    assert record.name == "desk" and record.char_quota == "100000/day"
    assert main(["keys", "--db", db, "list"]) == 0
    listing = capsys.readouterr().out
    assert record.id in listing and "desk" in listing and key not in listing and "active" in listing
    assert main(["keys", "--db", db, "revoke", record.id]) == 0
    assert main(["keys", "--db", db, "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "--db", db, "revoke", "nobody"]) == 2


def test_auth_off_by_default(offline_runtime, db):
    client = create_app(Settings(db_path=db), offline_runtime).test_client()
    assert client.post("/v1/summarize", json={"text": TEXT, "method": "extractive"}).status_code == 200


def test_missing_key_is_401_with_challenge(app):
    body = problem(app.test_client().post("/v1/summarize", json={"text": TEXT}), 401)
    assert "tomtat keys create" in body["detail"]


def test_wrong_key_is_401(app):
    client = app.test_client()
    resp = client.post("/v1/summarize", json={"text": TEXT}, headers={"Authorization": "Bearer tt_12345678_" + "a" * 43})
    problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_and_x_api_key_both_work(app, db):
    _, key = KeyStore(db).create("desk")
    client = app.test_client()
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        resp = client.post("/v1/summarize", json={"text": TEXT, "method": "extractive"}, headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)


def test_revoked_key_is_403(app, db):
    store = KeyStore(db)
    record, key = store.create("old")
    store.revoke(record.id)
    body = problem(app.test_client().get("/v1/models", headers={"X-API-Key": key}), 403)
    assert record.id in body["detail"] and body["type"].endswith("/key-revoked")


def test_open_routes_need_no_key(app):
    client = app.test_client()
    for path in ("/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics", "/static/app.js"):
        assert client.get(path).status_code == 200, path


def test_last_used_is_recorded(app, db):
    store = KeyStore(db)
    record, key = store.create("desk")
    app.test_client().get("/v1/models", headers={"X-API-Key": key})
    assert KeyStore(db).get(record.id).last_used_at is not None


# routes open with keys on, as documented (README "API keys and limits"); /languages and /frontend/settings
# stay open as in LibreTranslate's own server, which checks keys on /translate and /detect only
PUBLIC = {"/", "/docs", "/static/<path:filename>", "/openapi.json", "/healthz", "/readyz", "/metrics",
          "/languages", "/frontend/settings", "/health", "/suggest",  # LibreTranslate leaves these open too
          "/download_file/<name>"}  # a /translate_file result: its unguessable link is the capability


def _url(rule) -> str:
    import re

    return re.sub(r"<[^>]+>", "x", rule.rule)


def test_every_v1_and_libretranslate_route_needs_a_key(app, db):
    """Walks the URL map: each route is public by the list above, or refuses a request without a key."""
    from service.auth import protected

    store = KeyStore(db)
    _record, good = store.create("walker")
    revoked, bad = store.create("gone")
    store.revoke(revoked.id)
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            assert not protected(rule.rule), rule.rule
            continue
        assert rule.rule.startswith("/v1/") or rule.rule in ("/translate", "/detect", "/translate_file"), \
            f"{rule.rule} is neither public nor an API route: classify it"
        libre = not rule.rule.startswith("/v1/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(rule)
            env = {"REMOTE_ADDR": f"10.0.0.{checked + 1}"}  # one address per route: under the wrong-key limit
            none = client.open(url, method=method, json={}, environ_overrides=env)
            wrong = client.open(url, method=method, json={}, headers={"X-API-Key": "tt_00000000_" + "x" * 43},
                                environ_overrides=env)
            gone = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {bad}"},
                               environ_overrides=env)
            right = client.open(url, method=method, json={}, headers={"X-API-Key": good}, environ_overrides=env)
            if libre:  # LibreTranslate's statuses: 400 "get an API key", 403 "Invalid API key"
                assert none.status_code == 400 and "API key" in none.get_json()["error"], url
                assert wrong.status_code == 403 and gone.status_code == 403, url
            else:
                assert none.status_code == 401 and none.headers["WWW-Authenticate"].startswith("Bearer"), url
                assert wrong.status_code == 401 and gone.status_code == 403, url
            assert right.status_code not in (401, 403), (method, url, right.get_data(as_text=True)[:200])
            checked += 1
    assert checked >= 10  # summarize, translate, articles, models, limits, jobs (4), /translate, /detect


def test_cors_preflight_needs_no_key(app):
    client = app.test_client()
    for path in ("/translate", "/detect"):
        resp = client.options(path, headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "Content-Type, Authorization"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    # the preflight is answered, the request itself still needs a key
    assert client.post("/translate", json={"q": "Xin chào", "source": "vi", "target": "en"}).status_code == 400


def _wrong_keys_until_429(client, headers_for) -> tuple[int, object]:
    for i in range(1, 40):
        resp = client.get("/v1/models", headers=headers_for(i))
        if resp.status_code == 429:
            return i, resp
        assert resp.status_code == 401
    raise AssertionError("no 429 after 40 wrong keys")


def test_wrong_keys_are_limited_per_client_address(app, db):
    from service.auth import FAILED_KEY_LIMIT

    _record, good = KeyStore(db).create("desk")
    client = app.test_client()
    n, resp = _wrong_keys_until_429(client, lambda i: {"X-API-Key": f"tt_{i:08d}_" + "x" * 43})
    assert n == int(FAILED_KEY_LIMIT.split("/")[0]) + 1
    body = problem(resp, 429)
    assert body["type"].endswith("/key-attempts") and int(resp.headers["Retry-After"]) >= 1
    assert "wrong API keys" in body["detail"]
    # even the right key waits: a guesser must not learn when it hits one
    assert client.get("/v1/models", headers={"X-API-Key": good}).status_code == 429
    # another client address is not affected; a missing key is no guess and stays 401
    other = client.get("/v1/models", headers={"X-API-Key": good}, environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200
    assert client.get("/v1/models", environ_overrides={"REMOTE_ADDR": "10.9.9.9"}).status_code == 401


def test_wrong_keys_are_counted_in_redis_shared_by_replicas(db, offline_runtime):
    import uuid

    prefix = f"tomtat-test-{uuid.uuid4().hex[:8]}"
    settings = Settings(auth=True, db_path=db, limits_storage="redis://127.0.0.1:6379/0", limits_prefix=prefix)
    one, two = create_app(settings, offline_runtime).test_client(), create_app(settings, offline_runtime).test_client()
    for i in range(10):
        assert one.get("/v1/models", headers={"X-API-Key": f"tt_{i:08d}_" + "y" * 43}).status_code == 401
    n, resp = _wrong_keys_until_429(two, lambda i: {"X-API-Key": f"tt_{i:08d}_" + "z" * 43})
    assert n == 11  # the second replica saw the first one's ten
    import redis

    conn = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in conn.scan_iter(f"*{prefix}*"):
        conn.delete(key)
