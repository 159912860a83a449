"""Structured logs: one JSON object a line, each with the request id.

``X-Request-ID`` is taken from the request when it is a sane token (else one is
made) and returned on the response; every record logged while a request is
handled carries it. One access record per request gives method, route, status,
duration, sizes and the key id, never the article text: the body is logged only
when the debug switch TOMTAT_LOG_TEXT is on.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

from .config import Settings

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")  # printable, bounded; fullmatch
access_log = logging.getLogger("tomtat.access")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# control characters (newlines, escape sequences), the Unicode line separators and lone surrogates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def escape_controls(text: str) -> str:
    """``text`` on one line: each control character as its escape (``\\n``, ``\\x1b``, ``\\u2028``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


class PlainFormatter(logging.Formatter):
    """One line a record: values from clients (paths, headers) cannot start a forged record."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args, record.__dict__.get("request_id")
        try:
            record.msg, record.args = escape_controls(record.getMessage()), None
            record.request_id = escape_controls(str(saved[2]))
            return super().format(record)
        finally:
            record.msg, record.args, record.request_id = saved

    def formatException(self, ei) -> str:
        # a traceback keeps its lines, indented, so none of them reads as a record of its own
        return "\n".join("    " + escape_controls(line) for line in super().formatException(ei).splitlines())


def configure_logging(settings: Settings) -> logging.Handler:
    """Point the root logger's console output at one handler with the chosen format (idempotent)."""
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    formatter = JsonFormatter() if settings.log_json else PlainFormatter()
    handler = None
    for existing in list(root.handlers):
        if getattr(existing, "_tomtat", False):
            handler = existing
        elif type(existing) is logging.StreamHandler and getattr(existing, "stream", None) in (sys.stderr, sys.stdout):
            root.removeHandler(existing)  # logging.basicConfig's plain handler: replaced by ours
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._tomtat = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter)
    return handler


def init_app(app: Flask, settings: Settings) -> None:
    configure_logging(settings)

    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex  # no "id\\n"
        g.request_start = time.perf_counter()  # the access log and the latency metric both read it

    @app.after_request
    def _access(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        start = g.get("request_start")
        fields = {
            "method": request.method,
            "path": request.path,
            "route": request.url_rule.rule if request.url_rule is not None else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - start) * 1000, 2) if start else None,
            "bytes_in": request.content_length or 0,
            "bytes_out": response.calculate_content_length(),
            "client": request.remote_addr,
            "key": g.api_key.id if g.get("api_key") is not None else None,
            "request_id": request_id,
        }
        chars = g.get("tomtat_chars")
        if chars is not None:
            fields["chars"] = chars
        if settings.log_text and request.method == "POST":
            try:
                fields["body"] = request.get_data(as_text=True)
            except Exception:  # noqa: BLE001 - e.g. over the body limit
                fields["body"] = None
        level = logging.WARNING if response.status_code >= 500 else logging.INFO
        access_log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra=fields)
        return response
