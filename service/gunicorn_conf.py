"""gunicorn settings for tomtat: one worker process (the models load once and are
shared) with many threads; timeouts and graceful shutdown from ``Settings``.

Usable as ``gunicorn -c python:service.gunicorn_conf 'service.wsgi:app'`` (Docker)
and by ``tomtat serve``.
"""

from __future__ import annotations

from service.config import Settings


def options(settings: Settings) -> dict:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": settings.server_threads,
        "timeout": settings.timeout,
        "graceful_timeout": 60,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
    }


globals().update(options(Settings.from_env()))
