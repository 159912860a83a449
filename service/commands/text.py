"""``tomtat summarize FILE|-`` and ``tomtat translate FILE|-``: one article (or, with ``-o``, one whole
document) from the shell."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

from models import glossary, pipeline
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
    tr = subparsers.add_parser(
        "translate", help="translate one text (a file or - for stdin), or a whole document with -o",
        description="Without -o, a text file or stdin (a .md, .html or .srt too) is translated to stdout as plain "
                    "text: its markup and timings are not kept. With -o, or for a .docx/.odt file: the document "
                    "translated into its own format (.txt .md .html .docx .odt .srt), structure kept; a .docx/.odt "
                    "without -o is written beside it (bao-cao.docx: bao-cao.en.docx).")
    tr.add_argument("file")
    tr.add_argument("-o", "--output", help="write the translated document here, in FILE's format with its structure")
    tr.add_argument("--source", default="vi", help="vi, en or auto (default vi)")
    tr.add_argument("--target", help="en or vi (default: the source's one target)")
    tr.add_argument("--glossary", metavar="FILE", help="terms rendered one way: .csv/.tsv (source term, target "
                    "term) or .json")
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


BINARY_DOCUMENTS = (".docx", ".odt")  # never read as text: translated as documents even without -o


def translate(args) -> int:
    source, target = args.source.lower(), args.target.lower() if args.target else None
    try:
        terms = glossary.read_file(args.glossary, source if source != "auto" else "vi", target or "en") \
            if args.glossary else None
        if terms is not None and source == "auto":
            terms = glossary.Glossary(terms.entries, None, None)  # the direction is the detected one
        if args.output or args.file.lower().endswith(BINARY_DOCUMENTS):
            return _translate_document(args, source, target, terms)
        text = read_input(args.file)
        runtime = _runtime(load_summary=False, load_translation=True)
        result = pipeline.translate(runtime, [text], None if args.format == "auto" else args.format,
                                    source=source, target=target, glossary=terms)
    except (OSError, UnicodeDecodeError, InputError, CapabilityUnavailable) as exc:
        return _fail(exc)
    print(json.dumps(asdict(result), ensure_ascii=False, indent=2) if args.json else result.translations[0])
    return 0


def _translate_document(args, source: str, target: str | None, terms) -> int:
    """FILE → its translation in the same format (``models.documents.run.translate_file``)."""
    from models.documents.run import translate_file

    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    name = Path(args.output).name if args.file == "-" and args.output else Path(args.file).name
    runtime = _runtime(load_summary=False, load_translation=True)
    result = translate_file(runtime, data, name, source=source, target=target, glossary=terms)
    out = Path(args.output) if args.output else Path(args.file).with_name(result.filename)
    out.write_bytes(result.data)
    report = {"output": str(out), "source": result.source, "target": result.target, "stats": result.stats,
              "checks": result.checks, "warnings": result.warnings}
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else
          f"{out}: {result.stats['translated']} of {result.stats['segments']} segments translated "
          f"{result.source}→{result.target}")
    return 0
