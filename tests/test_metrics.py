"""/metrics in Prometheus format: HTTP, model inference, batches, tokens, jobs; optional token."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.config import Settings

FAST = {"max_new_tokens": 6, "min_new_tokens": 2, "num_beams": 1}
TEXT = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025."


def scrape(client, headers=None) -> dict:
    resp = client.get("/metrics", headers=headers or {})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            samples.setdefault(s.name, []).append(s)
    return samples


def value(samples, name, **labels) -> float:
    return sum(s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.fixture(scope="module")
def client(tiny_runtime, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("metrics") / "tomtat.sqlite3")
    return create_app(Settings(db_path=db), tiny_runtime).test_client()


def test_requests_by_route_and_status_with_latency(client):
    client.post("/v1/summarize", json={"text": TEXT, "method": "extractive"})
    client.post("/v1/summarize", json={"text": "   "})
    client.get("/no-such-page")
    samples = scrape(client)
    assert value(samples, "tomtat_http_requests_total", route="/v1/summarize", status="200") >= 1
    assert value(samples, "tomtat_http_requests_total", route="/v1/summarize", status="422") >= 1
    assert value(samples, "tomtat_http_requests_total", route="<unmatched>", status="404") >= 1
    assert value(samples, "tomtat_http_request_duration_seconds_count", route="/v1/summarize", method="POST") >= 2
    assert value(samples, "tomtat_text_characters_total", route="/v1/summarize") >= len(TEXT)
    assert "tomtat_http_requests_in_flight" in samples and "process_cpu_seconds_total" in samples


def test_libretranslate_characters_are_counted_like_v1(client):
    before = value(scrape(client), "tomtat_text_characters_total", route="/detect")
    client.post("/detect", data={"q": TEXT})  # a form body, as LibreTranslate clients send
    after = scrape(client)
    assert value(after, "tomtat_text_characters_total", route="/detect") == before + len(TEXT)
    assert value(after, "tomtat_http_request_duration_seconds_count", route="/detect", method="POST") >= 1


def test_model_inference_batches_and_tokens(client):
    resp = client.post("/v1/articles", json={"text": TEXT, "summary": {"method": "abstractive", **FAST},
                                             "translate": "summary", "translation": FAST})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    samples = scrape(client)
    models = {s.labels["model"] for s in samples["tomtat_model_inference_seconds_count"]}
    assert {"VietAI/vit5-base-vietnews-summarization", "VietAI/envit5-translation"} <= models
    assert value(samples, "tomtat_model_batch_size_count") >= 2
    assert value(samples, "tomtat_model_tokens_total", direction="in") > 0
    assert value(samples, "tomtat_model_tokens_total", direction="out") > 0


def test_job_gauges_are_exposed(client):
    samples = scrape(client)
    assert "tomtat_queue_depth" in samples
    states = {s.labels["state"] for s in samples.get("tomtat_jobs", [])}
    assert {"queued", "running", "done", "failed", "cancelled"} <= states  # read from the job store


def test_gauge_providers(tiny_runtime, tmp_path):
    from service.metrics import register_gauge_provider

    app = create_app(Settings(db_path=str(tmp_path / "db.sqlite3")), tiny_runtime)
    register_gauge_provider(app, "queue_depth", lambda: 7)
    register_gauge_provider(app, "jobs_by_state", lambda: {"queued": 2, "running": 1})
    samples = scrape(app.test_client())
    assert value(samples, "tomtat_queue_depth") == 7
    assert value(samples, "tomtat_jobs", state="queued") == 2 and value(samples, "tomtat_jobs", state="running") == 1


def test_metrics_token(offline_runtime, tmp_path):
    client = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), metrics_token="s3cret"), offline_runtime).test_client()
    resp = client.get("/metrics")
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scrape(client, {"Authorization": "Bearer s3cret"})


def test_auth_failures_and_rate_limits_are_counted(offline_runtime, tmp_path):
    client = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), auth=True), offline_runtime).test_client()
    client.get("/v1/models")
    assert value(scrape(client), "tomtat_auth_failures_total", reason="missing") == 1
    client = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), anon_rate_limit="1/minute"),
                        offline_runtime).test_client()
    client.get("/v1/models")
    client.get("/v1/models")
    assert value(scrape(client), "tomtat_rate_limited_total", limit="requests") == 1


def test_method_label_is_bounded(offline_runtime, tmp_path):
    client = create_app(Settings(db_path=str(tmp_path / "db.sqlite3")), offline_runtime).test_client()
    for verb in ("BREW", "X" * 200, "PROPFIND"):
        client.open("/v1/summarize", method=verb)
    samples = scrape(client)
    methods = {s.labels["method"] for s in samples["tomtat_http_requests_total"]}
    assert methods <= {"GET", "POST", "other"} and "other" in methods
    assert value(samples, "tomtat_http_requests_total", method="other", route="<unmatched>", status="405") == 3


def test_the_body_is_parsed_once_and_never_after_a_413(offline_runtime, tmp_path):
    app = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), max_body_bytes=10_000), offline_runtime)
    calls = []
    loads = app.json.loads
    app.json.loads = lambda s, **kw: calls.append(len(s)) or loads(s, **kw)
    client = app.test_client()
    assert client.post("/v1/summarize", json={"text": TEXT, "method": "extractive"}).status_code == 200
    assert len(calls) == 1  # the route, the quota, the metrics and the access log share one parse
    calls.clear()
    assert client.post("/v1/summarize", json={"text": "a" * 20_000}).status_code == 413
    assert calls == []
    samples = scrape(client)
    assert value(samples, "tomtat_text_characters_total", route="/v1/summarize") == len(TEXT)
