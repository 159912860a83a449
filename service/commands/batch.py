"""``tomtat batch INPUT -o OUTPUT``: summaries and translations over a whole archive.

Streams, resumes (re-run the same command after a crash: ids already in OUTPUT
are skipped, a torn last line is redone), turns bad rows into rows with
``error``. ``--engine ray`` runs the same pipeline on a Ray cluster.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from dataclasses import replace

from models import glossary, pipeline
from models.errors import CapabilityUnavailable, InputError
from models.runtime import Runtime

from ..batch.records import FORMATS, TEXT_SUFFIXES, InputFormatError, count_records, detect_format, read_records
from ..batch.runner import ArticleOptions, BatchStats, FailFast, Progress, process_record, run_local
from ..batch.writer import ResultWriter, same_file_problem, scan_output
from ..config import Settings
from .text import add_generation_options, add_summary_options, bounded_float, bounded_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="summarize/translate an archive (JSONL, CSV, a directory, or -) into JSONL, resumably",
        description="Each input article becomes one JSONL row: id, summary_vi, summary_en, translation_en "
                    "(--translate full|both), models, or error and reason. Re-running the same command resumes.")
    p.add_argument("input", help="JSONL (id, text, title, ...), CSV with a header, a directory of .txt/.html, or -")
    p.add_argument("-o", "--output", required=True, help="JSONL output (appended to and resumed); - for stdout")
    p.add_argument("--input-format", choices=FORMATS, default="auto", help="default: from the name or content")
    p.add_argument("--translate", choices=["none", "summary", "full", "both"], default="summary")
    p.add_argument("--method", choices=["auto", "abstractive", "extractive"], default="auto")
    add_summary_options(p)  # the HTTP API's bounds (service/schemas.py, TOMTAT_MAX_NEW_TOKENS, TOMTAT_MAX_BEAMS)
    add_generation_options(p)
    p.add_argument("--glossary", metavar="FILE", help="terms the English renders one way: .csv or .tsv (source term, "
                   "target term) or .json (an object of terms, or what GET /v1/glossaries/<name> gives)")
    p.add_argument("--batch-size", type=bounded_int(1), help="sentences per model call (default TOMTAT_BATCH_SIZE)")
    p.add_argument("--workers", type=bounded_int(1), default=2,
                   help="articles processed at once (threads sharing the models)")
    p.add_argument("--max-chars", type=bounded_int(1), help="longest text accepted (default TOMTAT_MAX_CHARS)")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first bad or failed row (exit 1)")
    p.add_argument("--retry-failed", action="store_true", help="drop error rows from OUTPUT and redo those articles")
    p.add_argument("--progress", choices=["auto", "bar", "plain", "none"], default="auto",
                   help="bar on a terminal, plain periodic lines otherwise")
    p.add_argument("--progress-interval", type=bounded_float(0), default=10.0,
                   help="seconds between plain progress lines")
    p.add_argument("--fsync-interval", type=bounded_float(0), default=5.0, help="seconds between fsyncs of OUTPUT")
    ray = p.add_argument_group("Ray engine (pip install 'tomtat[ray]')")
    p.add_argument("--engine", choices=["local", "ray"], default="local")
    ray.add_argument("--ray-address", help="cluster address (default: RAY_ADDRESS, else a local Ray instance)")
    ray.add_argument("--ray-actors", type=bounded_int(1), default=None,
                     help="model actors, each loading the models once (default: the cluster's CPUs minus one)")
    ray.add_argument("--ray-gpus-per-actor", type=bounded_float(0), default=None,
                     help="GPUs per actor (default: 1 when the cluster has GPUs, else 0)")
    ray.add_argument("--ray-cpus-per-actor", type=bounded_float(0, above=True), default=1.0)
    ray.add_argument("--ray-batch-size", type=bounded_int(1), default=16, help="articles per map_batches call")
    ray.add_argument("--output-format", choices=["jsonl", "parquet"], default=None,
                     help="Ray: jsonl (a local .jsonl file is resumable) or parquet (a directory or URI)")
    p.set_defaults(func=batch)
    from ..batch import ray_cluster  # `tomtat ray start|stop`: nodes for --engine ray that keep 127.0.0.1

    ray_cluster.register(subparsers)


def options_from_args(args) -> ArticleOptions:
    """The run's options; an unreadable or wrong-direction --glossary is an ``InputError``."""
    gen = pipeline.GenerationOverrides(max_new_tokens=args.max_new_tokens, num_beams=args.num_beams)
    terms = glossary.read_file(args.glossary) if getattr(args, "glossary", None) else None
    if terms is not None and (terms.source, terms.target) != ("vi", "en"):
        raise InputError(f"--glossary {args.glossary} is {terms.source}→{terms.target}; articles go vi→en",
                         field="glossary", code="glossary-direction")
    return ArticleOptions(
        summary=pipeline.SummaryOptions(args.method, args.max_sentences, args.max_words, gen),
        translate=args.translate, translation=gen,
        glossary=terms,
    )


def runtime_config(settings: Settings, args):
    config = settings.runtime_config()
    return replace(
        config,
        batch_size=args.batch_size or config.batch_size,
        load_summary=config.load_summary and args.method != "extractive",
        load_translation=config.load_translation and args.translate != "none",
    )


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def batch(args) -> int:
    # before either file is touched: an output that is the input would take its lines as done and append into it
    if args.engine == "ray":  # what its reader of a directory reads, by input format
        from ..batch.ray_engine import SUFFIXES, input_format

        dir_suffixes = set(SUFFIXES.get(input_format(args.input, args.input_format), ()))
    else:
        dir_suffixes = set(TEXT_SUFFIXES)
    problem = same_file_problem(args.input, args.output, dir_suffixes)
    if problem:
        print(f"tomtat batch: {problem}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper(), format="tomtat batch: %(levelname)s %(message)s",
                        stream=sys.stderr)
    max_chars = args.max_chars or settings.max_chars
    try:
        options = options_from_args(args)
    except InputError as exc:
        return _fail(exc)
    if args.engine == "ray":
        from ..batch import ray_engine

        try:
            return ray_engine.run_from_args(args, runtime_config(settings, args), options, max_chars)
        except (InputFormatError, CapabilityUnavailable, ImportError, ValueError) as exc:
            return _fail(exc)
    try:
        fmt = detect_format(args.input, sys.stdin.buffer if args.input == "-" else None) \
            if args.input_format == "auto" else args.input_format
        records = read_records(args.input, fmt, max_chars)
        total = count_records(args.input, fmt)
    except (InputFormatError, OSError) as exc:
        return _fail(exc)

    runtime = Runtime(runtime_config(settings, args)).load()
    try:
        options.check(runtime)
    except CapabilityUnavailable as exc:
        return _fail(exc)

    resume = scan_output(args.output, args.retry_failed) if args.output != "-" else None
    if resume and resume.repaired_bytes:
        print(f"tomtat batch: {args.output}: cut a half-written last line ({resume.repaired_bytes} bytes); "
              "its article is redone", file=sys.stderr)
    if resume and resume.dropped_failed:
        print(f"tomtat batch: {args.output}: removed {resume.dropped_failed} error rows to retry them",
              file=sys.stderr)
    if resume and resume.done:
        print(f"tomtat batch: {args.output} has {len(resume.done)} results already; resuming", file=sys.stderr)

    stats = BatchStats(total=total)
    progress = Progress(total, args.progress, args.progress_interval) if args.progress != "none" else None
    previous = signal.signal(signal.SIGTERM, _sigterm)
    code = 0
    try:
        with ResultWriter(args.output, args.fsync_interval) as writer:
            run_local(records, lambda r: process_record(runtime, r, options), writer.write,
                      done_ids=resume.done if resume else None, workers=args.workers,
                      fail_fast=args.fail_fast, stats=stats, on_progress=progress)
    except FailFast as exc:
        print(f"tomtat batch: stopped at the first failed row (--fail-fast): {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    except (InputFormatError, OSError) as exc:
        stats.stopped = str(exc)
        code = _fail(exc)
    except CapabilityUnavailable as exc:
        code = _fail(exc)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if progress is not None:
            progress.close(stats)
        else:
            print(json.dumps(stats.as_dict()), file=sys.stderr)
    return code


def _fail(exc: Exception) -> int:
    if isinstance(exc, CapabilityUnavailable):
        print(f"tomtat batch: {exc}. To fix: {exc.how_to_fix} (or use --translate none / --method extractive)",
              file=sys.stderr)
        return 3
    print(f"tomtat batch: {exc}", file=sys.stderr)
    return 1
