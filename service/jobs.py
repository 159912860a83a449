"""Durable async batch jobs over HTTP: ``/v1/jobs``, and the workers that run them.

* ``POST /v1/jobs``: a JSON array of articles, ``{"articles": [...], "translate": ..., "summary": {...},
  "translation": {...}}``, or a JSONL body (``application/x-ndjson``); options of the first and last form
  as query parameters (``translate``, ``method``, ``max_sentences``, ``max_words``, ``on_unfaithful``,
  ``max_new_tokens``, ``num_beams``). Answers ``202`` with ``job_id`` and ``Location``. ``Idempotency-Key`` returns the same
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
import codecs
import hashlib
import io
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from typing import Literal

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, url_for
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from models import batcher, cache
from models.errors import CapabilityUnavailable

from .batch.records import Record, bad, parse_jsonl_line, record_from_mapping, unique_keys
from .batch.runner import ArticleOptions, process_record
from .errors import ApiError, problem_response
from .http import JSONL_TYPES, accepted, idempotency_key, key_reused, runtime, settings
from .openapi import API_ERRORS, ARTICLE_EXAMPLE, READ_ERRORS, REF, operation
from .priority import Priority
from . import documents
from .glossaries import resolve
from .schemas import Generation, Request, SummarySpec, glossary_field
from .auth import tenant
from .db import describe, redact
from .store import OPTIONS_KEPT, IdempotencyConflict, JobStore

log = logging.getLogger(__name__)

bp = Blueprint("jobs", __name__, url_prefix="/v1/jobs")


@bp.errorhandler(SQLAlchemyError)
def _store_failed(exc: SQLAlchemyError):
    """The job store cannot be read or written (database down, disk full, read-only, corrupt): the job routes
    answer 503 and say why; nothing half-written is kept (every write is one transaction), and the interactive
    routes go on. The pool reconnects by itself once the database answers again."""
    log.error("job store failure on %s %s: %s", request.method, request.path, describe(exc))
    return problem_response(ApiError(
        503, "Job store unavailable",
        f"the job store ({redact(settings().database)}) cannot be used: {describe(exc)}. Jobs are paused; "
        "/v1/summarize, /v1/translate and /v1/articles keep working. Check that the database server is running "
        "(or free disk space / fix the SQLite file's permissions), then retry",
        slug="job-store-unavailable", headers={"Retry-After": "30"}, retry_after=30))


MAX_PAGE = 10_000
POLL_S = 1.0
PROGRESS_EVERY_S = 1.0  # a long item (a document) writes how far it is at most this often
PROGRESS_BACKOFF_S = 30.0  # and not for this long after the store failed to take it


class JobOptions(Request):
    translate: Literal["none", "summary", "full", "both"] = Field(
        "summary", description="English for the summary, the full article, both, or none.")
    summary: SummarySpec = Field(default_factory=SummarySpec)
    translation: Generation = Field(default_factory=Generation)
    glossary: dict[str, str] | str | None = glossary_field()


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
        self._options: OrderedDict[str, ArticleOptions] = OrderedDict()  # job id -> its options, built

    @property
    def store(self) -> JobStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = JobStore(self.settings.database, lease_s=self.settings.job_lease_s,
                                           retention_s=self.settings.job_retention)
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
        try:
            self.store.requeue_expired()
        except SQLAlchemyError as exc:  # the database is down: the heartbeat requeues once it answers
            log.warning("job store unavailable at start-up (%s); workers wait for it", describe(exc))
        for thread in threads:
            thread.start()
        log.info("job workers started: %d (owner %s, db %s)", self.settings.job_workers, self.owner,
                 redact(self.settings.database))

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
        retention = self.settings.job_retention
        purge_every = min(max(retention / 10, 0.2), 60.0)  # finished jobs outlive their retention by <= 10%
        last_purge = 0.0
        while not self._stop.wait(min(interval, purge_every) if retention > 0 else interval):
            try:
                self.store.renew(self.owner, [claim.item_id for claim in list(self._active.values())])
                if self.store.requeue_expired():
                    self._wake.set()
                if retention > 0 and time.monotonic() - last_purge >= purge_every:
                    last_purge = time.monotonic()
                    if purged := self.store.purge_expired():
                        log.info("job store: %d finished jobs purged (TOMTAT_JOB_RETENTION)", purged)
                    documents.DocumentStore(self.store.db).purge()  # their files, and expired downloads
            except Exception:  # noqa: BLE001 - a locked or busy database must not kill the heartbeat
                log.exception("job heartbeat failed")

    def _article_options(self, claim) -> ArticleOptions:
        """The job's options as the pipeline takes them, built once per job (a glossary of thousands of
        terms is not rebuilt, nor hashed, for each of its articles)."""
        with self._lock:
            found = self._options.get(claim.job_id)
        if found is None:
            found = ArticleOptions.from_dict(claim.options)
            with self._lock:
                self._options[claim.job_id] = found
                while len(self._options) > OPTIONS_KEPT:
                    self._options.popitem(last=False)
        return found

    def _reporter(self, claim, every_s: float = PROGRESS_EVERY_S):
        """``progress(fraction)`` for a long item: written to the store at most every ``every_s`` (the item's
        end is written by ``complete``). Progress is advisory: a store that fails to take it costs the item
        nothing, and is not asked again for ``PROGRESS_BACKOFF_S`` (a database away would cost every batch
        its connect timeout)."""
        next_at = 0.0

        def report(fraction: float) -> None:
            nonlocal next_at
            if fraction >= 1.0 or time.monotonic() < next_at:
                return
            try:
                self.store.report_progress(claim, self.owner, fraction)
                next_at = time.monotonic() + every_s
            except SQLAlchemyError as exc:
                next_at = time.monotonic() + PROGRESS_BACKOFF_S
                log.warning("job %s item %d: progress not stored (%s); next try in %.0f s", claim.job_id,
                            claim.seq, describe(exc), PROGRESS_BACKOFF_S)

        return report

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
                    try:
                        with batcher.priority("background"), cache.scope(claim.tenant):  # interactive first
                            if claim.options.get("kind") == documents.KIND:  # a whole file (service/documents.py)
                                row = documents.process_claim(self.runtime, self.settings.database, claim,
                                                              self.settings.max_document_bytes,
                                                              progress=self._reporter(claim))
                            else:
                                row = process_record(self.runtime, Record.from_dict(claim.record),
                                                     self._article_options(claim))
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
    app.register_blueprint(documents.bp)  # document translation runs as jobs
    app.before_request_funcs[None].insert(0, documents.body_limit)
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

def _query_value(value: str):
    """A query string carries strings; the job options are typed: a plain ASCII integer is one."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else value


def _query_options() -> dict:
    args = {k: _query_value(v) for k, v in request.args.items()}
    out: dict = {}
    if "translate" in args:
        out["translate"] = args["translate"]
    if "glossary" in args:  # a JSONL body names a stored glossary this way
        out["glossary"] = request.args["glossary"]
    summary = {k: args[k] for k in ("method", "max_sentences", "max_words", "on_unfaithful") if k in args}
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
                             translation=generation(opts.translation, "translation."),
                             glossary=resolve(opts.glossary) if opts.translate != "none" else None)
    options.check(runtime())  # 503 now, not a job of failed items, when a model is missing
    return options


# -- the job body: read as a stream, counted and checked in one pass ------------------------------------

CHUNK = 1 << 20  # bytes read from the request at a time
MAX_ID_CHARS = 256  # an article's `id`, stored and echoed in every result row
MAX_EXTRA_CHARS = 4096  # an article's other fields (JSON), stored and passed through to its result row
MAX_OPTION_BYTES = 64 * 1024  # one option value of the object form (`translate`, `summary`, `translation`)
MAX_GLOSSARY_BYTES = 2 * 1024 * 1024  # an inline glossary (5,000 terms of up to 200 characters a side)


class _TooLarge(Exception):
    """One value of the body is over its byte cap."""


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON; send numbers as finite decimals")


_DECODER = json.JSONDecoder(parse_constant=_no_constants, object_pairs_hook=unique_keys)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JobBody:
    """A parsed job body: each article's ``(id, stored record as JSON bytes)``, what they cost, the options.

    Only the compact stored form of each article is kept (about the size of the body); nothing else."""

    def __init__(self):
        self.items: list[tuple[str, bytes]] = []
        self.chars = 0  # characters stored: every id, text, title and extra field (the character quota)
        self.options: dict = {}
        self.digest = hashlib.sha256()

    def add(self, record: Record, limit: int, where: str) -> None:
        if len(self.items) >= limit:
            raise ApiError(413, "Too many articles", f"the job has more than {limit} articles "
                           "(TOMTAT_MAX_JOB_ARTICLES); split it into several jobs", slug="too-many-articles",
                           limit=limit)
        record = _capped(record, where, len(self.items) + 1)
        try:
            stored = _dumps(record.to_dict()).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") in the title or an extra field
            record = bad(f"body:{len(self.items) + 1}", "undecodable", f"{where}: a field has a lone surrogate "
                         "(\\ud800-\\udfff), which is not text; fix the encoding of the article")
            stored = _dumps(record.to_dict()).encode("utf-8")
        extra = _dumps(record.extra) if record.extra else ""
        self.chars += len(record.id) + len(record.text or "") + len(record.title or "") + len(extra)
        self.items.append((record.id, stored))


def _capped(record: Record, where: str, n: int) -> Record:
    """Every stored field is bounded: an over-long `id` or too many extra fields make the article an error row
    instead of being stored (an over-long id is replaced by the article's position, ``body:N``)."""
    if len(record.id) > MAX_ID_CHARS:
        return bad(f"body:{n}", "invalid_id", f"{where}: `id` has {len(record.id)} characters; the limit is "
                   f"{MAX_ID_CHARS}")
    if record.extra:
        size = len(_dumps(record.extra))
        if size > MAX_EXTRA_CHARS:
            return bad(record.id, "extra_too_large", f"{where}: the fields other than id, text, title and format "
                       f"take {size} characters as JSON; the limit is {MAX_EXTRA_CHARS} (they are passed through "
                       "to the result row: drop the ones you do not need)")
    return record


def _body_error(detail: str, status: int = 400, slug: str = "malformed-json", **extra) -> ApiError:
    title = {400: "Malformed JSON", 413: "Article too large"}[status]
    return ApiError(status, title, detail, slug=slug, **extra)


def _too_large_error(s) -> ApiError:
    return ApiError(413, "Payload Too Large", f"the body is over the limit for a job of {s.max_job_bytes} bytes "
                    "(TOMTAT_MAX_JOB_BYTES); split the archive into several jobs", slug="job-too-large",
                    limit=s.max_job_bytes)


def _chunks(s, digest):
    """The request body in chunks of at most CHUNK bytes (the cached bytes if a hook read them already)."""
    cached = getattr(request, "_cached_data", None)
    stream = io.BytesIO(cached) if cached is not None else request.stream
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            yield chunk
    except RequestEntityTooLarge:  # a chunked body over TOMTAT_MAX_JOB_BYTES
        raise _too_large_error(s) from None
    except HTTPException as exc:  # the client went away mid-body (ClientDisconnected)
        raise ApiError(exc.code or 400, "Incomplete body", "the body ended before its announced length; send "
                       "it again", slug="incomplete-body") from None


def _jsonl(body: JobBody, s) -> None:
    """JSONL: one line at a time; a line over TOMTAT_MAX_JOB_ARTICLE_BYTES becomes an error row, unread."""
    cap = s.max_job_article_bytes
    pending = bytearray()
    line_no = 0
    skipping = False  # inside a line over the cap: drop bytes until its newline

    def emit(raw: bytes | None) -> None:
        nonlocal line_no
        line_no += 1
        if raw is None:
            record = bad(f"body:{line_no}", "too_large", f"line {line_no}: over {cap} bytes "
                         "(TOMTAT_MAX_JOB_ARTICLE_BYTES); the line was not read")
        else:
            record = parse_jsonl_line(raw, "body", line_no, s.max_chars)
            if record is None:
                return
        body.add(record, s.max_job_articles, f"line {line_no}")

    for chunk in _chunks(s, body.digest):
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if not skipping:
                pending += chunk[start:] if nl < 0 else chunk[start:nl]
                if len(pending) > cap:
                    pending.clear()
                    skipping = True
            if nl < 0:
                break
            if skipping:
                emit(None)
                skipping = False
            else:
                emit(bytes(pending))
                pending.clear()
            start = nl + 1
    if skipping:
        emit(None)
    elif pending:
        emit(bytes(pending))


class _JsonReader:
    """A JSON document decoded from the body a value at a time: only the value being read is in memory."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.buf = ""
        self.pos = 0
        self.offset = 0  # characters dropped from the front of buf
        self.eof = False

    def _fill(self, at_least: int = 1) -> bool:
        """Read at least ``at_least`` more characters (fewer at the end) → False at the end of the body."""
        added = 0
        while added < at_least and not self.eof:
            chunk = next(self.chunks, None)
            try:
                text = self.decoder.decode(chunk or b"", final=chunk is None)
            except UnicodeDecodeError as exc:
                raise _body_error(f"the body is not UTF-8 (byte 0x{exc.object[exc.start]:02x}); send the JSON "
                                  "encoded as UTF-8") from None
            if chunk is None:
                self.eof = True
            if self.pos > CHUNK:  # keep only what is not consumed yet
                self.offset += self.pos
                self.buf, self.pos = self.buf[self.pos:], 0
            self.buf += text
            added += len(text)
        return added > 0

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if char == "" or char not in chars:
            found = repr(char) if char else "the end of the body"
            raise _body_error(f"expected {what} at character {self.offset + self.pos}, found {found}")
        self.pos += 1
        return char

    def value(self, cap: int):
        """Decode the next value; _TooLarge once it is known to take more than ``cap`` characters."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 12 or exc.msg.startswith("Unterminated string")
                if not (incomplete and not self.eof):
                    raise _body_error(f"invalid JSON at character {self.offset + exc.pos}: {exc.msg}") from None
                self._grow(cap)
                continue
            except ValueError as exc:  # NaN, Infinity
                raise _body_error(f"invalid JSON at character {self.offset + self.pos}: {exc}") from None
            except RecursionError:
                raise _body_error(f"the value at character {self.offset + self.pos} is nested too deeply") from None
            if end == len(self.buf) and not self.eof:  # a number may go on in the next chunk
                self._grow(cap)
                continue
            if end - self.pos > cap:
                raise _TooLarge()
            self.pos = end
            return value

    def _grow(self, cap: int) -> None:
        pending = len(self.buf) - self.pos
        if pending > cap:
            raise _TooLarge()
        self._fill(max(pending, CHUNK))  # doubling: each value is decoded O(1) times over


def _json(body: JobBody, s) -> None:
    """A JSON array of articles, or an object with `articles` and options, one value at a time."""
    reader = _JsonReader(_chunks(s, body.digest))
    first = reader.peek()
    if first == "[":
        _array(reader, body, s)
    elif first == "{":
        reader.pos += 1
        fields = 0
        seen_articles = False
        while reader.peek() != "}":
            if fields:
                reader.expect(",", "',' or '}'")
            reader.expect('"', "a field name in double quotes")
            reader.pos -= 1
            try:
                key = reader.value(MAX_OPTION_BYTES)
            except _TooLarge:
                raise _body_error("a field name is over 64 KiB") from None
            reader.expect(":", "':'")
            fields += 1
            if key == "articles" and reader.peek() == "[":
                if seen_articles:
                    raise ApiError(422, "Invalid request", "`articles` appears twice in the body; send it once",
                                   slug="validation", errors=[{"field": "articles", "message": "given twice"}])
                seen_articles = True
                _array(reader, body, s)
                continue
            if key in body.options:  # as for any other JSON body (service/http.py): one value per key
                raise _body_error(f"the key {key[:64]!r} appears twice in one object; send each key once")
            cap = MAX_GLOSSARY_BYTES if key == "glossary" else MAX_OPTION_BYTES
            try:
                body.options[key] = reader.value(cap)
            except _TooLarge:
                raise ApiError(422, "Invalid request", f"the value of `{key}` is over {cap} bytes",
                               slug="validation", errors=[{"field": key, "message": "too large"}]) from None
        reader.pos += 1
        if not seen_articles:
            raise _not_articles()
        body.options.pop("articles", None)
    elif first == "":
        raise _body_error("the body is empty; send a JSON array of articles")
    else:
        try:
            reader.value(MAX_OPTION_BYTES)
        except _TooLarge:
            pass
        raise _not_articles()
    if reader.peek() != "":
        raise _body_error(f"extra data after the JSON value at character {reader.offset + reader.pos}; send one "
                          "JSON document (or JSONL with 'Content-Type: application/x-ndjson')")


def _not_articles() -> ApiError:
    return ApiError(422, "Invalid request", "the body must be a JSON array of articles, an object with "
                    "`articles`, or JSONL", slug="validation",
                    errors=[{"field": "body", "message": "expected an array"}])


def _array(reader: _JsonReader, body: JobBody, s) -> None:
    reader.expect("[", "'['")
    cap = s.max_job_article_bytes
    i = 0
    while reader.peek() != "]":
        if i:
            reader.expect(",", "',' or ']'")
        try:
            value = reader.value(cap)
        except _TooLarge:
            raise _body_error(f"articles[{i}] is over {cap} bytes (TOMTAT_MAX_JOB_ARTICLE_BYTES); shorten it or "
                              "send it on its own", 413, "article-too-large", limit=cap) from None
        body.add(record_from_mapping(value, f"body:{i + 1}", s.max_chars, f"articles[{i}]"), s.max_job_articles,
                 f"articles[{i}]")
        i += 1
    reader.pos += 1


def read_job_body() -> JobBody:
    """This request's job body, read once (the character quota asks first, the route next)."""
    cached = g.get("tomtat_job_body")
    if cached is None:
        try:
            cached = _read_job_body()
        except ApiError as exc:
            cached = exc
        g.tomtat_job_body = cached
    if isinstance(cached, ApiError):
        raise cached
    return cached


def _read_job_body() -> JobBody:
    s = settings()
    if request.content_length is not None and request.content_length > s.max_job_bytes:
        raise ApiError(413, "Payload Too Large", f"the body has {request.content_length} bytes; the limit for a job "
                       f"is {s.max_job_bytes} (TOMTAT_MAX_JOB_BYTES); split the archive into several jobs",
                       slug="job-too-large", limit=s.max_job_bytes)
    mimetype = request.mimetype
    if mimetype not in JSONL_TYPES and mimetype != "application/json":
        raise ApiError(415, "Unsupported Media Type",
                       "send a JSON array of articles (application/json) or JSONL (application/x-ndjson)")
    body = JobBody()
    (_jsonl if mimetype in JSONL_TYPES else _json)(body, s)
    if not body.items:
        raise ApiError(422, "Invalid request", "the job has no articles", slug="validation",
                       errors=[{"field": "body", "message": "send at least one article"}])
    return body


def job_body_chars() -> int:
    """Characters a job POST stores (the character quota's cost); 0 when the body is refused anyway."""
    try:
        return read_job_body().chars
    except ApiError:
        return 0


def is_job_post() -> bool:
    return request.method == "POST" and request.endpoint == "jobs.create_job"


def _job_body(job: dict) -> dict:
    job_id = job["job_id"]
    return job | {"options": _shown_options(job["options"]),
                  "links": {"self": url_for("jobs.get_job", job_id=job_id),
                            "results": url_for("jobs.results", job_id=job_id)}}


def _shown_options(options: dict) -> dict:
    """A job's options as its status shows them: its glossary by languages and size, not its terms (the job
    keeps and uses them; a status polled every second must not carry thousands of terms each time)."""
    glossary = options.get("glossary")
    if not glossary:
        return options
    return options | {"glossary": {"source": glossary.get("source"), "target": glossary.get("target"),
                                   "size": len(glossary.get("entries") or {})}}


@bp.post("")
def create_job():
    body = read_job_body()
    options = _options(body.options | _query_options())
    key = idempotency_key()
    digest = None
    if key:  # store.request_hash(body, options), from the digest of the body as it streamed by
        hashed = body.digest.copy()
        hashed.update(b"\0" + json.dumps(options.to_dict(), sort_keys=True).encode() + b"\0")
        digest = hashed.hexdigest()
    workers = _workers()
    owner = tenant()
    try:
        job_id, created = workers.store.create_job(body.items, options.to_dict(), tenant=owner,
                                                   idempotency_key=key, req_hash=digest)
    except IdempotencyConflict as exc:
        raise key_reused(exc.job_id) from None
    body.items.clear()
    job = workers.store.get_job(job_id, owner)
    workers.notify()
    return accepted(_job_body(job), url_for("jobs.get_job", job_id=job_id), not created)


def _job_or_404(job_id: str) -> dict:
    """The caller's job; another tenant's job is "not found", the same answer as a job that never existed."""
    job = _workers().store.get_job(job_id, tenant())
    if job is None:
        raise ApiError(404, "Job not found", f"there is no job {job_id!r} for this API key (jobs are kept "
                       f"{_retention_text()} after they finish)", slug="job-not-found")
    return job


def _retention_text() -> str:
    seconds = settings().job_retention
    if seconds <= 0:
        return "until deleted"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} seconds"


@bp.get("/<job_id>")
def get_job(job_id: str):
    return jsonify(_job_body(_job_or_404(job_id)))


@bp.delete("/<job_id>")
def cancel_job(job_id: str):
    _job_or_404(job_id)
    _workers().store.cancel_job(job_id, tenant())
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


# -- OpenAPI -------------------------------------------------------------------------------------------

_OBJECT = {"type": "object"}
# JobOptions' fields plus `articles` in one object (an allOf with JobOptions, which forbids unknown
# fields, could never be satisfied)
options = JobOptions.model_json_schema(ref_template=REF)
body = {"type": "object", "required": ["articles"], "additionalProperties": False,
        "properties": options.get("properties", {}) | {
            "articles": {"type": "array", "minItems": 1, "description": "Articles: `{id, title, text, format}`.",
                         "items": {"type": "object", "required": ["text"], "properties": {
                             "id": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
                             "text": {"type": "string"},
                             "format": {"type": "string", "enum": ["auto", "text", "html"]}}}}}}
operation("POST", "/v1/jobs", "Submit a batch job", tag="jobs",
         description="A JSON object with `articles` (or a JSONL body, options as query parameters). Answers "
                     "202 with `job_id` and `Location`; `Idempotency-Key` makes a retry return the same job.",
         body_schema=body, models=(JobOptions,),
         body_types=("application/json", "application/x-ndjson"),
         request_examples={"two": {"summary": "Hai bài báo", "value": {
             "articles": [{"id": "a1", "text": ARTICLE_EXAMPLE},
                          {"id": "a2", "text": "Người dân Q.3 đồng tình với kế hoạch mở rộng đường."}],
             "translate": "summary"}}},
         parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                      "schema": {"type": "string", "maxLength": 255}}],
         responses={202: (_OBJECT, "Accepted: the job and its links.")}, errors=API_ERRORS)
operation("GET", "/v1/jobs/<job_id>", "Job status and progress", tag="jobs",
         responses={200: (_OBJECT, "Status, counts, progress, timestamps.")}, errors=READ_ERRORS + (404,))
operation("DELETE", "/v1/jobs/<job_id>", "Cancel a job", tag="jobs",
         responses={200: (_OBJECT, "The cancelled job.")}, errors=READ_ERRORS + (404,))
operation("GET", "/v1/jobs/<job_id>/results", "Job results (JSONL pages)", tag="jobs",
         content_type="application/x-ndjson",
         parameters=[{"name": "cursor", "in": "query", "required": False, "schema": {"type": "integer"}},
                     {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}],
         responses={200: ({"type": "string"}, "One JSON row a line; `X-Next-Cursor` gives the next page.")},
         errors=READ_ERRORS + (404,))
