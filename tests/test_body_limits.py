"""An over-limit body reaches Python clients as a 413 problem, not a broken pipe (service/http.py,
DrainUnreadBody), against a real gunicorn server (service/gunicorn_conf.py, gthread) on 127.0.0.1.

http.client, urllib and httpx write the whole body before they read the answer: an app that answers
before reading and lets the connection close under them gave EPIPE/ECONNRESET. The unread rest of the
body is now read and discarded (up to DRAIN_BYTES) before the answer goes out.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.http import DRAIN_BYTES, DrainUnreadBody, drain
from service.keys import KeyStore
from tests.helpers import free_port, stop_server, wait_healthy

ROOT = Path(__file__).parents[1]
LIMIT = 1_000_000
BIG = 10 * 1024 * 1024  # 10 MB: ten times the limit, well under DRAIN_BYTES


def small_app():
    """gunicorn factory: the real app, no models, a 1 MB body limit, keys on."""
    from models.runtime import Runtime, RuntimeConfig
    from service.app import create_app
    from service.config import Settings

    return create_app(Settings.from_env(), Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("body-limits")
    db = str(tmp / "db.sqlite3")
    _record, key = KeyStore(db).create("limits-test")
    port = free_port()
    env = os.environ | {"TOMTAT_PORT": str(port), "TOMTAT_HOST": "127.0.0.1", "TOMTAT_DB": db, "TOMTAT_AUTH": "1",
                        "TOMTAT_LOAD_MODELS": "0", "TOMTAT_JOBS": "0", "TOMTAT_MAX_BODY_BYTES": str(LIMIT),
                        "TOMTAT_SERVER_THREADS": "4", "TOMTAT_LOG_LEVEL": "WARNING"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "--config", "python:service.gunicorn_conf",
                             "tests.test_body_limits:small_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, seconds=60)
        yield {"port": port, "base": base, "key": key, "proc": proc}
    finally:
        stop_server(proc)


def json_body(size: int) -> bytes:
    """A valid JSON request of ``size`` bytes: one long text."""
    head, tail = b'{"method": "extractive", "text": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


def assert_413(status: int, content_type: str, body: bytes) -> dict:
    assert status == 413, body[:300]
    assert content_type.startswith("application/problem+json")
    problem = json.loads(body)
    assert problem["status"] == 413 and problem["limit"] == LIMIT
    assert "TOMTAT_MAX_BODY_BYTES" in problem["detail"] and str(LIMIT) in problem["detail"]
    return problem


def test_http_client_reads_the_413_of_a_10_mb_body_and_keeps_the_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    try:
        conn.request("POST", "/v1/summarize", body=json_body(BIG),
                     headers={"Content-Type": "application/json", "X-API-Key": server["key"]})
        resp = conn.getresponse()
        assert_413(resp.status, resp.getheader("Content-Type"), resp.read())
        assert (resp.getheader("Connection") or "").lower() != "close"  # drained whole: the connection lives on
        conn.request("GET", "/healthz")
        again = conn.getresponse()
        assert again.status == 200 and again.read()
    finally:
        conn.close()


def test_http_client_chunked_body_over_the_limit_is_a_413(server):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    chunks = (b"x" * 65536 for _ in range(BIG // 65536))
    try:
        conn.request("POST", "/v1/summarize", body=chunks, encode_chunked=True,
                     headers={"Content-Type": "application/json", "X-API-Key": server["key"]})
        resp = conn.getresponse()
        assert_413(resp.status, resp.getheader("Content-Type"), resp.read())
    finally:
        conn.close()


def test_httpx_reads_the_413(server):
    with httpx.Client(base_url=server["base"], timeout=30) as client:
        resp = client.post("/v1/summarize", content=json_body(BIG),
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {server['key']}"})
        assert_413(resp.status_code, resp.headers["content-type"], resp.content)
        assert client.get("/healthz").status_code == 200


def test_an_answer_before_the_body_is_read_reaches_the_client(server):
    """401 without a key: the route never reads the 900 kB body, the client still gets the problem."""
    with httpx.Client(base_url=server["base"], timeout=30) as client:
        resp = client.post("/v1/summarize", content=json_body(900_000), headers={"Content-Type": "application/json"})
        assert resp.status_code == 401 and resp.headers["content-type"].startswith("application/problem+json")
        assert "needs a key" in resp.json()["detail"]


def test_a_body_beyond_the_drain_bound_is_not_read_and_the_server_stays_up(server):
    conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    conn.putrequest("POST", "/v1/summarize")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("X-API-Key", server["key"])
    conn.putheader("Content-Length", str(DRAIN_BYTES + 1))
    conn.endheaders()
    conn.send(b"x" * 65536)  # the server answers and closes without waiting for the other 32 MiB
    resp = conn.getresponse()
    assert resp.status == 413 and resp.getheader("Connection", "").lower() == "close"
    conn.close()
    with httpx.Client(base_url=server["base"], timeout=10) as client:
        assert client.get("/healthz").status_code == 200


def test_drain_is_bounded():
    import io

    assert drain(io.BytesIO(b"x" * 100), 100) is True
    assert drain(io.BytesIO(b"x" * 100), 200, limit=150) is False  # over the bound: not read at all
    stream = io.BytesIO(b"x" * 100)
    assert drain(stream, None, limit=50) is False  # a terminated stream longer than the bound
    assert drain(io.BytesIO(b"x" * 40), None, limit=50) is True


def test_middleware_reads_only_what_the_app_left():
    import io

    seen = {}

    def app(environ, start_response):
        seen["first"] = environ["wsgi.input"].read(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    stream = io.BytesIO(b"y" * 1000)
    started = []
    body = DrainUnreadBody(app)({"CONTENT_LENGTH": "1000", "wsgi.input": stream},
                                lambda status, headers, exc_info=None: started.append((status, headers)))
    assert body == [b"ok"] and seen["first"] == b"y" * 10
    assert stream.tell() == 1000  # the other 990 bytes were read, no more
    assert started == [("200 OK", [("Content-Type", "text/plain")])]


def test_a_client_that_trickles_or_stalls_holds_the_drain_no_longer_than_its_bound():
    """Reads block until their bytes arrive: without a socket timeout a client that announces a body and
    stops sending would hold the thread forever (no key needed, the 401 waits for the drain)."""
    import socket as socketlib

    from service.http import drain

    reader, writer = socketlib.socketpair()
    try:
        writer.sendall(b"x" * 10)  # 10 of the 1,000 bytes announced, then nothing
        stream = reader.makefile("rb")
        started = time.monotonic()
        assert drain(stream, 1000, seconds=0.5, settimeout=reader.settimeout) is False
        assert time.monotonic() - started < 2.0
    finally:
        reader.close()
        writer.close()


def test_a_trickling_client_is_cut_off_at_the_drain_deadline():
    """One byte every 0.1 s never lets a read time out: the drain stops reading the socket at its deadline."""
    import socket as socketlib
    import threading

    from service.http import DrainUnreadBody

    reader, writer = socketlib.socketpair()
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            try:
                writer.sendall(b" ")
            except OSError:
                return
            time.sleep(0.1)

    threading.Thread(target=trickle, daemon=True).start()
    try:
        started = time.monotonic()
        middleware = DrainUnreadBody(app=None, seconds=0.5)
        assert middleware._drain({"werkzeug.socket": reader}, reader.makefile("rb"), 1_000_000) is False
        assert time.monotonic() - started < 2.0
    finally:
        stop.set()
        reader.close()
        writer.close()
