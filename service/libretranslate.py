"""LibreTranslate-compatible routes at the root: ``/translate``, ``/detect``, ``/languages``,
``/frontend/settings``, ``/health`` and ``/suggest``.

Tools that already speak LibreTranslate's HTTP API (Mastodon, Weblate, Discourse, browser
extensions, ``libretranslatepy``) gain Vietnamese by pointing at tomtat: the pairs the loaded
translation model serves (the default EnViT5: vi→en and en→vi). Request and answer shapes follow
LibreTranslate's own server (``libretranslate/app.py``):

* bodies are JSON or form-encoded; ``q`` is a string or (JSON) an array of strings; the
  answer's ``translatedText`` has the same shape;
* ``source: "auto"`` adds ``detectedLanguage`` (``{confidence 0-100, language}``; an array,
  one per text, when ``q`` is an array — Mastodon reads ``detectedLanguage[i].language``);
* ``alternatives`` is accepted; tomtat has one hypothesis, so the answer's ``alternatives``
  is empty (as LibreTranslate answers for HTML);
* errors are ``{"error": message}`` with LibreTranslate's statuses: 400 (invalid request,
  unsupported pair, over a limit, no API key), 403 (bad or revoked API key), 429 (slow down),
  500 (server fault),
  and 503 (+ ``Retry-After``) when no translation model is loaded (Weblate backs off on 503); a wrong
  method or an unknown subpath of these paths is LibreTranslate's own 405 or 404, in the same shape;
* ``GET /health`` is ``{"status": "ok"}`` (libretranslate-aio's ``health()``), open like ``/healthz``;
  ``POST /suggest`` is answered as LibreTranslate answers it with suggestions off: 403
  ``{"error": "Suggestions are disabled on this server."}``.

Translation goes through the one pipeline (``models.pipeline.translate``; HTML through
``models.html_translate`` which batches every text node in one pipeline call), so batching,
cache and limits are the service's own.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from models import pipeline
from models.documents import formats_listing
from models.documents.run import translate_file as run_translate_file
from models.html_translate import html_text, translate_html, translate_html_documents
from models.langid import detect_language
from models.text.budget import text_budget

from .auth import tenant
from .errors import PROBLEM_JSON, ApiError
from .http import FORM_TYPES, check_length, json_problem, runtime, settings
from .openapi import operation

log = logging.getLogger(__name__)

bp = Blueprint("libretranslate", __name__)

SOURCE, TARGET = "vi", "en"  # the main pair: what /frontend/settings proposes
NAMES = {"vi": "Vietnamese", "en": "English"}
DETECT_CHARS = 5000  # language detection looks at the first characters of the request
FRONTEND_TIMEOUT_MS = 500  # LibreTranslate's default debounce for its web frontend


def _error(status: int, message: str, **headers) -> ApiError:
    return ApiError(status, "LibreTranslate error", message, slug="libretranslate", headers=headers)


# -- request fields -----------------------------------------------------------

def _fields() -> dict:
    """The request's fields, from a JSON object or a form-encoded body (and the query string)."""
    if request.is_json:
        data = request.get_json(silent=True)
        problem = json_problem()
        if problem is not None:  # NaN, duplicate keys, BOM, lone surrogates, deep nesting… (service/http.py)
            raise _error(400, f"Invalid JSON format: {problem.detail}")
        if not isinstance(data, dict):
            raise _error(400, "Invalid JSON format: send a JSON object such as "
                              '{"q": "Xin chào", "source": "vi", "target": "en"}')
        if data.get("api_key") is not None and not isinstance(data["api_key"], str):  # even with keys off
            raise _error(400, "Invalid request: api_key must be a string (or null)")
        return data
    return request.values.to_dict()


def _texts(fields: dict) -> tuple[list[str], bool]:
    q = fields.get("q")
    if isinstance(q, str) and q != "":
        if not request.is_json:
            q = "\n".join(q.splitlines())  # form bodies may carry CRLF; count characters as LibreTranslate does
        return [q], False
    if isinstance(q, list) and q:
        if not all(isinstance(item, str) for item in q):
            raise _error(400, "Invalid request: q must be a string or an array of strings")
        return q, True
    if q in (None, "", []):
        hint = "" if request.is_json or request.mimetype in FORM_TYPES \
            else " (send JSON with Content-Type: application/json, or a form-encoded body)"
        raise _error(400, f"Invalid request: missing q parameter{hint}")
    raise _error(400, "Invalid request: q must be a string or an array of strings")


def _language(fields: dict, name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _error(400, f"Invalid request: missing {name} parameter")
    code = value.strip().lower().replace("_", "-")
    base = code.split("-")[0]
    return base if base in NAMES else code  # "vi-VN" → "vi", "en-GB" → "en"


def _pairs() -> list[tuple[str, str]]:
    """The pairs served now (the loaded model's directions); none without a model."""
    return pipeline.served_pairs(runtime()) if _serving() else []


def _served() -> str:
    pairs = _pairs() or [(SOURCE, TARGET)]
    return ", ".join(f"{s}→{t}" for s, t in pairs) + ' (or source "auto")'


def _unsupported(code: str, role: str) -> ApiError:
    return _error(400, f"{code} is not supported as a {role} language: tomtat serves {_served()}; "
                       "see GET /languages")


# -- API keys and limits ----------------------------------------------------------
# service/auth.py checks keys (header or the body's api_key) and service/limits.py counts the
# request rate and the characters of q, on /translate and /detect as on /v1, in the same counters;
# _libretranslate_shape below gives their problems LibreTranslate's statuses and messages.

def _keys_required() -> bool:
    return bool(getattr(settings(), "auth", False))


# -- routes ----------------------------------------------------------------------

@bp.post("/translate")
def translate():
    fields = _fields()
    texts, batch = _texts(fields)
    source, target = _language(fields, "source"), _language(fields, "target")
    alternatives = fields.get("alternatives", 0)
    if isinstance(alternatives, str) and alternatives.strip().isascii() and alternatives.strip().isdigit():
        # a form's value, or a client's string ("²" is a digit to str.isdigit, not to int)
        alternatives = int(alternatives)
    if alternatives is None or alternatives == "":
        alternatives = 0
    if isinstance(alternatives, bool) or not isinstance(alternatives, int) or alternatives < 0:
        raise _error(400, "Invalid request: alternatives parameter is not a number of alternatives (0 or more)")
    text_format = fields.get("format")
    text_format = "text" if text_format is None else text_format
    if text_format not in ("text", "html"):
        raise _error(400, f"{text_format} format is not supported: send format \"text\" or \"html\"")

    limit = settings().max_texts
    if len(texts) > limit:
        raise _error(400, f"Invalid request: request ({len(texts)} texts) exceeds text limit ({limit}, "
                          "TOMTAT_MAX_TEXTS); split the call")
    for i, text in enumerate(texts):
        check_length(text, f"q[{i}]" if batch else "q")

    pairs = _check_pair(source, target)
    detected = None
    if source == "auto":
        detected = _detect_source(texts, text_format, target, pairs)
        source = detected["language"]

    translated = _translate(texts, text_format, source, target)
    body: dict = {"translatedText": translated if batch else translated[0]}
    if detected is not None:
        body["detectedLanguage"] = [detected] * len(texts) if batch else detected
    if alternatives > 0:
        body["alternatives"] = [[] for _ in texts] if batch else []
    return jsonify(body)


def _translate(texts: list[str], text_format: str, source: str, target: str) -> list[str]:
    """All texts of the request in one pipeline call; blank texts come back as they were."""
    wanted = [i for i, t in enumerate(texts) if t.strip()]
    out = list(texts)
    if not wanted:
        runtime().translator()  # still answer 503 when there is no model
        return out
    items = [texts[i] for i in wanted]
    if text_format == "html" and (source, target) == ("vi", "en"):
        translations = translate_html(runtime(), items).translations
    elif text_format == "html":
        def run(units: list[str]) -> list[str]:  # text nodes, decoded already: "plain"
            return pipeline.translate(runtime(), units, "plain", allow_other_language=True,
                                      source=source, target=target).translations

        with text_budget(runtime().config.text_budget_s):
            translations = translate_html_documents(items, run)
    else:
        # the source is the client's claim or was detected above, as LibreTranslate does
        translations = pipeline.translate(runtime(), items, "text", allow_other_language=True,
                                          source=source, target=target).translations
    for i, translation in zip(wanted, translations):
        out[i] = translation
    return out


def _confidence(value: float) -> float:
    return round(float(value) * 100, 1)


def _detect_source(texts: list[str], text_format: str, target: str, pairs: list[tuple[str, str]]) -> dict:
    """One detection for the whole request (as LibreTranslate does): a source served toward ``target``,
    or refused.

    A text detected as another language is refused with 400 rather than translated:
    running French through a vi→en model, or English "into" English, gives nonsense that
    clients such as Mastodon would show as a translation. Undetermined text (too short, emoji,
    numbers) is taken as the one source that has ``target`` (Vietnamese for English, English for
    Vietnamese) and reported with confidence 0.
    """
    sample = "\n".join(html_text(t) if text_format == "html" else t for t in texts)[:DETECT_CHARS]
    language, confidence = detect_language(sample)
    sources = [s for s, t in pairs if t == target]
    if language in sources:
        return {"confidence": _confidence(confidence), "language": language}
    if language == "und" and sources:
        return {"confidence": 0.0, "language": sources[0]}
    hint = f' Send source "{sources[0]}" to translate this text anyway' if sources else ""
    raise _error(400, f"Detected language {language} (confidence {_confidence(confidence):g}%) is not supported "
                      f"toward {target}: tomtat serves {_served()}.{hint}")


@bp.post("/detect")
def detect():
    fields = _fields()
    q = fields.get("q")
    if isinstance(q, list) and all(isinstance(t, str) for t in q):
        q = "\n".join(q)
    if not isinstance(q, str) or not q.strip():
        raise _error(400, "Invalid request: missing q parameter")
    check_length(q, "q")
    language, confidence = detect_language(q[:DETECT_CHARS])
    return jsonify([{"confidence": _confidence(confidence), "language": language}])


def _serving() -> bool:
    cap = runtime().capabilities().get("translation")
    return bool(cap and cap.ready)


@bp.get("/languages")
def languages():
    """The pairs tomtat serves now (the loaded model's directions: vi→en and en→vi with EnViT5), else none.

    Every language of a pair is listed, a target-only one with no targets: Weblate only offers a
    pair whose two codes both appear in this list, and Mastodon reads each entry's ``targets``.
    """
    pairs = _pairs()
    codes = list(dict.fromkeys(c for pair in pairs for c in pair))
    codes.sort(key=lambda c: (c != SOURCE, c))  # Vietnamese first, as before
    return jsonify([{"code": c, "name": NAMES.get(c, c), "targets": [t for s, t in pairs if s == c]} for c in codes])


@bp.get("/frontend/settings")
def frontend_settings():
    keys = _keys_required()
    return jsonify({
        "charLimit": settings().max_chars,
        "frontendTimeout": FRONTEND_TIMEOUT_MS,
        "apiKeys": keys,
        "keyRequired": keys,
        "suggestions": False,
        "filesTranslation": True,
        "supportedFilesFormat": [ext for f in formats_listing() for ext in f["extensions"]],
        "language": {
            "source": {"code": SOURCE, "name": NAMES[SOURCE]},
            "target": {"code": TARGET, "name": NAMES[TARGET]},
        },
    })


def _check_pair(source: str, target: str) -> list[tuple[str, str]]:
    """The served pairs, once ``source``→``target`` is one of them, as LibreTranslate words it: 503 without a
    model; 400 for a source, a target or a pair not served ("auto": any source that has the target)."""
    pairs = _pairs()
    if not pairs:
        runtime().translator()  # 503: no model, with the reason and the fix
    if source != "auto" and source not in {s for s, _ in pairs}:
        raise _unsupported(source, "source")
    if target not in {t for s, t in pairs if source in ("auto", s)}:
        raise _unsupported(target, "target")
    if source != "auto" and (source, target) not in pairs:
        raise _unsupported(f"{source}→{target}", "language pair")
    return pairs


@bp.post("/translate_file")
def translate_file():
    """LibreTranslate's file translation: the file translated now, answered with a link to download it
    (``translatedFileUrl``), valid for the job retention (TOMTAT_JOB_RETENTION; a day when that is off)."""
    from . import documents

    filename, data = documents.uploaded()
    fields = request.form
    source, target = _language(fields, "source"), _language(fields, "target")
    _check_pair(source, target)
    # each batch of the file's segments has the text budget of one request (models.pipeline.translate)
    result = run_translate_file(runtime(), data, filename, source=source, target=target,
                                allow_other_language=True, limits=documents.limits(),
                                opened=documents.opened_upload())  # parsed once, when the quota counted it
    retention = settings().job_retention
    expires = time.time() + (retention if retention > 0 else 86400)
    files = documents.store()
    file_id = files.save(tenant(), "translation", result.filename, result.media_type, result.data, expires_at=expires)
    url = request.host_url + f"download_file/{file_id}.{quote(result.filename)}"  # a name is no URL syntax
    return jsonify({"translatedFileUrl": url})


@bp.get("/download_file/<name>")
def download_file(name: str):
    """A /translate_file result. The link is the capability (128 random bits), as LibreTranslate's own:
    its clients fetch it without their key."""
    from . import documents

    file_id = name.split(".", 1)[0]
    found = documents.store().get(file_id) if len(file_id) == 32 and file_id.isalnum() else None
    if found is None:
        raise _error(404, "File not found (expired, or never made)")
    return documents.send(found)


@bp.get("/health")
def health():
    """LibreTranslate's liveness probe (libretranslate-aio calls it before translating); open, as /healthz."""
    return jsonify({"status": "ok"})


@bp.post("/suggest")
def suggest():
    """LibreTranslate's answer when suggestions are off (tomtat keeps no suggestions): 403, whatever the body.
    Open like LibreTranslate's own (no key needed to be told so; nothing is stored)."""
    raise _error(403, "Suggestions are disabled on this server.")


_LT_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
_OBJECT = {"type": "object"}
lt_error = {"type": "object", "properties": {"error": {"type": "string"}}}
lt_responses = {200: (_OBJECT, "LibreTranslate's answer."), 400: (lt_error, "Invalid request."),
                403: (lt_error, "Bad API key."), 429: (lt_error, "Slow down."),
                503: (lt_error, "No translation model.")}
lt_body = {"type": "object", "required": ["q", "source", "target"], "properties": {
    "q": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "source": {"type": "string", "examples": ["vi", "auto"]}, "target": {"type": "string", "examples": ["en"]},
    "format": {"type": ["string", "null"], "enum": ["text", "html", None]},
    "api_key": {"type": ["string", "null"], "description": "Mastodon and Weblate send null without a key."},
    "alternatives": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"},
                               {"type": "null"}]}}}
forms = ("application/json", "application/x-www-form-urlencoded")
operation("POST", "/translate", "LibreTranslate-compatible translation", tag="libretranslate",
         body_schema=lt_body, body_types=forms, responses=lt_responses,
         request_examples={"vi": {"summary": "Một câu", "value": {
             "q": "Dự án dự kiến hoàn thành năm 2025.", "source": "vi", "target": "en"}}})
operation("POST", "/detect", "LibreTranslate-compatible language detection", tag="libretranslate",
         body_schema={"type": "object", "required": ["q"], "properties": {
             "q": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
             "api_key": {"type": ["string", "null"]}}},
         body_types=forms, responses=lt_responses | {200: (
             {"type": "array", "items": {"type": "object", "required": ["confidence", "language"], "properties": {
                 "confidence": {"type": "number"}, "language": {"type": "string"}}}},
             "The detected language, with LibreTranslate's confidence (0-100).")})
operation("GET", "/languages", "LibreTranslate-compatible language list", tag="libretranslate",
         responses={200: ({"type": "array", "items": _OBJECT}, "Served languages.")})
operation("GET", "/frontend/settings", "LibreTranslate frontend settings", tag="libretranslate",
         responses={200: (_OBJECT, "Settings.")})

operation("GET", "/health", "LibreTranslate-compatible liveness probe", tag="libretranslate",
          responses={200: ({"type": "object", "properties": {"status": {"const": "ok"}}}, "The process is up.")})
operation("POST", "/translate_file", "LibreTranslate-compatible file translation", tag="libretranslate",
          description="Multipart: `file`, `source` (or `auto`), `target`, `api_key`. The file is translated at once "
                      "(long files: prefer POST /v1/documents, a job); the answer links to the result.",
          body_schema={"type": "object", "required": ["file", "source", "target"], "properties": {
              "file": {"type": "string", "format": "binary"}, "source": {"type": "string", "examples": ["vi", "auto"]},
              "target": {"type": "string", "examples": ["en"]}, "api_key": {"type": ["string", "null"]}}},
          body_types=("multipart/form-data",),
          responses={200: ({"type": "object", "required": ["translatedFileUrl"], "properties": {
              "translatedFileUrl": {"type": "string"}}}, "Where to download the translated file."),
              400: (_LT_ERROR, "Invalid request or file."), 403: (_LT_ERROR, "Bad API key."),
              429: (_LT_ERROR, "Slow down."), 503: (_LT_ERROR, "No translation model.")})
operation("GET", "/download_file/<name>", "A file translated by /translate_file", tag="libretranslate",
          content_type="application/octet-stream",
          responses={200: ({"type": "string", "format": "binary"}, "The translated file."),
                     400: (_LT_ERROR, "Expired or unknown (LibreTranslate answers every request problem with 400).")})
operation("POST", "/suggest", "LibreTranslate-compatible suggestion (off: always 403)", tag="libretranslate",
          body_schema={"type": "object"}, body_types=("application/json", "application/x-www-form-urlencoded"),
          responses={403: (_LT_ERROR, "Suggestions are disabled on this server.")})

# -- errors and CORS ---------------------------------------------------------------

# the service's key problems (service/auth.py), as LibreTranslate words them
KEY_PROBLEMS = {
    "unauthorized": (400, "Please contact the server operator to get an API key, then send it as api_key "
                          "(an operator creates one with `tomtat keys create --name NAME`)"),
    "invalid-key": (403, "Invalid API key"),
}


def _status(status: int) -> int:
    """tomtat's status → the one LibreTranslate clients handle."""
    if status in (401, 403):
        return 403  # Mastodon reads 403 as "quota exceeded"
    if status == 429:
        return 429
    if status == 503:
        return 503  # no model: Weblate backs off, Mastodon shows "translation failed"
    if status >= 500:
        return 500
    return 400  # 404 405 413 415 422 …: LibreTranslate answers every request problem with 400


# LibreTranslate's paths, also where no route matches (a wrong method, a subpath): its clients read {"error"}
PATHS = ("/translate", "/detect", "/translate_file", "/suggest", "/languages", "/health", "/frontend/settings",
         "/download_file")


def _is_libretranslate(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PATHS)


@bp.after_request
def _libretranslate_shape(response: Response) -> Response:
    """Whatever raised it (these routes, the app's limits, werkzeug), an error here reads ``{"error": …}``."""
    return _shaped(response, routed=True)


@bp.after_app_request
def _unmatched_shape(response: Response) -> Response:
    """A request to one of LibreTranslate's paths that no route matched (POST /languages, GET /translate,
    /translate/x): no blueprint hook runs for it, so the app's does. LibreTranslate's own server answers these
    405 and 404 with ``{"error": …}``: the status is kept, the shape is LibreTranslate's."""
    if request.url_rule is None and _is_libretranslate(request.path):
        return _shaped(response, routed=False)
    return response


def _shaped(response: Response, routed: bool) -> Response:
    if response.mimetype == PROBLEM_JSON:
        try:
            problem = json.loads(response.get_data(as_text=True))
        except ValueError:
            problem = {}
        message = problem.get("detail") or problem.get("title") or "request failed"
        fields = [f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or []
                  if isinstance(e, dict) and e.get("field") not in (None, "q", "body")
                  and str(e.get("message")) not in message]  # an InputError's one entry repeats its detail
        if fields and not str(problem.get("type", "")).endswith("/libretranslate"):
            message += " (" + "; ".join(fields) + ")"
        status = response.status_code if not routed and response.status_code in (404, 405) \
            else _status(response.status_code)
        slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
        if slug in KEY_PROBLEMS:
            status, message = KEY_PROBLEMS[slug]
            response.headers.pop("WWW-Authenticate", None)
        if status == 429 and not message.lower().startswith("slowdown"):
            message = "Slowdown: " + message
        response.set_data(json.dumps({"error": message}, ensure_ascii=False))
        response.status_code = status
        response.mimetype = "application/json"
    # browser extensions and web frontends call LibreTranslate from other origins
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Max-Age"] = str(20 * 24 * 3600)
    return response
