"""gunicorn settings for tomtat: one worker process (the models load once and are
shared) with many threads; timeouts and graceful shutdown from ``Settings``.

Usable as ``gunicorn -c python:service.gunicorn_conf 'service.wsgi:app'`` (Docker)
and by ``tomtat serve``.
"""

from __future__ import annotations

from service.config import Settings, open_bind_problem


def options(settings: Settings) -> dict:
    problem = open_bind_problem(settings)
    if problem:  # keys off on a reachable address: refuse to start rather than serve everyone
        raise SystemExit(f"tomtat: {problem}")
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": settings.server_threads,
        "timeout": settings.timeout,
        "graceful_timeout": 60,
        "keepalive": 5,
        # the app writes one JSON access record per request (service/logs.py); gunicorn's own only in plain mode
        "accesslog": None if settings.log_json else "-",
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "worker_exit": worker_exit,
    }


def worker_exit(server, worker) -> None:
    """SIGTERM: gunicorn stops accepting, lets in-flight requests finish (graceful_timeout), then calls
    this: job workers put their running items back in the queue (a checkpoint) before the process exits."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None) or {}
    if "tomtat.jobs" in extensions:
        from service import workers

        workers.shutdown(app, timeout=max(1.0, worker.cfg.graceful_timeout / 2))
    for hook in extensions.get("tomtat.on_shutdown", []):
        hook()


globals().update(options(Settings.from_env()))
