"""``tomtat batch --engine ray``: the same pipeline on Ray Data (``pip install 'tomtat[ray]'``).

Plan of a run::

    read_binary_files(INPUT)        local paths or object storage URIs (s3://, gs://, ...): one row per file
      → flat_map(parse)             the local engine's readers: same ids, same bad-row rows
      → map_batches(ArticleMapper)  an actor pool; each actor loads the models once (GPUs per actor when present)
      → OUTPUT                      a local .jsonl file: written (resumably) by the driver with the local writer;
                                    a directory or URI: write_json / write_parquet from the workers

Files are read whole as bytes and parsed with ``service.batch.records`` rather than with Arrow's
``read_json``/``read_csv``: Arrow aborts the whole dataset on the first malformed line and infers column
types (an id ``007`` would become ``7``), while the shared readers turn each bad row into an error row and
keep ids as written, so the Ray output equals the local engine's row for row. Shard big archives into
many files (e.g. 100k articles each): each file is one read task.

Ray is imported lazily: the rest of tomtat does not need it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import time
from dataclasses import asdict

from models.runtime import RuntimeConfig

from .records import TEXT_SUFFIXES, InputFormatError, Record, iter_csv, iter_jsonl, record_from_file_bytes
from .runner import ArticleOptions, BatchStats, process_record
from .writer import ResultWriter, scan_output

ROW_COLUMNS = ("id", "summary_vi", "summary_en", "translation_en", "checks", "warnings", "models", "error", "reason",
               "extra")
JSON_COLUMNS = frozenset({"checks", "warnings", "models"})  # nested values: a JSON string per row


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError("the Ray engine needs Ray: pip install 'tomtat[ray]' (ray[data])") from exc
    return ray


LOOPBACK = "127.0.0.1"


def init_local(**kwargs):
    """Start a Ray instance for this process that listens on 127.0.0.1 only, and return the ``ray`` module.

    Ray 2.x turns a loopback node address into the machine's routed one (``resolve_ip_for_localhost``), so
    ``_node_ip_address="127.0.0.1"`` alone still puts the GCS, the raylet and the workers on the other
    address; ``ray_cluster.keep_loopback`` keeps it as given.
    """
    ray = _import_ray()
    from .ray_cluster import keep_loopback

    with keep_loopback():
        ray.init(_node_ip_address=LOOPBACK, include_dashboard=False, **kwargs)
    return ray


def connect(address: str, **kwargs):
    """Join the cluster at ``address`` (``HOST:PORT`` of its GCS, ``ray://HOST:PORT``, ``auto``); the ``ray`` module.

    A loopback address (``127.0.0.1:PORT``: nodes started with ``tomtat ray start``) is used as given: Ray
    would look for the GCS on the machine's routed address instead.
    """
    ray = _import_ray()
    from .ray_cluster import is_loopback_address, keep_loopback

    with keep_loopback() if is_loopback_address(address) else contextlib.nullcontext():
        ray.init(address=address, **kwargs)
    return ray


def _strip_scheme(path: str) -> str:
    return path.split("://", 1)[1] if "://" in path else os.path.abspath(path)


# the files each input format reads (from a directory, or a URI's prefix)
SUFFIXES = {"dir": tuple(TEXT_SUFFIXES), "jsonl": (".jsonl", ".ndjson", ".json"), "csv": (".csv", ".tsv")}


def input_format(path: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    if "://" not in path and os.path.isdir(path):
        return "dir"
    suffix = os.path.splitext(path.rstrip("/"))[1].lower()
    for found in ("jsonl", "csv"):
        if suffix in SUFFIXES[found]:
            return found
    if "://" in path:
        return "dir"
    from .records import detect_format

    return detect_format(path)


def parse_file(row: dict, fmt: str, root: str, max_chars: int, skip: frozenset) -> list[dict]:
    """One file (``path``, ``bytes``) → its records, as rows ``{"id", "record"}`` (a JSON string)."""
    path, data = row["path"], row["bytes"]
    if fmt == "dir":
        rel = path[len(root) + 1:] if path.startswith(root + "/") else os.path.basename(path)
        records = [record_from_file_bytes(data, rel, os.path.splitext(path)[1], max_chars)]
    elif fmt == "jsonl":
        records = iter_jsonl(io.BytesIO(data), os.path.basename(path), max_chars)
    else:
        records = iter_csv(io.BytesIO(data), os.path.basename(path), max_chars)
    return [{"id": r.id, "record": json.dumps(r.to_dict(), ensure_ascii=False)} for r in records if r.id not in skip]


class ArticleMapper:
    """A Ray actor: loads the models once, then turns batches of records into output rows."""

    def __init__(self, config: dict, options: dict):
        from models.runtime import Runtime

        self.runtime = Runtime(RuntimeConfig(**config)).load()
        self.options = ArticleOptions.from_dict(options)
        self.options.check(self.runtime)

    def __call__(self, batch: dict) -> dict:
        rows = [process_record(self.runtime, Record.from_dict(json.loads(r)), self.options) for r in batch["record"]]
        return {"id": [r["id"] for r in rows], "row": [json.dumps(r, ensure_ascii=False) for r in rows]}


def to_columns(batch: dict) -> dict:
    """Serialized rows → fixed columns (for Parquet/JSON directories: one schema for every block)."""
    out = {name: [] for name in ROW_COLUMNS}
    for text in batch["row"]:
        row = json.loads(text)
        for name in ROW_COLUMNS[:-1]:
            value = row.pop(name, None)
            if name in JSON_COLUMNS:  # an empty one (an extractive row's {} checks) is null, not a fieldless struct
                value = json.dumps(value, ensure_ascii=False) if value else None
            out[name].append(value)
        out["extra"].append(json.dumps(row, ensure_ascii=False) if row else None)
    return out


def build(input_path: str, fmt: str, config: RuntimeConfig, options: ArticleOptions, *, max_chars: int,
          actors: int | None = None, gpus_per_actor: float | None = None, cpus_per_actor: float = 1.0,
          batch_size: int = 16, skip: frozenset = frozenset()):
    """The dataset of serialized output rows (``id``, ``row``) of ``input_path``."""
    ray = _import_ray()
    fmt = input_format(input_path, fmt)
    extensions = [s.lstrip(".") for s in SUFFIXES[fmt]]
    ds = ray.data.read_binary_files(input_path, include_paths=True, file_extensions=extensions)
    root = _strip_scheme(input_path).rstrip("/")
    ds = ds.flat_map(parse_file, fn_kwargs={"fmt": fmt, "root": root, "max_chars": max_chars, "skip": skip})
    resources = ray.cluster_resources()
    if gpus_per_actor is None:
        gpus_per_actor = 1.0 if resources.get("GPU", 0) > 0 else 0.0
    if actors is None:
        # Leave a CPU for reading and parsing: actors holding every CPU starve the read
        # tasks and the pipeline never starts (seen on a 2-CPU machine with 2 actors).
        actors = max(1, int(resources.get("CPU", 2) // cpus_per_actor) - 1)
    elif resources.get("CPU", 0) > 0 and resources["CPU"] - actors * cpus_per_actor < 1:
        logging.getLogger(__name__).warning(
            "%d actors x %g CPUs leave less than one of the cluster's %g CPUs to the read tasks: the job waits "
            "until the cluster grows (use fewer --ray-actors or a smaller --ray-cpus-per-actor)",
            actors, cpus_per_actor, resources["CPU"])
    return ds.map_batches(
        ArticleMapper, fn_constructor_kwargs={"config": asdict(config), "options": options.to_dict()},
        batch_size=batch_size, concurrency=actors, num_gpus=gpus_per_actor, num_cpus=cpus_per_actor,
        batch_format="numpy",
    )


def run(input_path: str, output: str, config: RuntimeConfig, options: ArticleOptions, *, fmt: str = "auto",
        max_chars: int = 100_000, output_format: str | None = None, actors: int | None = None,
        gpus_per_actor: float | None = None, cpus_per_actor: float = 1.0, batch_size: int = 16,
        fsync_interval: float = 5.0, progress=None) -> BatchStats:
    """Run on the Ray instance this process is connected to (``ray.init`` first)."""
    output_format = output_format or ("parquet" if output.endswith(".parquet") else "jsonl")
    local_jsonl = output_format == "jsonl" and "://" not in output and not os.path.isdir(output) \
        and output.endswith((".jsonl", ".ndjson", ".json"))
    resume = scan_output(output) if local_jsonl else None
    stats = BatchStats(skipped=len(resume.done) if resume else 0)
    ds = build(input_path, fmt, config, options, max_chars=max_chars, actors=actors, gpus_per_actor=gpus_per_actor,
               cpus_per_actor=cpus_per_actor, batch_size=batch_size,
               skip=frozenset(resume.done) if resume else frozenset())
    if not local_jsonl:
        ds = ds.map_batches(to_columns, batch_format="numpy")
        if output_format == "parquet":
            ds.write_parquet(output)
        else:
            ds.write_json(output, force_ascii=False)
        stats.elapsed = time.monotonic() - stats.started
        return stats
    seen = set(resume.done)
    with ResultWriter(output, fsync_interval) as writer:
        for batch in ds.iter_batches(batch_size=batch_size, batch_format="numpy"):
            for rid, text in zip(batch["id"], batch["row"]):
                if rid in seen:
                    stats.duplicates += 1
                    continue
                seen.add(rid)
                row = json.loads(text)
                stats.failed += bool(row.get("error"))
                stats.done += not row.get("error")
                writer.write(row)
                if progress:
                    progress(stats)
    stats.elapsed = time.monotonic() - stats.started
    return stats


def run_from_args(args, config: RuntimeConfig, options: ArticleOptions, max_chars: int) -> int:
    ray = _import_ray()
    if args.input == "-":
        raise InputFormatError("the Ray engine reads files or URIs, not stdin")
    if "://" not in args.input and not os.path.exists(args.input):
        raise InputFormatError(f"{args.input}: no such file or directory")
    address = args.ray_address or os.environ.get("RAY_ADDRESS")
    if address:
        connect(address, ignore_reinit_error=True, log_to_driver=False)
    else:  # a local instance: on 127.0.0.1, never on the machine's other address
        init_local(ignore_reinit_error=True, log_to_driver=False)
    from .runner import Progress

    progress = Progress(None, args.progress, args.progress_interval) if args.progress != "none" else None
    stats = BatchStats()
    try:
        stats = run(args.input, args.output, config, options, fmt=args.input_format, max_chars=max_chars,
                    output_format=args.output_format, actors=args.ray_actors, gpus_per_actor=args.ray_gpus_per_actor,
                    cpus_per_actor=args.ray_cpus_per_actor, batch_size=args.ray_batch_size,
                    fsync_interval=args.fsync_interval, progress=progress)
    except KeyboardInterrupt:
        stats.stopped = "interrupted"
        return 130
    finally:
        if progress is not None:
            progress.close(stats)
        else:
            print(json.dumps(stats.as_dict()), file=sys.stderr)
        ray.shutdown()
    return 0
