"""Whole documents over HTTP: ``POST /v1/documents`` (a job), ``GET /v1/documents/<id>`` and ``…/file``.

The file is sent as ``multipart/form-data`` (``file``, ``target``, optional ``source``, ``glossary``,
``summarize``), checked at once (size, format, that it opens: a corrupt or mislabelled file is a 422
here, not a failed job later), stored in the service's database (table ``documents``, migration 3) and
translated by a job worker (any replica) through :func:`models.documents.run.translate_file`. The
translated file is stored beside it; both belong to the caller's key and go when the job is purged
(TOMTAT_JOB_RETENTION after it finishes). LibreTranslate's ``/translate_file`` (``service/libretranslate.py``)
uses the same store for its ``/download_file/<name>`` links.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy import text

from models import pipeline
from models.documents import DocumentLimits, open_document
from models.documents.run import FileResult, translate_file
from models.errors import InputError
from models.glossary import Glossary, from_dict as glossary_from_dict
from models.text import characters

from .auth import tenant
from .db import Database
from .errors import ApiError
from .glossaries import check_direction, resolve
from .http import accepted, idempotency_key, job_workers as _workers, key_reused, runtime, settings, strict_loads
from .openapi import API_ERRORS, READ_ERRORS, operation
from .schemas import is_language_code
from .store import IdempotencyConflict, request_hash

log = logging.getLogger(__name__)

bp = Blueprint("documents", __name__, url_prefix="/v1/documents")

KIND = "document"  # the job options' "kind" of a document job
FORM_OVERHEAD = 256 * 1024  # multipart headers and the other fields, on top of the file
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")
DOCUMENT_ENDPOINTS = ("documents.create_document", "libretranslate.translate_file")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")  # C0 (CR, LF, NUL, tab…), DEL, C1


# -- the file store -----------------------------------------------------------------------------------------

class DocumentStore:
    """Files in the service's database, each owned by a tenant, tied to a job or expiring on its own."""

    def __init__(self, database: str | Database):
        self.db = database if isinstance(database, Database) else Database.shared(str(database))

    def save(self, owner: str, role: str, filename: str, media_type: str, data: bytes, *,
             job_id: str | None = None, expires_at: float | None = None) -> str:
        file_id = secrets.token_hex(16)  # also the capability in a /download_file link: 128 random bits
        with self.db.tx() as conn:
            conn.execute(text("INSERT INTO documents (id, tenant, job_id, role, filename, media_type, size, data, "
                              "created_at, expires_at) VALUES (:id, :t, :job, :role, :name, :type, :size, :data, "
                              ":now, :exp)"),
                         {"id": file_id, "t": owner, "job": job_id, "role": role, "name": filename, "type": media_type,
                          "size": len(data), "data": data, "now": time.time(), "exp": expires_at})
        return file_id

    def attach(self, file_id: str, job_id: str) -> None:
        with self.db.tx() as conn:
            conn.execute(text("UPDATE documents SET job_id = :job, expires_at = NULL WHERE id = :id"),
                         {"job": job_id, "id": file_id})

    def delete(self, file_id: str) -> None:
        with self.db.tx() as conn:
            conn.execute(text("DELETE FROM documents WHERE id = :id"), {"id": file_id})

    def get(self, file_id: str, owner: str | None = None) -> dict | None:
        """The file (``owner`` None: whoever holds its id, as a /download_file link is used)."""
        sql = "SELECT * FROM documents WHERE id = :id AND (expires_at IS NULL OR expires_at > :now)"
        params = {"id": file_id, "now": time.time()}
        if owner is not None:
            sql += " AND tenant = :t"
            params["t"] = owner
        with self.db.read() as conn:
            row = conn.execute(text(sql), params).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["data"] = bytes(out["data"])  # memoryview on PostgreSQL
        return out

    def purge(self, batch: int = 16) -> int:
        """Remove expired files and the files of jobs gone without them → how many; ``batch`` files per
        transaction (each up to the upload limit), so that writers wait for a bounded delete, not a scan's."""
        now, gone = time.time(), 0
        for where in ("d.expires_at IS NOT NULL AND d.expires_at < :now",
                      "d.job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = d.job_id)"):
            while True:
                with self.db.tx() as conn:
                    n = conn.execute(text(f"DELETE FROM documents WHERE id IN (SELECT d.id FROM documents d "
                                          f"WHERE {where} LIMIT :n)"), {"now": now, "n": batch}).rowcount
                gone += n
                if n < batch:
                    break
        return gone


def store(app=None) -> DocumentStore:
    app = app or current_app
    found = app.extensions.get("tomtat.documents")
    if found is None:
        found = app.extensions["tomtat.documents"] = DocumentStore(app.extensions["tomtat.settings"].database)
    return found


def limits() -> DocumentLimits:
    return DocumentLimits(max_bytes=settings().max_document_bytes)


# -- the request -------------------------------------------------------------------------------------------

def _flag(name: str, default: bool = False) -> bool:
    value = request.form.get(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise InputError(f"`{name}` is {value!r}; send true or false", field=name, code="validation")


def _code(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().lower()
    if not is_language_code(value):
        raise InputError(f"`{name}` is {value!r}; send a language code such as vi, en or auto", field=name,
                         code="validation")
    return value


def _glossary(value: str | None) -> Glossary | None:
    """A form's ``glossary``: a stored glossary's name, or the terms as a JSON object."""
    if value is None or not value.strip():
        return None
    if value.lstrip().startswith("{"):
        try:
            terms = strict_loads(value)
        except ValueError as exc:
            raise InputError(f"`glossary` is not a JSON object of terms: {exc}", field="glossary",
                             code="bad-glossary") from None
        return resolve(terms)
    return resolve(value.strip())


def uploaded(field_name: str = "file") -> tuple[str, bytes]:
    """The uploaded file's name and bytes (read once per request); 422 without one, 413 over
    TOMTAT_MAX_DOCUMENT_BYTES."""
    if "tomtat_upload" not in g:
        g.tomtat_upload = _read_upload(field_name)
    return g.tomtat_upload


def upload_chars() -> int:
    """What a document request costs against the character quota: the characters of the file's text (0 for
    a file that does not open: the route answers its 413/415/422 itself)."""
    try:
        return characters(opened_upload()[1].text())  # NFC characters, as the quota counts text
    except Exception:  # noqa: BLE001 - a refused file, or one that failed to open: the route answers for it
        return 0


def opened_upload():
    """The uploaded file opened and checked (``open_document``), once per request: the quota counts its
    text and the route validates it with the same parse. 422 for a corrupt or mislabelled file.

    A failure of any kind is remembered: the route raises it (its handler answers), and no hook that asks
    later (the quota, the metrics' after_request) opens the file again and raises outside the handlers."""
    if "tomtat_opened" not in g:
        try:
            filename, data = uploaded()
            g.tomtat_opened = open_document(data, filename, limits())
        except Exception as exc:  # noqa: BLE001 - a bad file is parsed once too: the same problem again
            g.tomtat_opened = exc
    if isinstance(g.tomtat_opened, Exception):
        raise g.tomtat_opened
    return g.tomtat_opened


def _read_upload(field_name: str) -> tuple[str, bytes]:
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Unsupported Media Type", f"send the file as multipart/form-data with a `{field_name}` "
                       f"field (got {request.mimetype or 'no body'}), e.g. curl -F {field_name}=@report.docx")
    upload = request.files.get(field_name)
    if upload is None or not upload.filename:
        raise InputError(f"no file: send it as the `{field_name}` field of a multipart/form-data body, with its "
                         "file name (the name's extension says the format)", field=field_name, code="no-file")
    limit = settings().max_document_bytes
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "File too large", f"the file is over {limit} bytes (TOMTAT_MAX_DOCUMENT_BYTES); "
                       "split it, or ask the operator to raise the limit", slug="file-too-large", limit=limit)
    return clean_filename(upload.filename), data


def clean_filename(name: str) -> str:
    """A file's name as it is stored and served: its last path component (a client may send a path), each
    run of control characters in it (a CR or LF would end the Content-Disposition header it is sent in, a NUL
    is refused by PostgreSQL) made one ``_``."""
    return _CONTROLS.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1])


def body_limit() -> None:
    """Before the body is read: a document route takes a file up to TOMTAT_MAX_DOCUMENT_BYTES."""
    if request.method == "POST" and request.endpoint in DOCUMENT_ENDPOINTS:
        limit = settings().max_document_bytes
        request.max_content_length = limit + FORM_OVERHEAD
        g.body_limit = (f"TOMTAT_MAX_DOCUMENT_BYTES: {limit} for the file, {FORM_OVERHEAD} for the form's other "
                        "fields", "send a smaller file or split it, or ask the operator to raise the limit")


# -- routes ------------------------------------------------------------------------------------------------

@bp.before_request
def _lazy_start():
    """As for /v1/jobs: this process's job workers run once it takes document work (an app given a runtime
    does not start them at creation)."""
    _workers().start()


def _links(job_id: str) -> dict:
    return {"self": url_for("documents.get_document", job_id=job_id),
            "file": url_for("documents.get_file", job_id=job_id),
            "job": url_for("jobs.get_job", job_id=job_id)}


FORM_FIELDS = ("file", "source", "target", "summarize", "allow_other_language", "glossary")


def _check_form() -> None:
    """A misspelt field ("tagret") or a second file is refused, not ignored: the job would run without it."""
    names = {name or "" for name in (*request.form, *request.files)}  # a part may come with no name at all
    unknown = sorted(names - set(FORM_FIELDS))
    if unknown:
        raise ApiError(422, "Invalid request", f"unknown form field{'s' if len(unknown) > 1 else ''} "
                       f"{', '.join(map(repr, unknown))}; a document upload takes {', '.join(FORM_FIELDS)}",
                       slug="validation", errors=[{"field": name, "message": "unknown form field"} for name in unknown])
    repeated = [name for name in FORM_FIELDS if len(request.files.getlist(name)) + len(request.form.getlist(name)) > 1]
    if repeated:
        raise ApiError(422, "Invalid request", f"{', '.join(map(repr, repeated))} sent more than once; send one "
                       "file (and each option once) per upload", slug="validation",
                       errors=[{"field": name, "message": "sent more than once"} for name in repeated])


@bp.post("")
def create_document():
    _check_form()
    filename, data = uploaded()
    source = _code("source", request.form.get("source")) or "auto"
    target = _code("target", request.form.get("target"))
    summarize = _flag("summarize")
    allow_other = _flag("allow_other_language")
    glossary = _glossary(request.form.get("glossary"))
    translator = runtime().translator()  # 503 (with the fix) before storing anything
    fmt, _ = opened_upload()  # 422 now for a corrupt or mislabelled file
    if source != "auto":
        source, target = pipeline.pick_direction(translator.pairs, source, target)
    elif target is not None and target not in {t for _, t in translator.pairs}:  # 422 now, not a failed job
        served = [f"{a}→{b}" for a, b in translator.pairs]
        raise InputError(f"no source translates to {target!r} here; the loaded translation model serves "
                         f"{', '.join(served)}", field="target", code="unsupported-pair", served=served)
    check_direction(glossary, None if source == "auto" else source, target)  # 422 now, not a failed job
    owner = tenant()
    options = {"kind": KIND, "source": source, "target": target, "summarize": summarize,
               "allow_other_language": allow_other, "glossary": glossary.as_dict() if glossary else None}
    workers = _workers()
    key = idempotency_key()  # a retried upload returns the job of the first one
    digest = request_hash(filename, data, json.dumps(options, sort_keys=True)) if key else None
    try:
        replayed = workers.store.replay(owner, key, digest) if key else None  # before storing the file again
    except IdempotencyConflict as exc:
        raise key_reused(exc.job_id) from None
    if replayed:
        return accepted(document_status(replayed), url_for("documents.get_document", job_id=replayed), True)
    files = store()  # expired files are purged by the job workers' heartbeat; get() never returns one
    file_id = files.save(owner, "source", filename, fmt.media_type, data, expires_at=time.time() + 86400)
    record = json.dumps({"id": filename, "file": file_id}, ensure_ascii=False)
    try:
        job_id, created = workers.store.create_job([(filename, record)], options, tenant=owner,
                                                   idempotency_key=key, req_hash=digest)
    except IdempotencyConflict as exc:
        files.delete(file_id)
        raise key_reused(exc.job_id) from None
    if created:
        files.attach(file_id, job_id)  # from now on it lives as long as its job
        workers.notify()
    else:
        files.delete(file_id)  # the first upload's file is the job's
    return accepted(document_status(job_id), url_for("documents.get_document", job_id=job_id), not created)


def _job(job_id: str) -> dict:
    job = _workers().store.get_job(job_id, tenant())
    if job is None or job["options"].get("kind") != KIND:
        raise ApiError(404, "Document not found", f"there is no document job {job_id!r} for this API key (kept "
                       "for the job retention after it finishes, TOMTAT_JOB_RETENTION)", slug="not-found")
    return job


def _row(job_id: str) -> dict | None:
    for row in _workers().store.iter_results(job_id, 0, 1):
        return json.loads(row)
    return None


def document_status(job_id: str) -> dict:
    return _status(job_id)[0]


def _status(job_id: str) -> tuple[dict, dict | None]:
    """A document job's answer, and its result row (None until it is finished)."""
    job = _job(job_id)
    row = _row(job_id) if job["status"] in ("done", "failed") else None
    status = {"queued": "queued", "running": "running", "cancelled": "cancelled"}.get(job["status"])
    body = {"job_id": job_id, "status": status, "source": job["options"].get("source"),
            "target": job["options"].get("target"), "summarize": job["options"].get("summarize", False)}
    if row is not None and not row.get("error"):
        body["status"] = "succeeded"
        body |= {k: row[k] for k in ("filename", "format", "media_type", "source", "target", "stats", "summary_vi",
                                     "summary_en", "checks", "warnings") if k in row}
    elif row is not None or job["status"] == "failed":
        body["status"] = "failed"
        body["error"] = (row or {}).get("error", "job-failed")
        body["reason"] = (row or {}).get("reason") or job.get("error")
    body["progress"] = job["progress"]
    body |= {"created_at": job["created_at"], "finished_at": job["finished_at"], "links": _links(job_id)}
    return body, row


@bp.get("/<job_id>")
def get_document(job_id: str):
    return jsonify(document_status(job_id))


@bp.get("/<job_id>/file")
def get_file(job_id: str):
    body, row = _status(job_id)
    if body["status"] != "succeeded":
        detail = {"failed": f"the document could not be translated: {body.get('reason')}",
                  "cancelled": "the document job was cancelled"}.get(
            body["status"], f"the translation is {body['status']}; retry when GET {body['links']['self']} says "
                            "succeeded")
        raise ApiError(409, "Document not ready", detail, slug="document-not-ready", status_now=body["status"],
                       headers={"Retry-After": "1"} if body["status"] in ("queued", "running") else {})
    found = store().get(row["file"], tenant())
    if found is None:
        raise ApiError(404, "Document not found", "the translated file has expired", slug="not-found")
    return send(found)


def send(found: dict) -> Response:
    response = Response(found["data"], mimetype=found["media_type"].split(";")[0])
    if "charset" in found["media_type"]:
        response.charset = "utf-8"
    name = clean_filename(found["filename"])  # a row stored before names were cleaned at upload
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- the job worker's side ---------------------------------------------------------------------------------

def process_claim(rt, database: str, claim, limit_bytes: int, progress=None) -> dict:
    """One document item → its result row (the translated file stored beside the upload). Bad input is an
    error row; ``CapabilityUnavailable`` propagates (the job fails with the fix). ``progress(fraction)``: told
    how far the translation is, batch by batch (the worker shows it in the job's status)."""
    record, options = claim.record, claim.options
    files = DocumentStore(database)
    source = files.get(record["file"], claim.tenant)
    if source is None:
        return {"id": record.get("id"), "error": "file-missing", "reason": "the uploaded file is gone (expired)"}
    try:
        result: FileResult = translate_file(
            rt, source["data"], source["filename"], source=options.get("source", "auto"),
            target=options.get("target"), glossary=glossary_from_dict(options.get("glossary")),
            summarize=options.get("summarize", False), allow_other_language=options.get("allow_other_language", False),
            limits=DocumentLimits(max_bytes=limit_bytes), progress=progress)
    except InputError as exc:
        return {"id": record.get("id"), "error": exc.code, "reason": str(exc)}
    file_id = files.save(claim.tenant, "translation", result.filename, result.media_type, result.data,
                         job_id=claim.job_id)
    row = {"id": record.get("id"), "file": file_id, "filename": result.filename, "media_type": result.media_type,
           "format": result.stats.get("format"), "source": result.source, "target": result.target,
           "stats": result.stats, "checks": result.checks}
    if options.get("summarize"):
        row |= {"summary_vi": result.summary_vi, "summary_en": result.summary_en}
    if result.warnings:
        row["warnings"] = result.warnings
    return row


# -- OpenAPI ---------------------------------------------------------------------------------------------

_FORM = {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary", "description": "The document: .txt .md .html .docx .odt .srt "
             "(the extension says the format)."},
    "source": {"type": "string", "default": "auto", "examples": ["vi", "en", "auto"]},
    "target": {"type": "string", "description": "Omitted: the source's one target (vi → en, en → vi).",
               "examples": ["en", "vi"]},
    "glossary": {"type": "string", "description": "A stored glossary's name, or the terms as a JSON object."},
    "summarize": {"type": "string", "enum": ["true", "false"], "default": "false",
                  "description": "Also the Vietnamese and English summary of the document."},
    "allow_other_language": {"type": "string", "enum": ["true", "false"], "default": "false"},
}}
_STATUS = {"type": "object", "required": ["job_id", "status", "links"], "properties": {
    "job_id": {"type": "string"},
    "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
    "filename": {"type": "string"}, "format": {"type": "string"}, "source": {"type": ["string", "null"]},
    "target": {"type": ["string", "null"]}, "stats": {"type": "object"},
    "summary_vi": {"type": ["string", "null"]}, "summary_en": {"type": ["string", "null"]},
    "checks": {"type": "object"}, "error": {"type": "string"}, "reason": {"type": ["string", "null"]},
    "progress": {"type": "number"}, "links": {"type": "object"}}}
operation("POST", "/v1/documents", "Translate a document (a job)", tag="documents",
          description="A .txt, .md, .html, .docx, .odt or .srt file, translated with its structure kept (paragraphs, "
                      "headings, bold/italic/links, tables, lists, subtitle timings). Answers 202; poll the `self` "
                      "link, then download `file`.",
          body_schema=_FORM, body_types=("multipart/form-data",),
          parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "maxLength": 255},
                       "description": "A retried upload with the same key, file and options returns the first job."}],
          responses={202: (_STATUS, "Accepted: the document job and its links.")}, errors=API_ERRORS)
operation("GET", "/v1/documents/<job_id>", "A document job's state, summaries and links", tag="documents",
          responses={200: (_STATUS, "State; when succeeded, the file's name, stats and summaries.")},
          errors=READ_ERRORS + (404,))
operation("GET", "/v1/documents/<job_id>/file", "The translated file", tag="documents",
          content_type="application/octet-stream",
          responses={200: ({"type": "string", "format": "binary"}, "The file, in the format it was sent.")},
          errors=READ_ERRORS + (404, 409))
