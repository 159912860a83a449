"""``tomtat summarize FILE|-`` and ``tomtat translate FILE|-``: one article from the shell."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace

from models import pipeline
from models.errors import CapabilityUnavailable, InputError
from models.runtime import Runtime

from ..config import Settings


def register(subparsers) -> None:
    summ = subparsers.add_parser("summarize", help="summarize one article (a file or - for stdin)")
    summ.add_argument("file")
    summ.add_argument("--title")
    summ.add_argument("--method", choices=["auto", "abstractive", "extractive"], default="auto")
    summ.add_argument("--max-sentences", type=int)
    summ.add_argument("--max-words", type=int)
    summ.add_argument("--format", choices=["auto", "text", "html"], default="auto")
    summ.add_argument("--json", action="store_true", help="print the full result as JSON")
    summ.set_defaults(func=summarize)
    tr = subparsers.add_parser("translate", help="translate one text vi→en (a file or - for stdin)")
    tr.add_argument("file")
    tr.add_argument("--format", choices=["auto", "text", "html"], default="auto")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=translate)


def read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.buffer.read().decode("utf-8")
    with open(name, encoding="utf-8") as handle:
        return handle.read()


def _runtime(load_summary: bool, load_translation: bool) -> Runtime:
    config = Settings.from_env().runtime_config()
    config = replace(config, load_summary=config.load_summary and load_summary,
                     load_translation=config.load_translation and load_translation)
    return Runtime(config).load()


def _fail(exc: Exception) -> int:
    if isinstance(exc, CapabilityUnavailable):
        print(f"tomtat: {exc}. To fix: {exc.how_to_fix}", file=sys.stderr)
        return 3
    print(f"tomtat: {exc}", file=sys.stderr)
    return 1


def summarize(args) -> int:
    try:
        text = read_input(args.file)
        runtime = _runtime(load_summary=args.method != "extractive", load_translation=False)
        options = pipeline.SummaryOptions(args.method, args.max_sentences, args.max_words)
        result = pipeline.summarize(runtime, text, args.title, None if args.format == "auto" else args.format, options)
    except (OSError, UnicodeDecodeError, InputError, CapabilityUnavailable) as exc:
        return _fail(exc)
    print(json.dumps(asdict(result), ensure_ascii=False, indent=2) if args.json else result.summary)
    return 0


def translate(args) -> int:
    try:
        text = read_input(args.file)
        runtime = _runtime(load_summary=False, load_translation=True)
        result = pipeline.translate(runtime, [text], None if args.format == "auto" else args.format)
    except (OSError, UnicodeDecodeError, InputError, CapabilityUnavailable) as exc:
        return _fail(exc)
    print(json.dumps(asdict(result), ensure_ascii=False, indent=2) if args.json else result.translations[0])
    return 0
