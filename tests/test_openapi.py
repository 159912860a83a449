"""The OpenAPI 3.1 document: valid, generated from the validating schemas, and complete."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from service import schemas
from service.app import create_app
from service.config import Settings
from service.openapi import OPERATIONS, openapi_path

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def app(offline_runtime, tmp_path_factory):
    return create_app(Settings(db_path=str(tmp_path_factory.mktemp("oa") / "db.sqlite3")), offline_runtime)


@pytest.fixture(scope="module")
def spec(app):
    resp = app.test_client().get("/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_route_of_the_app_is_documented(app, spec):
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - IGNORED_METHODS):
            path = openapi_path(rule.rule)
            if method.lower() not in spec["paths"].get(path, {}):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, ("routes missing from the OpenAPI registry; document them with "
                         "service.openapi.operation(...): " + ", ".join(missing))


def test_no_documented_route_is_missing_from_the_app(app):
    served = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods}
    stale = [f"{m} {rule}" for (m, rule) in OPERATIONS if (m, rule) not in served and not rule.startswith("/v1/jobs")]
    assert not stale, stale


def test_request_schemas_are_the_validating_models(spec):
    """One definition: the spec's schema is the pydantic model's own JSON schema."""
    components = spec["components"]["schemas"]
    for model in (schemas.SummarizeRequest, schemas.TranslateRequest, schemas.ArticleRequest):
        own = model.model_json_schema(ref_template="#/components/schemas/{model}")
        assert components[model.__name__]["properties"] == own["properties"]
        assert components[model.__name__].get("required") == own.get("required")
        assert components[model.__name__]["additionalProperties"] is False
    body = spec["paths"]["/v1/summarize"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/SummarizeRequest"}


def test_examples_are_vietnamese_and_validate(spec):
    models = {"/v1/summarize": schemas.SummarizeRequest, "/v1/translate": schemas.TranslateRequest,
              "/v1/articles": schemas.ArticleRequest}
    for path, model in models.items():
        examples = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert examples
        for example in examples.values():
            model.model_validate(example["value"])  # every example is a valid request
            assert any(ch in str(example["value"]) for ch in "ắạếệọ"), example  # real Vietnamese text


def test_errors_are_problem_json_with_retry_after_on_429(spec):
    op = spec["paths"]["/v1/articles"]["post"]
    for status in ("401", "403", "413", "415", "422", "429", "503"):
        assert "application/problem+json" in op["responses"][status]["content"], status
    assert "Retry-After" in op["responses"]["429"]["headers"]
    assert {"bearerAuth", "apiKeyHeader"} <= set(spec["components"]["securitySchemes"])


def test_docs_page_is_local(app):
    resp = app.test_client().get("/docs")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "/static/docs.js" in html and "/openapi.json" in html
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert app.test_client().get("/static/docs.js").status_code == 200


def test_fact_checks_are_documented_from_the_one_schema(spec):
    components = spec["components"]["schemas"]
    assert set(components["FactProblem"]["properties"]["kind"]["enum"]) == {
        "number", "date", "name", "quote", "negation", "untranslated"}
    assert set(components["FactProblem"]["properties"]["issue"]["enum"]) == {"missing", "unsupported", "changed"}
    for response in ("SummarizeResponse", "TranslateResponse", "ArticleResponse"):
        assert "checks" in components[response]["properties"], response
    assert components["SummarySpec"]["properties"]["on_unfaithful"]["enum"] == ["flag", "fallback"]
