"""Shared helpers: JSONL read/append (resumable runs), progress bar on a TTY."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence


def read_jsonl(path: str | Path, limit: int | None = None) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
                if limit is not None and len(out) >= limit:
                    break
    return out


def load_done(path: Path) -> dict[str, dict]:
    """Per-record results already written by an earlier (possibly interrupted) run."""
    done: dict[str, dict] = {}
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut by an interrupted run
                    continue
                done[str(rec["id"])] = rec
    return done


class Appender:
    def __init__(self, path: Path | None):
        self.fh = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(path, "a", encoding="utf-8")

    def write(self, rec: dict) -> None:
        if self.fh:
            self.fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.fh.flush()

    def close(self) -> None:
        if self.fh:
            self.fh.close()


def progress(items: Iterable, total: int | None = None, desc: str = "", enabled: bool | None = None) -> Iterator:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if enabled:
        try:
            from tqdm import tqdm

            return iter(tqdm(items, total=total, desc=desc, file=sys.stderr))
        except ImportError:  # pragma: no cover
            pass
    return iter(items)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def resumable_rows(records: Sequence[dict], compute: Callable[[dict], dict], out_path: Path | None, name: str,
                   desc: str, progress_bar: bool | None = None) -> tuple[list[dict], int]:
    """One result row per record, computed once: rows already in ``<out>/<name>.records.jsonl``
    (an earlier, maybe interrupted run) are reused; new rows are appended as they come.
    ``compute(record)`` returns the row without its ``id``. Returns the rows and how many were new."""
    rec_path = out_path / f"{name}.records.jsonl" if out_path else None
    done = load_done(rec_path) if rec_path else {}
    app = Appender(rec_path)
    rows, n_new = [], 0
    try:
        for rec in progress(records, total=len(records), desc=desc, enabled=progress_bar):
            rid = str(rec.get("id"))
            if rid in done:
                rows.append(done[rid])
                continue
            row = {"id": rid, **compute(rec)}
            app.write(row)
            rows.append(row)
            n_new += 1
    finally:
        app.close()
    return rows, n_new
