"""The ``tomtat`` command line. Each command lives in ``service/commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

from .config import Settings, settings_markdown

COMMANDS = ["serve", "text", "models", "eval", "batch", "keys", "db"]


# commands that never read the TOMTAT_* settings: a bad one does not stop them
SETTINGS_FREE = {("config",), ("ray",), ("models", "list"), ("models", "pull"), ("models", "tokenize")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tomtat", description="Vietnamese news summaries and English translations")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"service.commands.{name}").register(sub)
    config = sub.add_parser("config", help="print the table of TOMTAT_* environment variables")
    config.set_defaults(func=lambda args: print(settings_markdown()) or 0)
    _remember_parsers(parser)
    return parser


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Each (sub)command's namespace carries its own parser, for usage errors found after parsing."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
                child.set_defaults(command_parser=child)
                _remember_parsers(child)


def _reads_settings(args) -> bool:
    path = (args.command, getattr(args, "models_command", None)) if args.command == "models" else (args.command,)
    return path not in SETTINGS_FREE and path[:1] not in SETTINGS_FREE


def _check_settings(args) -> int | None:
    """Read the TOMTAT_* settings once before the command: a bad value is one line and exit 2, not a traceback
    from inside the command; then the command's own checks against them (``check_settings``: usage errors)."""
    if not _reads_settings(args):
        return None
    try:
        settings = Settings.from_env()
    except Exception as exc:  # noqa: BLE001 - whatever Settings raises for a bad value (ValueError "TOMTAT_X: ...")
        detail = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        print(f"tomtat: bad setting: {detail} (see `tomtat config`)".replace("\n", " "), file=sys.stderr)
        return 2
    check = getattr(args, "check_settings", None)
    problem = check(args, settings) if check else None
    if problem:
        args.command_parser.error(problem)  # usage, the line, exit 2
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code = _check_settings(args)
    if code is not None:
        return code
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
