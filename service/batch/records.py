"""Reading archives: JSONL, CSV with a header, a directory of ``.txt``/``.html`` files, or stdin.

Readers stream: one :class:`Record` at a time, nothing else kept. A row that
cannot be processed (invalid JSON, missing or empty text, text over the length
limit, bytes that are not UTF-8) is still yielded, as a record carrying
``error`` (a stable code) and ``reason`` (what was wrong), so that it becomes an
output row instead of stopping the run.

Ids: the row's ``id`` (numbers are turned into strings); a row without one, or
a line that is not JSON at all, gets ``NAME:LINE`` (the input's file name and
the 1-based line, or row for CSV), which is stable across reruns and shared by
the local and the Ray engines.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

RESERVED = ("id", "text", "title", "format")
TEXT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
FORMATS = ("auto", "jsonl", "csv", "dir")

csv.field_size_limit(2**31 - 1)  # articles are long; rows are bounded by iter_csv's max_row_chars instead


class InputFormatError(ValueError):
    """The input as a whole cannot be read (no such file, a CSV without a `text` column)."""


@dataclass
class Record:
    id: str
    text: str | None = None
    title: str | None = None
    format: str | None = None  # "text", "html" or None (detect)
    extra: dict = field(default_factory=dict)  # other fields, passed through to the output row
    error: str | None = None  # code of a bad row: invalid_json, missing_text, ...
    reason: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, {})}

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        return cls(**data)


def bad(id: str, code: str, reason: str, extra: dict | None = None) -> Record:
    return Record(id=id, error=code, reason=reason, extra=extra or {})


def _undecodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from errors="surrogateescape"
        return True
    return False


def record_from_mapping(obj: object, fallback_id: str, max_chars: int, where: str = "") -> Record:
    """A record from one parsed row; bad rows come back with ``error`` set."""
    where = where or fallback_id
    if not isinstance(obj, dict):
        return bad(fallback_id, "invalid_row", f"{where}: expected a JSON object with `id` and `text`, "
                                                f"got {type(obj).__name__}")
    raw_id = obj.get("id")
    if raw_id is None or raw_id == "":
        rid = fallback_id
    elif isinstance(raw_id, str):
        rid = raw_id
    elif isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        rid = str(raw_id)
    else:
        rid = json.dumps(raw_id, ensure_ascii=False)
    extra = {k: v for k, v in obj.items() if k not in RESERVED}
    text = obj.get("text")
    if text is None:
        return bad(rid, "missing_text", f"{where}: the row has no `text`", extra)
    if not isinstance(text, str):
        return bad(rid, "invalid_text", f"{where}: `text` must be a string, got {type(text).__name__}", extra)
    if _undecodable(text) or _undecodable(rid):
        return bad(rid, "undecodable", f"{where}: the row has bytes that are not UTF-8", extra)
    if not text.strip():
        return bad(rid, "empty_text", f"{where}: `text` is empty or only whitespace", extra)
    if len(text) > max_chars:
        return bad(rid, "too_long", f"{where}: `text` has {len(text)} characters; the limit is {max_chars} "
                                    "(TOMTAT_MAX_CHARS or --max-chars)", extra)
    title = obj.get("title")
    title = None if title in (None, "") else str(title)
    fmt = obj.get("format")
    fmt = fmt if fmt in ("text", "html") else None
    if "format" in obj and obj["format"] not in ("text", "html", "auto", None, ""):
        extra["format"] = obj["format"]
    return Record(id=rid, text=text, title=title, format=fmt, extra=extra)


def parse_jsonl_line(raw: bytes, name: str, line: int, max_chars: int) -> Record | None:
    """One line of a JSONL file (bytes, newline included or not); ``None`` for a blank line."""
    raw = raw.rstrip(b"\r\n")
    if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        return None
    fallback = f"{name}:{line}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return bad(fallback, "undecodable", f"line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at {exc.start})")
    try:
        obj = json.loads(text, parse_constant=_no_constants, parse_float=finite_float, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        return bad(fallback, "invalid_json", f"line {line}: invalid JSON: {exc}")
    except NumberOutOfRange as exc:  # 1e400: as NaN, not writable as JSON
        return bad(fallback, "invalid_json", f"line {line}: {out_of_range(text, exc)}")
    except ValueError as exc:  # NaN, Infinity: not JSON, and not writable as JSON either
        return bad(fallback, "invalid_json", f"line {line}: invalid JSON: {exc}")
    except RecursionError:
        return bad(fallback, "invalid_json", f"line {line}: invalid JSON: nested too deeply")
    return record_from_mapping(obj, fallback, max_chars, f"line {line}")


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


class NumberOutOfRange(ValueError):
    """A JSON number beyond a double's range (``1e400``): Python reads it as infinity, which no JSON can hold, so
    a row that kept it would be written back as ``Infinity``. ``path``: where it is in the value (see
    :func:`out_of_range`), once known."""

    def __init__(self, literal: str, path: str = ""):
        super().__init__(f"{'`' + path + '` is ' if path else 'the number '}{literal[:40]}, beyond the range of a "
                         "JSON number (about ±1.8e308); send a finite number")
        self.literal, self.path = literal, path


def finite_float(text: str) -> float:
    """``parse_float`` for every JSON the service reads: a number that overflows to infinity is refused."""
    value = float(text)
    if math.isinf(value):
        raise NumberOutOfRange(text)
    return value


class _Overflowed(float):
    """A number :func:`finite_float` refused, read again to find where it is."""


def _marked_float(text: str) -> float:
    value = float(text)
    return _Overflowed(value) if math.isinf(value) else value


# reads JSON again after finite_float refused a number, keeping the number (marked) to find where it is
MARKING = json.JSONDecoder(parse_float=_marked_float, parse_constant=_no_constants)


def out_of_range(text: str, exc: NumberOutOfRange) -> NumberOutOfRange:
    """``exc`` with the path of its number in the JSON ``text`` (``meta``, ``articles[2].score``; empty for the
    value itself): the text is read again (only after a refusal) with the number kept, to find it."""
    try:
        value = MARKING.decode(text.strip())
    except (ValueError, RecursionError):
        return exc
    return located(value, exc)


def located(value: object, exc: NumberOutOfRange) -> NumberOutOfRange:
    """``exc`` with the path of the first number in ``value`` (read with :data:`MARKING`) that was refused."""
    stack: list[tuple[object, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, _Overflowed):
            return NumberOutOfRange(exc.literal, path)
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))
    return exc


def unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` refusing an object with a key twice (which value was meant?): a ValueError
    naming the key. Every JSON body and JSONL line of the service is read with it."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key[:64]!r} appears twice in one object; send each key once")
            seen.add(key)
    return value



def iter_jsonl(stream: Iterable[bytes], name: str, max_chars: int) -> Iterator[Record]:
    """The records of a JSONL stream; a line over 8 bytes per allowed character (+ 64 KiB) is an error row,
    skipped without being held in memory."""
    cap = 8 * max_chars + 65536
    for n, raw in enumerate(_bounded_lines(stream, cap), 1):
        if raw is None:
            yield bad(f"{name}:{n}", "too_long", f"line {n}: over {cap} bytes; the line was skipped")
            continue
        record = parse_jsonl_line(raw, name, n, max_chars)
        if record is not None:
            yield record


def _bounded_lines(stream, cap: int) -> Iterator[bytes | None]:
    """The lines of ``stream``, None for one over ``cap`` bytes (the rest of it is read and dropped)."""
    if not hasattr(stream, "readline"):
        yield from (line if len(line) <= cap else None for line in stream)
        return
    while line := stream.readline(cap + 1):
        if len(line) > cap and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


class _Lines:
    """The physical lines of a text stream for ``csv.reader``, each at most ``cap`` characters, that remembers the
    lines of the record being read, so that a record over ``max_row_chars`` can be failed and its lines after the
    first read again (an unclosed quote then costs one row, not the rest of the file)."""

    def __init__(self, text: io.TextIOBase, max_row_chars: int):
        self.text = text
        self.max_row_chars = max_row_chars
        self.pushed: list[tuple[int, str]] = []  # (line number, line) to read again, last first
        self.record: list[tuple[int, str]] = []  # the lines of the record being read
        self.size = 0
        self.line_no = 0  # of the last line read from the stream

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pushed:
            number, line = self.pushed.pop()
        else:
            line = self.text.readline(self.max_row_chars + 1)
            if not line:
                raise StopIteration
            if not line.endswith(("\n", "\r")) and len(line) > self.max_row_chars:
                while (rest := self.text.readline(1 << 16)) and not rest.endswith(("\n", "\r")):
                    pass  # one physical line over the cap: skip the rest of it
            self.line_no += 1
            number = self.line_no
        self.record.append((number, line))
        self.size += len(line)
        if self.size > self.max_row_chars:
            raise _RowTooLarge(self.record[0][0])
        return line

    def start_record(self) -> None:
        self.record.clear()
        self.size = 0

    def first_line(self) -> int:
        return self.record[0][0] if self.record else self.line_no

    def retry_after_first(self) -> None:
        """Give back the lines of the failed record after its first (they are read again as new rows)."""
        self.pushed.extend(reversed(self.record[1:]))
        self.start_record()


class _RowTooLarge(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def iter_csv(stream: BinaryIO, name: str, max_chars: int, max_row_chars: int | None = None) -> Iterator[Record]:
    """Rows of a CSV with a header that has a `text` column (``id``, ``title`` optional).

    A row is bounded: one over ``max_row_chars`` (default: twice ``max_chars`` plus 64 Ki characters; an unclosed
    quote makes one) becomes an ``invalid_csv`` error row that names its first line, and reading goes on from the
    line after it, so no other row is lost and memory stays bounded."""
    max_row_chars = max_row_chars or 2 * max_chars + 65536
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(text, max_row_chars)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except _RowTooLarge:
        raise InputFormatError(f"{name}: the CSV header is over {max_row_chars} characters") from None
    except csv.Error as exc:
        raise InputFormatError(f"{name}: the CSV header cannot be read: {exc}") from exc
    if "text" not in header:
        raise InputFormatError(f"{name}: the CSV header has no `text` column (columns: {', '.join(header)})")
    row_no = 1
    while True:
        lines.start_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RowTooLarge as exc:
            row_no += 1
            yield bad(f"{name}:{row_no}", "invalid_csv", f"row {row_no} (line {exc.line}): the row is over "
                      f"{max_row_chars} characters, probably an unclosed quote; it was skipped and reading went on "
                      f"at line {exc.line + 1}")
            lines.retry_after_first()
            reader = csv.reader(lines)  # a fresh parser: the old one is inside the unclosed field
            continue
        except csv.Error as exc:
            row_no += 1
            yield bad(f"{name}:{row_no}", "invalid_csv", f"row {row_no} (line {lines.first_line()}): {exc}")
            continue
        row_no += 1
        if not any(cell.strip() for cell in row):
            continue
        fallback = f"{name}:{row_no}"
        if len(row) > len(header):
            yield bad(fallback, "invalid_row", f"row {row_no}: {len(row)} fields but the header has {len(header)}")
            continue
        obj = dict(zip(header, row))
        yield record_from_mapping(obj, fallback, max_chars, f"row {row_no}")


def iter_dir_paths(root: Path) -> Iterator[Path]:
    """Files with a known suffix under ``root``, in a stable (sorted) order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if Path(name).suffix.lower() in TEXT_SUFFIXES:
                yield Path(dirpath) / name


def record_from_file_bytes(data: bytes, rid: str, suffix: str, max_chars: int) -> Record:
    fmt = TEXT_SUFFIXES.get(suffix.lower(), "text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return bad(rid, "undecodable", f"{rid}: not UTF-8 (byte 0x{data[exc.start]:02x} at {exc.start})")
    return record_from_mapping({"id": rid, "text": text, "format": fmt}, rid, max_chars, rid)


def iter_dir(root: Path, max_chars: int) -> Iterator[Record]:
    for path in iter_dir_paths(root):
        rid = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield bad(rid, "unreadable", f"{rid}: {exc.strerror or exc}")
            continue
        yield record_from_file_bytes(data, rid, path.suffix, max_chars)


def detect_format(path: str, stream: BinaryIO | None = None) -> str:
    if path != "-" and Path(path).is_dir():
        return "dir"
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    head = b""
    if stream is not None and hasattr(stream, "peek"):
        head = stream.peek(4096)[:4096]
    elif path != "-":
        with open(path, "rb") as handle:
            head = handle.read(4096)
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonl" if head.startswith(b"{") or not head else "csv"


def count_records(path: str, fmt: str) -> int | None:
    """Quick estimate of the number of records (for the progress bar); ``None`` for stdin."""
    if path == "-":
        return None
    if fmt == "dir":
        return sum(1 for _ in iter_dir_paths(Path(path)))
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(lines - (fmt == "csv"), 0)


def read_records(path: str, fmt: str = "auto", max_chars: int = 100_000) -> Iterator[Record]:
    """Stream the records of ``path`` (``-``: stdin), bad rows included (with ``error``)."""
    if path == "-":
        stream = sys.stdin.buffer
        fmt = detect_format(path, stream) if fmt == "auto" else fmt
        if fmt == "dir":
            raise InputFormatError("stdin cannot be a directory; use --input-format jsonl or csv")
        yield from (iter_jsonl(stream, "stdin", max_chars) if fmt == "jsonl" else iter_csv(stream, "stdin", max_chars))
        return
    if not os.path.exists(path):
        raise InputFormatError(f"{path}: no such file or directory")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "dir":
        if not Path(path).is_dir():
            raise InputFormatError(f"{path}: not a directory")
        yield from iter_dir(Path(path), max_chars)
        return
    name = Path(path).name
    with open(path, "rb") as handle:
        yield from (iter_jsonl(handle, name, max_chars) if fmt == "jsonl" else iter_csv(handle, name, max_chars))
