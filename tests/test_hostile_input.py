"""Hand-picked hostile and careless inputs at the HTTP layer: each gets a clear 4xx problem+json
(LibreTranslate's routes: its ``{"error": …}`` shape with a 400), never a 500; the one odd but
legitimate input (mixed scripts around Vietnamese) is served.

The app runs without models (the offline runtime): routes that need one would answer 503, so the cases
use the extractive method or are refused before any model is asked. ``python -m tests.test_hostile_input``
prints the table (input, status, message) that docs/RELIABILITY.md records.
"""

from __future__ import annotations

import json

import pytest

from models.runtime import Runtime, RuntimeConfig
from service.app import create_app
from service.config import Settings

VI = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025 với tổng vốn 1.500 tỷ đồng."
JSON = {"Content-Type": "application/json"}


def j(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def summarize(**fields) -> bytes:
    return j({"text": VI, "method": "extractive"} | fields)


def raw_summarize(fragment: str) -> bytes:
    """A summarize body with ``fragment`` spliced in as raw JSON (what json.dumps would never write)."""
    return ('{"text": ' + json.dumps(VI) + ', "method": "extractive", ' + fragment + "}").encode("utf-8")


# (name, method, path, headers, body, status, slug or None, a phrase of the message)
CASES = [
    ("10 MB body", "POST", "/v1/summarize", JSON, summarize(text="a" * 10_000_000), 413, "request-entity-too-large",
     "over the limit of"),
    ("10 MB form body on /translate", "POST", "/translate", {"Content-Type": "application/x-www-form-urlencoded"},
     b"q=" + b"a" * 10_000_000, 400, None, "over the limit of"),
    ("JSON nested 100,000 deep", "POST", "/v1/summarize", JSON, b"[" * 100_000 + b"]" * 100_000, 400,
     "json-too-deep", "deeper than 32"),
    ("object nested 100,000 deep in a field", "POST", "/v1/articles", JSON,
     b'{"text": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}", 400, "json-too-deep", "deeper than 32"),
    ("nested 40 deep (under the recursion limit)", "POST", "/v1/summarize", JSON,
     b'{"text": ' + b"[" * 40 + b"]" * 40 + b"}", 400, "json-too-deep", "deeper than 32"),
    ("deep nesting on /translate", "POST", "/translate", JSON, b'{"q": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     400, None, "deeper than 32"),
    ("Infinity in max_sentences", "POST", "/v1/summarize", JSON, raw_summarize('"max_sentences": Infinity'), 400,
     "malformed-json", "Infinity is not a JSON number"),
    ("NaN in max_words", "POST", "/v1/summarize", JSON, raw_summarize('"max_words": NaN'), 400, "malformed-json",
     "NaN is not a JSON number"),
    ("-Infinity in num_beams", "POST", "/v1/translate", JSON, b'{"text": "Xin ch\\u00e0o", "num_beams": -Infinity}',
     400, "malformed-json", "-Infinity is not a JSON number"),
    ("Infinity in alternatives (/translate)", "POST", "/translate", JSON,
     b'{"q": "Xin ch\\u00e0o", "source": "vi", "target": "en", "alternatives": Infinity}', 400, None,
     "Infinity is not a JSON number"),
    ("huge integer (5,000 digits)", "POST", "/v1/summarize", JSON, raw_summarize('"max_words": ' + "9" * 5000), 400,
     "malformed-json", "more than 4300 digits"),
    ("huge integer (400 digits)", "POST", "/v1/summarize", JSON, raw_summarize('"max_sentences": ' + "9" * 400), 422,
     "validation", "max_sentences"),
    ("1e400 float", "POST", "/v1/summarize", JSON, raw_summarize('"max_words": 1e400'), 422, "validation",
     "max_words"),
    ("duplicate keys", "POST", "/v1/summarize", JSON, raw_summarize('"method": "abstractive"'), 400,
     "malformed-json", "appears twice"),
    ("NUL in text", "POST", "/v1/summarize", JSON, summarize(text=VI + "\u0000" + VI), 422, "invalid-character",
     "NUL"),
    ("lone surrogate escaped", "POST", "/v1/summarize", JSON, raw_summarize('"title": "\\ud800"'), 422,
     "invalid-character", "lone surrogate"),
    ("lone low surrogate in texts", "POST", "/v1/translate", JSON, b'{"texts": ["ok", "\\udc00x"]}', 422,
     "invalid-character", "lone surrogate"),
    ("invalid UTF-8", "POST", "/v1/summarize", JSON, b'{"text": "\xff\xfe abc", "method": "extractive"}', 400,
     "malformed-json", "not valid UTF-8"),
    ("UTF-16 body", "POST", "/v1/summarize", JSON, summarize().decode().encode("utf-16"), 400, "malformed-json",
     "not valid UTF-8"),
    ("BOM before the JSON", "POST", "/v1/summarize", JSON, b"\xef\xbb\xbf" + summarize(), 400, "malformed-json",
     "byte order mark"),
    ("CRLF inside the JSON text", "POST", "/v1/summarize", JSON, b'{"text": "a\r\nb", "method": "extractive"}', 400,
     "malformed-json", "Invalid control character at line 1 column 12"),
    ("empty body", "POST", "/v1/summarize", JSON, b"", 400, "malformed-json", "Expecting value"),
    ("JSON null", "POST", "/v1/summarize", JSON, b"null", 422, "validation", "JSON null"),
    ("truncated JSON", "POST", "/v1/summarize", JSON, summarize()[:-5], 400, "malformed-json", "not valid JSON"),
    ("no Content-Type", "POST", "/v1/summarize", {}, summarize(), 415, "unsupported-media-type",
     "Content-Type: application/json"),
    ("text/plain body", "POST", "/v1/articles", {"Content-Type": "text/plain"}, VI.encode(), 415,
     "unsupported-media-type", "got text/plain"),
    ("100,000-character sentence, no punctuation", "POST", "/v1/summarize", JSON,
     summarize(text=("chào " * 25_000)[:100_001]), 413, "text-too-long", "the limit is 100000"),
    ("only emoji", "POST", "/v1/summarize", JSON, summarize(text="😀🎉🔥" * 200), 422, "not-vietnamese", "not Vietnamese"),
    ("only digits", "POST", "/v1/summarize", JSON, summarize(text="1234567890 " * 100), 422, None, "text"),
    ("right-to-left (Arabic)", "POST", "/v1/summarize", JSON,
     summarize(text="هذا نص عربي طويل بما يكفي لاكتشاف اللغة. " * 10), 422, "not-vietnamese", "Vietnamese"),
    ("RTL override characters", "POST", "/v1/summarize", JSON, summarize(text="\u202e\u202d\u200f" * 300), 422, None,
     "text"),
    ("mixed scripts", "POST", "/v1/summarize", JSON,
     summarize(text="Hà Nội 東京 Москва القاهرة Αθήνα 서울 " * 20), 200, None, "Hà Nội"),  # Vietnamese is there: served
    ("<script> only", "POST", "/v1/summarize", JSON,
     summarize(text="<script>alert(1)</script>", format="html"), 422, None, "text"),
    ("whitespace only", "POST", "/v1/summarize", JSON, summarize(text=" \n\t\u3000 "), 422, "validation", "invalid fields: text"),
    ("10,000 texts", "POST", "/v1/translate", JSON, j({"texts": ["Xin chào"] * 10_000}), 413, "too-many-texts",
     "the limit is 64"),
    ("10,000 texts on /translate", "POST", "/translate", JSON, j({"q": ["Xin chào"] * 10_000, "source": "vi",
                                                                   "target": "en"}), 400, None, "text limit"),
    ("text as a number", "POST", "/v1/summarize", JSON, j({"text": 12345}), 422, "validation", "text"),
    ("text as a list", "POST", "/v1/articles", JSON, j({"text": ["a", "b"]}), 422, "validation", "text"),
    ("texts as a string", "POST", "/v1/translate", JSON, j({"texts": "abc"}), 422, "validation", "texts"),
    ("texts holding numbers", "POST", "/v1/translate", JSON, j({"texts": [1, 2]}), 422, "validation", "texts.0"),
    ("method as a boolean", "POST", "/v1/summarize", JSON, summarize(method=True), 422, "validation", "method"),
    ("max_sentences as a string", "POST", "/v1/summarize", JSON, summarize(max_sentences="3"), 422, "validation",
     "max_sentences"),
    ("max_words negative", "POST", "/v1/summarize", JSON, summarize(max_words=-1), 422, "validation", "max_words"),
    ("num_beams a float", "POST", "/v1/translate", JSON, j({"text": "Xin chào", "num_beams": 2.5}), 422,
     "validation", "num_beams"),
    ("max_new_tokens over the bound", "POST", "/v1/translate", JSON,
     j({"text": "Xin chào", "max_new_tokens": 10**9}), 422, "validation", "over the server's bounds"),
    ("format unknown", "POST", "/v1/summarize", JSON, summarize(format="pdf"), 422, "validation", "format"),
    ("allow_other_language a string", "POST", "/v1/summarize", JSON, summarize(allow_other_language="yes"), 422,
     "validation", "allow_other_language"),
    ("summary options a list", "POST", "/v1/articles", JSON, j({"text": VI, "summary": []}), 422, "validation",
     "summary"),
    ("translate mode unknown", "POST", "/v1/articles", JSON, j({"text": VI, "translate": "all"}), 422,
     "validation", "translate"),
    ("id of 10,000 characters", "POST", "/v1/articles", JSON, j({"text": VI, "id": "x" * 10_000}), 422,
     "validation", "id"),
    ("unknown field", "POST", "/v1/summarize", JSON, summarize(max_sentence=3), 422, "validation", "invalid fields: max_sentence"),
    ("a JSON array, not an object", "POST", "/v1/summarize", JSON, j([VI]), 422, "validation", "JSON object"),
    ("q as an object (/translate)", "POST", "/translate", JSON, j({"q": {"a": 1}, "source": "vi", "target": "en"}),
     400, None, "q must be a string"),
    ("source as a list (/translate)", "POST", "/translate", JSON, j({"q": "Xin chào", "source": ["vi"],
                                                                    "target": "en"}), 400, None, "source"),
    ("api_key a number (/detect)", "POST", "/detect", JSON, j({"q": "Xin chào", "api_key": 12345}), 400, None,
     "api_key must be a string"),
    ("alternatives true (/translate)", "POST", "/translate", JSON,
     j({"q": "Xin chào", "source": "vi", "target": "en", "alternatives": True}), 400, None, "alternatives"),
    ("alternatives a superscript digit (/translate)", "POST", "/translate", JSON,
     j({"q": "Xin chào", "source": "vi", "target": "en", "alternatives": "²"}), 400, None, "alternatives"),
    ("q with a NUL (/detect)", "POST", "/detect", JSON, j({"q": "Xin\u0000chào"}), 400, None, "NUL"),
    ("not a language code", "POST", "/v1/translate", JSON, j({"text": "Hello", "source": "en", "target": "fr;1"}),
     422, None, "invalid fields: target"),
    ("unknown method verb", "BREW", "/v1/summarize", JSON, summarize(), 405, "method-not-allowed", "BREW is not allowed here"),
    ("path with a newline", "GET", "/v1/%0aevil", {}, b"", 404, "not-found", "no such route"),
    ("unknown job id with a quote", "GET", "/v1/jobs/%27%20OR%201%3D1--", {}, b"", 404, None, "job"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    runtime = Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load()
    db = str(tmp_path_factory.mktemp("hostile") / "db.sqlite3")
    return create_app(Settings(db_path=db, load_models=False), runtime).test_client()


def send(client, case):
    _name, method, path, headers, body = case[:5]
    return client.open(path, method=method, data=body, headers=headers)


def message(resp) -> str:
    body = resp.get_json(force=True)
    if resp.status_code == 200:
        return "(served) summary: " + body["summary"][:60]
    return body.get("detail") or body.get("error") or ""


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_a_clear_4xx(client, case):
    name, _method, path, _headers, _body, status, slug, phrase = case
    resp = send(client, case)
    assert resp.status_code == status, f"{name}: {resp.status_code} {resp.get_data(as_text=True)[:300]}"
    body = resp.get_json(force=True)
    if status == 200:  # odd but legitimate input: served, as JSON
        assert resp.mimetype == "application/json" and phrase in body["summary"]
        return
    if path in ("/translate", "/detect"):  # LibreTranslate's own error shape, as its clients read it
        assert resp.mimetype == "application/json" and set(body) == {"error"}
    else:
        assert resp.mimetype == "application/problem+json"
        assert body["status"] == status and body["title"] and body["detail"] and body["type"]
        if slug:
            assert body["type"].endswith("/" + slug), body
    assert phrase.lower() in message(resp).lower(), message(resp)


def test_there_are_at_least_30_cases():
    assert len(CASES) >= 30


def table(client) -> str:
    rows = ["| input | route | status | message |", "|---|---|---|---|"]
    for case in CASES:
        resp = send(client, case)
        text = message(resp).replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {case[0]} | `{case[1]} {case[2]}` | {resp.status_code} | {text[:160]} |")
    return "\n".join(rows)


if __name__ == "__main__":
    import tempfile

    rt = Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load()
    app = create_app(Settings(db_path=tempfile.mktemp(suffix=".sqlite3"), load_models=False, log_level="ERROR"), rt)
    print(table(app.test_client()))


@pytest.mark.parametrize("retry_after, header", [(None, "1"), (0.2, "1"), (2.5, "3"), (30, "30")])
def test_an_overloaded_or_late_queue_is_a_503_with_retry_after(tmp_path, retry_after, header):
    from models.batcher import DeadlineExceeded, Overloaded

    runtime = Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load()
    app = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), load_models=False), runtime)
    errors = {"overloaded": Overloaded, "late": DeadlineExceeded}

    @app.get("/__fail/<kind>")
    def fail(kind):
        exc = errors[kind]("translation", "the queue is full", "retry later or add replicas")
        exc.retry_after = retry_after
        raise exc

    client = app.test_client()
    for kind, slug in (("overloaded", "overloaded"), ("late", "deadline-exceeded")):
        resp = client.get(f"/__fail/{kind}")
        assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
        assert resp.headers["Retry-After"] == header
        body = resp.get_json()
        assert body["type"].endswith("/" + slug) and body["retry_after"] == int(header)
        assert f"retry in {header} s" in body["detail"]
