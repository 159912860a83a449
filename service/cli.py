"""The ``tomtat`` command line. Each command lives in ``service/commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

from .config import settings_markdown

COMMANDS = ["serve", "text", "models", "eval", "batch", "keys", "db"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tomtat", description="Vietnamese news summaries and English translations")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"service.commands.{name}").register(sub)
    config = sub.add_parser("config", help="print the table of TOMTAT_* environment variables")
    config.set_defaults(func=lambda args: print(settings_markdown()) or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a database that does not answer: one line, not a traceback
        from sqlalchemy.exc import SQLAlchemyError

        from .db import BadDatabaseURL, SchemaTooNew, describe

        if isinstance(exc, (SchemaTooNew, BadDatabaseURL)):
            print(f"tomtat: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, SQLAlchemyError):
            print(f"tomtat: the database cannot be used: {describe(exc)}. Check TOMTAT_DATABASE_URL and that the "
                  "server is running", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
