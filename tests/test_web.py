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


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_label_is_the_text_of_its_language_before_any_script_runs(client, lang):
    from service.web import LABELS

    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    # a label named like a dict method ("clear", "copy") once rendered as "<built-in method clear of dict …>"
    assert "built-in method" not in html
    button = re.search(r'<button[^>]*id="clear"[^>]*>([^<]*)</button>', html).group(1)
    assert button == LABELS[lang]["clear"]
    copies = re.findall(r'<button[^>]*class="copy"[^>]*>([^<]*)</button>', html)
    assert copies and set(copies) == {LABELS[lang]["copy"]}


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


def test_document_form_offers_the_servers_formats_and_limit(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    for element in ('id="document-form"', 'id="doc-file"', 'name="file"', 'id="doc-direction"',
                    'id="doc-glossary"', 'name="glossary"', 'id="doc-summarize"', 'id="doc-submit"',
                    'id="doc-download"', 'id="doc-summary-vi"', 'id="doc-summary-en"'):
        assert element in html, element
    accept = re.search(r'id="doc-file"[^>]*accept="([^"]+)"', html).group(1).split(",")
    for ext in (".txt", ".md", ".html", ".htm", ".docx", ".odt", ".srt"):
        assert ext in accept, ext
    directions = re.search(r'<select id="doc-direction"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', directions) == ["vi-en", "en-vi", "auto"]
    assert 'data-max-document-bytes="10485760"' in html and ">10 MB<" in html  # the default limit
    # every label is tied to its control; progress and errors are announced
    for control in ("doc-file", "doc-direction", "doc-glossary"):
        assert f'<label for="{control}"' in html, control
    assert re.search(r'id="doc-status"[^>]*aria-live="polite"', html)
    assert re.search(r'id="doc-error"[^>]*role="alert"', html)


def test_document_limit_comes_from_the_settings(tiny_runtime, tmp_path):
    from dataclasses import replace

    settings = replace(Settings(db_path=str(tmp_path / "db.sqlite3")), max_document_bytes=3 * 1024 * 1024 // 2)
    html = create_app(settings, tiny_runtime).test_client().get("/").get_data(as_text=True)
    assert 'data-max-document-bytes="1572864"' in html and ">1.5 MB<" in html


def test_document_and_direction_labels_in_both_languages(client):
    vi = client.get("/?lang=vi").get_data(as_text=True)
    for text in ("Dịch tài liệu", "Chiều dịch", "Tiếng Việt → English", "English → Tiếng Việt", "Tóm tắt luôn",
                 "Bảng thuật ngữ (không bắt buộc)", "Tệp cần dịch", "Bản dịch tiếng Việt"):
        assert text in vi, text
    en = client.get("/?lang=en").get_data(as_text=True)
    for text in ("Translate a document", "Direction", "Tiếng Việt → English", "English → Tiếng Việt",
                 "Also summarize", "Glossary (optional)", "File to translate", "Vietnamese translation"):
        assert text in en, text
    from service.web import LABELS

    assert set(LABELS["vi"]) == set(LABELS["en"])  # the language switch finds every label in both


def test_text_form_has_a_direction_choice(client):
    html = client.get("/").get_data(as_text=True)
    direction = re.search(r'<select id="direction"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', direction) == ["vi-en", "en-vi"]
    assert re.search(r'value="vi-en" selected', direction)  # vi→en stays the default
    assert 'id="panel-translation-vi"' in html and 'id="out-translation-vi"' in html
