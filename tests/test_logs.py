"""Structured JSON logs with request ids; article text stays out unless TOMTAT_LOG_TEXT is on."""

from __future__ import annotations

import io
import json
import logging

import pytest

from service.app import create_app
from service.config import Settings
from service.logs import JsonFormatter, RequestIdFilter

MARKER = "Phóng viên Trần Thị Bích Ngọc đưa tin độc quyền"
TEXT = f"Chiều 22/7, UBND TP.HCM họp bàn về giao thông. {MARKER} về dự án. Dự án dự kiến hoàn thành năm 2025."


@pytest.fixture
def captured():
    """Every record of the root logger, formatted by the service's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)


def app_with(runtime, tmp_path, **kw):
    return create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), **kw), runtime)


def test_request_id_is_accepted_and_returned(offline_runtime, tmp_path, captured):
    client = app_with(offline_runtime, tmp_path).test_client()
    resp = client.get("/healthz", headers={"X-Request-ID": "bao-tuoi-tre-42"})
    assert resp.headers["X-Request-ID"] == "bao-tuoi-tre-42"
    fresh = client.get("/healthz").headers["X-Request-ID"]
    assert len(fresh) == 32
    hostile = client.get("/healthz", headers={"X-Request-ID": "x\" injected=1 " + "a" * 300}).headers["X-Request-ID"]
    assert hostile != "x\" injected=1 " and len(hostile) == 32  # not echoed: a new one is made
    access = [r for r in captured() if r["logger"] == "tomtat.access"]
    assert access[0]["request_id"] == "bao-tuoi-tre-42" and access[0]["status"] == 200


def test_access_record_fields_and_no_article_text(offline_runtime, tmp_path, captured):
    client = app_with(offline_runtime, tmp_path).test_client()
    resp = client.post("/v1/summarize", json={"text": TEXT, "title": MARKER, "method": "extractive"},
                       headers={"X-Request-ID": "req-1"})
    assert resp.status_code == 200 and MARKER in resp.get_data(as_text=True)
    client.post("/v1/summarize", json={"text": TEXT, "method": "nope"})  # a 422 quotes nothing of the text either
    records = captured()
    record = next(r for r in records if r.get("request_id") == "req-1" and r["logger"] == "tomtat.access")
    assert {"method", "path", "route", "status", "duration_ms", "bytes_in", "bytes_out", "chars"} <= set(record)
    assert record["route"] == "/v1/summarize" and record["chars"] == len(TEXT) + len(MARKER)
    dump = json.dumps(records, ensure_ascii=False)
    assert MARKER not in dump and "Chiều 22/7" not in dump


def test_debug_switch_logs_the_text(offline_runtime, tmp_path, captured):
    client = app_with(offline_runtime, tmp_path, log_text=True).test_client()
    client.post("/v1/summarize", json={"text": TEXT, "method": "extractive"})
    assert MARKER in json.dumps(captured(), ensure_ascii=False)


def test_records_inside_a_request_carry_its_id(offline_runtime, tmp_path, captured):
    app = app_with(offline_runtime, tmp_path)

    @app.get("/__boom")
    def boom():
        raise RuntimeError("kaputt")

    resp = app.test_client().get("/__boom", headers={"X-Request-ID": "boom-1"})
    assert resp.status_code == 500
    errors = [r for r in captured() if r["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "boom-1" and "kaputt" in errors[0]["exception"]


def test_plain_format_switch(offline_runtime, tmp_path):
    from service.logs import PlainFormatter, configure_logging

    handler = configure_logging(Settings(log_json=False))
    assert isinstance(handler.formatter, PlainFormatter)
    handler = configure_logging(Settings())
    assert isinstance(handler.formatter, JsonFormatter)
    assert sum(getattr(h, "_tomtat", False) for h in logging.getLogger().handlers) == 1


def test_request_id_with_a_trailing_newline_or_control_characters_is_replaced(offline_runtime, tmp_path):
    client = app_with(offline_runtime, tmp_path).test_client()
    for hostile in ("abc\n", "abc\r", "a\tb", "ab\x1bc"):
        environ = {"HTTP_X_REQUEST_ID": hostile}  # raw environ: the test client would refuse such a header
        returned = client.get("/healthz", environ_overrides=environ).headers["X-Request-ID"]
        assert returned != hostile and len(returned) == 32 and returned.isalnum()
    assert client.get("/healthz", headers={"X-Request-ID": "a" * 128}).headers["X-Request-ID"] == "a" * 128
    assert len(client.get("/healthz", headers={"X-Request-ID": "a" * 129}).headers["X-Request-ID"]) == 32


def test_plain_text_logs_cannot_be_forged_by_a_client(offline_runtime, tmp_path):
    from service.logs import PlainFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PlainFormatter())
    handler.addFilter(RequestIdFilter())
    logging.getLogger("tomtat.access").addHandler(handler)
    try:
        client = app_with(offline_runtime, tmp_path, log_json=False).test_client()
        client.get("/v1/%0a2025-07-22 08:00:00,000 INFO tomtat.access [x]: GET /admin 200\x1b[2J")
    finally:
        logging.getLogger("tomtat.access").removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines  # one request, one line: the newline in the path is escaped
    assert "\\n2025-07-22" in lines[0] and "\\x1b[2J" in lines[0] and "\x1b" not in lines[0]


def test_plain_formatter_keeps_a_traceback_indented():
    from service.logs import PlainFormatter

    try:
        raise ValueError("bad\ninput")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed on %s", ("a\nb",), sys.exc_info())
    text = PlainFormatter().format(record)
    first, *rest = text.splitlines()
    assert first.endswith("failed on a\\nb") and rest and all(line.startswith("    ") for line in rest)
