"""Request plumbing shared by the routes: JSON body parsing, limits, the runtime."""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from typing import TypeVar

from flask import current_app, g, has_request_context, jsonify, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_content_length, get_input_stream
from pydantic import BaseModel

from models.runtime import Runtime
from models.text import characters

from .batch.records import NumberOutOfRange, finite_float, out_of_range, unique_keys
from .config import Settings
from .errors import ApiError

M = TypeVar("M", bound=BaseModel)

JOBS_EXTENSION = "tomtat.jobs"

JSONL_TYPES = {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines",
               "application/ndjson", "text/jsonl"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

def settings() -> Settings:
    return current_app.extensions["tomtat.settings"]


def runtime() -> Runtime:
    return current_app.extensions["tomtat.runtime"]


def job_workers(app=None):
    """The app's ``JobWorkers`` (``service/workers.py``, set up by ``service/jobs.py``): its job store, its
    queue. Looked up here, beside the runtime, so that the routes whose work the workers run (documents) need
    not import the workers."""
    return (app or current_app).extensions[JOBS_EXTENSION]


def json_body() -> object:
    """The request's JSON value, or a 415/400 problem that says what to send."""
    if not request.is_json:
        raise ApiError(415, "Unsupported Media Type",
                       f"send the body as JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'})")
    data = request.get_json(silent=True)
    if data is None:
        problem = json_problem()
        if problem is not None:
            raise problem
        raise ApiError(422, "Invalid request", "the body is JSON null; send a JSON object", slug="validation",
                       errors=[{"field": "body", "message": "expected an object"}])
    return data


def parse(model: type[M]) -> M:
    data = json_body()
    if not isinstance(data, dict):
        raise ApiError(422, "Invalid request", "the body must be a JSON object", slug="validation",
                       errors=[{"field": "body", "message": "expected an object"}])
    return model.model_validate(data)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # C0 control characters and DEL: no place in an id, key or name
_CONTROL_BUT_BLANKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # a text's tabs and line breaks are blanks


def control_at(value: str, blanks: bool = False) -> int | None:
    """Where ``value`` holds its first control character (NUL, CR, LF, tab… DEL), or None; ``blanks``: a tab,
    a line feed or a carriage return is no control character here (a glossary term's words may be split so)."""
    found = (_CONTROL_BUT_BLANKS if blanks else _CONTROL).search(value)
    return found.start() if found else None


def idempotency_key() -> str | None:
    """The request's ``Idempotency-Key`` header (jobs, documents), or a 422 when it is not 1-255 characters
    or holds a control character (PostgreSQL stores no NUL)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 255):
        raise ApiError(422, "Invalid request", "Idempotency-Key must have 1 to 255 characters", slug="validation",
                       errors=[{"field": "Idempotency-Key", "message": "1 to 255 characters"}])
    at = None if key is None else control_at(key)
    if at is not None:
        raise ApiError(422, "Invalid request", f"Idempotency-Key holds a control character (U+{ord(key[at]):04X}) "
                       f"at character {at}; send a key of printable characters, such as a UUID", slug="validation",
                       errors=[{"field": "Idempotency-Key", "message": "no control characters"}])
    return key


def key_reused(job_id: str) -> ApiError:
    """The 422 of an Idempotency-Key sent again with another request (the tenant's own job: its id tells no
    one else anything)."""
    return ApiError(422, "Idempotency-Key reused", f"this Idempotency-Key was used for job {job_id} with a "
                    "different request; use a new key for a new job", slug="idempotency-key-reused", job_id=job_id)


def accepted(body: dict, location: str, replayed: bool = False):
    """202 for a job (``/v1/jobs``, ``/v1/documents``): its body and ``Location``; ``Idempotent-Replayed`` when
    an Idempotency-Key answered with an earlier job."""
    response = jsonify(body)
    response.status_code = 202
    response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def check_length(text: str, field: str) -> None:
    """At most TOMTAT_MAX_CHARS characters, counted in NFC (the form the service reads: NFD Vietnamese is not
    charged for its combining marks)."""
    limit = settings().max_chars
    count = characters(text)
    if count > limit:
        raise ApiError(413, "Text too long",
                       f"{field} has {count} characters; the limit is {limit} (TOMTAT_MAX_CHARS). "
                       "Split the text or raise the limit.",
                       slug="text-too-long", limit=limit, errors=[{"field": field, "message": f"over {limit} characters"}])


def check_generation(gen, prefix: str = "") -> None:
    """Enforce the server's bounds on per-request generation settings."""
    s = settings()
    errors = []
    if gen.max_new_tokens is not None and gen.max_new_tokens > s.max_new_tokens:
        errors.append({"field": prefix + "max_new_tokens", "message": f"at most {s.max_new_tokens}"})
    if gen.num_beams is not None and gen.num_beams > s.max_beams:
        errors.append({"field": prefix + "num_beams", "message": f"at most {s.max_beams}"})
    if gen.min_new_tokens is not None and gen.min_new_tokens > s.max_new_tokens:
        errors.append({"field": prefix + "min_new_tokens", "message": f"at most {s.max_new_tokens}"})
    if errors:
        raise ApiError(422, "Invalid request", "generation settings are over the server's bounds; see 'errors'",
                       slug="validation", errors=errors)


# -- strict JSON ------------------------------------------------------------------
# Every JSON request body is parsed here (the app's JSON provider, see service/app.py), once per
# request (Flask caches it): what Python's json module would accept but no client means — NaN and
# Infinity, duplicate keys, a byte order mark, invalid UTF-8, lone surrogates, NUL, nesting deeper
# than any request needs — is refused with a problem that says what and where, never a 500.

MAX_JSON_DEPTH = 32  # the deepest request (a job article's summary options) needs 4
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRejected(ValueError):
    """A body that is not acceptable JSON; ``problem()`` is the answer to give."""

    def __init__(self, status: int, title: str, detail: str, slug: str, errors: list[dict] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.slug, self.errors = status, title, detail, slug, errors

    def problem(self) -> ApiError:
        return ApiError(self.status, self.title, self.detail, slug=self.slug, errors=self.errors)


def _malformed(detail: str) -> JsonRejected:
    return JsonRejected(400, "Malformed JSON", detail, "malformed-json")


def _no_constant(name: str):
    raise _malformed(f"{name} is not a JSON number; send a finite number (or leave the field out)")


def number_out_of_range(exc: NumberOutOfRange, prefix: str = "") -> JsonRejected:
    """The 422 validation problem of a number such as 1e400, naming its field (``prefix`` + its path in the
    value): the answer pydantic gave for the infinity such a field got, for every field now, whatever its type."""
    field = ".".join(p for p in (prefix, exc.path) if p).replace(".[", "[") or "body"
    return JsonRejected(422, "Invalid request", str(NumberOutOfRange(exc.literal, field)), "validation",
                        errors=[{"field": field, "message": "a number out of range"}])


def no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """:func:`service.batch.records.unique_keys`, refusing as a 400 malformed-json problem."""
    try:
        return unique_keys(pairs)
    except ValueError as exc:
        raise _malformed(str(exc)) from None


def _check_values(value: object, check_strings: bool) -> None:
    """Depth at most MAX_JSON_DEPTH; with ``check_strings``, no NUL or lone surrogate in any string or key."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
            if check_strings:
                children += list(item.keys())
        elif isinstance(item, list):
            children = item
        else:
            if check_strings and isinstance(item, str) and "\x00" in item:
                raise JsonRejected(422, "Invalid text", f"a string holds a NUL character (\\u0000) at character "
                                   f"{item.index(chr(0))}; remove it", "invalid-character")
            if check_strings and isinstance(item, str) and _SURROGATE.search(item):
                index = _SURROGATE.search(item).start()
                raise JsonRejected(422, "Invalid text",
                                   f"a string holds a lone surrogate (U+{ord(item[index]):04X}, \\u escape) at "
                                   f"character {index}: it is no Unicode character; send valid UTF-16 pairs or the "
                                   "character itself", "invalid-character")
            continue
        if depth > MAX_JSON_DEPTH:
            raise JsonRejected(400, "JSON nested too deep", f"the body nests arrays and objects deeper than "
                               f"{MAX_JSON_DEPTH} levels; no request needs more than 4", "json-too-deep")
        kinds = (dict, list, str) if check_strings else (dict, list)
        stack.extend((child, depth + 1) for child in children if isinstance(child, kinds))


def strict_loads(data: bytes | str) -> object:
    if isinstance(data, (bytes, bytearray)):
        if data.startswith(b"\xef\xbb\xbf"):
            raise _malformed("the body starts with a byte order mark (U+FEFF); send UTF-8 JSON without it")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed(f"the body is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                             "send JSON encoded as UTF-8") from None
    else:
        text = data
    if text.startswith("\ufeff"):
        raise _malformed("the body starts with a byte order mark (U+FEFF); send UTF-8 JSON without it")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=finite_float, object_pairs_hook=no_duplicates)
    except NumberOutOfRange as exc:  # 1e400 is JSON, but no number a field takes (Python reads it as infinity)
        raise number_out_of_range(out_of_range(text, exc)) from None
    except RecursionError:
        raise JsonRejected(400, "JSON nested too deep", f"the body nests arrays and objects deeper than "
                           f"{MAX_JSON_DEPTH} levels; no request needs more than 4", "json-too-deep") from None
    except json.JSONDecodeError as exc:
        raise _malformed(f"the body is not valid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno} "
                         f"column {exc.colno}; check quotes, commas and brackets") from None
    except JsonRejected:
        raise
    except ValueError as exc:  # an integer of more than sys.get_int_max_str_digits() digits
        if "digits" in str(exc):
            raise _malformed(f"a number has more than {sys.get_int_max_str_digits()} digits; no field takes such "
                             "a number, send a smaller one") from None
        raise _malformed(f"the body is not valid JSON: {exc}") from None
    brackets = text.count("[") + text.count("{")
    escapes = _SURROGATE_ESCAPE.search(text) is not None or "\\u0000" in text  # only escapes make these
    if brackets > MAX_JSON_DEPTH or escapes:
        _check_values(value, escapes)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON: responses as Flask writes them, request bodies through ``strict_loads``."""

    def loads(self, s: str | bytes, **kwargs) -> object:
        try:
            return strict_loads(s)
        except JsonRejected as exc:
            if has_request_context():
                g.json_problem = exc  # the route's json_body() (or a blueprint's own) reports it
            raise


def json_problem() -> ApiError | None:
    """Why this request's JSON body was refused (after ``request.get_json(silent=True)`` returned None)."""
    exc = g.get("json_problem")
    return exc.problem() if exc is not None else None


# -- unread bodies ------------------------------------------------------------------
# An answer given before the body is read (413 over the limit, 401 without a key, 415, 404…) used to
# reach Python clients as a broken pipe: http.client, urllib, httpx write the whole body before they
# read the answer, and the server closed the connection under them. The app's WSGI callable now reads
# and discards what the route left unread, up to DRAIN_BYTES within DRAIN_SECONDS, before the answer
# goes out; a body larger than that is not read, and the answer says ``Connection: close``.

DRAIN_BYTES = 32 * 1024 * 1024
DRAIN_SECONDS = 10.0
_CHUNK = 256 * 1024


class MalformedBody(BadRequest):
    """Reading the request body failed: a malformed chunked encoding (gunicorn's InvalidChunkSize,
    ChunkMissingTerminator…), a body cut short, a connection gone. A 400 problem, whichever route or hook read."""

    problem_title, problem_slug = "Malformed body", "malformed-body"  # the problem's (service/errors.py)

    def __init__(self, reason: str):
        super().__init__(f"the request body is malformed: {reason}; send a valid Content-Length or chunked body")
        self.reason = reason


class IncompleteBody(MalformedBody):
    """The body ended before the length its Content-Length announced: the client went away or its proxy cut
    it. A server that marks its input terminated (gunicorn's ``wsgi.input_terminated``) hands the app an end
    of stream there, which would read as a shorter, valid body: a job of the first articles only."""

    problem_title, problem_slug = "Incomplete body", "incomplete-body"

    def __init__(self, got: int, expected: int):
        BadRequest.__init__(self, f"the body ended after {got} of the {expected} bytes its Content-Length "
                                  "announced; send it again whole")
        self.reason = f"ended after {got} of {expected} bytes"


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:200]
    return text or type(exc).__name__


def _is_body_error(exc: Exception) -> bool:
    """An error of the body the client sent, or of its connection: a WSGI server's parse errors (gunicorn's
    ``ParseException`` family, its ``NoMoreData``; named by module, gunicorn need not be importable), a
    broken or closed connection (``OSError``), a value the server could not read (``ValueError``)."""
    if isinstance(exc, (OSError, ValueError, EOFError)):
        return True
    return any(cls.__module__.startswith(("gunicorn.http", "werkzeug")) for cls in type(exc).__mro__)


class _CountingInput:
    """``wsgi.input`` that counts what the app read of it, and turns whatever the server raises while reading
    it into :class:`MalformedBody`, raised again by every later read (the server's parser is broken by then,
    and a hook that reads after the route must not read on from the middle of a bad chunk)."""

    def __init__(self, stream, expected: int | None = None):
        self._stream = stream
        self.consumed = 0
        self.expected = expected if expected is not None and expected >= 0 else None  # Content-Length
        self.failed: MalformedBody | None = None

    def _ended(self, data_len: int, size=None) -> None:
        """After a read of ``data_len`` bytes that asked for ``size`` (None or negative: to the end): the end
        of the stream (a read to the end, or nothing for a read that asked for some) before the announced
        length is :class:`IncompleteBody`."""
        if self.expected is None or self.consumed >= self.expected:
            return
        to_the_end = size is None or size < 0
        if to_the_end or (data_len == 0 and size > 0):
            self.failed = IncompleteBody(self.consumed, self.expected)
            raise self.failed

    def _guarded(self, read, *args):
        if self.failed is not None:
            raise self.failed
        try:
            return read(*args)
        except HTTPException:  # the server's own answer (werkzeug's ClientDisconnected…): as it is
            raise
        except Exception as exc:
            if not _is_body_error(exc):
                raise  # a fault of this server (a bad read size, memory): a logged 500, never the client's 400
            self.failed = MalformedBody(_reason(exc))
            raise MalformedBody(self.failed.reason) from None

    def read(self, *args):
        data = self._guarded(self._stream.read, *args)
        self.consumed += len(data)
        self._ended(len(data), args[0] if args else None)
        return data

    def readinto(self, buffer) -> int:
        if hasattr(self._stream, "readinto"):
            size = self._guarded(self._stream.readinto, buffer) or 0
        else:
            data = self._guarded(self._stream.read, len(buffer))
            size = len(data)
            buffer[:size] = data
        self.consumed += size
        self._ended(size, len(buffer))
        return size

    def readline(self, *args):
        data = self._guarded(self._stream.readline, *args)
        self.consumed += len(data)
        if not data:  # readline answers nothing only at the end of the stream (or when asked for nothing)
            self._ended(0, args[0] if args and args[0] is not None and args[0] >= 0 else 1)
        return data

    def readlines(self, *args):
        lines = self._guarded(self._stream.readlines, *args)
        self.consumed += sum(len(line) for line in lines)
        if not args or not args[0] or args[0] < 0:  # no hint: read to the end
            self._ended(0, None)
        return lines

    def __iter__(self):
        while line := self.readline():
            yield line

    def __getattr__(self, name):
        return getattr(self._stream, name)


def drain(stream, remaining: int | None, limit: int = DRAIN_BYTES, seconds: float = DRAIN_SECONDS,
          settimeout=None) -> bool:
    """Read and discard ``remaining`` bytes (None: to the end of a terminated stream) of ``stream``;
    False when that would be more than ``limit`` bytes or take more than ``seconds``, or the read fails.

    ``settimeout`` (the connection socket's) bounds each read by the time left, so a client that trickles
    its body or stops sending holds the thread ``seconds`` at most, not forever."""
    if remaining is not None and remaining > limit:
        return False
    deadline = time.monotonic() + seconds
    left = limit if remaining is None else remaining
    try:
        while left > 0:
            if settimeout is not None:
                settimeout(max(0.01, deadline - time.monotonic()))
            data = stream.read(min(_CHUNK, left))
            if not data:
                return True
            left -= len(data)
            if time.monotonic() > deadline:
                return False
        return remaining is not None or not stream.read(1)
    except Exception:  # noqa: BLE001 - the client went away, a closed stream, a malformed chunk (any server's)
        return False


class DrainUnreadBody:
    """WSGI middleware: the body's unread rest is drained (bounded) before the answer is sent."""

    def __init__(self, app, limit: int = DRAIN_BYTES, seconds: float = DRAIN_SECONDS):
        self.app, self.limit, self.seconds = app, limit, seconds

    def __call__(self, environ, start_response):
        raw = environ.get("wsgi.input")
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        chunked = length < 0 and bool(environ.get("wsgi.input_terminated")) \
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if raw is None or (length <= 0 and not chunked):
            return self.app(environ, start_response)
        counting = environ["wsgi.input"] = _CountingInput(raw, length if length >= 0 else None)
        started: list = []

        def capture(status, headers, exc_info=None):
            started[:] = [status, headers, exc_info]
            return lambda data: None  # Flask never writes through it

        body = self.app(environ, capture)
        remaining = max(0, length - counting.consumed) if length >= 0 else None
        if counting.failed is not None or (remaining != 0 and not self._drain(environ, raw, remaining)):
            started[1] = [(k, v) for k, v in started[1] if k.lower() != "connection"] + [("Connection", "close")]
            server_response = getattr(start_response, "__self__", None)
            if callable(getattr(server_response, "force_close", None)):
                server_response.force_close()  # gunicorn drops an app's Connection header and decides itself
        start_response(*started)
        return body

    def _drain(self, environ, raw, remaining) -> bool:
        sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if sock is None or not hasattr(sock, "settimeout"):
            return drain(raw, remaining, self.limit, self.seconds)
        before = sock.gettimeout()
        fired = threading.Event()

        def stop_reading():  # a read blocked on a trickling client returns when its socket stops reading
            fired.set()
            try:
                sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass

        timer = threading.Timer(self.seconds, stop_reading)
        timer.daemon = True
        timer.start()
        try:
            done = drain(raw, remaining, self.limit, self.seconds, settimeout=sock.settimeout)
            return done and not fired.is_set()
        finally:
            timer.cancel()
            try:
                sock.settimeout(before)  # the answer is written as the server writes any other
            except OSError:
                pass


class _MaxStream(LimitedStream):
    """A chunked body limited to ``max_content_length``: past it, 413 (werkzeug stops at the limit and
    hands the route a truncated body)."""

    def _past_limit(self) -> None:
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()

    def readall(self) -> bytes:
        data = super().readall()
        self._past_limit()
        return data

    def readinto(self, buffer) -> int | None:
        if self.is_exhausted:
            self._past_limit()
            return 0
        return super().readinto(buffer)


class Request(FlaskRequest):
    """Flask's request, with a chunked body over the limit refused (413) rather than cut short, and a body
    that cannot be read (a malformed chunk) refused with 400 (:class:`MalformedBody`)."""

    @cached_property
    def stream(self):
        environ = self.environ
        if "wsgi.input" in environ and not isinstance(environ["wsgi.input"], _CountingInput):
            # a read error is a 400 problem; so is a body that ends before its Content-Length
            environ["wsgi.input"] = _CountingInput(environ["wsgi.input"], get_content_length(environ))
        limit = self.max_content_length
        if limit is not None and get_content_length(environ) is None and "wsgi.input_terminated" in environ:
            return _MaxStream(environ["wsgi.input"], limit, is_max=True)
        return get_input_stream(environ, max_content_length=limit)
