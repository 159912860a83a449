"""Request plumbing shared by the routes: JSON body parsing, limits, the runtime."""

from __future__ import annotations

from typing import TypeVar

from flask import current_app, request
from pydantic import BaseModel

from models.runtime import Runtime

from .config import Settings
from .errors import ApiError

M = TypeVar("M", bound=BaseModel)

JSONL_TYPES = {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines",
               "application/ndjson", "text/jsonl"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

def settings() -> Settings:
    return current_app.extensions["tomtat.settings"]


def runtime() -> Runtime:
    return current_app.extensions["tomtat.runtime"]


def json_body() -> object:
    """The request's JSON value, or a 415/400 problem that says what to send."""
    if not request.is_json:
        raise ApiError(415, "Unsupported Media Type",
                       f"send the body as JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'})")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "Malformed JSON", "the body is not valid UTF-8 JSON; check quotes, commas and encoding",
                       slug="malformed-json")
    return data


def parse(model: type[M]) -> M:
    data = json_body()
    if not isinstance(data, dict):
        raise ApiError(422, "Invalid request", "the body must be a JSON object", slug="validation",
                       errors=[{"field": "body", "message": "expected an object"}])
    return model.model_validate(data)


def check_length(text: str, field: str) -> None:
    limit = settings().max_chars
    if len(text) > limit:
        raise ApiError(413, "Text too long",
                       f"{field} has {len(text)} characters; the limit is {limit} (TOMTAT_MAX_CHARS). "
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
