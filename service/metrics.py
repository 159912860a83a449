"""Prometheus metrics at ``/metrics`` (optionally behind TOMTAT_METRICS_TOKEN).

- HTTP: requests by route and status, latency histogram, requests in flight,
  characters of text received;
- models: inference time per batch, batch sizes, tokens in and out, queue wait
  and depth of the micro-batcher, dropped units, result-cache hits, by model;
- jobs: queue depth and jobs by state, read at scrape time from the job store
  (a job engine may register its own with ``register_gauge_provider``);
- access: authentication failures and rate-limit breaches;
- outputs: problems found by the fact checks, by kind and output field.

Each app has its own registry (tests build many apps in one process). Model
events arrive through ``models.observe`` (plain callbacks: ``models`` needs
neither Flask nor prometheus), from the micro-batcher and from unbatched models alike.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
import weakref
from typing import Callable

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, PlatformCollector, ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from models import observe

from .config import Settings
from .auth import protected
from .errors import ApiError
from .http import JOBS_EXTENSION
from .limits import text_chars

bp = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
_live: "weakref.WeakSet[Metrics]" = weakref.WeakSet()
_live_lock = threading.Lock()


class _Providers:
    """Gauges computed at scrape time from callables (queue depth, jobs by state)."""

    def __init__(self, metrics: "Metrics"):
        self.metrics = metrics

    def describe(self):
        return []

    def collect(self):
        depth = GaugeMetricFamily("tomtat_queue_depth", "Job articles waiting to be processed.")
        states = GaugeMetricFamily("tomtat_jobs", "Jobs by state.", labels=["state"])
        queue_fn = self.metrics.providers.get("queue_depth")
        jobs_fn = self.metrics.providers.get("jobs_by_state")
        try:
            depth.add_metric([], float(queue_fn() if queue_fn else 0))
        except Exception:  # noqa: BLE001 - a failing provider must not break the scrape
            log.debug("queue_depth provider failed", exc_info=True)
        try:
            for state, count in (jobs_fn() if jobs_fn else {}).items():
                states.add_metric([str(state)], float(count))
        except Exception:  # noqa: BLE001
            log.debug("jobs_by_state provider failed", exc_info=True)
        yield depth
        yield states


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("tomtat_http_requests", "HTTP requests by route, method and status.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("tomtat_http_request_duration_seconds", "Time to answer an HTTP request.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("tomtat_http_requests_in_flight", "HTTP requests being answered.", registry=r)
        self.chars = Counter("tomtat_text_characters", "Characters of text received, by route.", ["route"], registry=r)
        self.inference = Histogram("tomtat_model_inference_seconds", "Time of one model call (one batch).",
                                   ["model"], buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram("tomtat_model_batch_size", "Texts (units) in one model call.", ["model"],
                                    buckets=BATCH_BUCKETS, registry=r)
        self.tokens = Counter("tomtat_model_tokens", "Tokens into and out of the models.",
                              ["model", "direction"], registry=r)
        self.queue_wait = Histogram("tomtat_model_queue_wait_seconds", "Time a unit waited for its batch.",
                                    ["model"], buckets=LATENCY_BUCKETS, registry=r)
        self.model_queue = Gauge("tomtat_model_queue_depth", "Units waiting for a model's inference thread.",
                                 ["model"], registry=r)
        self.dropped = Counter("tomtat_model_units_dropped", "Units refused (queue full) or expired (deadline).",
                               ["model", "reason"], registry=r)
        self.batch_errors = Counter("tomtat_model_batch_errors", "Model calls that raised.", ["model", "error"],
                                    registry=r)
        self.cache = Counter("tomtat_cache_lookups", "Result-cache lookups.", ["kind", "result"], registry=r)
        self.auth_failures = Counter("tomtat_auth_failures", "Requests refused for a missing, invalid or revoked key.",
                                     ["reason"], registry=r)
        self.rate_limited = Counter("tomtat_rate_limited", "Requests refused by a rate limit or quota.", ["limit"],
                                    registry=r)
        self.problems = Counter("tomtat_output_problems", "Fact-check problems of neural outputs (models/faithfulness/), "
                                "by kind and output field.", ["kind", "field"], registry=r)
        self.providers: dict[str, Callable] = {}
        r.register(_Providers(self))
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        with _live_lock:
            _live.add(self)

    def observe_batch(self, model: str, batch_size: int, seconds: float,
                      tokens_in: int | None = None, tokens_out: int | None = None) -> None:
        self.inference.labels(model).observe(seconds)
        self.batch_size.labels(model).observe(batch_size)
        if tokens_in is not None:
            self.tokens.labels(model, "in").inc(tokens_in)
        if tokens_out is not None:
            self.tokens.labels(model, "out").inc(tokens_out)

    def on_event(self, event: str, fields: dict) -> None:
        """One event of ``models.observe`` (see its docstring for the fields)."""
        model = str(fields.get("model", ""))
        if event == "batch":
            self.observe_batch(model, int(fields.get("size", 0)), float(fields.get("seconds", 0.0)),
                               fields.get("tokens_in"), fields.get("tokens_out"))
            if fields.get("wait_seconds") is not None:
                self.queue_wait.labels(model).observe(float(fields["wait_seconds"]))
        elif event == "queue_depth":
            self.model_queue.labels(model).set(float(fields.get("depth", 0)))
        elif event in ("rejected", "expired"):
            self.dropped.labels(model, event).inc(int(fields.get("count", 1)))
        elif event == "batch_error":
            self.batch_errors.labels(model, str(fields.get("error", ""))).inc()
        elif event == "output_problems":
            self.problems.labels(str(fields.get("kind", "")), str(fields.get("field", ""))).inc(int(fields.get("count", 1)))
        elif event == "cache":
            self.cache.labels(str(fields.get("kind", "")), str(fields.get("result", ""))).inc()


def _targets() -> list[Metrics]:
    with _live_lock:
        return list(_live)


def _on_model_event(event: str, fields: dict) -> None:
    for metrics in _targets():
        metrics.on_event(event, fields)


def register_gauge_provider(app: Flask, name: str, fn: Callable) -> None:
    """``name``: ``queue_depth`` (fn() → int) or ``jobs_by_state`` (fn() → {state: count})."""
    app.extensions["tomtat.metrics"].providers[name] = fn


def _default_providers(app: Flask, metrics: Metrics, settings: Settings) -> None:
    """Jobs by state and queue depth from the app's job store, while the jobs feature is on."""
    def jobs_by_state() -> dict:
        if JOBS_EXTENSION not in app.extensions:
            return {}
        return {state: 0 for state in JOB_STATES} | app.extensions[JOBS_EXTENSION].store.jobs_by_state()

    def queue_depth() -> int:
        if JOBS_EXTENSION not in app.extensions:
            return 0
        return app.extensions[JOBS_EXTENSION].store.queued_items()

    metrics.providers.setdefault("jobs_by_state", jobs_by_state)
    metrics.providers.setdefault("queue_depth", queue_depth)


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The method as a label value: the standard methods, every other (a client's invention) as ``other``."""
    return method if method in HTTP_METHODS else "other"


def parsed_chars() -> int:
    """Characters of text in what this request already parsed: the quota's count, else the JSON or form
    the route parsed. The body is never read or parsed here (after a 413, or a request refused before its
    body was read, there is nothing to count)."""
    chars = g.get("tomtat_chars")
    if chars is not None:
        return chars
    if request.method != "POST" or not protected(request.path):
        return 0
    cached_json = getattr(request, "_cached_json", (Ellipsis, Ellipsis))  # werkzeug's cache of get_json()
    if any(value is not Ellipsis for value in cached_json) or "form" in request.__dict__:
        return text_chars()  # reads those caches only (service/limits.py)
    return 0


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def init_app(app: Flask, settings: Settings) -> Metrics:
    metrics = Metrics()
    app.extensions["tomtat.metrics"] = metrics
    observe.add_observer(_on_model_event)  # process-wide, idempotent
    _default_providers(app, metrics, settings)

    @app.before_request
    def _start():
        g.setdefault("request_start", time.perf_counter())  # service.logs sets it first in a full app
        metrics.in_flight.inc()
        g.metrics_in_flight = True

    @app.after_request
    def _observe(response):
        if g.get("metrics_in_flight"):  # _start ran, so request_start is set
            route, method = _route(), method_label(request.method)
            metrics.requests.labels(method, route, str(response.status_code)).inc()
            metrics.latency.labels(method, route).observe(time.perf_counter() - g.request_start)
            chars = parsed_chars()
            if chars:
                metrics.chars.labels(route).inc(chars)
        return response

    @app.teardown_request
    def _done(_exc=None):
        if g.pop("metrics_in_flight", False):
            metrics.in_flight.dec()

    app.register_blueprint(bp)
    return metrics


@bp.get("/metrics")
def metrics_endpoint():
    settings = current_app.extensions["tomtat.settings"]
    if settings.metrics_token:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.metrics_token.encode()):
            raise ApiError(401, "Unauthorized", "/metrics needs 'Authorization: Bearer <TOMTAT_METRICS_TOKEN>'",
                           slug="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = current_app.extensions["tomtat.metrics"].registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
