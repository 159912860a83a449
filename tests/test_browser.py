"""The web page end to end in headless Chromium (Debian's ``chromium``, driven by Playwright).

The app serves on a live local port with the tiny models; the test types an article, clicks,
reads the three outputs, checks that scraping debris and injected markup stay out, and saves a
screenshot to tests/artifacts/. Other tests translate English → Vietnamese and upload documents
(a .docx, a .txt) through the page, then download and open the translated file. A browser that cannot start fails the test: it is never skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from service import jobs
from service.app import create_app
from service.config import Settings

CHROMIUM = os.environ.get("TOMTAT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
DEBRIS = ("leftcenterrightdel", "Toàn cảnh Hội nghị", "Lê Minh Tuấn")
INJECTION = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@contextmanager
def serving(settings: Settings, runtime):
    app = create_app(settings, runtime)
    jobs.start_workers(app)  # document jobs run as in a served app (one given its runtime starts them lazily)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(5)
        jobs.shutdown(app, 10.0)


@pytest.fixture(scope="module")
def server(tiny_runtime, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("browser") / "db.sqlite3")
    with serving(Settings(db_path=db, max_chars=20_000), tiny_runtime) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (make test does: tests/setup-system.sh)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


def paragraphs(page, selector: str) -> list[str]:
    return page.locator(f"{selector} p").all_inner_texts()


def test_seed_article_end_to_end(server, page, seed_article):
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "tomtat"
    assert page.locator("#submit").inner_text() == "Tóm tắt và dịch"
    page.locator("#title").type("Hội nghị sơ kết 6 tháng đầu năm 2022 của Quận 3")
    page.locator("#text").fill(seed_article)
    assert "/ 20.000" in page.locator("#counter").inner_text()
    page.select_option("#method", "extractive")
    page.select_option("#length", "3")
    page.locator("#full").check()
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)

    summary_vi = paragraphs(page, "#out-summary-vi")
    assert summary_vi and len(" ".join(summary_vi)) > 40
    joined = " ".join(summary_vi)
    assert "Quận 3" in joined
    for debris in DEBRIS:
        assert debris not in joined
    assert paragraphs(page, "#out-summary-en"), "no English summary"
    full = paragraphs(page, "#out-translation-en")
    assert len(full) == 4, full  # the article's four paragraphs kept, caption and byline dropped
    meta = page.locator("#meta").inner_text()
    assert "extractive" in meta and "VietAI/envit5-translation" in meta and " s" in meta
    assert page.locator("#error").is_hidden()
    assert not page.errors, page.errors

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "web-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("TOMTAT_UPDATE_SCREENSHOT"):
        shutil.copy(shot, Path(__file__).parents[1] / "docs" / "screenshot.png")


def test_english_labels_and_copy_button(server, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.goto(server + "/?lang=en")
    assert page.locator("#submit").inner_text() == "Summarize and translate"
    page.locator("#lang-vi").click()
    assert page.locator("#submit").inner_text() == "Tóm tắt và dịch"
    page.locator("#lang-en").click()
    page.locator("#text").fill("Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025.")
    page.select_option("#method", "extractive")
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    button = page.locator("#panel-summary-vi .copy")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "UBND TP.HCM" in copied


def test_article_text_cannot_inject_markup(server, page):
    page.goto(server + "/")
    text = f"Chiều 22/7, UBND TP.HCM họp bàn {INJECTION} về giao thông. Dự án hoàn thành năm 2025."
    page.locator("#text").fill(text)
    page.locator("#title").fill(INJECTION)
    page.select_option("#method", "extractive")
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden]), #error:not([hidden])", timeout=120_000)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#results img, #results script").count() == 0


def test_errors_are_shown_clearly(server, page):
    page.goto(server + "/?lang=en")
    page.locator("#submit").click()
    assert "Paste or upload an article first" in page.locator("#error").inner_text()
    page.locator("#text").fill("<div class='widget'></div>")  # nothing left once markup is removed
    page.locator("#submit").click()
    expect(page.locator("#error")).to_contain_text("Unprocessable", timeout=60_000)
    assert page.locator("#results").is_hidden()


def test_upload_html_file(server, page, tmp_path):
    html = tmp_path / "bai-bao.html"
    html.write_text("<html><body><h1>Giao thông</h1><p>Chiều 22/7, UBND TP.HCM họp bàn về giao thông.</p>"
                    "<p>Dự án dự kiến hoàn thành năm 2025.</p></body></html>", encoding="utf-8")
    page.goto(server + "/")
    page.set_input_files("#file", str(html))
    expect(page.locator("#text")).to_have_value(re.compile("UBND"))
    assert "bai-bao.html" in page.locator("#filename").inner_text()
    page.select_option("#method", "extractive")
    page.locator("#full").uncheck()
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    assert "<p>" not in " ".join(paragraphs(page, "#out-summary-vi"))
    assert "Full translation not requested" in page.locator("#out-translation-en").inner_text() or \
        "Không yêu cầu" in page.locator("#out-translation-en").inner_text()


def test_flagged_outputs_are_marked_with_their_problems(server, page):
    """The tiny random models write junk: every neural output fails its fact checks and the page says so."""
    page.goto(server + "/?lang=en")
    page.locator("#text").fill("Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn An cho biết dự án "
                               "hoàn thành năm 2025 với tổng vốn 1.500 tỷ đồng.")
    page.select_option("#method", "abstractive")
    page.select_option("#length", "1")
    page.locator("#full").check()
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    for panel in ("summary-vi", "translation-en"):
        box = page.locator(f"#checks-{panel}")
        expect(box).to_be_visible()
        assert "Check this" in box.inner_text()
        assert box.locator("li").count() >= 1
        assert "flagged" in (page.locator(f"#panel-{panel}").get_attribute("class") or "")
        assert page.locator(f"#panel-{panel}").get_attribute("aria-describedby") == f"checks-{panel}"
    assert "missing from the translation" in page.locator("#checks-translation-en").inner_text()
    page.locator("#lang-vi").click()
    assert "Cần kiểm tra" in page.locator("#checks-translation-en").inner_text()
    page.select_option("#method", "extractive")  # an extractive summary is not checked: no mark
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    expect(page.locator("#checks-summary-vi")).to_be_hidden()
    assert "flagged" not in (page.locator("#panel-summary-vi").get_attribute("class") or "")
    assert not page.errors, page.errors


def test_english_to_vietnamese_translates_without_summaries(server, page):
    page.goto(server + "/?lang=en")
    expect(page.locator("#length")).to_be_visible()
    page.select_option("#direction", "en-vi")
    expect(page.locator("#length")).to_be_hidden()  # summaries are Vietnamese-only
    expect(page.locator("#method")).to_be_hidden()
    expect(page.locator("#en-vi-note")).to_be_visible()
    assert page.locator("#text-label").inner_text() == "English text"
    assert page.locator("#submit").inner_text() == "Translate to Vietnamese"
    page.locator("#text").fill("The city council met on Friday to discuss traffic.\n\nThe project ends in 2025.")
    with page.expect_request(lambda r: r.url.endswith("/v1/translate")) as sent:
        page.locator("#submit").click()
    body = sent.value.post_data_json
    assert (body["source"], body["target"]) == ("en", "vi") and body["text"].startswith("The city council")
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    expect(page.locator("#panel-translation-vi")).to_be_visible()
    assert paragraphs(page, "#out-translation-vi"), "no Vietnamese translation"
    for panel in ("#panel-summary-vi", "#panel-summary-en", "#panel-translation-en"):
        expect(page.locator(panel)).to_be_hidden()
    assert "envit5" in page.locator("#meta").inner_text()
    page.locator("#lang-vi").click()
    assert page.locator("#submit").inner_text() == "Dịch sang tiếng Việt"
    assert page.locator("#text-label").inner_text() == "Văn bản tiếng Anh"
    page.select_option("#direction", "vi-en")  # back to the article flow
    assert page.locator("#submit").inner_text() == "Tóm tắt và dịch"
    expect(page.locator("#length")).to_be_visible()
    page.locator("#text").fill("Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025.")
    page.select_option("#method", "extractive")
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    expect(page.locator("#panel-summary-vi")).to_be_visible()
    expect(page.locator("#panel-translation-vi")).to_be_hidden()
    assert not page.errors, page.errors


def _docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Báo cáo giao thông", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_document_upload_gives_back_the_translated_file(server, page, tmp_path):
    import docx

    source = _docx(tmp_path / "bao-cao.docx", [
        "Chiều 22/7, UBND TP.HCM họp bàn về giao thông.",
        "Dự án dự kiến hoàn thành năm 2025 với tổng vốn 1.500 tỷ đồng.",
        "Ông Nguyễn Văn An cho biết tiến độ đang được đẩy nhanh.",
    ])
    page.goto(server + "/?lang=en")
    page.set_input_files("#doc-file", str(source))
    page.select_option("#doc-direction", "vi-en")
    page.locator("#doc-summarize").check()
    with page.expect_response(lambda r: r.url.endswith("/v1/documents") and r.request.method == "POST") as answer:
        page.locator("#doc-submit").click()
    assert answer.value.request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert answer.value.status == 202, answer.value.text()
    accepted = answer.value.json()
    assert accepted["links"]["file"] == f"/v1/documents/{accepted['job_id']}/file"
    assert (accepted["source"], accepted["target"], accepted["summarize"]) == ("vi", "en", True)
    expect(page.locator("#doc-status")).to_be_visible()
    expect(page.locator("#doc-download")).to_be_visible(timeout=180_000)
    assert page.locator("#doc-error").is_hidden(), page.locator("#doc-error").inner_text()
    assert "Translated" in page.locator("#doc-status").inner_text()
    assert page.locator("#doc-filename").inner_text() == "bao-cao.en.docx"
    assert page.locator("#doc-summary-vi p").count() >= 1  # summarize was asked for
    with page.expect_download() as download:
        page.locator("#doc-download").click()
    saved = tmp_path / "out.docx"
    download.value.save_as(str(saved))
    assert download.value.suggested_filename == "bao-cao.en.docx"
    translated = docx.Document(str(saved))
    assert len(translated.paragraphs) == len(docx.Document(str(source)).paragraphs)
    assert translated.paragraphs[0].style.name == "Heading 1"
    assert not page.errors, page.errors


def test_document_upload_txt_english_to_vietnamese(server, page, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("The council met on Friday.\n\nThe project ends in 2025.\n", encoding="utf-8")
    page.goto(server + "/?lang=vi")
    page.set_input_files("#doc-file", str(source))
    page.select_option("#doc-direction", "en-vi")
    page.locator("#doc-submit").click()
    expect(page.locator("#doc-download")).to_be_visible(timeout=180_000)
    assert page.locator("#doc-filename").inner_text() == "notes.vi.txt"
    expect(page.locator("#doc-panel-summary-vi")).to_be_hidden()  # not asked for
    with page.expect_download() as download:
        page.locator("#doc-download").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert len([p for p in text.split("\n\n") if p.strip()]) == 2
    assert not page.errors, page.errors


def test_document_upload_with_a_stored_glossary(server, page, tmp_path):
    import urllib.request

    stored = urllib.request.Request(server + "/v1/glossaries/toa-soan", method="PUT",
                                    data="UBND,People's Committee\nQuận 3,District 3\n".encode(),
                                    headers={"Content-Type": "text/csv"})
    assert urllib.request.urlopen(stored).status in (200, 201)
    source = tmp_path / "tin.txt"
    source.write_text("UBND Quận 3 họp chiều nay.\n\nNgười dân đồng tình với kế hoạch.\n", encoding="utf-8")
    page.goto(server + "/?lang=vi")
    page.set_input_files("#doc-file", str(source))
    page.locator("#doc-glossary").fill("toa-soan")
    page.locator("#doc-submit").click()
    expect(page.locator("#doc-download")).to_be_visible(timeout=180_000)
    with page.expect_download() as download:
        page.locator("#doc-download").click()
    first = Path(download.value.path()).read_text(encoding="utf-8").split("\n\n")[0]
    assert "People's Committee" in first and "District 3" in first  # whatever the tiny model writes
    assert not page.errors, page.errors


def test_document_files_refused_before_upload_and_server_errors_shown(server, page, tmp_path):
    page.goto(server + "/?lang=en")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/documents" in r.url else None)
    page.locator("#doc-submit").click()
    expect(page.locator("#doc-error")).to_contain_text("Choose a file first")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    page.set_input_files("#doc-file", str(pdf))
    expect(page.locator("#doc-error")).to_contain_text("Unsupported file type")
    page.set_input_files("#doc-file", {"name": "big.txt", "mimeType": "text/plain",
                                       "buffer": b"a" * (10 * 1024 * 1024 + 1)})
    expect(page.locator("#doc-error")).to_contain_text("File too large")
    page.locator("#doc-submit").click()
    assert "10 MB" in page.locator("#doc-error").inner_text()
    assert requests == []  # nothing was sent
    corrupt = tmp_path / "broken.docx"
    corrupt.write_bytes(b"this is no zip archive")
    page.set_input_files("#doc-file", str(corrupt))
    expect(page.locator("#doc-error")).to_be_hidden()
    page.locator("#doc-submit").click()
    expect(page.locator("#doc-error")).to_be_visible(timeout=30_000)  # the server's 422, its detail shown
    assert "Error:" in page.locator("#doc-error").inner_text()
    assert page.locator("#doc-result").is_hidden()
    assert requests and requests[0].endswith("/v1/documents")
    text = tmp_path / "ok.txt"
    text.write_text("Chiều 22/7, UBND TP.HCM họp bàn về giao thông.", encoding="utf-8")
    page.set_input_files("#doc-file", str(text))
    page.locator("#doc-glossary").fill("khong-co-bang-nay")  # the field travels: an unknown name is the server's 404
    page.locator("#doc-submit").click()
    expect(page.locator("#doc-error")).to_contain_text("khong-co-bang-nay", timeout=30_000)
    assert page.locator("#doc-result").is_hidden() and page.locator("#doc-submit").is_enabled()


def test_document_download_with_an_api_key(tiny_runtime, tmp_path, page):
    """With auth on, the page sends the key with the upload, the polls and the download (a blob link)."""
    from service.keys import KeyStore

    db = str(tmp_path / "db.sqlite3")
    _, key = KeyStore(db).create("desk")
    source = tmp_path / "tin.srt"
    source.write_text("1\n00:00:01,000 --> 00:00:03,000\nXin chào các bạn.\n\n"
                      "2\n00:00:04,000 --> 00:00:06,000\nHôm nay trời đẹp.\n", encoding="utf-8")
    with serving(Settings(db_path=db, auth=True), tiny_runtime) as url:
        page.goto(url + "/?lang=en")
        page.set_input_files("#doc-file", str(source))
        page.locator("#doc-submit").click()
        expect(page.locator("#doc-error")).to_be_visible(timeout=30_000)  # no key: 401, its detail shown
        page.locator("#apikey").fill(key)
        page.locator("#doc-submit").click()
        expect(page.locator("#doc-download")).to_be_visible(timeout=180_000)
        assert page.locator("#doc-download").get_attribute("href").startswith("blob:")
        with page.expect_download() as download:
            page.locator("#doc-download").click()
        assert download.value.suggested_filename == "tin.en.srt"
        out = Path(download.value.path()).read_text(encoding="utf-8")
        assert out.count(" --> ") == 2 and "00:00:04,000 --> 00:00:06,000" in out
    assert not page.errors or all("401" in e for e in page.errors), page.errors


def test_the_servers_warnings_are_shown_above_the_results(server, page):
    """A flagged abstractive summary replaced by the extractive one (``on_unfaithful: fallback``, which an API
    client sends) comes back with a warning saying why: the page shows it; the next answer without one hides it."""
    import json

    def fallback(route):
        body = json.loads(route.request.post_data)
        body["summary"]["on_unfaithful"] = "fallback"
        route.continue_(post_data=json.dumps(body))

    page.goto(server + "/?lang=en")
    page.route("**/v1/articles", fallback)
    page.locator("#text").fill("Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn An cho biết dự án "
                               "hoàn thành năm 2025 với tổng vốn 1.500 tỷ đồng.")
    page.select_option("#method", "abstractive")
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    box = page.locator("#warnings")
    expect(box).to_be_visible()
    assert box.locator("strong").inner_text() == "Note" and "failed its fact checks" in box.inner_text()
    page.unroute("**/v1/articles")
    page.select_option("#method", "extractive")
    page.locator("#submit").click()
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    expect(box).to_be_hidden()
    assert not page.errors, page.errors


def test_the_counter_counts_characters_as_the_server_does(server, page):
    import unicodedata

    page.goto(server + "/?lang=en")
    page.locator("#text").fill(unicodedata.normalize("NFD", "Việt Nam") + " 😀")  # 8 + space + 1 emoji
    assert page.locator("#counter").inner_text().startswith("10 / ")
