"""The resumable JSONL output: append-only, one result per line, crash-safe.

* Each row is written with a single unbuffered ``write`` of the whole line, as
  soon as its article completes (order of completion), so a killed process
  (``kill -9``) loses at most the articles still in flight; the file is
  ``fsync``-ed every few seconds and at the end, so a machine crash loses at
  most that much.
* On start, :meth:`ResultWriter.open` reads what is already there: the ids
  already written are skipped by the run, and a half-written last line (a
  crash during a write, a full disk) is cut off so its article is redone.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    done: set[str] = field(default_factory=set)  # ids with a row in the output
    failed: int = 0  # of those, rows with `error`
    repaired_bytes: int = 0  # size of a torn last line that was cut off
    invalid_lines: int = 0  # complete lines that are not JSON objects with an id (left as they are)
    dropped_failed: int = 0  # error rows removed for --retry-failed


def dumps(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _stat(path: str, fd: int) -> os.stat_result | None:
    """``path``'s file (``-``: the file behind ``fd``, stdin or stdout), or ``None`` (absent, a URI)."""
    try:
        if path == "-":
            return os.fstat(fd)
        if "://" in path:
            return None
        return os.stat(path)
    except OSError:
        return None


def same_file_problem(input_path: str, output_path: str, dir_suffixes=frozenset()) -> str | None:
    """Why ``output_path`` must not be written for ``input_path``, or ``None``.

    The output is appended to and its ids are skipped as done, so when it is the input itself (the same path,
    another path to it, a symlink or hard link; for ``-``, the file stdin comes from or stdout goes to) the run
    would take every article as done and append its rows into the archive. A directory input is also refused an
    output inside it whose suffix is one of ``dir_suffixes`` (the files the reader of that directory reads).
    """
    source, target = _stat(input_path, 0), _stat(output_path, 1)
    if source is not None and target is not None and stat.S_ISREG(source.st_mode) \
            and os.path.samestat(source, target):
        shown = "stdin" if input_path == "-" else input_path
        written = "stdout" if output_path == "-" else output_path
        return (f"the output {written} is the input {shown} itself; results would be appended into the archive "
                "and its articles taken as done. Write the results to another file (e.g. -o results.jsonl)")
    if source is not None and stat.S_ISDIR(source.st_mode) and output_path != "-" and "://" not in output_path \
            and os.path.splitext(output_path)[1].lower() in dir_suffixes:
        root, out = os.path.realpath(input_path), os.path.realpath(output_path)
        if os.path.commonpath([root, out]) == root:
            return (f"the output {output_path} is inside the input directory {input_path} and would be read as one "
                    "of its articles. Write the results outside that directory")
    return None


def scan_output(path: str, retry_failed: bool = False) -> ScanResult:
    """Ids already in ``path``; cut a torn last line; with ``retry_failed`` drop error rows (rewrite)."""
    result = ScanResult()
    if not os.path.exists(path):
        return result
    good_end = 0
    keep_tmp = None
    if retry_failed:
        keep_tmp = open(path + ".retry-tmp", "wb")
    try:
        with open(path, "rb") as handle:
            offset = 0
            for raw in handle:
                start, offset = offset, offset + len(raw)
                if not raw.endswith(b"\n"):
                    result.repaired_bytes = len(raw)  # torn: the process died inside this write
                    break
                good_end = offset
                try:
                    row = json.loads(raw)
                    rid = row["id"] if isinstance(row, dict) else None
                except (ValueError, KeyError):
                    rid = None
                if not isinstance(rid, str):
                    if raw.strip():
                        result.invalid_lines += 1
                        log.warning("%s: line at byte %d is not a result row; left as it is", path, start)
                    if keep_tmp:
                        keep_tmp.write(raw)
                    continue
                if retry_failed and row.get("error"):
                    result.dropped_failed += 1
                    continue
                if keep_tmp:
                    keep_tmp.write(raw)
                result.done.add(rid)
                result.failed += bool(row.get("error"))
        if keep_tmp:
            keep_tmp.flush()
            os.fsync(keep_tmp.fileno())
            keep_tmp.close()
            keep_tmp = None
            if result.dropped_failed:
                os.replace(path + ".retry-tmp", path)
                return result
            os.unlink(path + ".retry-tmp")
        if result.repaired_bytes:
            with open(path, "r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        if keep_tmp:
            keep_tmp.close()
            os.unlink(path + ".retry-tmp")
    return result


class ResultWriter:
    """Appends result rows to ``path`` (``-``: stdout, not resumable)."""

    def __init__(self, path: str, fsync_interval: float = 5.0):
        self.path = path
        self.fsync_interval = fsync_interval
        self.rows = 0
        self._last_sync = time.monotonic()
        if path == "-":
            self._fd = sys.stdout.fileno()
            self._sync = False
        else:
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._sync = True

    def write(self, row: dict) -> None:
        data = dumps(row)
        view = memoryview(data)
        while view:  # one write for a regular file; the loop only matters for pipes
            written = os.write(self._fd, view)
            view = view[written:]
        self.rows += 1
        if self._sync and time.monotonic() - self._last_sync >= self.fsync_interval:
            self.sync()

    def sync(self) -> None:
        if self._sync:
            os.fsync(self._fd)
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._fd is None:
            return
        self.sync()
        if self.path != "-":
            os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "ResultWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
