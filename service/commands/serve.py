"""``tomtat serve``: production serving with gunicorn (one process, many threads, models shared)."""

from __future__ import annotations

import sys

from ..config import PORTS, Settings
from .text import bounded_int


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP service")
    parser.add_argument("--host", help="bind address (default TOMTAT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=bounded_int(*PORTS), help="port, 1 to 65535 (default TOMTAT_PORT or 8080)")
    parser.add_argument("--dev", action="store_true", help="Flask's development server instead of gunicorn")
    parser.set_defaults(func=serve)


def serve(args) -> int:
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings.from_env(**overrides)
    from ..app import create_app
    from ..config import open_bind_problem

    problem = open_bind_problem(settings)
    if problem:  # the same refusal as under gunicorn, for the development server too
        print(f"tomtat: {problem}", file=sys.stderr)
        return 2
    if args.dev:
        create_app(settings).run(host=settings.host, port=settings.port, threaded=True)
        return 0
    from gunicorn.app.base import BaseApplication

    from .. import gunicorn_conf

    class Server(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_conf.options(settings).items():
                self.cfg.set(key, value)

        def load(self):
            return create_app(settings)

    Server().run()
    return 0
