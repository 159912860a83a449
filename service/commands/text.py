"""``tomtat summarize FILE|-`` and ``tomtat translate FILE|-``: one article (or, with ``-o``, one whole
document) from the shell."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, replace
from pathlib import Path

from models import glossary, pipeline
from models.errors import CapabilityUnavailable, InputError
from models.runtime import Runtime

from ..config import Settings
from ..schemas import Generation, SummarySpec

# -- options shared with `tomtat batch`: the HTTP API's bounds -----------------------------------------------


def schema_bounds(model, name: str) -> tuple[int | None, int | None]:
    """The ``ge``/``le`` bounds of a request field in ``service/schemas.py``, read from its pydantic ``Field``
    (so the CLI and the HTTP API cannot drift apart)."""
    low = high = None
    for constraint in model.model_fields[name].metadata:
        low = getattr(constraint, "ge", low)
        high = getattr(constraint, "le", high)
    return low, high


def _range_text(low, high) -> str:
    if high is None:
        return f"at least {low}"
    return f"from {low} to {high}"


def bounded_int(low: int | None = None, high: int | None = None, where: str = ""):
    """An argparse ``type``: a whole number within ``low..high``; the error names the bound and the value
    (argparse adds the option: ``argument --max-sentences: must be from 1 to 50 …, got 0``)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_range_text(low, high)}{where}, got {value}")
        return value

    parse.__name__ = "int"
    return parse


def bounded_float(low: float = 0.0, *, above: bool = False):
    """An argparse ``type``: a finite number ``>= low`` (``> low`` with ``above``)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < low or (above and value == low):
            raise argparse.ArgumentTypeError(f"must be a number {'above' if above else 'of at least'} {low:g}, "
                                             f"got {text}")
        return value

    parse.__name__ = "float"
    return parse


def schema_int(model, name: str):
    low, high = schema_bounds(model, name)
    return bounded_int(low, high, f" (as the HTTP API's {name})")


def add_summary_options(parser) -> None:
    parser.add_argument("--max-sentences", type=schema_int(SummarySpec, "max_sentences"),
                        help="most sentences in the summary (%s)" % _range_text(*schema_bounds(SummarySpec,
                                                                                              "max_sentences")))
    parser.add_argument("--max-words", type=schema_int(SummarySpec, "max_words"),
                        help="most words in the summary (%s)" % _range_text(*schema_bounds(SummarySpec, "max_words")))


def add_generation_options(parser) -> None:
    """``--max-new-tokens`` and ``--num-beams``: at least the schema's minimum here; at most the server's
    bound (TOMTAT_MAX_NEW_TOKENS, TOMTAT_MAX_BEAMS) once the settings are read (``check_generation``)."""
    parser.add_argument("--max-new-tokens", type=schema_int(Generation, "max_new_tokens"),
                        help="generation bound for summaries and translations (1 to TOMTAT_MAX_NEW_TOKENS)")
    parser.add_argument("--num-beams", type=schema_int(Generation, "num_beams"),
                        help="beam width, 1 = greedy (1 to TOMTAT_MAX_BEAMS)")
    parser.set_defaults(check_settings=check_generation)


def check_generation(args, settings: Settings) -> str | None:
    """What is over the server's generation bounds (as ``service/http.py``'s ``check_generation``), as an
    argparse error line, or ``None``."""
    for option, value, limit, env in (
            ("--max-new-tokens", getattr(args, "max_new_tokens", None), settings.max_new_tokens,
             "TOMTAT_MAX_NEW_TOKENS"),
            ("--num-beams", getattr(args, "num_beams", None), settings.max_beams, "TOMTAT_MAX_BEAMS")):
        if value is not None and value > limit:
            return f"argument {option}: must be at most {limit} ({env}), got {value}"
    return None


def register(subparsers) -> None:
    summ = subparsers.add_parser("summarize", help="summarize one article (a file or - for stdin)")
    summ.add_argument("file")
    summ.add_argument("--title")
    summ.add_argument("--method", choices=["auto", "abstractive", "extractive"], default="auto")
    add_summary_options(summ)
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
