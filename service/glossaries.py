"""Named glossaries, stored per API key: ``POST/GET/PUT/DELETE /v1/glossaries[/<name>]``.

A request names one as ``"glossary": "<name>"`` (``/v1/translate``, ``/v1/articles``, jobs, documents) or sends
its terms inline (``"glossary": {"UBND": "People's Committee"}``); :func:`resolve` turns either into a
:class:`models.glossary.Glossary`. Bodies are JSON (``{"name", "source", "target", "entries"}``) or a
two-column table: ``Content-Type: text/csv`` or ``text/tab-separated-values`` (source term, target term; a
``source,target`` header line is skipped). ``GET /v1/glossaries/<name>?format=csv|tsv`` gives a table back.
Each tenant (API key; the anonymous tenant when keys are off) sees only its own glossaries.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from models.errors import InputError
from models.cache import Lru
from models.glossary import LIMITS, MOST_BUILT_CHARS, Glossary, built_chars, parse_table
from models.glossary import built as built_glossary

from .auth import tenant
from .db import Database
from .errors import ApiError
from .http import control_at, json_body
from .openapi import READ_ERRORS, operation
from .schemas import Request

bp = Blueprint("glossaries", __name__, url_prefix="/v1/glossaries")

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a whole name: always fullmatch
MAX_PER_TENANT = 100
DIRECTIONS = (("vi", "en"), ("en", "vi"))
TABLE_TYPES = {"text/csv": ",", "text/tab-separated-values": "\t", "text/tsv": "\t"}


# -- schemas (validation and OpenAPI) ----------------------------------------------------------------------

class GlossaryBody(Request):
    name: str | None = Field(None, description="Letters, digits, `.`, `_`, `-`; at most 64 characters. Required "
                             "on POST; on PUT the path names it.", examples=["toa-soan"])
    source: str = Field("vi", description="Language of the source terms: `vi` or `en`.")
    target: str = Field("en", description="Language of the target terms: `en` or `vi`.")
    entries: dict[str, str] = Field(..., description=f"Source term → target term, at most {LIMITS.max_entries}; a "
                                    "term mapped to itself is never translated.",
                                    examples=[{"UBND": "People's Committee", "Quận 3": "District 3"}])


class GlossaryInfo(BaseModel):
    name: str
    source: str
    target: str
    size: int = Field(..., description="Number of entries.")
    created_at: float
    updated_at: float


class GlossaryFull(GlossaryInfo):
    entries: dict[str, str]


class GlossaryList(BaseModel):
    glossaries: list[GlossaryInfo]


# -- the store ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredGlossary:
    name: str
    source: str
    target: str
    entries: dict[str, str]
    created_at: float
    updated_at: float

    def info(self) -> dict:
        return {"name": self.name, "source": self.source, "target": self.target, "size": len(self.entries),
                "created_at": self.created_at, "updated_at": self.updated_at}


class GlossaryStore:
    """Glossaries in the service's database (migration 2), one namespace per tenant."""

    def __init__(self, database: str | Database):
        self.db = database if isinstance(database, Database) else Database.shared(str(database))
        # (tenant, name, version) -> its built glossary: an unchanged glossary's entries are not read again
        self._built = Lru(MOST_BUILT_CHARS, weigh=built_chars)

    @staticmethod
    def _record(row) -> StoredGlossary:
        return StoredGlossary(row["name"], row["source"], row["target"], json.loads(row["entries"]),
                              row["created_at"], row["updated_at"])

    def list(self, owner: str) -> list[StoredGlossary]:
        with self.db.read() as conn:
            rows = conn.execute(text("SELECT * FROM glossaries WHERE tenant = :t ORDER BY name"),
                                {"t": owner}).mappings().all()
        return [self._record(r) for r in rows]

    def get(self, owner: str, name: str) -> StoredGlossary | None:
        if not NAME_RE.fullmatch(name):
            return None  # no glossary has such a name (a NUL, a line break…), nor is one looked up
        with self.db.read() as conn:
            row = conn.execute(text("SELECT * FROM glossaries WHERE tenant = :t AND name = :n"),
                               {"t": owner, "n": name}).mappings().first()
        return self._record(row) if row else None

    def put(self, owner: str, name: str, glossary: Glossary, create_only: bool = False) -> tuple[StoredGlossary, bool]:
        """Store ``glossary`` as ``name``; returns it and whether it was created (False: replaced)."""
        now = time.time()
        params = {"t": owner, "n": name, "s": glossary.source, "g": glossary.target,
                  "e": json.dumps(glossary.entries, ensure_ascii=False), "z": len(glossary), "now": now}
        with self.db.tx() as conn:
            count = conn.execute(text("SELECT COUNT(*) FROM glossaries WHERE tenant = :t"), {"t": owner}).scalar()
            updated = 0 if create_only else conn.execute(text(
                "UPDATE glossaries SET source = :s, target = :g, entries = :e, size = :z, updated_at = :now "
                "WHERE tenant = :t AND name = :n"), params).rowcount
            if not updated:
                if count >= MAX_PER_TENANT:
                    raise ApiError(409, "Too many glossaries",
                                   f"this key has {count} glossaries, the most allowed; delete one first "
                                   f"(DELETE /v1/glossaries/<name>)", slug="too-many-glossaries",
                                   limit=MAX_PER_TENANT)
                try:
                    with conn.begin_nested():
                        conn.execute(text(
                            "INSERT INTO glossaries (tenant, name, source, target, entries, size, created_at, "
                            "updated_at) VALUES (:t, :n, :s, :g, :e, :z, :now, :now)"), params)
                except IntegrityError:
                    raise ApiError(409, "Glossary exists",
                                   f"a glossary named {name!r} exists; PUT /v1/glossaries/{name} replaces it",
                                   slug="glossary-exists") from None
            row = conn.execute(text("SELECT * FROM glossaries WHERE tenant = :t AND name = :n"),
                               {"t": owner, "n": name}).mappings().first()
        return self._record(row), not updated

    def delete(self, owner: str, name: str) -> bool:
        if not NAME_RE.fullmatch(name):
            return False
        with self.db.tx() as conn:
            return conn.execute(text("DELETE FROM glossaries WHERE tenant = :t AND name = :n"),
                                {"t": owner, "n": name}).rowcount > 0

    def load(self, owner: str, name: str) -> Glossary | None:
        """The named glossary, built for matching and kept built while it is unchanged: a request reads its
        version (``updated_at``), and its entries only when that changed."""
        if not NAME_RE.fullmatch(name):
            return None
        with self.db.read() as conn:
            version = conn.execute(text("SELECT updated_at FROM glossaries WHERE tenant = :t AND name = :n"),
                                   {"t": owner, "n": name}).scalar()
        if version is None:
            return None
        built = self._built.get((owner, name, version))
        if built is None:
            stored = self.get(owner, name)
            if stored is None:  # deleted in between
                return None
            # built through the process's cache of built glossaries: a job's items and inline copies of the
            # same terms share this one
            built = built_glossary(stored.entries, stored.source, stored.target)
            self._built.put((owner, name, stored.updated_at), built)
        return built


def store() -> GlossaryStore:
    app = current_app
    found = app.extensions.get("tomtat.glossaries")
    if found is None:
        found = app.extensions["tomtat.glossaries"] = GlossaryStore(app.extensions["tomtat.settings"].database)
    return found


def resolve(value: str | dict | None, field: str = "glossary") -> Glossary | None:
    """A request's ``glossary``: the caller's named glossary, or inline terms (for the request's direction)."""
    if value is None:
        return None
    if isinstance(value, str):
        found = store().load(tenant(), value)
        if found is None:
            raise InputError(f"no glossary named {value!r} for this key; GET /v1/glossaries lists yours, "
                             "or send the terms inline as an object", field=field, code="unknown-glossary")
        return found
    return built_glossary(value, None, None, field=field)  # the same inline terms again: not rebuilt


def check_direction(glossary: Glossary | None, source: str | None, target: str | None,
                    field: str = "glossary") -> None:
    """A named glossary made for another direction than a request's is refused when the request is made (as
    ``models.pipeline`` refuses it for /v1/translate and /v1/articles), not in its job later; ``source`` None:
    detected later, only ``target`` is known. Inline terms (no direction of their own) take the request's."""
    if glossary is None or glossary.source is None:
        return
    wrong = (source is not None and glossary.source != source) or (target is not None and glossary.target != target)
    if wrong:
        asked = f"{source or 'auto'}→{target or 'auto'}"
        raise InputError(f"the glossary is for {glossary.source}→{glossary.target}; this translation is {asked}. "
                         "Use a glossary of that direction", field=field, code="glossary-direction")


# -- routes ---------------------------------------------------------------------------------------------

def _check_name(name: str | None) -> str:
    if not name:
        raise InputError("the glossary has no `name`: send one of 1-64 letters, digits, '.', '_' or '-', starting "
                         "with a letter or digit", field="name", code="bad-glossary-name")
    if not NAME_RE.fullmatch(name):
        raise InputError(f"glossary name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
                         "letter or digit", field="name", code="bad-glossary-name")
    return name


def _check_direction(source: str, target: str) -> tuple[str, str]:
    pair = (source.lower(), target.lower())
    if pair not in DIRECTIONS:
        raise InputError(f"a glossary goes vi→en or en→vi, not {source}→{target}", field="source",
                         code="bad-glossary")
    return pair


def _body(name_from_path: str | None) -> tuple[str, Glossary]:
    """The glossary a POST/PUT sends: JSON, or a CSV/TSV table (name, source and target in the query)."""
    mimetype = request.mimetype
    if mimetype in TABLE_TYPES:
        raw = request.get_data()
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"the table is not UTF-8 (byte {exc.start}); save it as UTF-8", field="body",
                             code="bad-glossary") from None
        entries = parse_table(data, TABLE_TYPES[mimetype], field="body")
        name = name_from_path or request.args.get("name")
        source, target = request.args.get("source", "vi"), request.args.get("target", "en")
    elif request.is_json or mimetype in ("", None):
        body = json_body()
        if not isinstance(body, dict):
            raise ApiError(422, "Invalid request", "the body must be a JSON object", slug="validation",
                           errors=[{"field": "body", "message": "expected an object"}])
        parsed = GlossaryBody.model_validate(body)
        if name_from_path and parsed.name not in (None, name_from_path):
            raise InputError(f"the body names {parsed.name!r}, the path {name_from_path!r}; drop one",
                             field="name", code="bad-glossary-name")
        name, source, target, entries = name_from_path or parsed.name, parsed.source, parsed.target, parsed.entries
    else:
        raise ApiError(415, "Unsupported Media Type",
                       f"send the glossary as JSON (application/json) or a table (text/csv, "
                       f"text/tab-separated-values); got {mimetype}")
    name = _check_name(name)
    source, target = _check_direction(source, target)
    _check_terms(entries)
    return name, Glossary(entries, source, target, field="entries")


def _check_terms(entries: dict[str, str]) -> None:
    """No control character (NUL, an escape… DEL) in a term, whether the glossary came as JSON or as a table:
    no text matches one. Tabs and line breaks are blanks, which a term's words are matched across."""
    for source, target in entries.items():
        for term in (source, target):
            at = control_at(term, blanks=True)
            if at is not None:
                raise InputError(f"the entry {source!r}: {target!r} holds a control character (U+{ord(term[at]):04X}) "
                                 f"at character {at} of {term!r}; remove it", field="entries", code="invalid-character")


def _not_found(name: str) -> ApiError:
    return ApiError(404, "Not Found", f"no glossary named {name!r} for this key; GET /v1/glossaries lists yours",
                    slug="not-found")


@bp.get("")
def list_glossaries():
    return jsonify({"glossaries": [g.info() for g in store().list(tenant())]})


@bp.post("")
def create_glossary():
    name, glossary = _body(None)
    record, _ = store().put(tenant(), name, glossary, create_only=True)
    response = jsonify(record.info() | {"entries": record.entries})
    response.status_code = 201
    response.headers["Location"] = f"/v1/glossaries/{name}"
    return response


@bp.get("/<name>")
def get_glossary(name: str):
    record = store().get(tenant(), name)
    if record is None:
        raise _not_found(name)
    fmt = request.args.get("format", "json")
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow([record.source, record.target])
        writer.writerows(record.entries.items())
        mimetype = "text/csv" if fmt == "csv" else "text/tab-separated-values"
        return Response(out.getvalue(), mimetype=mimetype, headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
    if fmt != "json":
        raise InputError(f"format {fmt!r}: choose json, csv or tsv", field="format", code="bad-format")
    return jsonify(record.info() | {"entries": record.entries})


@bp.put("/<name>")
def put_glossary(name: str):
    name, glossary = _body(_check_name(name))
    record, created = store().put(tenant(), name, glossary)
    response = jsonify(record.info() | {"entries": record.entries})
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = f"/v1/glossaries/{name}"
    return response


@bp.delete("/<name>")
def delete_glossary(name: str):
    if not store().delete(tenant(), name):
        raise _not_found(name)
    response = Response(status=204)
    del response.headers["Content-Type"]  # no content, no type (werkzeug's default is text/html)
    return response


_ERRORS = READ_ERRORS + (400, 413, 415, 422, 503)
_TABLE_PARAMS = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
                 for n, d in (("name", "With a CSV/TSV body on POST: the glossary's name."),
                              ("source", "With a CSV/TSV body: `vi` (default) or `en`."),
                              ("target", "With a CSV/TSV body: `en` (default) or `vi`."))]
_TABLE = {"type": "string", "description": "Two columns: source term, target term."}
operation("GET", "/v1/glossaries", "List this key's glossaries", tag="glossaries",
          responses={200: (GlossaryList, "Name, direction, size and times of each.")}, errors=READ_ERRORS)
operation("POST", "/v1/glossaries", "Create a glossary", tag="glossaries",
          description="JSON `{name, source, target, entries}`, or a two-column table (`Content-Type: text/csv` or "
                      "`text/tab-separated-values`: source term, target term a line; a `source,target` header is "
                      "skipped) with `?name=`. 409 when the name is taken (PUT replaces).",
          request=GlossaryBody,
          parameters=_TABLE_PARAMS,
          request_examples={"newsroom": {"summary": "Thuật ngữ tòa soạn", "value": {
              "name": "toa-soan", "source": "vi", "target": "en",
              "entries": {"UBND": "People's Committee", "Quận 3": "District 3", "VnExpress": "VnExpress"}}}},
          responses={201: (GlossaryFull, "Created.")}, errors=_ERRORS + (409,))
operation("GET", "/v1/glossaries/<name>", "One glossary, with its entries", tag="glossaries",
          parameters=[{"name": "format", "in": "query", "required": False,
                       "schema": {"type": "string", "enum": ["json", "csv", "tsv"]}}],
          responses={200: (GlossaryFull, "The glossary (or a CSV/TSV table with `format`).")},
          errors=READ_ERRORS + (404, 422))
operation("PUT", "/v1/glossaries/<name>", "Create or replace a glossary", tag="glossaries",
          description="JSON `{source, target, entries}`, or a CSV/TSV table as for POST.",
          request=GlossaryBody,
          parameters=_TABLE_PARAMS[1:],
          responses={200: (GlossaryFull, "Replaced."), 201: (GlossaryFull, "Created.")}, errors=_ERRORS + (409,))
operation("DELETE", "/v1/glossaries/<name>", "Delete a glossary", tag="glossaries",
          responses={204: (None, "Deleted.")}, errors=READ_ERRORS + (404,))
