"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error a client can cause is answered with ``type``, ``title``,
``status``, a ``detail`` that says what was wrong and how to fix it, and, for
validation failures, per-field ``errors``. Nothing a client sends produces a
500 or a traceback; an unexpected server fault is a 500 problem without
internals, logged with the request id.
"""

from __future__ import annotations

import logging
import math
from urllib.parse import quote

from flask import Flask, Response, g, json, request
from pydantic import ValidationError
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from models.batcher import DeadlineExceeded, Overloaded
from models.errors import CapabilityUnavailable, InputError

from .db import SchemaTooNew

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://tomtat.dev/problems/"  # stable identifiers; documented in docs/API.md
PROBLEM_JSON = "application/problem+json"
# the 422 title of an InputError, by the field it names, else by its code (a glossary's `source` or `target`
# is a glossary's field; a form's `summarize` a request's), else it is about the text
INPUT_TITLES = {"file": "Unprocessable file", "glossary": "Invalid glossary", "entries": "Invalid glossary",
                "body": "Invalid request", "name": "Invalid request"}
CODE_TITLES = {"bad-glossary": "Invalid glossary", "glossary-direction": "Invalid glossary",
               "validation": "Invalid request"}


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str, *, slug: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug or title.lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"type": PROBLEM_BASE + self.slug, "title": self.title, "status": self.status, "detail": self.detail}
        if request:  # a URI reference: a NUL or a line break in the path is percent-encoded, as any non-ASCII
            body["instance"] = quote(request.path, safe="/!$&'()*+,;=:@~")
            request_id = g.get("request_id")
            if request_id:  # the same id as the X-Request-ID header and the log lines: quote it to the operator
                body["request_id"] = request_id
        if self.errors:
            body["errors"] = self.errors
        return body | self.extra


def problem_response(error: ApiError) -> Response:
    response = Response(json.dumps(error.to_dict(), ensure_ascii=False), status=error.status, mimetype=PROBLEM_JSON)
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


def validation_error(exc: ValidationError) -> ApiError:
    errors = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif err["type"] == "missing":
            message = "this field is required"
        errors.append({"field": loc, "message": message})
    fields = ", ".join(e["field"] for e in errors)
    return ApiError(422, "Invalid request", f"the request body has invalid fields: {fields}; see 'errors'",
                    slug="validation", errors=errors)


def unstorable(exc: DataError) -> ApiError:
    """The database refused a value of the request (a NUL in a string, a number out of range): the request's
    fault, a 422 (not an outage: no Retry-After, nothing logged as an error). Ingress refuses what it knows
    of first (service/http.py control_at); this is the backstop."""
    from .db import describe

    log.warning("database refused a value of %s %s: %s", request.method, request.path, describe(exc))
    return ApiError(422, "Invalid value", f"the database cannot store a value of this request ({describe(exc)}); "
                    "remove NUL and other control characters from its ids, names and keys, keep numbers in range, "
                    "and send it again", slug="invalid-value")


def retry_after_seconds(exc: Exception, default: float = 1.0) -> int:
    """Whole seconds for ``Retry-After`` from the exception's ``retry_after`` (seconds, float or None)."""
    value = getattr(exc, "retry_after", None)
    try:
        value = float(default if value is None else value)
    except (TypeError, ValueError):
        value = default
    if value != value or value in (float("inf"), float("-inf")):
        value = default
    return max(1, math.ceil(value))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return problem_response(exc)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return problem_response(validation_error(exc))

    @app.errorhandler(InputError)
    def _input(exc: InputError):
        title = INPUT_TITLES.get(exc.field.split("[", 1)[0]) or CODE_TITLES.get(exc.code, "Unprocessable text")
        return problem_response(ApiError(422, title, str(exc), slug=exc.code,
                                         errors=[{"field": exc.field, "message": str(exc)}], **exc.extra))

    @app.errorhandler(CapabilityUnavailable)
    def _unavailable(exc: CapabilityUnavailable):
        if isinstance(exc, (Overloaded, DeadlineExceeded)):  # saturated, not missing: retry soon
            retry = retry_after_seconds(exc)
            slug = "overloaded" if isinstance(exc, Overloaded) else "deadline-exceeded"
            return problem_response(ApiError(
                503, "Service overloaded", f"{exc.capability} is busy: {exc.reason}. To fix: {exc.how_to_fix}; "
                f"retry in {retry} s", slug=slug, capability=exc.capability, retry_after=retry,
                headers={"Retry-After": str(retry)},
            ))
        return problem_response(ApiError(
            503, "Capability unavailable", f"{exc.capability} has no model: {exc.reason}. To fix: {exc.how_to_fix}",
            slug="capability-unavailable", capability=exc.capability, headers={"Retry-After": "3600"},
        ))

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError):  # a last line of defence: service/http.py bounds JSON nesting first
        log.warning("recursion limit reached on %s %s", request.method, request.path)
        return problem_response(ApiError(400, "Input nested too deep",
                                         "the request nests values too deeply to process; flatten it", slug="too-deep"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        # the limit a route set for its body (jobs, documents: service/jobs.py), else TOMTAT_MAX_BODY_BYTES
        limit_name, fix = g.get("body_limit") or ("TOMTAT_MAX_BODY_BYTES", "send a shorter text or split it")
        details = {
            404: "no such route; see /openapi.json for the API",
            405: f"{request.method} is not allowed here; allowed: {', '.join(getattr(exc, 'valid_methods', None) or [])}",
            413: f"the request body is over the limit of {request.max_content_length} bytes ({limit_name}); {fix}",
        }
        detail = details.get(exc.code, exc.description or exc.name)
        if exc.code == 413 and request.content_length is not None and request.max_content_length is not None \
                and request.content_length <= request.max_content_length:
            # within the body's limit: werkzeug's form limits fired (one field over its memory cap, too many parts)
            detail = (f"a form field is over {request.max_form_memory_size} bytes or the form has more than "
                      f"{request.max_form_parts} parts; send less in one field (a glossary that large: store it "
                      "with PUT /v1/glossaries/NAME and send its name)")
        extra = {"limit": request.max_content_length} if exc.code == 413 else {}
        headers = {"Allow": ", ".join(exc.valid_methods)} if exc.code == 405 and getattr(exc, "valid_methods", None) \
            else None  # RFC 9110: a 405 says what is allowed
        title = getattr(exc, "problem_title", exc.name)  # service.http.MalformedBody names its own problem
        return problem_response(ApiError(exc.code or 500, title, detail, slug=getattr(exc, "problem_slug", None),
                                         headers=headers, **extra))

    @app.errorhandler(SchemaTooNew)
    def _schema_too_new(exc: Exception):  # the database was migrated by a newer release while this one runs
        log.error("database schema: %s", exc)
        return problem_response(ApiError(503, "Database schema too new", f"{exc}", slug="database-schema",
                                         headers={"Retry-After": "60"}, retry_after=60))

    @app.errorhandler(SQLAlchemyError)
    def _database_down(exc: SQLAlchemyError):  # outside the job routes: the API key check (service/auth.py)
        from .db import describe, redact

        if isinstance(exc, DataError):  # a value the database refuses: the request's fault, not an outage
            return problem_response(unstorable(exc))
        log.error("database failure on %s %s: %s", request.method, request.path, describe(exc))
        return problem_response(ApiError(
            503, "Database unavailable",
            f"the service's database ({redact(app.extensions['tomtat.settings'].database)}) cannot be used: "
            f"{describe(exc)}. API keys cannot be checked until it answers again (the service reconnects by "
            "itself); retry shortly", slug="database-unavailable", headers={"Retry-After": "10"}, retry_after=10))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(ApiError(500, "Internal Server Error",
                                         "the server failed while handling this request; it has been logged",
                                         slug="internal"))
