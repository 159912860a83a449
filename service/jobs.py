"""Durable async batch jobs over HTTP: ``/v1/jobs``.

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
``models.pipeline.process_article`` through ``service.batch.process_record``. The workers are in
``service/workers.py``, the streaming reader of a job's body in ``service/job_body.py``; this module holds
the blueprint, its routes and their OpenAPI entries, and ``init_app``, which installs them and the workers.

Workers start with an app that loads its own models (``tomtat serve``, ``service.wsgi``), which resumes
unfinished jobs at once after a restart; an app built around a given runtime (tests, embedding) starts
them on its first ``/v1/jobs`` request or ``start_workers(app)``. ``shutdown(app)`` stops them (also
registered at exit).
"""

from __future__ import annotations

import atexit
import json
import logging
from typing import Literal

from flask import Blueprint, Flask, Response, g, jsonify, request, url_for
from pydantic import Field
from sqlalchemy.exc import DataError, SQLAlchemyError

from .batch.runner import ArticleOptions
from .errors import ApiError, problem_response, unstorable
from .http import JOBS_EXTENSION, accepted, idempotency_key, job_workers as _workers, key_reused, runtime, settings
from .job_body import read_job_body
from .openapi import API_ERRORS, ARTICLE_EXAMPLE, READ_ERRORS, REF, operation
from .priority import Priority
from . import documents
from .glossaries import check_direction, resolve
from .schemas import Generation, Request, SummarySpec, glossary_field
from .auth import tenant
from .db import describe, redact
from .store import IdempotencyConflict
from .workers import JobWorkers, shutdown, start_workers

# what callers and tests take from here: jobs.start_workers(app), jobs.shutdown(app)
__all__ = ["JobOptions", "bp", "init_app", "shutdown", "start_workers"]

log = logging.getLogger(__name__)

bp = Blueprint("jobs", __name__, url_prefix="/v1/jobs")


@bp.errorhandler(SQLAlchemyError)
def _store_failed(exc: SQLAlchemyError):
    """The job store cannot be read or written (database down, disk full, read-only, corrupt): the job routes
    answer 503 and say why; nothing half-written is kept (every write is one transaction), and the interactive
    routes go on. The pool reconnects by itself once the database answers again. A value the database refuses
    (DataError: a NUL in a string…) is the request's fault: 422, not an outage."""
    if isinstance(exc, DataError):
        return problem_response(unstorable(exc))
    log.error("job store failure on %s %s: %s", request.method, request.path, describe(exc))
    return problem_response(ApiError(
        503, "Job store unavailable",
        f"the job store ({redact(settings().database)}) cannot be used: {describe(exc)}. Jobs are paused; "
        "/v1/summarize, /v1/translate and /v1/articles keep working. Check that the database server is running "
        "(or free disk space / fix the SQLite file's permissions), then retry",
        slug="job-store-unavailable", headers={"Retry-After": "30"}, retry_after=30))


MAX_PAGE = 10_000


class JobOptions(Request):
    translate: Literal["none", "summary", "full", "both"] = Field(
        "summary", description="English for the summary, the full article, both, or none.")
    summary: SummarySpec = Field(default_factory=SummarySpec)
    translation: Generation = Field(default_factory=Generation)
    glossary: dict[str, str] | str | None = glossary_field()


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
            g.body_limit = ("TOMTAT_MAX_JOB_BYTES", "split the archive into several jobs")  # the 413's words

    app.before_request_funcs.setdefault(None, []).insert(0, _job_body_limit)
    app.register_blueprint(documents.bp)  # document translation runs as jobs
    app.before_request_funcs[None].insert(0, documents.body_limit)
    workers = JobWorkers(app, priority)
    app.extensions[JOBS_EXTENSION] = workers
    atexit.register(workers.shutdown, 10.0)
    if start_workers:
        workers.start()


@bp.before_request
def _lazy_start():
    _workers().start()


# -- routes --------------------------------------------------------------------------------------------

def _query_value(value: str):
    """A query string carries strings; the job options are typed: a plain ASCII integer is one."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else value


# the job options a query string may carry (a JSONL body has no room for them): name -> the model that
# defines it (its schema, bounds included, is the OpenAPI parameter's: one definition)
QUERY_OPTIONS = {"translate": JobOptions, "glossary": JobOptions, "method": SummarySpec, "max_sentences": SummarySpec,
                 "max_words": SummarySpec, "on_unfaithful": SummarySpec, "max_new_tokens": Generation,
                 "num_beams": Generation}


def _query_schema(name: str) -> dict:
    if name == "glossary":  # inline terms travel in a JSON body; a query names a stored glossary
        return {"type": "string", "description": "The name of a stored glossary (`/v1/glossaries`)."}
    prop = dict(QUERY_OPTIONS[name].model_json_schema()["properties"][name])
    prop.pop("title", None)
    if prop.get("default") is None:  # "no value": the server's own (an integer parameter has no null)
        prop.pop("default", None)
    choices = [c for c in prop.pop("anyOf", []) if c.get("type") != "null"]
    return (choices[0] if choices else {}) | prop


def _query_options() -> dict:
    unknown = sorted(set(request.args) - set(QUERY_OPTIONS))
    if unknown:  # a misspelt option ("translte=none") must not go unnoticed, as an unknown body field does not
        raise ApiError(422, "Invalid request", f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
                       f"{', '.join(map(repr, unknown))}; a job takes {', '.join(QUERY_OPTIONS)}",
                       slug="validation", errors=[{"field": name, "message": "unknown query parameter"}
                                                  for name in unknown])
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
    glossary = resolve(opts.glossary) if opts.translate != "none" else None
    check_direction(glossary, "vi", "en")  # a job's articles are translated vi→en: 422 now, not failed items
    options = ArticleOptions(summary=summary_options(opts.summary, "summary."), translate=opts.translate,
                             translation=generation(opts.translation, "translation."), glossary=glossary)
    options.check(runtime())  # 503 now, not a job of failed items, when a model is missing
    return options


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
    query = _query_options()  # a misspelt option is refused before the archive is read
    body = read_job_body()
    options = _options(body.options | query)
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
         body_type_schemas={"application/x-ndjson": {
             "type": "string", "description": "One article a line: `{\"id\", \"title\", \"text\", \"format\"}` as "
                                              "JSON; options as query parameters."}},
         request_examples={"two": {"summary": "Hai bài báo", "value": {
             "articles": [{"id": "a1", "text": ARTICLE_EXAMPLE},
                          {"id": "a2", "text": "Người dân Q.3 đồng tình với kế hoạch mở rộng đường."}],
             "translate": "summary"}}},
         parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                      "schema": {"type": "string", "maxLength": 255}}] +
                    [{"name": name, "in": "query", "required": False, "schema": _query_schema(name),
                      "description": "A job option (for JSONL bodies); an unknown query parameter is a 422."}
                     for name in QUERY_OPTIONS],
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
         errors=READ_ERRORS + (404, 422), error_descriptions={422: "`cursor` or `limit` is not an integer in range."})
