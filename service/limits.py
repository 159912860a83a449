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
Both count in fixed windows, all or nothing (``AllOrNothingWindow``): a request is
counted only if every limit it falls under has room for its cost, so a refused
request costs nothing, in Redis (one Lua script: replicas cannot both pass on the
same room) and in memory alike. A breach is a 429 problem with ``Retry-After``
(the same seconds as its ``retry_after`` and detail). ``GET /v1/limits`` reports
every size limit and the caller's rate and quota.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from functools import lru_cache

from flask import Blueprint, Flask, current_app, g, has_app_context, jsonify, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import STRATEGIES, FixedWindowRateLimiter
from werkzeug.exceptions import HTTPException

from models.text import characters

from .auth import protected
from .config import Settings, check_limit
from .errors import ApiError, problem_response
from .http import FORM_TYPES, JSONL_TYPES
from .http import settings as current_settings

log = logging.getLogger(__name__)
bp = Blueprint("limits", __name__, url_prefix="/v1")
TEXT_KEYS = {"text", "texts", "title", "articles", "q"}
# the size limits a client can run into, each reported in its 413 problem and by GET /v1/limits
SIZE_LIMITS = ("max_body_bytes", "max_chars", "max_texts", "max_job_articles", "max_job_bytes",
               "max_job_article_bytes", "max_document_bytes", "max_new_tokens", "max_beams")


def _client() -> str:
    return g.get("client") or f"ip:{request.remote_addr or 'unknown'}"


@lru_cache(maxsize=1024)
def _key_limit_usable(text: str) -> bool:
    """Whether a key's own limit, as stored, is one Flask-Limiter can count (``tomtat keys create`` checks it;
    a row written otherwise may not be)."""
    try:
        check_limit(text, "limit", "60/minute")
        return True
    except ValueError:
        return False


def _key_limit(key, own: str | None, default: str, what: str) -> str:
    if own and not _key_limit_usable(own):
        # never "no limit" (Flask-Limiter would swallow the parse error on every request): the default applies
        log.error("API key %s has an unusable %s %r; applying the default %r instead", key.prefix, what, own, default)
        return default
    return own or default


def request_rate(settings: Settings) -> str:
    key = g.get("api_key")
    if key is not None:
        return _key_limit(key, key.rate_limit, settings.rate_limit, "rate")
    return "" if settings.auth else settings.anon_rate_limit or ""


def char_quota(settings: Settings) -> str:
    key = g.get("api_key")
    if key is not None:
        return _key_limit(key, key.char_quota, settings.char_quota, "character quota")
    return "" if settings.auth else settings.anon_char_quota or ""


def _count(value) -> int:
    if isinstance(value, str):
        return characters(value)
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


# Redis: count ``cost`` only if it fits under the limit, in one step (no replica sees room another took)
ACQUIRE = """
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if current + cost > limit then
    return 0
end
current = redis.call('incrby', KEYS[1], cost)
if current == cost or redis.call('ttl', KEYS[1]) == -1 then
    redis.call('expire', KEYS[1], ARGV[1])
end
return 1
"""
# give back what a request counted before another of its limits refused it (an expired window is left alone)
RELEASE = """
if redis.call('exists', KEYS[1]) == 0 then
    return 0
end
local left = redis.call('decrby', KEYS[1], tonumber(ARGV[1]))
if left <= 0 then
    redis.call('del', KEYS[1])
end
return 1
"""


class AllOrNothingWindow(FixedWindowRateLimiter):
    """Flask-Limiter's fixed window, all or nothing.

    ``hit`` counts ``cost`` only when it fits: a request refused for a 1,000-character cost with 500 left
    leaves the 500 (the library's fixed window counts first and compares after, so a refusal spent the
    quota). In Redis one Lua script checks and counts; in memory one lock per limiter does. And a request is
    counted under all its limits or none: the hits of this request that passed before one refused (its
    request rate before its character quota, or the other way round) are given back at that refusal.
    """

    NAME = "tomtat-all-or-nothing"

    def __init__(self, storage: Storage):
        super().__init__(storage)
        self._lock = threading.Lock()
        self._acquire = self._release = None
        if isinstance(storage, RedisStorage):  # and its cluster and sentinel kinds
            connection = storage.get_connection()
            self._acquire = connection.register_script(ACQUIRE)  # EVALSHA; loaded on first use
            self._release = connection.register_script(RELEASE)

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key = item.key_for(*identifiers)
        counted = cost <= item.amount and self._count(key, item, cost)
        charges = g.setdefault("tomtat_limit_charges", []) if has_app_context() else None
        if counted and charges is not None and cost > 0:
            charges.append((self, key, cost))
        elif not counted and charges:
            while charges:  # this request is refused: what it counted under its other limits is given back
                limiter, counted_key, counted_cost = charges.pop()
                limiter.give_back(counted_key, counted_cost)
        return counted

    def _count(self, key: str, item: RateLimitItem, cost: int) -> bool:
        storage = self.storage
        if self._acquire is not None:
            return bool(self._acquire([storage.prefixed_key(key)], [item.get_expiry(), item.amount, cost]))
        with self._lock:  # memory (and any other storage): check and count in one step for this process
            if storage.get(key) + cost > item.amount:
                return False
            if storage.incr(key, item.get_expiry(), amount=cost) <= item.amount:
                return True
        self.give_back(key, cost)  # a storage shared with other processes (memcached…) gave the room away
        return False

    def seconds_left(self, key: str) -> float:
        """Seconds until ``key``'s window ends (0: none is running): to the millisecond in Redis (PTTL), where
        the window Flask-Limiter reports is TTL's whole seconds plus one."""
        if self._acquire is not None:
            return max(self.storage.get_connection(True).pttl(self.storage.prefixed_key(key)), 0) / 1000
        return max(self.storage.get_expiry(key) - time.time(), 0.0)

    def give_back(self, key: str, cost: int) -> None:
        """Uncount ``cost`` from ``key``'s window; a window left at nothing is removed, as if it never began."""
        storage = self.storage
        try:
            if self._release is not None:
                self._release([storage.prefixed_key(key)], [cost])
                return
            with self._lock:
                if storage.get(key) <= cost:
                    storage.clear(key)
                elif isinstance(storage, MemoryStorage):
                    storage.decr(key, cost)
                else:
                    storage.incr(key, 0, amount=-cost)
        except Exception:  # noqa: BLE001 - storage gone meanwhile: the count stays (never more than admitted)
            log.warning("could not give back %s of %s to the limits storage", cost, key, exc_info=True)


STRATEGIES.setdefault(AllOrNothingWindow.NAME, AllOrNothingWindow)  # Flask-Limiter builds both limiters by name


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
        # one strategy for memory://, Redis and the in-memory fallback while Redis is away, which therefore
        # count alike (a moving window in memory also kept one list entry per character of a quota: 18 MB
        # for one client's 2,000,000 a day)
        strategy=AllOrNothingWindow.NAME,
        headers_enabled=True,
        fail_on_first_breach=True,  # no limit is counted after a refusal (the ones before are given back)
        swallow_errors=True,  # a storage outage while the fallback serves; a bad limit is refused at load
        in_memory_fallback_enabled=True,
        application_limits=[
            ApplicationLimit(lambda: request_rate(settings), scope="requests", exempt_when=exempt),
            ApplicationLimit(lambda: char_quota(settings), scope="chars", cost=text_chars,
                             exempt_when=lambda: exempt() or request.method != "POST" or text_chars() == 0),
        ],
    )

    @app.after_request  # registered before Flask-Limiter's hook, so it runs after it
    def _one_retry_after(response):
        # Flask-Limiter rewrites Retry-After from the window, rounded down; the 429 says the seconds it computed
        retry = g.get("tomtat_retry_after")
        if retry is not None and response.status_code == 429:
            response.headers["Retry-After"] = str(retry)
        return response

    limiter.init_app(app)
    app.extensions["tomtat.limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        return problem_response(rate_limit_problem(limiter, exc))

    app.register_blueprint(bp)
    return limiter


def _window_name(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return f"this {unit}" if item.multiples == 1 else f"this {item.multiples}-{unit} window"


def rate_limit_problem(limiter: Limiter, exc: RateLimitExceeded) -> ApiError:
    item = exc.limit.limit
    scope = exc.limit.scope if isinstance(exc.limit.scope, str) else "requests"
    current = limiter.current_limit
    wait, left = float(item.get_expiry()), None
    try:
        if current is not None:
            left = current.remaining
            strategy = current.limiter  # Redis's, or the in-memory fallback's while Redis is away
            wait = strategy.seconds_left(current.key) if isinstance(strategy, AllOrNothingWindow) else \
                current.window[0] - time.time()
    except Exception:  # noqa: BLE001 - the storage went away since it refused: a whole window then
        pass
    retry = g.tomtat_retry_after = max(1, math.ceil(wait))  # computed once: header, field and detail
    who = f"the API key {g.api_key.prefix}" if g.get("api_key") is not None else "this client address"
    metrics = current_app.extensions.get("tomtat.metrics")
    if metrics:
        metrics.rate_limited.labels(scope).inc()
    headers = {"Retry-After": str(retry)}
    if scope == "chars":
        sent = text_chars()
        extra = {"remaining": left} if left is not None else {}
        if sent > item.amount:
            detail = (f"this request sends {sent} characters, more than the whole quota of {item} for {who}; "
                      "split the text or ask the operator for a larger quota")
        else:
            room = f"{left} of {item.amount} are left in {_window_name(item)}" if left is not None else \
                "fewer are left in this window"
            detail = (f"the character quota of {item} for {who} is short: this request needs {sent} characters; "
                      f"{room}; retry in {retry} s" + (" or send less" if left else ""))
        return ApiError(429, "Character quota exceeded", detail, slug="quota-exceeded", headers=headers,
                        limit=str(item), retry_after=retry, chars=sent, **extra)
    return ApiError(429, "Too Many Requests", f"the rate limit of {item} for {who} is reached; retry in {retry} s",
                    slug="rate-limited", headers=headers, limit=str(item), retry_after=retry)


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
