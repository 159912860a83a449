"""schemathesis against the app's own /openapi.json, in process (WSGI): generated requests to every
documented operation, positive and negative, with a fixed seed. Every answer must be no 5xx other than a
documented 503, and conform to the spec (status, content type, headers, body schema).

CI runs TOMTAT_SCHEMATHESIS_EXAMPLES (default 28) examples per operation (operations without parameters or
body have one), about 10 s; by hand::

    TOMTAT_SCHEMATHESIS_EXAMPLES=200 .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_schemathesis.py

runs 200 per operation, about a minute. The app has no models (routes that need one answer
their documented 503) and keys off.
"""

from __future__ import annotations

import json
import os
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from models.runtime import Runtime, RuntimeConfig
from service.app import create_app
from service.config import Settings

EXAMPLES = int(os.environ.get("TOMTAT_SCHEMATHESIS_EXAMPLES", "28"))

_db = os.path.join(tempfile.mkdtemp(prefix="tomtat-schemathesis-"), "db.sqlite3")
app = create_app(Settings(db_path=_db, load_models=False, log_level="ERROR", max_chars=20_000),
                 Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load())
schema = schemathesis.openapi.from_wsgi("/openapi.json", app)


@schemathesis.serializer("application/x-ndjson")
def _jsonl(ctx, value) -> bytes:
    """A job's JSONL body: one article a line (the object form's `articles`, or the value itself)."""
    rows = value.get("articles") if isinstance(value, dict) else value
    rows = rows if isinstance(rows, list) else [rows]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


@schemathesis.check
def no_server_error_but_a_documented_503(ctx, response, case):
    """Like schemathesis' not_a_server_error, except the 503 of a route whose model is not loaded (or a
    readiness probe that is not ready): documented, and status_code_conformance checks it is."""
    if response.status_code >= 500 and response.status_code != 503:
        raise AssertionError(f"{case.method} {case.path}: {response.status_code} {response.text[:300]}")
    if response.status_code == 503 and case.path != "/readyz":
        assert "retry-after" in {k.lower() for k in response.headers}, f"{case.method} {case.path}: 503 without Retry-After"


CHECKS = [
    no_server_error_but_a_documented_503,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case):
    case.call_and_validate(checks=CHECKS)
