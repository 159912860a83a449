"""The web page at / (served without any CDN, with a CSP) — rendering checks; tests/test_browser.py drives it."""

from __future__ import annotations

import re

import pytest

from service.app import create_app
from service.config import Settings


@pytest.fixture(scope="module")
def client(tiny_runtime, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("web") / "db.sqlite3")
    return create_app(Settings(db_path=db, max_chars=20_000), tiny_runtime).test_client()


def test_page_has_the_form_outputs_and_local_assets_only(client):
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    for element in ('id="text"', 'id="title"', 'id="file"', 'id="length"', 'id="full"', 'id="submit"',
                    'id="out-summary-vi"', 'id="out-summary-en"', 'id="out-translation-en"', 'class="copy"'):
        assert element in html, element
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(a.startswith("/") for a in assets), assets  # nothing from a CDN
    for asset in ("/static/app.js", "/static/app.css", "/static/favicon.svg"):
        assert client.get(asset).status_code == 200, asset
    assert 'data-max-chars="20000"' in html


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script: the CSP would block it


def test_labels_in_vietnamese_and_english(client):
    vi = client.get("/", headers={"Accept-Language": "vi-VN,vi;q=0.9"}).get_data(as_text=True)
    assert '<html lang="vi">' in vi and "Tóm tắt tiếng Việt" in vi and "Bài báo tiếng Việt" in vi
    en = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "Vietnamese summary" in en and "Full English translation" in en


def test_missing_translation_model_is_explained(offline_runtime, tmp_path):
    html = create_app(Settings(db_path=str(tmp_path / "db.sqlite3")), offline_runtime).test_client().get("/?lang=en")
    page = html.get_data(as_text=True)
    assert 'data-translation-ready="0"' in page and 'id="cap-translation"' in page
    assert "tomtat models pull" in page  # the fix, from the runtime's capability report


def test_api_key_field_only_when_auth_is_on(offline_runtime, tmp_path, client):
    assert 'id="apikey"' not in client.get("/").get_data(as_text=True)
    app = create_app(Settings(db_path=str(tmp_path / "db.sqlite3"), auth=True), offline_runtime)
    assert 'id="apikey"' in app.test_client().get("/").get_data(as_text=True)


def test_javascript_never_uses_inner_html():
    from pathlib import Path

    static = Path(__file__).parents[1] / "service" / "static"
    for name in ("app.js", "docs.js"):
        source = (static / name).read_text(encoding="utf-8")
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "eval(" not in source
