"""The real PostgreSQL and Redis of this machine, for the tests that need them (never mocks).

``TOMTAT_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and ``TOMTAT_TEST_REDIS``
(default ``redis://127.0.0.1:6379/0``) name them; `.ci/run` starts them from Debian's packages when they do
not answer. A test never shares state with another run: each gets a database of its own (created here,
dropped after) and a Redis key prefix of its own (deleted after). A server that does not answer fails the
test with what to start, it is never skipped.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES = os.environ.get("TOMTAT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TOMTAT_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _admin():
    import psycopg

    try:
        return psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES} does not answer ({exc}); start it (`bash .ci/run` does: "
                    "pg_ctlcluster --skip-systemctl-redirect 15 main start) or set TOMTAT_TEST_POSTGRES")


@contextmanager
def fresh_postgres():
    """A new, empty PostgreSQL database → its URL; dropped (with its connections) afterwards."""
    name = f"tomtat_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(POSTGRES)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        from service.db import Database

        for url, db in list(Database._open.items()):
            if name in url:
                Database.forget(url)
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS} does not answer ({exc}); start it (`bash .ci/run` does: redis-server "
                    "--daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no) or set TOMTAT_TEST_REDIS")
    return client


@contextmanager
def redis_prefix():
    """A key prefix no other test or run uses → the prefix; its keys are deleted afterwards."""
    client = redis_client()
    prefix = f"tomtat-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


class Cut:
    """A TCP forwarder on a loopback port in front of a real server: :meth:`down` cuts every connection and
    refuses new ones (the server "goes away" for the client), :meth:`up` lets them through again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = True
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, url: str) -> str:
        """``url`` (of the target server) rewritten to go through this forwarder."""
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        return urlunsplit((parts.scheme, f"{netloc[0]}@{host}" if len(netloc) == 2 else host, parts.path,
                           parts.query, ""))

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self) -> None:
        self._up = False
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._open.clear()

    def up(self) -> None:
        self._up = True

    def close(self) -> None:
        self._closed = True
        self.down()
        self.listener.close()


def host_port(url: str, default: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default
