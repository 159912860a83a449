"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask

from models.runtime import Runtime

from .config import Settings
from .errors import register_error_handlers
from .http import DrainUnreadBody, Request, StrictJSONProvider


def shared_cache(settings: Settings, client=None):
    """The result cache every replica sees (TOMTAT_CACHE=database or redis), or None for the Runtime's own.
    ``client``: the app's Redis client of TOMTAT_REDIS_URL (``redis_client``), whose connections it shares."""
    mode = settings.cache_mode
    if mode not in ("memory", "off", "database", "redis"):
        raise ValueError(f"TOMTAT_CACHE={settings.cache!r}: choose auto, memory, database, redis or off")
    if mode == "database":
        from .resultcache import DatabaseCache

        return DatabaseCache(settings.database, size=settings.cache_size)
    if mode == "redis":
        if not settings.redis_url:
            raise ValueError("TOMTAT_CACHE=redis needs TOMTAT_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
        from .resultcache import RedisCache

        return RedisCache(settings.redis_url, prefix=settings.limits_prefix, ttl_s=settings.cache_ttl, client=client)
    return None


def redis_client(settings: Settings):
    """The app's one client of TOMTAT_REDIS_URL (or of a Redis TOMTAT_LIMITS_STORAGE), or None: /readyz, the
    shared result cache and the rate limiter (when it counts on that server) use its connection pool."""
    url = settings.redis_url or (settings.limits_uri if settings.limits_uri.startswith(("redis://", "rediss://"))
                                 else None)
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def migrate_at_start(settings: Settings) -> None:
    """Bring the database's schema up to date before serving (replicas starting together migrate once).
    A database that does not answer is no reason not to start: what needs it answers 503 and the schema is
    migrated at its first use. A database migrated by a newer release stops the start with what to do."""
    from sqlalchemy.exc import SQLAlchemyError

    from .db import BadDatabaseURL, Database, SchemaTooNew, describe, redact

    try:
        Database.shared(settings.database).upgrade()
    except (SchemaTooNew, BadDatabaseURL) as exc:
        raise SystemExit(f"tomtat: {exc}") from None
    except SQLAlchemyError as exc:  # down, or its migration given up on a lock (db.py logged which)
        logging.getLogger(__name__).warning("database %s not ready at start-up (%s); serving without it, and "
                                            "trying again at a later call", redact(settings.database), describe(exc))


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app. ``runtime`` may be shared (tests, several apps); else it is loaded here."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__)
    app.request_class = Request  # a chunked body over the limit is a 413, not a truncated body
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json = StrictJSONProvider(app)  # request bodies: no NaN, duplicate keys, BOM, lone surrogates, deep nesting
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["tomtat.settings"] = settings
    if runtime is None:  # an app that loads its own models serves
        migrate_at_start(settings)
    app.extensions["tomtat.redis"] = client = redis_client(settings)
    app.extensions["tomtat.runtime"] = runtime or Runtime(settings.runtime_config(),
                                                          cache=shared_cache(settings, client)).load()

    from . import api, auth, glossaries, health, jobs, libretranslate, limits, logs, metrics, openapi, web

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(glossaries.bp)

    # hook order matters: request id and timing first, then the key, then the limits that count by it
    logs.init_app(app, settings)
    metrics.init_app(app, settings)
    auth.init_app(app, settings)
    limits.init_app(app, settings)
    web.init_app(app)
    app.register_blueprint(openapi.bp)
    jobs.init_app(app, start_workers=runtime is None)  # an app that loads its own models serves: resume jobs now
    app.register_blueprint(libretranslate.bp)  # the LibreTranslate-compatible API at /
    register_error_handlers(app)
    app.wsgi_app = DrainUnreadBody(app.wsgi_app)  # outermost: an early answer still reaches a Python client
    return app
