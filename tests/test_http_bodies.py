"""A request body that cannot be read is a 400 problem, never a 500 (service/http.py, MalformedBody): a
malformed chunked encoding under a real gunicorn (service/gunicorn_conf.py, gthread) on 127.0.0.1 — gunicorn
raises its InvalidChunkSize or ChunkMissingTerminator from the body reads of the routes, the hooks that count
a body's characters, and the middleware that drains what they left — and, server aside, a WSGI input that
raises whatever it raises."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import app_factory, free_port, problem, stop_server, wait_healthy

ROOT = Path(__file__).parents[1]
DETAIL = "the request body is malformed"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with the real app (no models, jobs on, a character quota: the limiter reads each body first)."""
    tmp = tmp_path_factory.mktemp("bodies")
    port = free_port()
    env = os.environ | {"TOMTAT_PORT": str(port), "TOMTAT_HOST": "127.0.0.1", "TOMTAT_DB": str(tmp / "db.sqlite3"),
                        "TOMTAT_LOAD_MODELS": "0", "TOMTAT_JOBS": "1", "TOMTAT_JOB_WORKERS": "0",
                        "TOMTAT_ANON_CHAR_QUOTA": "1000000/day", "TOMTAT_SERVER_THREADS": "2",
                        "TOMTAT_LOG_LEVEL": "WARNING"}
    log = open(tmp / "gunicorn.log", "wb")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "--config", "python:service.gunicorn_conf",
                             "tests.test_body_limits:small_app()"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, seconds=60)
        yield {"port": port, "log": tmp / "gunicorn.log"}
    finally:
        stop_server(proc)
        log.close()


def send(port: int, head: bytes, body: bytes, half_close: bool = False) -> tuple[int, str, bytes]:
    """One raw request → (status, content type, body); ``half_close``: the client stops sending mid-body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head + body)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head_out, _, out = data.partition(b"\r\n\r\n")
    lines = head_out.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), out


def chunked(path: str, content_type: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()


ROUTES = [("/v1/summarize", "application/json"), ("/v1/jobs", "application/json"),
          ("/v1/jobs", "application/x-ndjson"), ("/v1/documents", "multipart/form-data; boundary=B"),
          ("/v1/glossaries", "text/csv"), ("/translate", "application/x-www-form-urlencoded"),
          ("/translate", "application/json"), ("/translate_file", "multipart/form-data; boundary=B")]
BAD = {"chunk-size": (b"zz\r\nabc\r\n0\r\n\r\n", False), "no-crlf": (b"5\r\nabcdeXX\r\n0\r\n\r\n", False),
       "cut-short": (b"10\r\nabc", True)}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("path, content_type", ROUTES)
def test_a_malformed_chunked_body_is_a_400(server, path, content_type, bad):
    body, half_close = BAD[bad]
    status, mimetype, out = send(server["port"], chunked(path, content_type), body, half_close)
    assert status == 400, out[:300]
    answer = json.loads(out)
    if path.startswith("/v1/"):
        assert mimetype == "application/problem+json"
        assert answer["type"].endswith("/malformed-body") and answer["title"] == "Malformed body"
        assert answer["detail"].startswith(DETAIL) and "chunked body" in answer["detail"]
    else:  # LibreTranslate's routes answer in its shape
        assert mimetype == "application/json" and answer["error"].startswith(DETAIL)


CUT_BODIES = {"application/json": b'{"text": "' + "Hà Nội mưa lớn. ".encode() * 40 + b'"}',
              "application/x-ndjson": b"".join(b'{"id": "%d", "text": "H\xc3\xa0 N\xe1\xbb\x99i m\xc6\xb0a."}\n' % i
                                               for i in range(20)),
              "multipart/form-data; boundary=B": b"--B\r\nContent-Disposition: form-data; name=\"file\"; "
                                                 b"filename=\"a.txt\"\r\n\r\n" + b"x" * 400 + b"\r\n--B--\r\n",
              "text/csv": b"".join(b"term%d,target%d\n" % (i, i) for i in range(40)),
              "application/x-www-form-urlencoded": b"q=" + b"x" * 400 + b"&source=vi&target=en"}


@pytest.mark.parametrize("path, content_type", ROUTES)
def test_a_body_that_ends_before_its_content_length_is_a_400_not_a_shorter_body(server, path, content_type):
    """gunicorn marks its input terminated and answers the end of stream where the client stopped: read as the
    end of the body, a JSONL job cut after five lines was a job of five articles."""
    whole = CUT_BODIES[content_type]
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(whole)}\r\nConnection: close\r\n\r\n").encode()
    cut = whole[:len(whole) // 3]
    status, mimetype, out = send(server["port"], head, cut, half_close=True)
    assert status == 400, out[:300]
    answer = json.loads(out)
    expected = f"the body ended after {len(cut)} of the {len(whole)} bytes its Content-Length announced"
    if path.startswith("/v1/"):
        assert mimetype == "application/problem+json"
        assert answer["type"].endswith("/incomplete-body") and answer["title"] == "Incomplete body", answer
        assert answer["detail"].startswith(expected) and "send it again whole" in answer["detail"], answer
    else:
        assert mimetype == "application/json" and answer["error"].startswith(expected), answer


def test_the_server_logged_no_error(server):
    """Runs after the requests above (same module, in order): none of them was an unhandled error."""
    status, _, _ = send(server["port"], chunked("/v1/summarize", "application/json"), BAD["chunk-size"][0])
    assert status == 400
    log = server["log"].read_text(errors="replace")
    assert "Traceback" not in log and "unhandled error" not in log and '"level": "ERROR"' not in log, log[-3000:]


# -- without a server: a WSGI input that raises ---------------------------------------------------------------

class RaisingInput:
    """A WSGI input whose reads raise what gunicorn's chunked reader raises on "zz" for a chunk size (its
    ParseException family is no OSError or ValueError), or ``error``."""

    def __init__(self, error: Exception | None = None):
        from gunicorn.http.errors import InvalidChunkSize

        self.reads = 0
        self.error = error or InvalidChunkSize("zz")

    def read(self, *args):
        self.reads += 1
        raise self.error

    readline = read

    def readinto(self, buffer):
        return self.read()


@pytest.fixture()
def make_app(tiny_runtime, tmp_path):
    with app_factory(tiny_runtime, db_path=str(tmp_path / "db.sqlite3"), job_workers=0,
                     anon_char_quota="1000000/day") as make:
        yield make


@pytest.mark.parametrize("path, content_type", ROUTES + [("/v1/translate", "application/json"),
                                                          ("/detect", "application/x-www-form-urlencoded")])
def test_a_body_read_that_raises_is_a_400(make_app, caplog, path, content_type):
    from werkzeug.test import EnvironBuilder, run_wsgi_app
    from werkzeug.wrappers import Response

    environ = EnvironBuilder(path, method="POST", content_type=content_type).get_environ()
    stream = environ["wsgi.input"] = RaisingInput()
    environ["CONTENT_LENGTH"] = "100"
    resp = Response(*run_wsgi_app(make_app(), environ, buffered=True))
    if path.startswith("/v1/"):
        body = problem(resp, 400)
        assert body["type"].endswith("/malformed-body")
        # what was wrong (the server's own reason) and how to fix it
        assert body["detail"].startswith(DETAIL) and "Invalid chunk size" in body["detail"] \
            and "Content-Length or chunked body" in body["detail"]
    else:
        assert resp.status_code == 400 and resp.get_json()["error"].startswith(DETAIL)
    assert stream.reads == 1  # remembered: no hook (quota, metrics, the drain) read on from a broken parser
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_fault_of_the_server_while_reading_is_a_logged_500_not_the_clients_400(make_app, caplog):
    from werkzeug.test import EnvironBuilder, run_wsgi_app
    from werkzeug.wrappers import Response

    environ = EnvironBuilder("/v1/summarize", method="POST", content_type="application/json").get_environ()
    environ["wsgi.input"] = RaisingInput(TypeError("size must be an integral type"))
    environ["CONTENT_LENGTH"] = "100"
    resp = Response(*run_wsgi_app(make_app(), environ, buffered=True))
    body = problem(resp, 500)
    assert "integral" not in body["detail"]  # the fault is logged, not told to the client
    assert [r for r in caplog.records if r.levelname == "ERROR"]


def test_the_drain_stops_at_a_read_that_raises():
    from service.http import DrainUnreadBody

    started = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]  # the body left unread: the middleware drains it, and its read raises

    body = DrainUnreadBody(app)({"CONTENT_LENGTH": "100", "wsgi.input": RaisingInput()},
                                lambda status, headers, exc_info=None: started.append((status, headers)))
    assert body == [b"ok"] and started == [("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])]


# -- JSON numbers beyond a double (1e400): JSON, but read as infinity, which no JSON can hold ------------------

def test_strict_loads_refuses_a_number_beyond_a_double_naming_its_field():
    from service.batch.records import parse_jsonl_line
    from service.http import JsonRejected, strict_loads

    assert strict_loads(b'{"a": 1e308, "b": 1e-400}') == {"a": 1e308, "b": 0.0}  # finite, and an underflow: kept
    for data, field in ((b'{"a": [1, -1e400]}', "a[1]"), (b"1E+400", "body"), (b'[{"x": {"y": 1e999}}]', "[0].x.y")):
        with pytest.raises(JsonRejected) as caught:
            strict_loads(data)
        assert caught.value.status == 422 and caught.value.slug == "validation"
        assert caught.value.errors == [{"field": field, "message": "a number out of range"}]
    row = parse_jsonl_line(b'{"id": "a", "text": "x", "m": 1e400}', "in.jsonl", 3, 1000)  # `tomtat batch` too
    assert row.error == "invalid_json" and "line 3: `m` is 1e400" in row.reason


def test_a_body_with_a_number_beyond_a_double_is_a_422(make_app):
    client = make_app().test_client()
    body = problem(client.post("/v1/summarize", data=b'{"text": "Mot. Hai.", "max_words": 1e400}',
                               content_type="application/json"), 422)
    assert body["type"].endswith("/validation") and body["errors"][0]["field"] == "max_words"
    lt = client.post("/translate", data=b'{"q": "x", "source": "vi", "target": "en", "alternatives": 1e400}',
                     content_type="application/json")
    assert lt.status_code == 400 and "`alternatives` is 1e400" in lt.get_json()["error"]


def test_a_405_says_what_is_allowed(make_app):
    client = make_app().test_client()
    resp = client.get("/v1/summarize")
    problem(resp, 405)
    assert "POST" in resp.headers["Allow"].split(", ") and "GET" not in resp.headers["Allow"]
    lt = client.post("/languages")  # LibreTranslate's shape, the header kept
    assert lt.status_code == 405 and "GET" in lt.headers["Allow"] and "error" in lt.get_json()


def test_a_form_field_over_werkzeugs_limit_is_a_413_that_says_so(make_app):
    import io

    big = "x" * (600 * 1024)  # within the document body limit, over werkzeug's 500 KB per form field
    form = {"file": (io.BytesIO(b"Xin chao."), "a.txt"), "glossary": big}
    resp = make_app().test_client().post("/v1/documents", data=form, content_type="multipart/form-data")
    body = problem(resp, 413)
    assert "form field" in body["detail"] and "TOMTAT_MAX_DOCUMENT_BYTES" not in body["detail"]


def test_a_read_that_asks_for_nothing_is_no_end_of_the_body():
    import io

    from service.http import IncompleteBody, _CountingInput

    stream = _CountingInput(io.BytesIO(b"abc"), expected=10)
    assert stream.read(0) == b"" and stream.readline(0) == b""  # asked for nothing: nothing ended
    assert stream.read(3) == b"abc"
    with pytest.raises(IncompleteBody, match="ended after 3 of the 10 bytes"):
        stream.read(5)  # the stream's end, 7 bytes short of its Content-Length
    whole = _CountingInput(io.BytesIO(b"abc"), expected=3)
    assert whole.read() == b"abc" and whole.read(5) == b""  # a body read to its length ends there
