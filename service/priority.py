"""Interactive requests before job items, and each request's identity, deadline and cancellation
for the model layer.

``Priority`` counts the interactive requests in flight (the ``/v1`` routes other
than ``/v1/jobs``: a ``before_request`` hook enters, ``teardown_request``
leaves). Job workers call ``wait_idle`` before taking each item, so a job only
uses the models while no interactive request is running. To keep jobs moving
under constant traffic, a worker waits at most ``max_wait`` seconds
(``TOMTAT_JOB_MAX_YIELD_S``) and then takes one item anyway.

The gate works between articles: an item that has started is not preempted.
Inside an article, the per-model micro-batcher finishes the job: job workers mark
their units ``batcher.priority("background")``, so an interactive request that
arrives mid-article has its sentences scheduled before the job's queued ones.

The same hooks tell the micro-batchers (``models.batcher``) who each request is and how long it may
take: the caller identity is the API key (``key:<id>``) or else the client address (``ip:<address>``),
so batches take the units of different keys in turns; every request but the job routes gets one
deadline for all its model work (``TOMTAT_QUEUE_TIMEOUT`` seconds from its start: a unit that cannot
start by then is refused at once with 503 and ``Retry-After``); and a ``CancelToken`` that
:class:`DisconnectWatcher` fires when the client closes its connection, dropping the request's queued
units. The watcher needs the connection's socket in the WSGI environ (gunicorn: ``gunicorn.socket``,
the Werkzeug server: ``werkzeug.socket``); without it, or over TLS terminated in-process, requests
are simply not cancelled. It reads a disconnect as the socket becoming readable with nothing to read
(EOF), which a client that half-closes its side after sending would also look like; HTTP clients do
not do that, and ``settings.cancel_on_disconnect = False`` turns the watcher off.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
import time

from flask import Flask, g, request

from models import batcher, cache

from .auth import protected, tenant
from .errors import ApiError

JOBS_BLUEPRINT = "jobs"
log = logging.getLogger(__name__)


def saturated() -> ApiError:
    """As many interactive requests are in flight as the server may hold (TOMTAT_MAX_IN_FLIGHT)."""
    return ApiError(
        503, "Service saturated",
        "every request slot of this server is waiting on the models (TOMTAT_MAX_IN_FLIGHT); retry after the "
        "Retry-After delay, or send fewer requests at once", slug="saturated", headers={"Retry-After": "1"},
        retry_after=1)


def in_flight_limit(settings) -> int | None:
    explicit = getattr(settings, "max_in_flight", 0) or 0
    threads = getattr(settings, "server_threads", 0) or 0
    if explicit:
        return explicit
    return max(1, threads - 2) if threads else None


class Priority:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self.watcher = DisconnectWatcher()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def enter(self, limit: int | None = None) -> bool:
        """Count one more interactive request; False (nothing counted) when ``limit`` are already in flight."""
        with self._cond:
            if limit is not None and self._in_flight >= limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            if self._in_flight == 0:
                self._cond.notify_all()

    def wait_idle(self, max_wait: float, stop: threading.Event | None = None) -> bool:
        """Block while interactive requests are in flight, at most ``max_wait`` s → True if idle."""
        deadline = time.monotonic() + max_wait
        with self._cond:
            while self._in_flight > 0:
                left = deadline - time.monotonic()
                if left <= 0 or (stop is not None and stop.is_set()):
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def install(self, app: Flask) -> None:
        """Count the app's interactive requests (every /v1 route but /v1/jobs) and bind each request's
        caller, deadline and cancel token for the model layer."""
        settings = app.extensions.get("tomtat.settings")
        limit = in_flight_limit(settings)  # settings do not change once the app is built
        deadline = (getattr(settings, "request_deadline", None) or getattr(settings, "queue_timeout", None)) or None
        watch_disconnects = getattr(settings, "cancel_on_disconnect", True)

        @app.before_request
        def _enter():
            interactive = request.blueprint != JOBS_BLUEPRINT
            if protected(request.path) and interactive and request.method != "OPTIONS":  # /v1 and LibreTranslate
                if not self.enter(limit):
                    # every request thread would be waiting on the models: refuse at once, so that a thread
                    # is always free for /healthz, /readyz and for these refusals
                    raise saturated()
                g.tomtat_interactive = True
            token = batcher.CancelToken()
            identity = g.get("client") or f"ip:{request.remote_addr or 'unknown'}"
            g.tomtat_batch_restore = batcher.bind_request(identity, token, deadline if interactive else None)
            g.tomtat_cache_restore = cache.bind_scope(tenant())  # cached results are per tenant, as jobs are
            g.tomtat_cancel = token
            if watch_disconnects:
                self.watcher.watch(request.environ, token)

        @app.teardown_request
        def _leave(exc):
            token = g.pop("tomtat_cancel", None)
            if token is not None:
                self.watcher.unwatch(token)
            for name in ("tomtat_batch_restore", "tomtat_cache_restore"):
                restore = g.pop(name, None)
                if restore is not None:
                    restore()
            if g.pop("tomtat_interactive", False):
                self.leave()


class DisconnectWatcher:
    """Fires a request's ``CancelToken`` when its client closes the connection (polled every
    ``interval`` seconds by one daemon thread, only while requests are watched)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._cond = threading.Condition()
        self._watched: dict[int, tuple[socket.socket, batcher.CancelToken]] = {}
        self._thread: threading.Thread | None = None

    def watch(self, environ: dict, token: batcher.CancelToken) -> bool:
        sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
            return False
        with self._cond:
            self._watched[id(token)] = (sock, token)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="tomtat-disconnects", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return True

    def unwatch(self, token: batcher.CancelToken) -> None:
        with self._cond:
            self._watched.pop(id(token), None)

    def watching(self) -> int:
        with self._cond:
            return len(self._watched)

    @staticmethod
    def gone(sock: socket.socket) -> bool | None:
        """True: the peer closed the connection; False: still open; None: cannot tell (stop watching)."""
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        except (OSError, ValueError):  # closed here, or not a plain socket
            return None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._watched:
                    self._cond.wait()
                watched = list(self._watched.items())
            for key, (sock, token) in watched:
                state = self.gone(sock)
                if state is False:
                    continue
                with self._cond:
                    self._watched.pop(key, None)
                if state:
                    log.info("client disconnected: dropping its queued model work")
                    token.cancel()
            time.sleep(self.interval)
