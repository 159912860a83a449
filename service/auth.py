"""API-key authentication of the ``/v1`` routes and of the LibreTranslate-compatible
``/translate`` and ``/detect`` (off unless ``TOMTAT_AUTH=1``).

A key is sent as ``Authorization: Bearer tt_…`` or ``X-API-Key: tt_…``; on the
LibreTranslate routes also as the ``api_key`` field of the body, as its clients do.
No key or an unknown one: 401; a revoked key: 403 (the LibreTranslate blueprint
turns these into the statuses its clients expect). The page, the docs, the spec,
the probes and ``/metrics`` (which has its own token) stay open. Every request gets
a client identity in ``g.client`` (``key:<id>`` or ``ip:<address>``) that the
rate limits count by. A client address that sends more than FAILED_KEY_LIMIT wrong
keys gets 429 (with ``Retry-After``) until its window passes; a CORS preflight
(``OPTIONS``) needs no key.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, g, request
from limits import parse as parse_limit
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from .config import Settings
from .errors import ApiError
from .keys import ApiKey, KeyStore
from .store import ANONYMOUS

log = logging.getLogger(__name__)

# LibreTranslate's own server checks keys on /translate, /detect and /translate_file, not on /languages, its
# settings or /download_file (whose link is the capability)
LIBRETRANSLATE_PATHS = ("/translate", "/detect", "/translate_file")


def protected(path: str) -> bool:
    """Whether a request to ``path`` needs a key (when keys are on) and counts towards the limits."""
    return path.startswith("/v1/") or path in LIBRETRANSLATE_PATHS


def tenant() -> str:
    """Who owns this request's jobs and cached results: its API key, or the one anonymous tenant when keys
    are off."""
    key = g.get("api_key")
    return f"key:{key.id}" if key is not None else ANONYMOUS


def keystore(app: Flask | None = None) -> KeyStore:
    app = app or current_app
    return app.extensions["tomtat.keys"]


def presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    header = request.headers.get("X-API-Key", "").strip()
    if header or request.path not in LIBRETRANSLATE_PATHS:
        return header or None
    fields = request.get_json(silent=True) if request.is_json else request.form
    value = fields.get("api_key") if hasattr(fields, "get") else None  # a JSON array has no fields
    return value.strip() if isinstance(value, str) and value.strip() else None


def client_address() -> str:
    return request.remote_addr or "unknown"


def current_key() -> ApiKey | None:
    return g.get("api_key")


# failed key checks per client address: a client guessing keys gets 429 before its next key is even checked
FAILED_KEY_LIMIT = "20/minute"


class FailedKeyAttempts:
    """Counts wrong (unknown or revoked) keys per client in TOMTAT_LIMITS_STORAGE, as the rate limits do
    (a Redis URI shares the count between replicas); if that storage fails, a process-local count."""

    def __init__(self, settings: Settings, limit: str = FAILED_KEY_LIMIT):
        self.item = parse_limit(limit)
        self.prefix = f"{settings.limits_prefix}-failed-keys"
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.shared = None
        if not settings.limits_uri.startswith("memory"):
            try:
                self.shared = FixedWindowRateLimiter(storage_from_string(settings.limits_uri))
            except Exception:  # noqa: BLE001 - a bad or unreachable storage: count in memory
                log.warning("failed-key counter: storage %s unusable, counting in memory", settings.limits_uri)

    def _call(self, method: str, *args):
        if self.shared is not None:
            try:
                return getattr(self.shared, method)(self.item, self.prefix, *args)
            except Exception:  # noqa: BLE001 - storage went away: fall back to this process's count
                log.debug("failed-key counter storage failed", exc_info=True)
        return getattr(self.memory, method)(self.item, self.prefix, *args)

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try a key again, or None when it may now."""
        if self._call("test", client):
            return None
        reset, _ = self._call("get_window_stats", client)
        return max(1, math.ceil(reset - time.time()))

    def record(self, client: str) -> None:
        self._call("hit", client)


def _challenge(detail: str, slug: str) -> ApiError:
    return ApiError(401, "Unauthorized", detail, slug=slug,
                    headers={"WWW-Authenticate": 'Bearer realm="tomtat"'})


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["tomtat.keys"] = KeyStore(settings.database)
    if settings.trusted_proxies > 0:  # client addresses (rate limits, logs) from X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    failures = app.extensions["tomtat.failed_keys"] = FailedKeyAttempts(settings)

    @app.before_request
    def _authenticate():
        g.client = f"ip:{client_address()}"
        # a CORS preflight carries no key (browsers never send one with it): it is answered, not checked
        if not settings.auth or not protected(request.path) or request.method == "OPTIONS":
            return None
        token = presented_key()
        metrics = app.extensions.get("tomtat.metrics")
        if token is None:
            if metrics:
                metrics.auth_failures.labels("missing").inc()
            raise _challenge("this API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
                             "(an operator creates one with `tomtat keys create --name NAME`)", "unauthorized")
        retry = failures.retry_after(g.client)
        if retry is not None:
            if metrics:
                metrics.auth_failures.labels("throttled").inc()
            raise ApiError(429, "Too many failed key attempts",
                           f"this client address sent more than {failures.item} wrong API keys; retry in {retry} s "
                           "with a valid key", slug="key-attempts", headers={"Retry-After": str(retry)},
                           limit=str(failures.item), retry_after=retry)
        record = keystore(app).verify(token)
        if record is None:
            failures.record(g.client)
            if metrics:
                metrics.auth_failures.labels("invalid").inc()
            raise _challenge("the API key is not valid; check that it was copied whole", "invalid-key")
        if record.revoked:
            failures.record(g.client)
            if metrics:
                metrics.auth_failures.labels("revoked").inc()
            raise ApiError(403, "Forbidden", f"the API key {record.prefix} was revoked on {record.revoked_at}; "
                           "ask the operator for a new key", slug="key-revoked")
        g.api_key = record
        g.client = f"key:{record.id}"
        return None
