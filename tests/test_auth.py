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
