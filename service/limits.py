"""Request rates and character quotas on the ``/v1`` routes and LibreTranslate's
``/translate`` and ``/detect``, with Flask-Limiter.

Two limits, both counted per client (``g.client``: the API key, or the client
address when keys are off):

- ``requests``: every call costs 1 (a key's own rate, else
  TOMTAT_RATE_LIMIT; TOMTAT_ANON_RATE_LIMIT when keys are off);
- ``chars``: every POST costs the characters of text it sends (a key's own
  quota, else TOMTAT_CHAR_QUOTA; TOMTAT_ANON_CHAR_QUOTA when keys are off).

Counters live in TOMTAT_LIMITS_STORAGE: ``memory://`` for one process, a Redis
URI to share them between replicas (falls back to memory if Redis goes away).
A breach is a 429 problem with ``Retry-After``. ``GET /v1/limits`` reports every
size limit and the caller's rate and quota.
"""

from __future__ import annotations

import json
import math
import time

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many
from werkzeug.exceptions import HTTPException

from .auth import protected
from .config import Settings
from .errors import ApiError, problem_response
from .http import FORM_TYPES, JSONL_TYPES
from .http import settings as current_settings

bp = Blueprint("limits", __name__, url_prefix="/v1")
TEXT_KEYS = {"text", "texts", "title", "articles", "q"}
# the size limits a client can run into, each reported in its 413 problem and by GET /v1/limits
SIZE_LIMITS = ("max_body_bytes", "max_chars", "max_texts", "max_job_articles", "max_job_bytes",
               "max_job_article_bytes", "max_document_bytes", "max_new_tokens", "max_beams")


def _client() -> str:
    return g.get("client") or f"ip:{request.remote_addr or 'unknown'}"


def request_rate(settings: Settings) -> str:
    key = g.get("api_key")
    if key is not None:
        return key.rate_limit or settings.rate_limit
    return "" if settings.auth else settings.anon_rate_limit or ""


def char_quota(settings: Settings) -> str:
    key = g.get("api_key")
    if key is not None:
        return key.char_quota or settings.char_quota
    return "" if settings.auth else settings.anon_char_quota or ""


def _count(value) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    if isinstance(value, dict):
        return sum(_count(v) for k, v in value.items() if k in TEXT_KEYS or isinstance(v, (list, dict)))
    return 0


def text_chars() -> int:
    """Characters of text in this request's body (text, texts, title, LibreTranslate's q): JSON or a form;
    a document (POST /v1/documents, /translate_file) costs the characters of its text.
    A job (POST /v1/jobs) costs every character it stores: each article's id, text, title and extra fields,
    counted while its body is read (``service.job_body.read_job_body``), not parsed again here."""
    if "tomtat_chars" not in g:
        g.tomtat_chars = 0
        try:
            from .job_body import is_job_post, job_body_chars

            from .documents import DOCUMENT_ENDPOINTS, upload_chars

            if is_job_post():  # a job is counted as it is read, by what it stores (every id and extra field)
                g.tomtat_chars = job_body_chars()
            elif request.endpoint in DOCUMENT_ENDPOINTS:  # a file costs the characters of its text
                g.tomtat_chars = upload_chars()
            elif request.method == "POST" and request.is_json:
                data = request.get_json(silent=True)
                g.tomtat_chars = _count(data) if isinstance(data, (dict, list)) else 0
            elif request.method == "POST" and request.mimetype in JSONL_TYPES:
                g.tomtat_chars = sum(_count(_json_line(line)) for line in request.get_data().splitlines())
            elif request.method == "POST" and request.mimetype in FORM_TYPES:  # LibreTranslate's form bodies
                g.tomtat_chars = _count(request.form.to_dict())
        except HTTPException:  # over the body limit: the route answers 413 itself
            pass
    return g.tomtat_chars


def _json_line(line: bytes):
    try:
        return json.loads(line)
    except ValueError:  # a bad row becomes an error row of the job; it carries no quota
        return None


def _describe(limit_text: str) -> str:
    return "; ".join(str(item) for item in parse_many(limit_text)) if limit_text else "none"


def init_app(app: Flask, settings: Settings) -> Limiter:
    def exempt() -> bool:
        # what needs a key is what is counted; a CORS preflight needs none and is not counted either
        return request.method == "OPTIONS" or not protected(request.path)

    shared = app.extensions.get("tomtat.redis")
    same_server = settings.limits_uri.startswith(("redis://", "rediss://")) and \
        settings.limits_uri == (settings.redis_url or settings.limits_uri)
    limiter = Limiter(
        _client,
        storage_uri=settings.limits_uri,
        # counting on the app's Redis: through its connections (one pool per process, not one per use)
        storage_options={"connection_pool": shared.connection_pool} if shared is not None and same_server else {},
        key_prefix=settings.limits_prefix,
        strategy="moving-window" if settings.limits_uri.startswith("memory") else "fixed-window",
        headers_enabled=True,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        application_limits=[
            ApplicationLimit(lambda: request_rate(settings), scope="requests", exempt_when=exempt),
            ApplicationLimit(lambda: char_quota(settings), scope="chars", cost=text_chars,
                             exempt_when=lambda: exempt() or request.method != "POST" or text_chars() == 0),
        ],
    )
    limiter.init_app(app)
    app.extensions["tomtat.limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        return problem_response(rate_limit_problem(limiter, exc))

    app.register_blueprint(bp)
    return limiter


def rate_limit_problem(limiter: Limiter, exc: RateLimitExceeded) -> ApiError:
    item = exc.limit.limit
    scope = exc.limit.scope if isinstance(exc.limit.scope, str) else "requests"
    current = limiter.current_limit
    reset_at = current.reset_at if current is not None else time.time() + item.get_expiry()
    retry = max(1, math.ceil(reset_at - time.time()))
    who = f"the API key {g.api_key.prefix}" if g.get("api_key") is not None else "this client address"
    metrics = current_app.extensions.get("tomtat.metrics")
    if metrics:
        metrics.rate_limited.labels(scope).inc()
    if scope == "chars":
        sent = text_chars()
        if sent > item.amount:
            detail = (f"this request sends {sent} characters, more than the whole quota of {item} for {who}; "
                      "split the text or ask the operator for a larger quota")
        else:
            detail = (f"the character quota of {item} for {who} is used up; this request sends {sent} characters. "
                      f"Retry in {retry} s")
        return ApiError(429, "Character quota exceeded", detail, slug="quota-exceeded",
                        headers={"Retry-After": str(retry)}, limit=str(item), retry_after=retry, chars=sent)
    return ApiError(429, "Too Many Requests", f"the rate limit of {item} for {who} is reached; retry in {retry} s",
                    slug="rate-limited", headers={"Retry-After": str(retry)}, limit=str(item), retry_after=retry)


@bp.get("/limits")
def limits_report():
    """The server's size limits and the caller's rate and quota (with what is left)."""
    s = current_settings()
    limiter: Limiter = current_app.extensions["tomtat.limiter"]
    sizes = {name: getattr(s, name) for name in SIZE_LIMITS if hasattr(s, name)}
    body = {"auth": s.auth, "limits": sizes, "client": {"key": g.api_key.prefix if g.get("api_key") else None}}
    for scope, text in (("rate", request_rate(s)), ("char_quota", char_quota(s))):
        entries = []
        for item in (parse_many(text) if text else []):
            entry = {"limit": str(item), "amount": item.amount}
            try:
                reset, remaining = limiter.limiter.get_window_stats(
                    item, s.limits_prefix, _client(), "requests" if scope == "rate" else "chars")
                entry |= {"remaining": remaining, "reset_at": int(reset)}
            except Exception:  # noqa: BLE001 - storage down: report the limit without the counters
                pass
            entries.append(entry)
        body["client"][scope] = entries
    return jsonify(body)
