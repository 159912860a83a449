"""Job bodies are read as a stream and counted in one pass: bounded memory, limits before anything large is
built, every stored character counted or capped, and a clear problem for every malformed body."""

from __future__ import annotations

import gc
import io
import json
import unicodedata
import sqlite3
import tracemalloc

import pytest

from service.job_body import CHUNK
from service.store import request_hash
from tests.helpers import app_factory, problem

FAST = "?translate=none&method=extractive"
NDJSON = "application/x-ndjson"


@pytest.fixture()
def make_app(tmp_path, offline_runtime):
    with app_factory(offline_runtime, db_path=str(tmp_path / "jobs.sqlite3"), job_workers=0) as make:
        yield make


class CountingStream(io.BytesIO):
    """A request body that records how much of it the server read."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data

    def read1(self, size=-1):
        data = super().read1(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.read_bytes += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.read_bytes += n
        return n


def big_body(seed: str, size: int, jsonl: bool) -> bytes:
    rows, total, i = [], 0, 0
    while total < size:
        row = json.dumps({"id": f"a{i}", "title": f"Tin {i}", "text": f"Bản tin {i}. " + seed[:1500],
                          "source": "vnexpress"}, ensure_ascii=False).encode()
        rows.append(row)
        total += len(row) + 1
        i += 1
    return b"\n".join(rows) if jsonl else b"[" + b",".join(rows) + b"]"


def peak_of(client, body: bytes, content_type: str):
    gc.collect()
    tracemalloc.start()
    try:
        resp = client.post("/v1/jobs" + FAST, data=body, content_type=content_type)
        return resp, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("jsonl", [False, True], ids=["json", "jsonl"])
def test_peak_memory_of_a_large_allowed_body_is_a_small_multiple_of_it(make_app, seed_article, jsonl):
    body = big_body(seed_article, 12 * 1024 * 1024, jsonl)
    client = make_app(max_job_articles=100_000).test_client()
    resp, peak = peak_of(client, body, NDJSON if jsonl else "application/json")
    assert resp.status_code == 202, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["counts"]["total"] == body.count(b'"id"')
    assert peak < 4 * len(body), f"peak {peak / 2**20:.1f} MiB for a {len(body) / 2**20:.1f} MiB body"


def test_too_many_articles_is_refused_before_the_body_is_read(make_app):
    # 48 MiB of empty arrays (the body, which cost 420 MiB at 16 MiB), more than the server drains
    # after an early answer (service.http.DRAIN_BYTES), so that what was read is what the job route read
    body = b"[" + b"[]," * (16 * 1024 * 1024) + b"[]]"
    client = make_app(max_job_articles=1000).test_client()
    stream = CountingStream(body)
    gc.collect()
    tracemalloc.start()
    try:
        resp = client.post("/v1/jobs" + FAST, input_stream=stream, content_type="application/json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problem(resp, 413)["limit"] == 1000 and "TOMTAT_MAX_JOB_ARTICLES" in resp.get_json()["detail"]
    assert stream.read_bytes <= 2 * CHUNK  # stopped in the first chunks of 48 MiB
    assert peak < 8 * CHUNK  # a few chunks and 1,000 error rows, whatever the size of the body

    lines = b'{"text": "x"}\n' * (4 * 1024 * 1024)  # 56 MiB of JSONL
    stream = CountingStream(lines)
    resp = client.post("/v1/jobs" + FAST, input_stream=stream, content_type=NDJSON)
    assert problem(resp, 413)["limit"] == 1000 and stream.read_bytes <= 2 * CHUNK


def test_an_article_over_its_byte_cap_is_not_built(make_app):
    client = make_app(max_job_article_bytes=10_000).test_client()
    huge = json.dumps([{"id": "ok", "text": "Một câu. Hai câu."}, {"id": "big", "text": "x" * 50_000}])
    body = problem(client.post("/v1/jobs" + FAST, data=huge, content_type="application/json"), 413)
    assert "articles[1]" in body["detail"] and body["limit"] == 10_000
    lines = "\n".join([json.dumps({"id": "ok", "text": "Một câu. Hai câu."}), json.dumps({"id": "big", "text": "x" * 50_000}),
                       json.dumps({"id": "after", "text": "Ba câu. Bốn câu."})])
    resp = client.post("/v1/jobs" + FAST, data=lines, content_type=NDJSON)  # JSONL: that line is an error row
    assert resp.status_code == 202 and resp.get_json()["counts"]["total"] == 3


def rows_stored(db: str, job_id: str) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        return {r[0]: json.loads(r[1]) for r in
                conn.execute("SELECT article_id, record FROM job_items WHERE job_id = ? ORDER BY seq", (job_id,))}


def test_ids_and_extra_fields_are_capped(make_app, tmp_path):
    db = str(tmp_path / "jobs.sqlite3")
    client = make_app().test_client()
    sent = [{"id": "i" * 300, "text": "Một câu. Hai câu."},
            {"id": "fat", "text": "Một câu. Hai câu.", "blob": "b" * 5000},
            {"id": "fine", "text": "Một câu. Hai câu.", "url": "https://vnexpress.net/x", "n": 1}]
    resp = client.post("/v1/jobs" + FAST, json=sent)
    assert resp.status_code == 202
    stored = rows_stored(db, resp.get_json()["job_id"])
    assert stored["body:1"]["error"] == "invalid_id" and "300 characters" in stored["body:1"]["reason"]
    assert stored["fat"]["error"] == "extra_too_large" and "blob" not in json.dumps(stored["fat"])
    assert stored["fine"]["extra"] == {"url": "https://vnexpress.net/x", "n": 1}  # passed through, bounded
    assert all(len(json.dumps(r, ensure_ascii=False)) < 1000 for r in stored.values())


@pytest.mark.parametrize("content_type", ["application/json", NDJSON])
def test_a_repeated_id_is_an_error_row_of_its_own_id(make_app, tmp_path, content_type):
    """Results are read by id: a second article with an id already given is not processed under it."""
    db = str(tmp_path / "jobs.sqlite3")
    client = make_app().test_client()
    sent = [{"id": "a", "text": "Một câu. Hai câu."}, {"id": "b", "text": "Ba câu. Bốn câu."},
            {"id": "a", "text": "Năm câu. Sáu câu."}]
    data = json.dumps(sent) if content_type == "application/json" else "\n".join(map(json.dumps, sent))
    resp = client.post("/v1/jobs" + FAST, data=data, content_type=content_type)
    assert resp.status_code == 202 and resp.get_json()["counts"]["total"] == 3  # nothing sent is dropped
    stored = rows_stored(db, resp.get_json()["job_id"])
    assert list(stored) == ["a", "b", "body:3"] and "error" not in stored["a"]
    where = "articles[0]" if content_type == "application/json" else "line 1"
    assert stored["body:3"]["error"] == "duplicate_id"
    assert f"the id 'a' is also that of {where}" in stored["body:3"]["reason"], stored["body:3"]


def test_every_stored_character_counts_towards_the_quota(make_app):
    text = "Mưa to. Đường ngập."  # 19 characters
    quota = make_app(anon_char_quota="200/hour").test_client()
    assert quota.post("/v1/jobs" + FAST, json=[{"id": "a", "text": text}]).status_code == 202  # 1 + 19
    padded = [{"id": "x" * 100, "text": text, "note": "n" * 80}]  # 19 characters of text, ~200 stored
    body = problem(quota.post("/v1/jobs" + FAST, json=padded), 429)
    assert body["chars"] >= 100 + 19 + 80
    lines = json.dumps({"id": "y" * 170, "text": text}, ensure_ascii=False).encode()  # 20 + 189 > 200
    assert problem(quota.post("/v1/jobs" + FAST, data=lines, content_type=NDJSON), 429)["chars"] == 170 + 19
    # NFD Vietnamese costs the characters it shows, as in an interactive request: 170 + 19, not 170 + 25
    nfd = json.dumps({"id": "z" * 170, "text": unicodedata.normalize("NFD", text)}, ensure_ascii=False).encode()
    assert problem(quota.post("/v1/jobs" + FAST, data=nfd, content_type=NDJSON), 429)["chars"] == 170 + 19


@pytest.mark.parametrize("data, status, words", [
    (b'[{"id": "a", "text": "x", "n": NaN}]', 400, "NaN"),
    (b'[{"id": "a", "text": "x", "n": Infinity}]', 400, "Infinity"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    (b'[{"id": "a", "text": "Mot. Hai."}] [1]', 400, "extra data"),
    (b'[{"id": "a", "text": "Mot. Hai."} {"id": "b"}]', 400, "','"),
    (b'[{"id": "a", "text": "Mot. Hai."},]', 400, "invalid JSON"),
    (b'[{"id": "a", "text": "Mot', 400, "Unterminated"),
    (b'[{"id": "a", "text": "M\xffot. Hai."}]', 400, "UTF-8"),
    (b"", 400, "empty"),
    (b"   ", 400, "empty"),
    (b'"just a string"', 422, "array"),
    (b'{"text": "Mot. Hai."}', 422, "articles"),
    (b'{"articles": [{"text": "a. b."}], "articles": [{"text": "c. d."}]}', 422, "twice"),
    (b'{"articles": [], "translate": "none"}', 422, "no articles"),
    (b"[]", 422, "no articles"),
    (b'{"articles": [{"text": "a. b."}] "translate": "none"}', 400, "','"),
    (b'{articles: []}', 400, "field name"),
    (b'[{"id": "a", "text": "Mot. Hai.", "text": "Ba. Bon."}]', 400, "appears twice"),  # which text was meant?
    (b'{"translate": "none", "articles": [{"text": "a. b."}], "translate": "both"}', 400, "appears twice"),
])
def test_malformed_bodies_are_clear_problems(make_app, data, status, words):
    client = make_app().test_client()
    body = problem(client.post("/v1/jobs" + FAST, data=data, content_type="application/json"), status)
    assert words in body["detail"], body


def test_object_form_with_options_before_and_after_the_articles(make_app, tmp_path):
    client = make_app().test_client()
    for payload in ({"translate": "none", "articles": [{"id": "a", "text": "Một. Hai."}],
                     "summary": {"method": "extractive"}},
                    {"articles": [{"id": "a", "text": "Một. Hai."}, 5], "translate": "none",
                     "summary": {"method": "extractive", "max_sentences": 1}}):
        resp = client.post("/v1/jobs", data=json.dumps(payload), content_type="application/json")
        assert resp.status_code == 202, resp.get_data(as_text=True)
        assert resp.get_json()["options"]["translate"] == "none"
    stored = rows_stored(str(tmp_path / "jobs.sqlite3"), resp.get_json()["job_id"])
    assert stored["body:2"]["error"] == "invalid_row"  # a non-object article is an error row, as before
    bad_option = client.post("/v1/jobs", json={"articles": [{"text": "a. b."}], "translate": "everything"})
    assert problem(bad_option, 422)["errors"]


def test_jsonl_rows_that_are_not_json_become_error_rows(make_app, tmp_path):
    client = make_app().test_client()
    lines = b"\n".join([b'{"id": "nan", "text": "a. b.", "x": NaN}', b"[" * 50_000, b'{"id": "ok", "text": "a. b."}',
                        b'{"id": "twice", "text": "a. b.", "text": "c. d."}'])
    resp = client.post("/v1/jobs" + FAST, data=lines, content_type=NDJSON)
    assert resp.status_code == 202
    stored = rows_stored(str(tmp_path / "jobs.sqlite3"), resp.get_json()["job_id"])
    assert stored["body:1"]["error"] == stored["body:2"]["error"] == stored["body:4"]["error"] == "invalid_json"
    assert "appears twice" in stored["body:4"]["reason"]
    assert "nested too deeply" in stored["body:2"]["reason"] and "ok" in stored


def test_lone_surrogates_make_an_error_row_not_a_500(make_app, tmp_path):
    client = make_app().test_client()
    body = b'[{"id": "s", "text": "Mot. Hai.", "note": "\\ud800"}, {"id": "t", "title": "\\udfff", "text": "a. b."}]'
    resp = client.post("/v1/jobs" + FAST, data=body, content_type="application/json")
    assert resp.status_code == 202, resp.get_data(as_text=True)
    stored = rows_stored(str(tmp_path / "jobs.sqlite3"), resp.get_json()["job_id"])
    assert [r["error"] for r in stored.values()] == ["undecodable", "undecodable"]


def test_idempotent_replay_hashes_the_streamed_body(make_app, tmp_path):
    client = make_app().test_client()
    body = json.dumps([{"id": "a", "text": "Một. Hai."}])
    headers = {"Idempotency-Key": "k"}
    first = client.post("/v1/jobs" + FAST, data=body, content_type="application/json", headers=headers)
    again = client.post("/v1/jobs" + FAST, data=body, content_type="application/json", headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json()["job_id"] == first.get_json()["job_id"]
    options = json.dumps(first.get_json()["options"], sort_keys=True)
    with sqlite3.connect(str(tmp_path / "jobs.sqlite3")) as db:  # the hash of a job stored before streaming
        stored = db.execute("SELECT request_hash FROM jobs WHERE id = ?", (first.get_json()["job_id"],)).fetchone()[0]
    assert stored == request_hash(body.encode(), options)
    other = json.dumps([{"id": "b", "text": "Một. Hai."}])
    problem(client.post("/v1/jobs" + FAST, data=other, content_type="application/json", headers=headers), 422)


@pytest.mark.parametrize("data, field", [
    (b'[{"id": 1e400, "text": "Mot. Hai.", "meta": 1e400}]', "articles[0].id"),
    (b'[{"text": "Mot. Hai."}, {"text": "Ba. Bon.", "meta": {"scores": [1.5, -1E+999]}}]',
     "articles[1].meta.scores[1]"),
    (b'{"articles": [{"text": "Mot. Hai."}], "summary": {"max_words": 1e400}}', "summary.max_words"),
])
def test_a_number_beyond_a_double_is_refused_naming_its_field(make_app, data, field):
    """1e400 is JSON, but Python reads it as infinity, and a stored article kept it: its result row was written
    with Infinity, which is no JSON. Refused as NaN and Infinity are, with the field named."""
    body = problem(make_app().test_client().post("/v1/jobs" + FAST, data=data, content_type="application/json"), 422)
    assert body["type"].endswith("/validation")
    assert body["errors"] == [{"field": field, "message": "a number out of range"}]
    assert f"`{field}` is " in body["detail"] and "finite number" in body["detail"]


def test_a_jsonl_line_with_a_number_beyond_a_double_is_an_error_row(make_app, tmp_path):
    client = make_app().test_client()
    lines = b'{"id": "ok", "text": "a. b.", "score": 1e308}\n{"id": "big", "text": "a. b.", "m": [1e400]}\n'
    resp = client.post("/v1/jobs" + FAST, data=lines, content_type=NDJSON)
    assert resp.status_code == 202
    stored = rows_stored(str(tmp_path / "jobs.sqlite3"), resp.get_json()["job_id"])
    assert stored["body:2"]["error"] == "invalid_json" and "line 2: `m[0]` is 1e400" in stored["body:2"]["reason"]
    assert stored["ok"]["extra"]["score"] == 1e308  # a large finite number is kept

