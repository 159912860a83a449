"""NUL and other control characters in ids, names and keys are refused at ingress with a clear 4xx, on SQLite and
on this machine's PostgreSQL (which stores no NUL: it raised DataError, answered as a database outage, 503 +
Retry-After, logged as an error); and a value the database refuses is the request's 422, never an outage."""

from __future__ import annotations

import io
import json
import time

import pytest

from tests.helpers import app_factory, problem

JSON = "application/json"
NDJSON = "application/x-ndjson"
TEXT = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025."


@pytest.fixture()
def make_app(tiny_runtime, database):
    with app_factory(tiny_runtime, database_url=database, job_workers=1, job_lease_s=30.0) as make:
        yield make


def no_errors_logged(caplog) -> None:
    assert not [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/jobs/a%00b"), ("DELETE", "/v1/jobs/a%00b"), ("GET", "/v1/jobs/a%00b/results"),
    ("GET", "/v1/documents/a%00b"), ("GET", "/v1/documents/a%00b/file"), ("GET", "/v1/jobs/a%0D%0Ab"),
    ("GET", "/v1/glossaries/a%00b"), ("DELETE", "/v1/glossaries/a%00b"), ("GET", "/v1/glossaries/desk%0A"),
])
def test_a_path_id_with_a_control_character_is_not_found(make_app, caplog, method, path):
    client = make_app().test_client()
    client.put("/v1/glossaries/desk", json={"entries": {"UBND": "People's Committee"}})
    resp = client.open(path, method=method)
    body = problem(resp, 404)
    assert "Retry-After" not in resp.headers and "for this" in body["detail"]
    assert body["instance"] == path  # a URI: the NUL stays percent-encoded (strict JSON clients refuse a NUL)
    no_errors_logged(caplog)


def test_job_options_and_keys_with_a_nul_are_422(make_app, caplog):
    client = make_app().test_client()
    row = json.dumps({"text": TEXT}, ensure_ascii=False).encode()
    for resp in (client.post("/v1/jobs?glossary=a%00b", data=row + b"\n", content_type=NDJSON),
                 client.post("/v1/jobs", data=b'{"articles": [' + row + b'], "glossary": "a\\u0000b"}',
                             content_type=JSON)):
        assert problem(resp, 422)["type"].endswith("/unknown-glossary")
    keyed = problem(client.post("/v1/jobs", data=b"[" + row + b"]", content_type=JSON,
                                headers={"Idempotency-Key": "k\x00"}), 422)
    assert keyed["errors"] == [{"field": "Idempotency-Key", "message": "no control characters"}]
    assert "U+0000" in keyed["detail"]
    no_errors_logged(caplog)


def wait_done(client, job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(f"/v1/jobs/{job_id}").get_json()
        if body["status"] in ("done", "failed", "cancelled"):
            return body
        time.sleep(0.05)
    raise AssertionError(body)


@pytest.mark.parametrize("content_type", [JSON, NDJSON])
def test_an_article_id_with_a_control_character_is_an_error_row(make_app, caplog, content_type):
    """As an over-long id: the article is an error row under its position, the job's other articles run."""
    client = make_app().test_client()
    rows = [{"id": "a\x00b", "text": TEXT}, {"id": "c\nd", "text": TEXT}, {"id": "ok", "text": TEXT}]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    data = ("\n".join(lines) if content_type == NDJSON else "[" + ",".join(lines) + "]").encode()
    created = client.post("/v1/jobs?translate=none&method=extractive", data=data, content_type=content_type)
    assert created.status_code == 202, created.get_data(as_text=True)
    assert wait_done(client, created.get_json()["job_id"])["status"] == "done"
    results = [json.loads(line) for line in client.get(created.get_json()["links"]["results"]).data.splitlines()]
    by_id = {r["id"]: r for r in results}
    assert set(by_id) == {"body:1", "body:2", "ok"}
    for n, char in ((1, "U+0000"), (2, "U+000A")):
        assert by_id[f"body:{n}"]["error"] == "invalid_id" and char in by_id[f"body:{n}"]["reason"]
    assert by_id["ok"]["summary_vi"]
    no_errors_logged(caplog)


def test_document_fields_with_a_nul(make_app, caplog):
    client = make_app().test_client()

    def form(name="a.txt", **fields):
        return {"file": (io.BytesIO(TEXT.encode()), name), "target": "en", **fields}

    assert problem(client.post("/v1/documents", data=form(glossary="a\x00b"), content_type="multipart/form-data"),
                   422)["type"].endswith("/unknown-glossary")
    assert problem(client.post("/v1/documents", data=form(), content_type="multipart/form-data",
                               headers={"Idempotency-Key": "k\x00"}), 422)["errors"][0]["field"] == "Idempotency-Key"
    named = client.post("/v1/documents", data=form("a\x00b.txt"), content_type="multipart/form-data")
    assert named.status_code == 202, named.get_data(as_text=True)
    lt = client.post("/translate_file", data=form("a\x00b.txt", source="vi"), content_type="multipart/form-data")
    assert lt.status_code == 200 and lt.get_json()["translatedFileUrl"].endswith(".a_b.en.txt")
    no_errors_logged(caplog)


@pytest.mark.parametrize("body, content_type", [
    (b"UBND,People\x00s Committee\n", "text/csv"), (b"UB\x01ND\tPeople's Committee\n", "text/tab-separated-values"),
    (json.dumps({"entries": {"UBND": "People's\x01 Committee"}}).encode(), JSON),
])
def test_glossary_terms_with_a_control_character_are_refused_as_json_or_a_table(make_app, caplog, body,
                                                                                 content_type):
    client = make_app().test_client()
    refused = problem(client.put("/v1/glossaries/desk", data=body, content_type=content_type), 422)
    assert refused["type"].endswith("/invalid-character") and refused["title"] == "Invalid glossary"
    assert refused["errors"][0]["field"] == "entries" and "control character" in refused["detail"]
    assert problem(client.get("/v1/glossaries/desk"), 404)  # nothing stored
    no_errors_logged(caplog)


def test_glossary_terms_may_hold_tabs_and_line_breaks(make_app):
    """Blanks, which a term's words are matched across: 'Ủy ban\tnhân dân' is the term 'Ủy ban nhân dân'."""
    client = make_app().test_client()
    made = client.put("/v1/glossaries/ws", json={"entries": {"Ủy ban\tnhân dân\r\n": "People's Committee"}})
    table = client.put("/v1/glossaries/ws2", data='"Ủy ban\nnhân dân",People\'s Committee\n'.encode(),
                       content_type="text/csv")
    for name, resp in (("ws", made), ("ws2", table)):
        assert resp.status_code == 201, resp.get_data(as_text=True)
        stored = client.get(f"/v1/glossaries/{name}").get_json()["entries"]
        assert list(stored) == ["Ủy ban nhân dân"], stored  # one term, its words as a text has them


def test_a_glossary_name_is_whole_without_a_line_break(make_app):
    """A name is matched whole: 'desk\\n' was a name ('$' matches before a final newline)."""
    client = make_app().test_client()
    assert problem(client.put("/v1/glossaries/desk%0A", json={"entries": {"a": "b"}}), 422)["type"].endswith(
        "/bad-glossary-name")
    assert problem(client.post("/v1/glossaries", json={"name": "desk\n", "entries": {"a": "b"}}), 422)


# -- the backstop: a value PostgreSQL refuses is the request's fault ------------------------------------------

@pytest.fixture()
def postgres_app(tiny_runtime):
    from tests.servers import fresh_postgres

    with fresh_postgres() as url, app_factory(tiny_runtime, database_url=url, job_workers=0) as make:
        yield make


@pytest.mark.parametrize("path", ["/v1/jobs/a%00b", "/v1/documents/a%00b"])
def test_a_value_postgresql_refuses_is_a_422_not_an_outage(postgres_app, monkeypatch, caplog, path):
    """With the store's check out of the way, the NUL reaches the real PostgreSQL, which raises DataError: the
    job routes' handler (jobs) and the app's (documents) answer 422, without Retry-After, and log no error."""
    monkeypatch.setattr("service.store.holds_nul", lambda value: False)
    resp = postgres_app().test_client().get(path)
    body = problem(resp, 422)
    assert body["type"].endswith("/invalid-value") and "0x00" in body["detail"]  # PostgreSQL's own words
    assert "Retry-After" not in resp.headers
    no_errors_logged(caplog)
