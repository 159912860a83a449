"""Durable async batch jobs over HTTP: ``/v1/jobs``, and the workers that run them.

* ``POST /v1/jobs``: a JSON array of articles, ``{"articles": [...], "translate": ..., "summary": {...},
  "translation": {...}}``, or a JSONL body (``application/x-ndjson``); options of the first and last form
  as query parameters (``translate``, ``method``, ``max_sentences``, ``max_words``, ``max_new_tokens``,
  ``num_beams``). Answers ``202`` with ``job_id`` and ``Location``. ``Idempotency-Key`` returns the same
  job when a client retries (``422`` if the key comes back with a different request).
* ``GET /v1/jobs/{id}``: status, counts, progress, timestamps.
* ``GET /v1/jobs/{id}/results?cursor=C&limit=N``: result rows as JSONL in completion order, each the same
  row ``tomtat batch`` writes; ``X-Next-Cursor`` (and ``Link: rel="next"`` while more may come) gives the
  cursor of the next page. Without ``limit``, every result stored so far is streamed.
* ``DELETE /v1/jobs/{id}``: cancel (queued items are dropped; items already running finish).

Jobs and items live in the SQLite store (``service/store.py``); workers are threads of the service
process that take one item at a time, yield to interactive requests (``service/priority.py``) and call
``models.pipeline.process_article`` through ``service.batch.process_record``.

Workers start with an app that loads its own models (``tomtat serve``, ``service.wsgi``), which resumes
unfinished jobs at once after a restart; an app built around a given runtime (tests, embedding) starts
them on its first ``/v1/jobs`` request or ``start_workers(app)``. ``shutdown(app)`` stops them (also
registered at exit).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import threading
import uuid
from typing import Literal

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from pydantic import Field

from models import batcher
from models.errors import CapabilityUnavailable

from .batch.records import Record, parse_jsonl_line, record_from_mapping
from .batch.runner import ArticleOptions, process_record
from .errors import ApiError
from .http import JSONL_TYPES, runtime, settings
from .priority import Priority
from .schemas import Generation, Request, SummarySpec
from .store import IdempotencyConflict, JobStore, request_hash

log = logging.getLogger(__name__)

bp = Blueprint("jobs", __name__, url_prefix="/v1/jobs")

MAX_PAGE = 10_000
POLL_S = 1.0


class JobOptions(Request):
    translate: Literal["none", "summary", "full", "both"] = Field(
        "summary", description="English for the summary, the full article, both, or none.")
    summary: SummarySpec = Field(default_factory=SummarySpec)
    translation: Generation = Field(default_factory=Generation)


# -- workers ---------------------------------------------------------------------------------------

class JobWorkers:
    """The job store of an app and its worker threads (created lazily, stopped by ``shutdown``)."""

    def __init__(self, app: Flask, priority: Priority):
        self.settings = app.extensions["tomtat.settings"]
        self.runtime = app.extensions["tomtat.runtime"]
        self.priority = priority
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._store: JobStore | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active: dict[str, object] = {}  # thread name -> its current claim

    @property
    def store(self) -> JobStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = JobStore(self.settings.db_path, lease_s=self.settings.job_lease_s)
        return self._store

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        with self._lock:
            if self._threads or self.settings.job_workers <= 0 or self._stop.is_set():
                return
            threads = [threading.Thread(target=self._heartbeat, name="tomtat-jobs-heartbeat", daemon=True)]
            threads += [threading.Thread(target=self._work, name=f"tomtat-jobs-{i}", daemon=True)
                        for i in range(self.settings.job_workers)]
            self._threads = threads
        self.store.requeue_expired()
        for thread in threads:
            thread.start()
        log.info("job workers started: %d (owner %s, db %s)", self.settings.job_workers, self.owner,
                 self.settings.db_path)

    def notify(self) -> None:
        self._wake.set()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop taking items, let running ones finish (``timeout``), give back the rest."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        for claim in list(self._active.values()):
            self.store.release(claim, self.owner)  # a later process redoes it
        self._threads = []

    def _heartbeat(self) -> None:
        interval = max(0.2, self.settings.job_lease_s / 3)
        while not self._stop.wait(interval):
            try:
                self.store.renew(self.owner)
                if self.store.requeue_expired():
                    self._wake.set()
            except Exception:  # noqa: BLE001 - a locked or busy database must not kill the heartbeat
                log.exception("job heartbeat failed")

    def _work(self) -> None:
        name = threading.current_thread().name
        store = self.store
        while not self._stop.is_set():
            try:
                self.priority.wait_idle(self.settings.job_max_yield_s, self._stop)
                if self._stop.is_set():
                    break
                claim = store.claim(self.owner)
                if claim is None:
                    self._wake.wait(POLL_S)
                    self._wake.clear()
                    continue
                self._active[name] = claim
                try:
                    options = ArticleOptions.from_dict(claim.options)
                    try:
                        with batcher.priority("background"):  # queued interactive units overtake these
                            row = process_record(self.runtime, Record.from_dict(claim.record), options)
                    except CapabilityUnavailable as exc:
                        store.fail_job(claim.job_id, f"{exc}. To fix: {exc.how_to_fix}")
                        continue
                    if not store.complete(claim, self.owner, row):
                        log.warning("job %s item %d: result discarded (no longer ours)", claim.job_id, claim.seq)
                finally:
                    self._active.pop(name, None)
            except Exception:  # noqa: BLE001 - keep the worker alive; the item's lease runs out and it is redone
                log.exception("job worker error")
                self._stop.wait(POLL_S)
        store.close()


def _workers(app: Flask | None = None) -> JobWorkers:
    app = app or current_app
    return app.extensions["tomtat.jobs"]


def init_app(app: Flask, start_workers: bool = False) -> None:
    """Install the interactive-priority gate and, when TOMTAT_JOBS is on, the jobs routes and workers."""
    priority = Priority()
    priority.install(app)
    app.extensions["tomtat.priority"] = priority
    if not app.extensions["tomtat.settings"].jobs:
        return
    app.register_blueprint(bp)

    def _job_body_limit():
        # before any other hook reads the body (limits/metrics count its characters): a job carries an
        # archive, with its own limit (TOMTAT_MAX_JOB_BYTES) instead of TOMTAT_MAX_BODY_BYTES
        if request.method == "POST" and request.blueprint == bp.name:
            request.max_content_length = app.extensions["tomtat.settings"].max_job_bytes

    app.before_request_funcs.setdefault(None, []).insert(0, _job_body_limit)
    workers = JobWorkers(app, priority)
    app.extensions["tomtat.jobs"] = workers
    atexit.register(workers.shutdown, 10.0)
    if start_workers:
        workers.start()


def start_workers(app: Flask) -> None:
    _workers(app).start()


def shutdown(app: Flask, timeout: float = 30.0) -> None:
    """Stop the app's job workers cleanly (running items finish or go back to the queue)."""
    workers = app.extensions.get("tomtat.jobs")
    if workers is not None:
        workers.shutdown(timeout)


@bp.before_request
def _lazy_start():
    _workers().start()


# -- routes --------------------------------------------------------------------------------------------

def _query_options() -> dict:
    args = request.args
    out: dict = {}
    if "translate" in args:
        out["translate"] = args["translate"]
    summary = {k: args[k] for k in ("method", "max_sentences", "max_words") if k in args}
    gen = {k: args[k] for k in ("max_new_tokens", "num_beams") if k in args}
    if summary or gen:
        out["summary"] = summary | gen
    if gen:
        out["translation"] = gen
    return out


def _options(data: dict) -> ArticleOptions:
    from .api import generation, summary_options

    opts = JobOptions.model_validate(data)
    options = ArticleOptions(summary=summary_options(opts.summary, "summary."), translate=opts.translate,
                             translation=generation(opts.translation, "translation."))
    options.check(runtime())  # 503 now, not a job of failed items, when a model is missing
    return options


def _records(body: bytes) -> tuple[list | object, dict]:
    """The body → (an iterable of raw rows, options from the body)."""
    mimetype = request.mimetype
    if mimetype in JSONL_TYPES:
        return ("jsonl", body.splitlines()), {}
    if mimetype != "application/json":
        raise ApiError(415, "Unsupported Media Type",
                       "send a JSON array of articles (application/json) or JSONL (application/x-ndjson)")
    data = request.get_json(silent=True)  # parsed once per request (the character quota read it already)
    if data is None:
        raise ApiError(400, "Malformed JSON", "the body is not valid UTF-8 JSON; check quotes, commas and encoding",
                       slug="malformed-json")
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        articles = data.pop("articles")
        return ("json", articles), data
    if isinstance(data, list):
        return ("json", data), {}
    raise ApiError(422, "Invalid request", "the body must be a JSON array of articles, an object with "
                   "`articles`, or JSONL", slug="validation", errors=[{"field": "body", "message": "expected an array"}])


def _iter_records(kind: str, rows, max_chars: int, limit: int):
    n = 0
    for i, row in enumerate(rows, 1):
        if kind == "jsonl":
            record = parse_jsonl_line(row, "body", i, max_chars)
            if record is None:
                continue
        else:
            record = record_from_mapping(row, f"body:{i}", max_chars, f"articles[{i - 1}]")
        n += 1
        if n > limit:
            raise ApiError(413, "Too many articles", f"the job has more than {limit} articles "
                           "(TOMTAT_MAX_JOB_ARTICLES); split it into several jobs", slug="too-many-articles",
                           limit=limit)
        yield record.to_dict()


def _job_body(job: dict) -> dict:
    job_id = job["job_id"]
    return job | {"links": {"self": url_for("jobs.get_job", job_id=job_id),
                            "results": url_for("jobs.results", job_id=job_id)}}


@bp.post("")
def create_job():
    s = settings()
    if request.content_length is not None and request.content_length > s.max_job_bytes:
        raise ApiError(413, "Payload Too Large", f"the body has {request.content_length} bytes; the limit for a job "
                       f"is {s.max_job_bytes} (TOMTAT_MAX_JOB_BYTES); split the archive into several jobs",
                       slug="job-too-large", limit=s.max_job_bytes)
    body = request.get_data()  # cached: the character quota and the JSON parse read the same bytes
    (kind, rows), body_options = _records(body)
    if not any(row.strip() for row in rows) if kind == "jsonl" else not rows:
        raise ApiError(422, "Invalid request", "the job has no articles", slug="validation",
                       errors=[{"field": "body", "message": "send at least one article"}])
    options = _options(body_options | _query_options())
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 255):
        raise ApiError(422, "Invalid request", "Idempotency-Key must have 1 to 255 characters", slug="validation",
                       errors=[{"field": "Idempotency-Key", "message": "1 to 255 characters"}])
    digest = request_hash(body, json.dumps(options.to_dict(), sort_keys=True)) if key else None
    workers = _workers()
    try:
        job_id, created = workers.store.create_job(
            _iter_records(kind, rows, s.max_chars, s.max_job_articles), options.to_dict(),
            idempotency_key=key, req_hash=digest)
    except IdempotencyConflict as exc:
        raise ApiError(422, "Idempotency-Key reused", f"this Idempotency-Key was used for job {exc.job_id} with a "
                       "different request; use a new key for a new job", slug="idempotency-key-reused",
                       job_id=exc.job_id) from None
    job = workers.store.get_job(job_id)
    workers.notify()
    response = jsonify(_job_body(job))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.get_job", job_id=job_id)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _job_or_404(job_id: str) -> dict:
    job = _workers().store.get_job(job_id)
    if job is None:
        raise ApiError(404, "Job not found", f"there is no job {job_id!r} (it may belong to another database)",
                       slug="job-not-found")
    return job


@bp.get("/<job_id>")
def get_job(job_id: str):
    return jsonify(_job_body(_job_or_404(job_id)))


@bp.delete("/<job_id>")
def cancel_job(job_id: str):
    _job_or_404(job_id)
    _workers().store.cancel_job(job_id)
    return jsonify(_job_body(_job_or_404(job_id)))


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ApiError(422, "Invalid request", f"`{name}` must be an integer from {low} to {high}", slug="validation",
                       errors=[{"field": name, "message": f"an integer from {low} to {high}"}])
    return number


@bp.get("/<job_id>/results")
def results(job_id: str):
    job = _job_or_404(job_id)
    cursor = _int_arg("cursor", 0, 0, 2**62)
    limit = _int_arg("limit", None, 1, MAX_PAGE)
    store = _workers().store
    upto = store.results_bound(job_id, cursor, limit)

    def rows():
        for text in store.iter_results(job_id, cursor, upto):
            yield text + "\n"

    response = Response(rows(), mimetype="application/x-ndjson")
    response.headers["X-Next-Cursor"] = str(upto)
    response.headers["X-Job-Status"] = job["status"]
    more = job["status"] in ("queued", "running") or (limit is not None and upto - cursor >= limit)
    if more:
        page = f"&limit={limit}" if limit else ""
        response.headers["Link"] = f'<{url_for("jobs.results", job_id=job_id)}?cursor={upto}{page}>; rel="next"'
    return response
