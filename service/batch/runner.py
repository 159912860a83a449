"""The local batch engine: records in, result rows out, through ``process_article``.

``process_record`` turns one record into one output row (also used by the HTTP
job workers and the Ray actors, so all three produce the same rows).
``run_local`` streams an archive through a small thread pool sharing one
``Runtime`` (the same models and batching as the service), with a bounded
number of articles in flight, so memory does not grow with the archive.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field

from models import pipeline
from models.errors import CapabilityUnavailable, InputError
from models.glossary import Glossary, from_dict as glossary_from_dict
from models.runtime import Runtime

from .records import Record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleOptions:
    """What to do with every article of a run or job."""

    summary: pipeline.SummaryOptions = field(default_factory=pipeline.SummaryOptions)
    translate: pipeline.TranslateWhat = "summary"
    translation: pipeline.GenerationOverrides = field(default_factory=pipeline.GenerationOverrides)
    glossary: Glossary | None = None  # for the English (vi→en); a job keeps a copy of its terms

    def to_dict(self) -> dict:
        out = {"summary": asdict(self.summary), "translate": self.translate, "translation": asdict(self.translation)}
        if self.glossary:
            out["glossary"] = self.glossary.as_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ArticleOptions":
        summary = dict(data.get("summary") or {})
        generation = pipeline.GenerationOverrides(**(summary.pop("generation", None) or {}))
        return cls(
            summary=pipeline.SummaryOptions(**summary, generation=generation),
            translate=data.get("translate", "summary"),
            translation=pipeline.GenerationOverrides(**(data.get("translation") or {})),
            glossary=glossary_from_dict(data.get("glossary")),
        )

    def check(self, runtime: Runtime) -> None:
        """Raise ``CapabilityUnavailable`` now if a model these options need is missing."""
        if self.translate != "none":
            runtime.translator()
        if self.summary.method == "abstractive":
            runtime.abstractive()


def error_row(record: Record, code: str, reason: str) -> dict:
    return {"id": record.id, "error": code, "reason": reason, **_extra(record, {"id", "error", "reason"})}


def _extra(record: Record, taken: Iterable[str]) -> dict:
    taken = set(taken)
    return {k: v for k, v in record.extra.items() if k not in taken}


def process_record(runtime: Runtime, record: Record, options: ArticleOptions) -> dict:
    """One record → its output row. Bad input becomes a row with ``error``; ``CapabilityUnavailable`` propagates."""
    if record.error:
        return error_row(record, record.error, record.reason or record.error)
    try:
        result = pipeline.process_article(
            runtime, record.text, id=record.id, title=record.title, format=record.format,
            summary=options.summary, translate=options.translate, translation=options.translation,
            glossary=options.glossary,
        )
    except InputError as exc:
        return error_row(record, exc.code, str(exc))
    except CapabilityUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - one article's failure must not stop an archive
        log.exception("article %s failed", record.id)
        return error_row(record, "internal", f"{type(exc).__name__}: {exc}")
    row = {"id": record.id, "summary_vi": result.summary_vi, "summary_en": result.summary_en}
    if options.translate in ("full", "both"):
        row["translation_en"] = result.translation_en
    row["models"] = result.models
    row["checks"] = result.checks  # fact checks of the neural outputs (models/faithfulness/)
    if result.warnings:
        row["warnings"] = result.warnings
    return row | _extra(record, row.keys() | {"error", "reason", "checks", "warnings"})


@dataclass
class BatchStats:
    total: int | None = None  # estimate of records in the input (None: unknown, e.g. stdin)
    done: int = 0  # rows written without error this run
    failed: int = 0  # rows written with error this run
    skipped: int = 0  # already in the output (resume)
    duplicates: int = 0  # ids seen before in this input (not written again)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    stopped: str | None = None  # why the run stopped early (fail-fast, interrupted)

    @property
    def seen(self) -> int:
        return self.done + self.failed + self.skipped + self.duplicates

    @property
    def rate(self) -> float:
        elapsed = self.elapsed or (time.monotonic() - self.started)
        return (self.done + self.failed) / elapsed if elapsed > 0 else 0.0

    def as_dict(self) -> dict:
        return {"done": self.done, "failed": self.failed, "skipped": self.skipped, "duplicates": self.duplicates,
                "seconds": round(self.elapsed, 3), "articles_per_s": round(self.rate, 2), "stopped": self.stopped}


class FailFast(Exception):
    def __init__(self, row: dict):
        super().__init__(f"article {row['id']}: {row['error']}: {row['reason']}")
        self.row = row


def run_local(
    records: Iterable[Record],
    process: Callable[[Record], dict],
    write: Callable[[dict], None],
    *,
    done_ids: set[str] | None = None,
    workers: int = 1,
    fail_fast: bool = False,
    stats: BatchStats | None = None,
    on_progress: Callable[[BatchStats], None] | None = None,
    max_duplicate_warnings: int = 20,
) -> BatchStats:
    """Process every record not in ``done_ids`` and write its row as it completes.

    At most ``workers * 2`` articles are in flight, so memory stays flat whatever the
    input size (only the ids are kept, to skip and report duplicates). Rows are written
    from this thread only. ``KeyboardInterrupt`` stops the run after writing what has
    completed; ``fail_fast`` stops it at the first failed row, which is not written.
    """
    stats = stats or BatchStats()
    done_ids = done_ids if done_ids is not None else set()
    seen: set[str] = set()
    workers = max(1, workers)
    report = on_progress or (lambda s: None)

    def emit(row: dict) -> None:
        if row.get("error"):
            if fail_fast:
                raise FailFast(row)
            stats.failed += 1
        else:
            stats.done += 1
        write(row)
        report(stats)

    pool = ThreadPoolExecutor(workers, thread_name_prefix="tomtat-batch") if workers > 1 else None
    pending: set[Future] = set()

    def drain(block_until: int) -> None:
        nonlocal pending
        while len(pending) > block_until:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                emit(future.result())

    try:
        for record in records:
            if record.id in seen:
                stats.duplicates += 1
                if stats.duplicates <= max_duplicate_warnings:
                    log.warning("duplicate id %r: only its first row is processed", record.id)
                report(stats)
                continue
            seen.add(record.id)
            if record.id in done_ids:
                stats.skipped += 1
                report(stats)
                continue
            if pool is None or record.error:
                emit(process(record))
                continue
            pending.add(pool.submit(process, record))
            drain(workers * 2 - 1)
        drain(0)
    except FailFast as exc:
        stats.stopped = f"--fail-fast: {exc}"
        for future in pending:  # articles already in flight: keep their good results
            row = future.result()
            if not row.get("error"):
                stats.done += 1
                write(row)
        raise
    except KeyboardInterrupt:
        stats.stopped = "interrupted"
        for future in pending:
            future.cancel()
        for future in pending:  # keep what already completed
            if future.done() and not future.cancelled() and future.exception() is None:
                emit(future.result())
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        stats.elapsed = time.monotonic() - stats.started
    return stats


class Progress:
    """A progress bar (tqdm) on a terminal; plain periodic lines otherwise; a final summary."""

    def __init__(self, total: int | None, mode: str = "auto", interval: float = 10.0, stream=None):
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "plain"
        self.mode = mode
        self.interval = interval
        self.total = total
        self._last = time.monotonic()
        self._bar = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="art", file=self.stream, dynamic_ncols=True, smoothing=0.05)

    def __call__(self, stats: BatchStats) -> None:
        if self._bar is not None:
            self._bar.update(stats.seen - self._bar.n)
            now = time.monotonic()
            if now - self._last >= 0.5:
                self._last = now
                self._bar.set_postfix(done=stats.done, failed=stats.failed, skipped=stats.skipped, refresh=False)
        elif self.mode == "plain":
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                print("tomtat batch: " + self.line(stats), file=self.stream, flush=True)

    def line(self, stats: BatchStats) -> str:
        total = f"/{self.total}" if self.total else ""
        pct = f" ({100 * stats.seen / self.total:.1f}%)" if self.total else ""
        eta = ""
        if self.total and stats.rate > 0:
            left = max(self.total - stats.seen, 0) / stats.rate
            eta = f", ETA {int(left // 3600):d}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
        return (f"{stats.seen}{total}{pct} done={stats.done} failed={stats.failed} skipped={stats.skipped}, "
                f"{stats.rate:.1f} articles/s{eta}")

    def close(self, stats: BatchStats) -> None:
        if self._bar is not None:
            self._bar.update(stats.seen - self._bar.n)
            self._bar.close()
        dup = f", {stats.duplicates} duplicate ids" if stats.duplicates else ""
        print(f"tomtat batch: {stats.done} done, {stats.failed} failed, {stats.skipped} skipped{dup} "
              f"in {stats.elapsed:.1f} s ({stats.rate:.1f} articles/s)"
              + (f"; stopped: {stats.stopped}" if stats.stopped else ""), file=self.stream, flush=True)
