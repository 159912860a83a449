"""The LibreTranslate-compatible API (service/libretranslate.py).

1. The real ``libretranslatepy`` client (PyPI) against a live server with the tiny models.
2. Raw requests in the exact shapes Mastodon and Weblate send, read from their source:
   - Mastodon ``app/lib/translation_service/libre_translate.rb``: JSON body
     ``{q: [texts], source: lang || "auto", target, format: "html", api_key}`` with
     ``Content-Type: application/json``; reads ``translatedText[i]`` and
     ``detectedLanguage[i].language``; ``GET /languages`` reads ``code`` and ``targets``;
     403 → "quota exceeded", 429 → "too many requests". (Older Mastodon sent ``q`` as a string.)
   - Weblate ``weblate/machinery/libretranslate.py``: ``requests.post(url/translate,
     json={"api_key": key, "q": [texts], "source", "target"})``; reads ``translatedText[i]``;
     ``GET /languages`` → ``[x["code"]]`` and offers a pair only when both codes are listed;
     errors are read from ``{"error": str}``. (Weblate 4 posted a form, ``data=``.)
3. Errors in LibreTranslate's shape, keys, limits, CORS.

The tiny models produce random text: answers are checked for structure and counts, not words.
"""

from __future__ import annotations

import io
import json
import re
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from service.app import create_app
from service.config import Settings

import libretranslatepy  # noqa: E402  - in the dev extra that `make test` installs
LibreTranslateAPI = libretranslatepy.LibreTranslateAPI

VI = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án dự kiến hoàn thành năm 2025."
VI2 = "Người dân Quận 3 đồng tình với kế hoạch mở rộng đường."
EN = "The city council met on Tuesday to discuss the new traffic plan for the downtown area."
TAG_RE = re.compile(r"<[^>]*>")
SMALL = dict(max_chars=2_000, max_body_bytes=100_000, max_texts=4)


def error_of(resp, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return body["error"]


@pytest.fixture(scope="module")
def app(tiny_runtime):
    return create_app(Settings(**SMALL), tiny_runtime)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def _keys_app(tmp_path_factory, runtime, **settings):
    """An app with TOMTAT_AUTH=1 and one valid key; returns (app, key)."""
    s = Settings(**SMALL, auth=True, db_path=str(tmp_path_factory.mktemp("keys") / "tomtat.sqlite3"), **settings)
    app = create_app(s, runtime)
    _record, key = app.extensions["tomtat.keys"].create("libretranslate-test")
    return app, key


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, tiny_runtime):
    return _keys_app(tmp_path_factory, tiny_runtime)


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live_keyed(keyed):
    server = LiveServer(keyed[0])
    yield server, keyed[1]
    server.stop()


def post_json(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# == 1. the real libretranslatepy client ==========================================

def test_client_translates_a_string(live):
    out = LibreTranslateAPI(live.url).translate(VI, "vi", "en")
    assert isinstance(out, str) and out.strip()


def test_client_auto_source(live):
    out = LibreTranslateAPI(live.url).translate(VI, "auto", "en")
    assert isinstance(out, str) and out.strip()


def test_client_detect(live):
    assert LibreTranslateAPI(live.url).detect(VI) == [{"confidence": pytest.approx(100.0, abs=40), "language": "vi"}]
    [english] = LibreTranslateAPI(live.url).detect(EN)
    assert english["language"] == "en" and 0 <= english["confidence"] <= 100


def test_client_languages(live):
    """EnViT5 serves both directions with the same weights: each language lists the other as its target."""
    assert LibreTranslateAPI(live.url).languages() == [
        {"code": "vi", "name": "Vietnamese", "targets": ["en"]},
        {"code": "en", "name": "English", "targets": ["vi"]},
    ]


def test_client_translates_english_to_vietnamese(live):
    out = LibreTranslateAPI(live.url).translate(EN, "en", "vi")
    assert isinstance(out, str) and out.strip()
    assert isinstance(LibreTranslateAPI(live.url).translate(EN, "auto", "vi"), str)


def test_client_unsupported_pair_is_400_that_names_the_served_pairs(live):
    with pytest.raises(urllib.error.HTTPError) as info:
        LibreTranslateAPI(live.url).translate("Hello", "en", "es")
    assert info.value.code == 400
    message = json.loads(info.value.read())["error"]
    assert "es is not supported as a target language" in message and "vi→en, en→vi" in message


def test_client_with_a_key(live_keyed):
    server, key = live_keyed
    out = LibreTranslateAPI(server.url, api_key=key).translate(VI, "vi", "en")
    assert isinstance(out, str) and out.strip()


def test_client_bad_key_is_403_invalid_api_key(live_keyed):
    server, key = live_keyed
    with pytest.raises(urllib.error.HTTPError) as info:
        LibreTranslateAPI(server.url, api_key=key[:-3] + "xyz").translate(VI, "vi", "en")
    assert info.value.code == 403
    assert json.loads(info.value.read()) == {"error": "Invalid API key"}


def test_client_without_key_when_keys_are_required(live_keyed):
    server, _key = live_keyed
    with pytest.raises(urllib.error.HTTPError) as info:
        LibreTranslateAPI(server.url).detect(VI)
    assert info.value.code == 400  # LibreTranslate's answer to a missing key
    assert "API key" in json.loads(info.value.read())["error"]


# libretranslatepy's translate() sends q as one form field and has no `format` argument,
# so an array and HTML go to the same live server as the JSON LibreTranslate documents.

def test_live_array(live):
    status, body = post_json(live.url + "translate", {"q": [VI, VI2, ""], "source": "vi", "target": "en"})
    assert status == 200, body
    assert list(body) == ["translatedText"]
    texts = body["translatedText"]
    assert isinstance(texts, list) and len(texts) == 3
    assert all(isinstance(t, str) and t.strip() for t in texts[:2]) and texts[2] == ""


def test_live_html_keeps_tags(live):
    html = '<p class="lead">Hà Nội <b>mùa thu</b> đẹp.</p><p><a href="https://x.vn/a?b=1&amp;c=2">Đọc thêm</a></p>'
    status, body = post_json(live.url + "translate", {"q": html, "source": "vi", "target": "en", "format": "html"})
    assert status == 200, body
    assert TAG_RE.findall(body["translatedText"]) == TAG_RE.findall(html)


# == 2. Mastodon and Weblate, in the shapes their source sends =======================

def test_mastodon_translate_request(client):
    """TranslationService::LibreTranslate#translate: JSON, q array of HTML, source auto, api_key nil."""
    status_html = ('<p>Chiều nay Hà Nội mưa to, nhiều tuyến phố ngập sâu. '
                   '<a href="https://mastodon.social/tags/hanoi" class="mention hashtag" rel="tag">#<span>hanoi</span></a></p>'
                   '<p>Mọi người nhớ mang áo mưa khi ra đường nhé!</p>')
    poll_option = "Đi làm bằng xe máy"
    body = json.dumps({"q": [status_html, poll_option], "source": "auto", "target": "en", "format": "html",
                       "api_key": None})
    resp = client.post("/translate", data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert isinstance(data, dict)
    assert isinstance(data["translatedText"], list) and len(data["translatedText"]) == 2
    translated = data["translatedText"][0]
    assert TAG_RE.findall(translated) == TAG_RE.findall(status_html)
    assert '#<span>hanoi</span></a>' in translated  # hashtags stay links to the same tag
    for index in range(2):  # data.dig('detectedLanguage', index, 'language')
        assert data["detectedLanguage"][index]["language"] == "vi"
        assert 0 < data["detectedLanguage"][index]["confidence"] <= 100
    assert "alternatives" not in data


def test_mastodon_translate_with_source_language(client):
    body = {"q": ["<p>Xin chào mọi người</p>"], "source": "vi", "target": "en", "format": "html", "api_key": None}
    data = client.post("/translate", json=body).get_json()
    assert len(data["translatedText"]) == 1 and "detectedLanguage" not in data


def test_mastodon_languages_request(client):
    """TranslationService::LibreTranslate#languages: GET with a JSON content type and no body."""
    resp = client.get("/languages", headers={"Content-Type": "application/json"})
    assert resp.status_code == 200
    languages = {lang["code"]: [t for t in lang["targets"] if t != lang["code"]] for lang in resp.get_json()}
    assert languages == {"vi": ["en"], "en": ["vi"]}


def test_old_mastodon_single_string(client):
    """Mastodon 4.0: q was one string (still JSON, format html)."""
    data = client.post("/translate", json={"q": "<p>Xin chào</p>", "source": "vi", "target": "en",
                                           "format": "html", "api_key": None}).get_json()
    assert isinstance(data["translatedText"], str) and data["translatedText"].startswith("<p>")


def test_mastodon_reads_other_languages_as_an_error_it_shows(client):
    """An English post for an English reader: nothing to translate toward English, refused (400)."""
    resp = client.post("/translate", json={"q": ["<p>" + EN + "</p>"], "source": "auto", "target": "en",
                                           "format": "html", "api_key": None})
    message = error_of(resp, 400)
    assert "Detected language en" in message and 'source "vi"' in message


def test_mastodon_english_post_for_a_vietnamese_reader(client):
    """Mastodon sends the post's language (or auto) and the reader's: en → vi, HTML kept."""
    for source in ("en", "auto"):
        body = {"q": ["<p>" + EN + "</p>", "<p>Hello <a href=\"https://x.org\">friends</a></p>"], "source": source,
                "target": "vi", "format": "html", "api_key": None}
        data = client.post("/translate", json=body).get_json()
        assert len(data["translatedText"]) == 2 and all(t.startswith("<p>") for t in data["translatedText"])
        assert 'href="https://x.org"' in data["translatedText"][1]
        if source == "auto":
            assert [d["language"] for d in data["detectedLanguage"]] == ["en", "en"]


def test_weblate_english_source_project(client):
    """Most Weblate projects translate from English: an en→vi suggestion."""
    resp = client.post("/translate", json={"api_key": None, "q": ["Save changes", "Delete this file?"],
                                           "source": "en", "target": "vi"})
    assert resp.status_code == 200 and len(resp.get_json()["translatedText"]) == 2


def test_vietnamese_text_toward_vietnamese_is_refused_with_auto(client):
    message = error_of(client.post("/translate", json={"q": VI, "source": "auto", "target": "vi"}), 400)
    assert "Detected language vi" in message and 'source "en"' in message


def test_form_encoded_html(client):
    """A form-encoded body with format=html (libretranslatepy's and Weblate 4's encoding)."""
    resp = client.post("/translate", data={"q": "<p>Xin chào <i>Sài Gòn</i></p>", "source": "vi", "target": "en",
                                           "format": "html"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert TAG_RE.findall(resp.get_json()["translatedText"]) == ["<p>", "<i>", "</i>", "</p>"]


def test_weblate_translate_request(client):
    """LibreTranslateTranslation.download_multiple_translations: json= with q an array, no format."""
    texts = ["Lưu", "Tệp đã được tải lên thành công.", "Xóa %s mục?"]
    resp = client.post("/translate", json={"api_key": None, "q": texts, "source": "vi", "target": "en"},
                       headers={"Referer": "https://weblate.example.org/", "Accept": "application/json; charset=utf-8"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    payload = resp.get_json()
    translated = payload["translatedText"]
    assert isinstance(translated, list) and len(translated) == len(texts)
    assert all(isinstance(t, str) for t in translated)
    assert list(payload) == ["translatedText"]


def test_weblate_languages_request(client):
    """download_languages → [x["code"]]; is_supported(source, target) needs both codes in that list."""
    codes = [x["code"] for x in client.get("/languages").get_json()]
    assert "vi" in codes and "en" in codes


def test_old_weblate_form_request(client):
    """Weblate 4: requests.post(data={"api_key": None, "q": text, ...}) — requests drops the None field."""
    resp = client.post("/translate", data={"q": "Lưu thay đổi", "source": "vi", "target": "en"})
    assert resp.status_code == 200 and isinstance(resp.get_json()["translatedText"], str)


def test_weblate_settings_check_gets_an_error_it_can_show(client):
    """Weblate validates a service with an en→de test translation; tomtat refuses it in the shape
    Weblate's check_failure reads (payload["error"] as a string)."""
    message = error_of(client.post("/translate", json={"api_key": None, "q": ["test"], "source": "en",
                                                       "target": "de"}), 400)
    assert message.startswith("de is not supported as a target language") and "vi→en, en→vi" in message


# == 3. fields, errors, limits ==========================================================

def test_alternatives_are_accepted_and_empty(client):
    data = client.post("/translate", json={"q": VI, "source": "vi", "target": "en", "alternatives": 3}).get_json()
    assert data["alternatives"] == [] and isinstance(data["translatedText"], str)
    data = client.post("/translate", json={"q": [VI, VI2], "source": "vi", "target": "en", "alternatives": 2}).get_json()
    assert data["alternatives"] == [[], []]
    assert "not a number" in error_of(client.post("/translate", json={"q": VI, "source": "vi", "target": "en",
                                                                         "alternatives": "many"}), 400)


def test_auto_with_a_single_string_answers_one_detection(client):
    data = client.post("/translate", json={"q": VI, "source": "auto", "target": "en"}).get_json()
    assert data["detectedLanguage"]["language"] == "vi" and isinstance(data["translatedText"], str)


def test_region_codes_are_accepted(client):
    resp = client.post("/translate", json={"q": VI, "source": "vi-VN", "target": "en_US"})
    assert resp.status_code == 200


@pytest.mark.parametrize("body, expected", [
    ({"source": "vi", "target": "en"}, "missing q parameter"),
    ({"q": "", "source": "vi", "target": "en"}, "missing q parameter"),
    ({"q": [1, 2], "source": "vi", "target": "en"}, "q must be a string or an array of strings"),
    ({"q": VI, "target": "en"}, "missing source parameter"),
    ({"q": VI, "source": "vi"}, "missing target parameter"),
    ({"q": VI, "source": "vi", "target": "fr"}, "fr is not supported as a target language"),
    ({"q": VI, "source": "vi", "target": "vi"}, "vi is not supported as a target language"),
    ({"q": VI, "source": "zh", "target": "en"}, "zh is not supported as a source language"),
    ({"q": VI, "source": "vi", "target": "en", "format": "markdown"}, "markdown format is not supported"),
    ({"q": [VI] * 5, "source": "vi", "target": "en"}, "exceeds text limit (4"),
    ({"q": "x" * 2001, "source": "vi", "target": "en"}, "the limit is 2000"),
])
def test_request_errors_are_400_with_the_reason(client, body, expected):
    assert expected in error_of(client.post("/translate", json=body), 400)


def test_malformed_bodies(client):
    assert "Invalid JSON" in error_of(client.post("/translate", data="{nope", content_type="application/json"), 400)
    assert "Invalid JSON" in error_of(client.post("/translate", json=[VI]), 400)
    message = error_of(client.post("/translate", data=VI.encode(), content_type="text/plain"), 400)
    assert "missing q" in message and "application/json" in message


def test_body_over_the_size_limit_is_400(client):
    message = error_of(client.post("/translate", json={"q": "a" * 120_000, "source": "vi", "target": "en"}), 400)
    assert "100000 bytes" in message


def test_no_translation_model_is_503_with_the_fix(offline_runtime):
    client = create_app(Settings(), offline_runtime).test_client()
    resp = client.post("/translate", json={"q": VI, "source": "vi", "target": "en"})
    assert "tomtat models pull" in error_of(resp, 503)
    assert resp.headers["Retry-After"]
    assert client.get("/languages").get_json() == []  # nothing it cannot do


def test_detect(client):
    assert client.post("/detect", json={"q": VI}).get_json()[0]["language"] == "vi"
    [garbage] = client.post("/detect", data={"q": "$$$ ### 123"}).get_json()
    assert garbage["language"] == "und"
    assert "missing q" in error_of(client.post("/detect", json={}), 400)


def test_frontend_settings(client, keyed):
    body = client.get("/frontend/settings").get_json()
    assert body == {
        "charLimit": 2000, "frontendTimeout": 500, "apiKeys": False, "keyRequired": False, "suggestions": False,
        "filesTranslation": True,
        "supportedFilesFormat": [".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".odt", ".srt"],
        "language": {"source": {"code": "vi", "name": "Vietnamese"}, "target": {"code": "en", "name": "English"}},
    }
    keyed_body = keyed[0].test_client().get("/frontend/settings").get_json()
    assert keyed_body["apiKeys"] is True and keyed_body["keyRequired"] is True


def test_keys_in_json_and_headers_and_revoked(keyed):
    app, key = keyed
    client = app.test_client()
    ok = client.post("/translate", json={"q": VI, "source": "vi", "target": "en", "api_key": key})
    assert ok.status_code == 200
    by_header = client.post("/translate", json={"q": VI, "source": "vi", "target": "en"},
                            headers={"Authorization": f"Bearer {key}"})
    assert by_header.status_code == 200
    assert error_of(client.post("/translate", json={"q": VI, "source": "vi", "target": "en", "api_key": "tt_nope"}),
                    403) == "Invalid API key"
    assert client.get("/languages").status_code == 200  # like LibreTranslate: open
    record, other = app.extensions["tomtat.keys"].create("to-revoke")
    app.extensions["tomtat.keys"].revoke(record.id)
    assert "revoked" in error_of(client.post("/detect", data={"q": VI, "api_key": other}), 403)
    missing = client.post("/translate", json={"q": VI, "source": "vi", "target": "en"})
    assert error_of(missing, 400).startswith("Please contact the server operator to get an API key")
    assert "WWW-Authenticate" not in missing.headers  # tomtat's 401 challenge does not leak into LibreTranslate's 400
    assert client.post("/v1/translate", json={"text": VI}).status_code == 401  # /v1 keeps its own statuses
    assert client.post("/translate-x", json={"q": VI}).status_code == 404  # only the exact paths need a key


def test_rate_limit_is_429_slowdown(tmp_path_factory, tiny_runtime):
    app, key = _keys_app(tmp_path_factory, tiny_runtime, rate_limit="2/minute")
    client = app.test_client()
    body = {"q": "Xin chào", "api_key": key}
    assert [client.post("/detect", json=body).status_code for _ in range(2)] == [200, 200]
    resp = client.post("/detect", json=body)
    assert error_of(resp, 429).startswith("Slowdown: the rate limit of 2 per 1 minute")
    assert int(resp.headers["Retry-After"]) >= 1


def test_character_quota_counts_q(tmp_path_factory, tiny_runtime):
    app, key = _keys_app(tmp_path_factory, tiny_runtime, char_quota="30/day")
    client = app.test_client()
    assert client.post("/detect", json={"q": "Xin chào các bạn", "api_key": key}).status_code == 200  # 16 chars
    message = error_of(client.post("/detect", json={"q": "Xin chào các bạn", "api_key": key}), 429)
    assert "character quota of 30 per 1 day" in message


def test_character_quota_counts_form_q_in_the_same_counter_as_v1(tmp_path_factory, tiny_runtime):
    app, key = _keys_app(tmp_path_factory, tiny_runtime, char_quota="30/day")
    client = app.test_client()
    assert client.post("/detect", data={"q": "Xin chào các bạn", "api_key": key}).status_code == 200  # 16 chars
    over = client.post("/v1/summarize", json={"text": "Xin chào các bạn"}, headers={"X-API-Key": key})
    assert over.status_code == 429 and over.get_json()["chars"] == 16  # 16 + 16 > 30, counted across both APIs


def test_cors_for_browser_extensions(client):
    preflight = client.options("/translate", headers={"Origin": "moz-extension://abc",
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    assert client.get("/languages").headers["Access-Control-Allow-Origin"] == "*"


def test_v1_errors_keep_problem_json(client):
    resp = client.post("/v1/translate", json={"text": VI, "target": "fr"})
    assert resp.mimetype == "application/problem+json" and resp.status_code == 422


# == 4. /health and /suggest ==========================================================

def test_health_answers_as_libretranslate(client, keyed):
    """libretranslate-aio's health() reads {"status": "ok"}; open like /healthz, keys on or off."""
    for c in (client, keyed[0].test_client()):
        resp = c.get("/health")
        assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_suggest_is_off_as_libretranslate_answers(client, keyed):
    for c in (client, keyed[0].test_client()):  # no key needed to be told, as LibreTranslate
        for kwargs in ({"json": {"q": "Hello", "s": "Xin chào", "source": "en", "target": "vi"}},
                       {"data": {"q": "Hello", "s": "Xin chào"}}, {}):
            assert error_of(c.post("/suggest", **kwargs), 403) == "Suggestions are disabled on this server."


# == 5. what no route matches, on LibreTranslate's paths ================================

@pytest.mark.parametrize("method, path, status", [
    ("GET", "/translate", 405), ("PUT", "/detect", 405), ("GET", "/translate_file", 405), ("GET", "/suggest", 405),
    ("POST", "/languages", 405), ("DELETE", "/health", 405), ("POST", "/frontend/settings", 405),
    ("POST", "/download_file/x", 405), ("GET", "/translate/x", 404), ("GET", "/frontend/settings/x", 404),
    ("GET", "/download_file/", 404), ("GET", "/languages/", 404),
])
def test_a_wrong_method_or_subpath_answers_in_libretranslate_s_shape(client, keyed, method, path, status):
    """LibreTranslate answers these 405 and 404 itself with {"error"}: the status is kept, not tomtat's
    problem+json (no blueprint hook runs where no route matches)."""
    for c, headers in ((client, {}), (keyed[0].test_client(), {"X-API-Key": keyed[1]})):
        resp = c.open(path, method=method, headers=headers)
        message = error_of(resp, status)
        assert ("allowed" if status == 405 else "no such route") in message
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/v1/nope").mimetype == "application/problem+json"  # tomtat's own paths keep theirs
    assert client.get("/translatex").mimetype == "application/problem+json"


def test_a_problem_s_field_message_is_not_repeated(client):
    """An InputError's one `errors` entry repeats its detail: the message is said once, not "X (file: X)"."""
    resp = client.post("/translate_file", data={"file": (io.BytesIO(b"PK nope"), "x.docx"), "source": "vi",
                                                "target": "en"}, content_type="multipart/form-data")
    message = error_of(resp, 400)
    assert "corrupt" in message and "(file:" not in message
