"""The body of ``POST /v1/jobs``, read as a stream, counted and checked in one pass: a JSON array of
articles, an object with ``articles`` and options, or JSONL. ``read_job_body`` reads it once per request
(the character quota of ``service/limits.py`` asks first through ``job_body_chars``, the route next).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json

from flask import g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from models.text import characters

from .batch.records import (MARKING, NumberOutOfRange, Record, bad, finite_float, located, parse_jsonl_line,
                            record_from_mapping, unique_keys)
from .errors import ApiError

from .http import JSONL_TYPES, MalformedBody, control_at, number_out_of_range, settings

# -- the job body: read as a stream, counted and checked in one pass ------------------------------------

CHUNK = 1 << 20  # bytes read from the request at a time
MAX_ID_CHARS = 256  # an article's `id`, stored and echoed in every result row
MAX_EXTRA_CHARS = 4096  # an article's other fields (JSON), stored and passed through to its result row
MAX_OPTION_BYTES = 64 * 1024  # one option value of the object form (`translate`, `summary`, `translation`)
MAX_GLOSSARY_BYTES = 2 * 1024 * 1024  # an inline glossary (5,000 terms of up to 200 characters a side)


class _TooLarge(Exception):
    """One value of the body is over its byte cap."""


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON; send numbers as finite decimals")


_DECODER = json.JSONDecoder(parse_constant=_no_constants, parse_float=finite_float, object_pairs_hook=unique_keys)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JobBody:
    """A parsed job body: each article's ``(id, stored record as JSON bytes)``, what they cost, the options.

    Only the compact stored form of each article is kept (about the size of the body); nothing else."""

    def __init__(self):
        self.items: list[tuple[str, bytes]] = []
        self.chars = 0  # characters stored: every id, text, title and extra field (the character quota)
        self.options: dict = {}
        self.digest = hashlib.sha256()
        self._first: dict[str, str] = {}  # id -> where the article with it was (each result row has its own id)

    def add(self, record: Record, limit: int, where: str) -> None:
        if len(self.items) >= limit:
            raise ApiError(413, "Too many articles", f"the job has more than {limit} articles "
                           "(TOMTAT_MAX_JOB_ARTICLES); split it into several jobs", slug="too-many-articles",
                           limit=limit)
        n = len(self.items) + 1
        record = _capped(record, where, n)
        if record.id in self._first:  # its row under the article's position, so that no two rows share an id
            record = bad(f"body:{n}", "duplicate_id", f"{where}: the id {record.id!r} is also that of "
                         f"{self._first[record.id]}, which is processed; give each article of a job its own id")
        self._first.setdefault(record.id, where)
        try:
            stored = _dumps(record.to_dict()).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") in the title or an extra field
            record = bad(f"body:{len(self.items) + 1}", "undecodable", f"{where}: a field has a lone surrogate "
                         "(\\ud800-\\udfff), which is not text; fix the encoding of the article")
            stored = _dumps(record.to_dict()).encode("utf-8")
        extra = _dumps(record.extra) if record.extra else ""
        # counted as the quota counts a request's text: NFC characters
        self.chars += sum(characters(part) for part in (record.id, record.text or "", record.title or "", extra))
        self.items.append((record.id, stored))


def _capped(record: Record, where: str, n: int) -> Record:
    """Every stored field is bounded: an over-long `id`, one with a control character, or too many extra fields
    make the article an error row instead of being stored (such an id is replaced by the article's position,
    ``body:N``)."""
    if len(record.id) > MAX_ID_CHARS:
        return bad(f"body:{n}", "invalid_id", f"{where}: `id` has {len(record.id)} characters; the limit is "
                   f"{MAX_ID_CHARS}")
    at = control_at(record.id)
    if at is not None:  # a NUL cannot be stored (PostgreSQL), a line break breaks every listing of ids
        return bad(f"body:{n}", "invalid_id", f"{where}: `id` holds a control character (U+{ord(record.id[at]):04X}) "
                   f"at character {at}; send an id of printable characters")
    if record.extra:
        size = len(_dumps(record.extra))
        if size > MAX_EXTRA_CHARS:
            return bad(record.id, "extra_too_large", f"{where}: the fields other than id, text, title and format "
                       f"take {size} characters as JSON; the limit is {MAX_EXTRA_CHARS} (they are passed through "
                       "to the result row: drop the ones you do not need)")
    return record


def _body_error(detail: str, status: int = 400, slug: str = "malformed-json", **extra) -> ApiError:
    title = {400: "Malformed JSON", 413: "Article too large"}[status]
    return ApiError(status, title, detail, slug=slug, **extra)


def _too_large_error(s) -> ApiError:
    return ApiError(413, "Payload Too Large", f"the body is over the limit for a job of {s.max_job_bytes} bytes "
                    "(TOMTAT_MAX_JOB_BYTES); split the archive into several jobs", slug="job-too-large",
                    limit=s.max_job_bytes)


def _chunks(s, digest):
    """The request body in chunks of at most CHUNK bytes (the cached bytes if a hook read them already)."""
    cached = getattr(request, "_cached_data", None)
    stream = io.BytesIO(cached) if cached is not None else request.stream
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            yield chunk
    except RequestEntityTooLarge:  # a chunked body over TOMTAT_MAX_JOB_BYTES
        raise _too_large_error(s) from None
    except MalformedBody as exc:  # a malformed chunk, any server's error while reading the body
        raise ApiError(400, exc.problem_title, exc.description, slug=exc.problem_slug) from None
    except HTTPException as exc:  # the client went away mid-body (ClientDisconnected)
        raise ApiError(exc.code or 400, "Incomplete body", "the body ended before its announced length; send "
                       "it again", slug="incomplete-body") from None


def _jsonl(body: JobBody, s) -> None:
    """JSONL: one line at a time; a line over TOMTAT_MAX_JOB_ARTICLE_BYTES becomes an error row, unread."""
    cap = s.max_job_article_bytes
    pending = bytearray()
    line_no = 0
    skipping = False  # inside a line over the cap: drop bytes until its newline

    def emit(raw: bytes | None) -> None:
        nonlocal line_no
        line_no += 1
        if raw is None:
            record = bad(f"body:{line_no}", "too_large", f"line {line_no}: over {cap} bytes "
                         "(TOMTAT_MAX_JOB_ARTICLE_BYTES); the line was not read")
        else:
            record = parse_jsonl_line(raw, "body", line_no, s.max_chars)
            if record is None:
                return
        body.add(record, s.max_job_articles, f"line {line_no}")

    for chunk in _chunks(s, body.digest):
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if not skipping:
                pending += chunk[start:] if nl < 0 else chunk[start:nl]
                if len(pending) > cap:
                    pending.clear()
                    skipping = True
            if nl < 0:
                break
            if skipping:
                emit(None)
                skipping = False
            else:
                emit(bytes(pending))
                pending.clear()
            start = nl + 1
    if skipping:
        emit(None)
    elif pending:
        emit(bytes(pending))


class _JsonReader:
    """A JSON document decoded from the body a value at a time: only the value being read is in memory."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.buf = ""
        self.pos = 0
        self.offset = 0  # characters dropped from the front of buf
        self.eof = False

    def _fill(self, at_least: int = 1) -> bool:
        """Read at least ``at_least`` more characters (fewer at the end) → False at the end of the body."""
        added = 0
        while added < at_least and not self.eof:
            chunk = next(self.chunks, None)
            try:
                text = self.decoder.decode(chunk or b"", final=chunk is None)
            except UnicodeDecodeError as exc:
                raise _body_error(f"the body is not UTF-8 (byte 0x{exc.object[exc.start]:02x}); send the JSON "
                                  "encoded as UTF-8") from None
            if chunk is None:
                self.eof = True
            if self.pos > CHUNK:  # keep only what is not consumed yet
                self.offset += self.pos
                self.buf, self.pos = self.buf[self.pos:], 0
            self.buf += text
            added += len(text)
        return added > 0

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if char == "" or char not in chars:
            found = repr(char) if char else "the end of the body"
            raise _body_error(f"expected {what} at character {self.offset + self.pos}, found {found}")
        self.pos += 1
        return char

    def value(self, cap: int, decoder: json.JSONDecoder = _DECODER):
        """Decode the next value; _TooLarge once it is known to take more than ``cap`` characters;
        NumberOutOfRange (with the number's path in the value) for a number such as 1e400."""
        self.peek()
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except NumberOutOfRange as exc:  # read the value to its end with the number kept, to say where
                raise located(self.value(cap, MARKING), exc) from None
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 12 or exc.msg.startswith("Unterminated string")
                if not (incomplete and not self.eof):
                    raise _body_error(f"invalid JSON at character {self.offset + exc.pos}: {exc.msg}") from None
                self._grow(cap)
                continue
            except ValueError as exc:  # NaN, Infinity
                raise _body_error(f"invalid JSON at character {self.offset + self.pos}: {exc}") from None
            except RecursionError:
                raise _body_error(f"the value at character {self.offset + self.pos} is nested too deeply") from None
            if end == len(self.buf) and not self.eof:  # a number may go on in the next chunk
                self._grow(cap)
                continue
            if end - self.pos > cap:
                raise _TooLarge()
            self.pos = end
            return value

    def _grow(self, cap: int) -> None:
        pending = len(self.buf) - self.pos
        if pending > cap:
            raise _TooLarge()
        self._fill(max(pending, CHUNK))  # doubling: each value is decoded O(1) times over


def _json(body: JobBody, s) -> None:
    """A JSON array of articles, or an object with `articles` and options, one value at a time."""
    reader = _JsonReader(_chunks(s, body.digest))
    first = reader.peek()
    if first == "[":
        _array(reader, body, s)
    elif first == "{":
        reader.pos += 1
        fields = 0
        seen_articles = False
        while reader.peek() != "}":
            if fields:
                reader.expect(",", "',' or '}'")
            reader.expect('"', "a field name in double quotes")
            reader.pos -= 1
            try:
                key = reader.value(MAX_OPTION_BYTES)
            except _TooLarge:
                raise _body_error("a field name is over 64 KiB") from None
            reader.expect(":", "':'")
            fields += 1
            if key == "articles" and reader.peek() == "[":
                if seen_articles:
                    raise ApiError(422, "Invalid request", "`articles` appears twice in the body; send it once",
                                   slug="validation", errors=[{"field": "articles", "message": "given twice"}])
                seen_articles = True
                _array(reader, body, s)
                continue
            if key in body.options:  # as for any other JSON body (service/http.py): one value per key
                raise _body_error(f"the key {key[:64]!r} appears twice in one object; send each key once")
            cap = MAX_GLOSSARY_BYTES if key == "glossary" else MAX_OPTION_BYTES
            try:
                body.options[key] = reader.value(cap)
            except NumberOutOfRange as exc:
                raise number_out_of_range(exc, key).problem() from None
            except _TooLarge:
                raise ApiError(422, "Invalid request", f"the value of `{key}` is over {cap} bytes",
                               slug="validation", errors=[{"field": key, "message": "too large"}]) from None
        reader.pos += 1
        if not seen_articles:
            raise _not_articles()
        body.options.pop("articles", None)
    elif first == "":
        raise _body_error("the body is empty; send a JSON array of articles")
    else:
        try:
            reader.value(MAX_OPTION_BYTES)
        except (_TooLarge, NumberOutOfRange):
            pass
        raise _not_articles()
    if reader.peek() != "":
        raise _body_error(f"extra data after the JSON value at character {reader.offset + reader.pos}; send one "
                          "JSON document (or JSONL with 'Content-Type: application/x-ndjson')")


def _not_articles() -> ApiError:
    return ApiError(422, "Invalid request", "the body must be a JSON array of articles, an object with "
                    "`articles`, or JSONL", slug="validation",
                    errors=[{"field": "body", "message": "expected an array"}])


def _array(reader: _JsonReader, body: JobBody, s) -> None:
    reader.expect("[", "'['")
    cap = s.max_job_article_bytes
    i = 0
    while reader.peek() != "]":
        if i:
            reader.expect(",", "',' or ']'")
        try:
            value = reader.value(cap)
        except NumberOutOfRange as exc:  # 1e400: an article kept as infinity would be written back as Infinity
            raise number_out_of_range(exc, f"articles[{i}]").problem() from None
        except _TooLarge:
            raise _body_error(f"articles[{i}] is over {cap} bytes (TOMTAT_MAX_JOB_ARTICLE_BYTES); shorten it or "
                              "send it on its own", 413, "article-too-large", limit=cap) from None
        body.add(record_from_mapping(value, f"body:{i + 1}", s.max_chars, f"articles[{i}]"), s.max_job_articles,
                 f"articles[{i}]")
        i += 1
    reader.pos += 1


def read_job_body() -> JobBody:
    """This request's job body, read once (the character quota asks first, the route next)."""
    cached = g.get("tomtat_job_body")
    if cached is None:
        try:
            cached = _read_job_body()
        except ApiError as exc:
            cached = exc
        g.tomtat_job_body = cached
    if isinstance(cached, ApiError):
        raise cached
    return cached


def _read_job_body() -> JobBody:
    s = settings()
    if request.content_length is not None and request.content_length > s.max_job_bytes:
        raise ApiError(413, "Payload Too Large", f"the body has {request.content_length} bytes; the limit for a job "
                       f"is {s.max_job_bytes} (TOMTAT_MAX_JOB_BYTES); split the archive into several jobs",
                       slug="job-too-large", limit=s.max_job_bytes)
    mimetype = request.mimetype
    if mimetype not in JSONL_TYPES and mimetype != "application/json":
        raise ApiError(415, "Unsupported Media Type",
                       "send a JSON array of articles (application/json) or JSONL (application/x-ndjson)")
    body = JobBody()
    (_jsonl if mimetype in JSONL_TYPES else _json)(body, s)
    if not body.items:
        raise ApiError(422, "Invalid request", "the job has no articles", slug="validation",
                       errors=[{"field": "body", "message": "send at least one article"}])
    return body


def job_body_chars() -> int:
    """Characters a job POST stores (the character quota's cost); 0 when the body is refused anyway."""
    try:
        return read_job_body().chars
    except ApiError:
        return 0


def is_job_post() -> bool:
    return request.method == "POST" and request.endpoint == "jobs.create_job"
