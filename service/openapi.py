"""OpenAPI 3.1 for every route, generated from the pydantic models that validate requests.

The spec is built from ``OPERATIONS``, a registry keyed by (method, Flask rule).
Another blueprint documents its routes where it defines them::

    from .openapi import operation
    operation("POST", "/v1/jobs", "Submit a batch job", tag="jobs", request=JobRequest,
              responses={202: (JobResponse, "Accepted")}, errors=API_ERRORS)

``tests/test_openapi.py`` walks ``app.url_map`` and fails on any route missing here.
Schemas come from ``model_json_schema`` of the same classes ``parse()`` validates with,
so the documentation cannot drift from the validation.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas as s

bp = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
PROBLEM_JSON = "application/problem+json"

ARTICLE_EXAMPLE = (
    "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn A, Giám đốc Sở GTVT, cho biết thành phố "
    "sẽ mở rộng đường Nguyễn Văn Linh.\n\nDự án dự kiến hoàn thành năm 2025 với tổng vốn đầu tư 1.500 tỷ đồng. "
    "Người dân Q.3 đồng tình với kế hoạch này."
)

ERROR_TEXT = {
    400: ("Malformed JSON", "malformed-json", "the body is not valid UTF-8 JSON; check quotes, commas and encoding"),
    401: ("Unauthorized", "unauthorized",
          "this API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"),
    403: ("Forbidden", "key-revoked", "the API key tt_ab12cd34_… was revoked on 2025-07-22T08:00:00+00:00"),
    404: ("Not Found", "not-found", "no such route; see /openapi.json for the API"),
    409: ("Glossary exists", "glossary-exists", "a glossary named 'toa-soan' exists; PUT /v1/glossaries/toa-soan "
          "replaces it"),
    413: ("Text too long", "text-too-long",
          "text has 120000 characters; the limit is 100000 (TOMTAT_MAX_CHARS). Split the text or raise the limit."),
    415: ("Unsupported Media Type", "unsupported-media-type",
          "send the body as JSON with 'Content-Type: application/json' (got text/plain)"),
    422: ("Invalid request", "validation", "the request body has invalid fields: text; see 'errors'"),
    429: ("Too Many Requests", "rate-limited", "the rate limit of 60 per 1 minute for the API key tt_ab12cd34_… is "
          "reached; retry in 42 s"),
    503: ("Capability unavailable", "capability-unavailable",
          "translation has no model: VietAI/envit5-translation is not in the model cache. To fix: run "
          "`tomtat models pull VietAI/envit5-translation` on a machine with internet access"),
}
ERROR_DESCRIPTION = {
    400: "The body is not valid JSON.",
    401: "No API key, or an unknown one (only when TOMTAT_AUTH=1).",
    403: "The API key was revoked.",
    404: "No such resource.",
    409: "The resource exists, or a per-key limit on how many is reached.",
    413: "A size limit is exceeded: body bytes, characters per text, texts per call; the problem names the limit.",
    415: "The body is not sent as JSON.",
    422: "The body does not validate; `errors` lists each field.",
    429: "A request rate or character quota is exceeded; see `Retry-After`.",
    503: "The capability has no model loaded; the problem says how to fix it.",
}
API_ERRORS = (400, 401, 403, 413, 415, 422, 429, 503)
READ_ERRORS = (401, 403, 429)


@dataclass
class Operation:
    method: str
    rule: str
    summary: str
    tag: str = "api"
    description: str = ""
    request: type[BaseModel] | None = None
    body_schema: dict | None = None  # a request body without a pydantic model (form or foreign shapes)
    body_types: tuple[str, ...] = ("application/json",)
    body_type_schemas: dict[str, dict] = field(default_factory=dict)  # a media type's own schema (JSONL: lines)
    models: tuple[type[BaseModel], ...] = ()  # extra models that body_schema refers to
    request_examples: dict[str, Any] = field(default_factory=dict)
    responses: dict[int, tuple[type[BaseModel] | dict | None, str]] = field(default_factory=dict)
    response_examples: dict[int, Any] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    error_descriptions: dict[int, str] = field(default_factory=dict)  # this operation's words for an error
    content_type: str = "application/json"
    parameters: list[dict] = field(default_factory=list)
    secured: bool = False


OPERATIONS: dict[tuple[str, str], Operation] = {}


def operation(method: str, rule: str, summary: str, **kwargs) -> Operation:
    """Document ``method rule`` (Flask syntax, e.g. ``/v1/jobs/<job_id>``); later calls replace earlier ones."""
    op = Operation(method.upper(), rule, summary, **kwargs)
    if op.secured is False and rule.startswith("/v1/"):
        op.secured = True
    OPERATIONS[(op.method, rule)] = op
    return op


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _path_parameters(rule: str) -> list[dict]:
    params = []
    for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _problem_example(status: int) -> dict:
    title, slug, detail = ERROR_TEXT[status]
    return {"type": f"https://tomtat.dev/problems/{slug}", "title": title, "status": status, "detail": detail}


def build_spec(app: Flask | None = None) -> dict:
    settings = (app or current_app).extensions.get("tomtat.settings")
    ops = sorted(OPERATIONS.values(), key=lambda o: (o.rule, o.method))
    wanted: list[tuple[type[BaseModel], str]] = [(s.Problem, "serialization")]
    for op in ops:
        if op.request is not None:
            wanted.append((op.request, "validation"))
        wanted.extend((model, "validation") for model in op.models)
        for model, _ in op.responses.values():
            if isinstance(model, type) and issubclass(model, BaseModel):
                wanted.append((model, "serialization"))
    refs, top = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)

    paths: dict[str, dict] = {}
    for op in ops:
        item: dict[str, Any] = {
            "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', openapi_path(op.rule).lower()).strip('_') or 'root'}",
            "summary": op.summary,
            "tags": [op.tag],
        }
        if op.description:
            item["description"] = op.description
        params = _path_parameters(op.rule) + op.parameters
        if params:
            item["parameters"] = params
        if op.request is not None or op.body_schema is not None:
            schema = refs[(op.request, "validation")] if op.request is not None else op.body_schema
            content = {}
            for i, media_type in enumerate(op.body_types):
                media: dict[str, Any] = {"schema": op.body_type_schemas.get(media_type, schema)}
                if op.request_examples and i == 0:
                    media["examples"] = {k: {"summary": v.get("summary", k), "value": v["value"]}
                                         for k, v in op.request_examples.items()}
                content[media_type] = media
            item["requestBody"] = {"required": True, "content": content}
        responses: dict[str, Any] = {}
        for status, (model, description) in sorted(op.responses.items()):
            entry: dict[str, Any] = {"description": description}
            if isinstance(model, type) and issubclass(model, BaseModel):
                media = {"schema": refs[(model, "serialization")]}
            elif isinstance(model, dict):
                media = {"schema": model}
            else:
                media = None
            if media is not None:
                if status in op.response_examples:
                    media["example"] = op.response_examples[status]
                entry["content"] = {op.content_type if status < 300 else "application/json": media}
            responses[str(status)] = entry
        for status in op.errors:
            responses.setdefault(str(status), {
                "description": op.error_descriptions.get(status) or ERROR_DESCRIPTION.get(status, "Error."),
                "content": {PROBLEM_JSON: {"schema": refs[(s.Problem, "serialization")],
                                           "example": _problem_example(status)}},
            })
            if status == 429:
                responses["429"]["headers"] = {"Retry-After": {
                    "description": "Seconds until the limit resets.", "schema": {"type": "integer"}}}
        item["responses"] = responses
        if op.secured:
            item["security"] = [{}, {"bearerAuth": []}, {"apiKeyHeader": []}]
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = item

    auth_note = ("API keys are required: create one with `tomtat keys create --name NAME`."
                 if settings is not None and settings.auth else
                 "API keys are off on this server (TOMTAT_AUTH=0): the /v1 routes need no credentials.")
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "tomtat",
            "version": _version(),
            "summary": "Vietnamese news summaries and English translations.",
            "description": (
                "Summarize Vietnamese news articles (abstractive ViT5 or extractive) and translate them to "
                "English, paragraphs kept. Errors are RFC 9457 problem details (`application/problem+json`). "
                + auth_note),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "articles", "description": "Summaries and translations."},
            {"name": "jobs", "description": "Durable batch jobs."},
            {"name": "libretranslate", "description": "LibreTranslate-compatible routes for existing tools."},
            {"name": "service", "description": "Health, models, limits, metrics, documentation."},
        ],
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(top.get("$defs", {})),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer tt_…`"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tomtat")
    except Exception:  # noqa: BLE001 - running from a checkout without install
        return "0.0.0"


@bp.get("/openapi.json")
def openapi_json():
    response = jsonify(build_spec())
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- the service's own routes ----------------------------------------------------

_HTML = {"type": "string"}
_JSON_OBJECT = {"type": "object"}

operation("POST", "/v1/summarize", "Summarize a Vietnamese article", tag="articles",
          description="A Vietnamese summary, abstractive (ViT5) when the model is loaded or asked for, else "
                      "extractive. HTML pages are cleaned of markup, captions and widget debris first.",
          request=s.SummarizeRequest,
          request_examples={
              "article": {"summary": "Một bài báo", "value": {"text": ARTICLE_EXAMPLE, "title": "TP.HCM mở rộng đường"}},
              "extractive": {"summary": "Tóm tắt trích xuất, 1 câu",
                             "value": {"text": ARTICLE_EXAMPLE, "method": "extractive", "max_sentences": 1}},
          },
          responses={200: (s.SummarizeResponse, "The summary.")},
          response_examples={200: {
              "summary": "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025 với tổng "
                         "vốn đầu tư 1.500 tỷ đồng.",
              "sentences": ["Chiều 22/7, UBND TP.HCM họp bàn về giao thông.",
                            "Dự án dự kiến hoàn thành năm 2025 với tổng vốn đầu tư 1.500 tỷ đồng."],
              "method": "extractive", "model": "extractive",
              "timings": {"clean_ms": 1.2, "summarize_ms": 3.4, "total_ms": 4.6}}},
          errors=API_ERRORS)
operation("POST", "/v1/translate", "Translate Vietnamese to English", tag="articles",
          description="One `text` or a list of `texts`, each translated with its paragraphs kept.",
          request=s.TranslateRequest,
          request_examples={
              "one": {"summary": "Một đoạn văn", "value": {"text": "Dự án dự kiến hoàn thành năm 2025."}},
              "several": {"summary": "Nhiều đoạn văn",
                          "value": {"texts": ["Chiều 22/7, UBND TP.HCM họp bàn về giao thông.",
                                              "Người dân Q.3 đồng tình với kế hoạch này."]}},
          },
          responses={200: (s.TranslateResponse, "The translation(s), in order.")},
          response_examples={200: {"translation": "The project is expected to be completed in 2025.",
                                   "model": "VietAI/envit5-translation",
                                   "timings": {"clean_ms": 0.3, "translate_ms": 812.5, "total_ms": 813.0}}},
          errors=API_ERRORS)
operation("POST", "/v1/articles", "Summarize and translate an article", tag="articles",
          description="The newsroom call: the Vietnamese summary and its English version, and the full English "
                      "translation when `translate` is `full` or `both`.",
          request=s.ArticleRequest,
          request_examples={
              "both": {"summary": "Tóm tắt và bản dịch toàn văn",
                       "value": {"id": "bai-123", "title": "TP.HCM mở rộng đường", "text": ARTICLE_EXAMPLE,
                                 "summary": {"max_sentences": 2}, "translate": "both"}},
          },
          responses={200: (s.ArticleResponse, "Summary and translations.")},
          response_examples={200: {
              "id": "bai-123",
              "summary_vi": "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025.",
              "summary_en": "On the afternoon of July 22, the HCMC People's Committee met on traffic. The project is "
                            "expected to be completed in 2025.",
              "translation_en": "On the afternoon of July 22, ...\n\nThe project is expected to ...",
              "method": "abstractive",
              "models": {"summary": "VietAI/vit5-base-vietnews-summarization", "translation": "VietAI/envit5-translation"},
              "timings": {"clean_ms": 1.1, "summarize_ms": 950.2, "translate_ms": 1402.7, "total_ms": 2354.0}}},
          errors=API_ERRORS)
operation("GET", "/v1/models", "Loaded models and capabilities", tag="service",
          responses={200: (_JSON_OBJECT, "Each model's profile, license, backend and device; each capability's state.")},
          errors=READ_ERRORS)
operation("GET", "/v1/limits", "Size limits, and the caller's rate and quota", tag="service",
          responses={200: (_JSON_OBJECT, "Configured limits and what is left to the caller.")},
          response_examples={200: {"auth": True, "limits": {"max_body_bytes": 4194304, "max_chars": 100000,
                                                            "max_texts": 64},
                                   "client": {"key": "tt_ab12cd34_…",
                                              "rate": [{"limit": "60 per 1 minute", "amount": 60, "remaining": 59,
                                                        "reset_at": 1753171260}],
                                              "char_quota": [{"limit": "2000000 per 1 day", "amount": 2000000}]}}},
          errors=READ_ERRORS)
operation("GET", "/healthz", "Liveness probe", tag="service", responses={200: (_JSON_OBJECT, "The process is up.")})
operation("GET", "/readyz", "Readiness probe", tag="service",
          description="Each capability's state; `?require=translation` answers 503 until that capability is ready.",
          parameters=[{"name": "require", "in": "query", "required": False, "schema": {"type": "string"},
                       "description": "Comma-separated capabilities that must be ready."}],
          responses={200: (_JSON_OBJECT, "Ready or degraded, with reasons."),
                     503: (_JSON_OBJECT, "A required capability is not ready.")},
          errors=(400,), error_descriptions={400: "`require` names a capability /readyz does not know (a misspelt "
                                                  "probe); the problem's `known` lists the names it does."})
operation("GET", "/metrics", "Prometheus metrics", tag="service", content_type="text/plain",
          description="Prometheus text format. Needs `Authorization: Bearer <TOMTAT_METRICS_TOKEN>` when that is set.",
          responses={200: ({"type": "string"}, "Metrics.")}, errors=(401,))
operation("GET", "/openapi.json", "This document", tag="service", responses={200: (_JSON_OBJECT, "OpenAPI 3.1.")})
operation("GET", "/docs", "Interactive API documentation", tag="service", content_type="text/html",
          responses={200: (_HTML, "HTML page.")})
operation("GET", "/static/<path:filename>", "Static assets of the page and the docs", tag="service",
          content_type="application/octet-stream", responses={200: ({"type": "string"}, "The file.")}, errors=(404,))
operation("GET", "/", "Web page for editors and readers", tag="service", content_type="text/html",
          responses={200: (_HTML, "HTML page.")})
