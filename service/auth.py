"""API-key authentication of the ``/v1`` routes and of the LibreTranslate-compatible
``/translate`` and ``/detect`` (off unless ``TOMTAT_AUTH=1``).

A key is sent as ``Authorization: Bearer tt_…`` or ``X-API-Key: tt_…``; on the
LibreTranslate routes also as the ``api_key`` field of the body, as its clients do.
No key or an unknown one: 401; a revoked key: 403 (the LibreTranslate blueprint
turns these into the statuses its clients expect). The page, the docs, the spec,
the probes and ``/metrics`` (which has its own token) stay open. Every request gets
a client identity in ``g.client`` (``key:<id>`` or ``ip:<address>``) that the
rate limits count by.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from .config import Settings
from .errors import ApiError
from .keys import ApiKey, KeyStore

# LibreTranslate's own server checks keys on /translate and /detect, not on /languages or its settings
LIBRETRANSLATE_PATHS = ("/translate", "/detect")


def protected(path: str) -> bool:
    """Whether a request to ``path`` needs a key (when keys are on) and counts towards the limits."""
    return path.startswith("/v1/") or path in LIBRETRANSLATE_PATHS


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


def _challenge(detail: str, slug: str) -> ApiError:
    return ApiError(401, "Unauthorized", detail, slug=slug,
                    headers={"WWW-Authenticate": 'Bearer realm="tomtat"'})


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["tomtat.keys"] = KeyStore(settings.db_path)
    if settings.trusted_proxies > 0:  # client addresses (rate limits, logs) from X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    @app.before_request
    def _authenticate():
        g.client = f"ip:{client_address()}"
        if not settings.auth or not protected(request.path):
            return None
        token = presented_key()
        metrics = app.extensions.get("tomtat.metrics")
        if token is None:
            if metrics:
                metrics.auth_failures.labels("missing").inc()
            raise _challenge("this API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
                             "(an operator creates one with `tomtat keys create --name NAME`)", "unauthorized")
        record = keystore(app).verify(token)
        if record is None:
            if metrics:
                metrics.auth_failures.labels("invalid").inc()
            raise _challenge("the API key is not valid; check that it was copied whole", "invalid-key")
        if record.revoked:
            if metrics:
                metrics.auth_failures.labels("revoked").inc()
            raise ApiError(403, "Forbidden", f"the API key {record.prefix} was revoked on {record.revoked_at}; "
                           "ask the operator for a new key", slug="key-revoked")
        g.api_key = record
        g.client = f"key:{record.id}"
        return None
