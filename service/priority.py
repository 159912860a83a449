"""Interactive requests before job items: a simple shared gate.

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
"""

from __future__ import annotations

import threading
import time

from flask import Flask, g, request

JOBS_BLUEPRINT = "jobs"


class Priority:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def enter(self) -> None:
        with self._cond:
            self._in_flight += 1

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
        """Count the app's interactive requests (every /v1 route but /v1/jobs)."""

        @app.before_request
        def _enter():
            if request.path.startswith("/v1/") and request.blueprint != JOBS_BLUEPRINT:
                self.enter()
                g.tomtat_interactive = True

        @app.teardown_request
        def _leave(exc):
            if g.pop("tomtat_interactive", False):
                self.leave()
