"""Every endpoint's success and error cases, through Flask's test client and tiny models."""

from __future__ import annotations

import importlib.util

import pytest

from service.app import create_app
from service.config import Settings
from tests.helpers import problem

FAST = {"max_new_tokens": 6, "min_new_tokens": 2, "num_beams": 1}
ARTICLE = (
    "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn A cho biết thành phố sẽ mở rộng đường.\n\n"
    "Dự án dự kiến hoàn thành năm 2025. Tổng vốn đầu tư là 1.500.000 tỷ đồng.\n\n"
    "Người dân Q.3 đồng tình với kế hoạch này."
)


@pytest.fixture(scope="module")
def client(tiny_runtime):
    return create_app(Settings(max_chars=20_000, max_body_bytes=200_000, max_texts=4), tiny_runtime).test_client()


@pytest.fixture(scope="module")
def offline_client(offline_runtime):
    return create_app(Settings(), offline_runtime).test_client()


# -- health -------------------------------------------------------------------

def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_every_capability_ready(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready"
    assert set(body["capabilities"]) == {"extractive_summary", "abstractive_summary", "translation"}
    assert all(c["ready"] for c in body["capabilities"].values())


def test_readyz_offline_says_why_and_how(offline_client):
    resp = offline_client.get("/readyz")
    assert resp.status_code == 200
    caps = resp.get_json()["capabilities"]
    assert caps["extractive_summary"]["ready"] is True
    translation = caps["translation"]
    assert translation["ready"] is False
    assert "VietAI/envit5-translation" in translation["reason"]
    assert "tomtat models pull" in translation["how_to_fix"]
    required = offline_client.get("/readyz?require=translation")
    assert required.status_code == 503 and required.get_json()["missing"] == ["translation"]


def test_models_lists_profiles_backend_device_license(client):
    body = client.get("/v1/models").get_json()
    by_task = {m["task"]: m for m in body["models"] if m["backend"] != "none"}
    assert by_task["summarization"]["profile"] == "VietAI/vit5-base-vietnews-summarization"
    assert by_task["translation"]["profile"] == "VietAI/envit5-translation"
    assert by_task["translation"]["license"] == "OpenRAIL"
    expected = "ctranslate2" if importlib.util.find_spec("ctranslate2") else "torch"  # what backend=auto picks
    assert {m["backend"] for m in by_task.values()} == {expected}
    assert {m["device"] for m in by_task.values()} == {"cpu"}


# -- summarize ----------------------------------------------------------------

def test_extractive_summary_of_seed_article_has_no_debris(client, seed_article):
    resp = client.post("/v1/summarize", json={"text": seed_article, "method": "extractive"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["method"] == "extractive" and body["model"] == "extractive"
    assert 1 <= len(body["sentences"]) <= 2
    assert body["summary"] == " ".join(body["sentences"])
    for sentence in body["sentences"]:
        assert sentence in seed_article  # extractive: verbatim sentences of the article
    for debris in ("leftcenterrightdel", "Toàn cảnh Hội nghị", "Lê Minh Tuấn"):
        assert debris not in body["summary"]
    timings = body["timings"]
    assert timings["total_ms"] >= timings["clean_ms"] + timings["summarize_ms"] > 0  # every stage is timed


def test_extractive_length_by_words(client, seed_article):
    body = client.post("/v1/summarize", json={"text": seed_article, "method": "extractive", "max_words": 40}).get_json()
    assert len(body["summary"].split()) <= 40 or len(body["sentences"]) == 1


def test_abstractive_summary_with_tiny_model(client):
    resp = client.post("/v1/summarize", json={"text": ARTICLE, "method": "abstractive", **FAST})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["method"] == "abstractive"
    assert body["model"].endswith("(VietAI/vit5-base-vietnews-summarization)")
    assert body["summary"].strip()


def test_auto_uses_abstractive_when_loaded_and_extractive_offline(client, offline_client):
    assert client.post("/v1/summarize", json={"text": ARTICLE, **FAST}).get_json()["method"] == "abstractive"
    assert offline_client.post("/v1/summarize", json={"text": ARTICLE}).get_json()["method"] == "extractive"


def test_abstractive_without_model_is_503_with_fix(offline_client):
    body = problem(offline_client.post("/v1/summarize", json={"text": ARTICLE, "method": "abstractive"}), 503)
    assert "tomtat models pull" in body["detail"]


def test_html_input_is_cleaned(client):
    html = "<html><body><p>Chiều 22/7, UBND TP.HCM họp bàn về giao thông.</p><p>Dự án hoàn thành năm 2025 &amp; đưa vào sử dụng.</p></body></html>"
    body = client.post("/v1/summarize", json={"text": html, "method": "extractive", "max_sentences": 2}).get_json()
    assert "<" not in body["summary"] and "&amp;" not in body["summary"]
    assert "Dự án hoàn thành năm 2025 & đưa vào sử dụng." in body["sentences"]


# -- translate ----------------------------------------------------------------

def test_translate_keeps_paragraphs(client):
    resp = client.post("/v1/translate", json={"text": ARTICLE, **FAST})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    paragraphs = body["translation"].split("\n\n")
    assert len(paragraphs) == 3 and all(p.strip() for p in paragraphs)
    assert body["model"].endswith("(VietAI/envit5-translation)")


def test_translate_keeps_the_lines_of_a_paragraph(client):
    # a headline over its lead, a list: single line breaks, as pasted or scraped text has them
    lines = "Giá vàng tăng mạnh\nGiá vàng SJC sáng nay tăng 500.000 đồng. Nhiều người đổ xô đi mua.\n- Hà Nội;\n- TP.HCM."
    text = lines + "\n\nNgười dân Q.3 đồng tình với kế hoạch này."
    body = client.post("/v1/translate", json={"text": text, **FAST}).get_json()
    first, second = body["translation"].split("\n\n")
    assert first.count("\n") == 3 and "\n" not in second
    # the same sentences, on one line or on two: the layout is part of the cache key
    one, two = ("Giá vàng SJC tăng 500.000 đồng." + gap + "Nhiều người đổ xô đi mua." for gap in (" ", "\n"))
    assert client.post("/v1/translate", json={"text": one, **FAST}).get_json()["translation"].count("\n") == 0
    assert client.post("/v1/translate", json={"text": two, **FAST}).get_json()["translation"].count("\n") == 1
    full = client.post("/v1/articles", json={"text": text, "title": "Giá vàng", "translate": "full",
                                             "summary": {"method": "extractive"}, "translation": FAST}).get_json()
    assert [p.count("\n") for p in full["translation_en"].split("\n\n")] == [3, 0]


def test_translate_many_texts_in_order(client):
    texts = ["Hà Nội mưa to.", "Giá xăng giảm 500 đồng.", "Đội tuyển thắng 2-0."]
    body = client.post("/v1/translate", json={"texts": texts, **FAST}).get_json()
    assert len(body["translations"]) == 3
    single = [client.post("/v1/translate", json={"text": t, **FAST}).get_json()["translation"] for t in texts]
    assert body["translations"] == single  # greedy: batching does not change results or order


def test_translate_without_model_is_503(offline_client):
    body = problem(offline_client.post("/v1/translate", json={"text": "Xin chào."}), 503)
    assert body["capability"] == "translation"
    assert "TOMTAT_TRANSLATION_MODEL" in body["detail"] or "tomtat models pull" in body["detail"]


# -- articles -----------------------------------------------------------------

def test_article_returns_every_field(client, seed_article):
    resp = client.post("/v1/articles", json={
        "id": "seed-1", "title": "Hội nghị sơ kết Nghị định 03", "text": seed_article, "translate": "both",
        "summary": {"method": "extractive"}, "translation": FAST,
    })
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["id"] == "seed-1"
    assert body["summary_vi"] and "leftcenterrightdel" not in body["summary_vi"]
    assert body["summary_en"].strip()
    assert body["translation_en"].count("\n\n") >= 2  # the article's paragraphs, kept
    assert "leftcenterrightdel" not in body["translation_en"]
    assert body["models"] == {"summary": "extractive", "translation": body["models"]["translation"]}
    assert "translate_ms" in body["timings"]


HEADLINE = "UBND TP.HCM họp bàn mở rộng đường với tổng vốn 1.500.000 tỷ đồng"  # what a summary would pick


def test_a_text_that_opens_with_its_headline_is_summarized_from_its_body(client):
    text = HEADLINE + "\n\n" + ARTICLE
    for length in ({"max_sentences": 1}, {"max_sentences": 2}, {}):
        body = client.post("/v1/summarize", json={"text": text, "method": "extractive", **length}).get_json()
        assert body["summary"] and HEADLINE not in body["summary"]  # the headline is read as the title
        given = client.post("/v1/summarize", json={"text": ARTICLE, "title": HEADLINE, "method": "extractive",
                                                   **length}).get_json()
        assert body["summary"] == given["summary"]
    # not lost from a full translation: the headline is its first paragraph
    full = client.post("/v1/articles", json={"text": text, "translate": "full", "summary": {"method": "extractive"},
                                             "translation": FAST}).get_json()
    assert full["translation_en"].count("\n\n") == ARTICLE.count("\n\n") + 1
    assert HEADLINE not in full["summary_vi"]


def test_article_summary_only_has_no_full_translation(client):
    body = client.post("/v1/articles", json={"text": ARTICLE, "summary": {"method": "extractive"}, "translation": FAST}).get_json()
    assert "translation_en" not in body and body["summary_en"]


def test_article_offline_translation_is_503_but_none_works(offline_client):
    problem(offline_client.post("/v1/articles", json={"text": ARTICLE}), 503)
    body = offline_client.post("/v1/articles", json={"text": ARTICLE, "translate": "none"}).get_json()
    assert body["summary_vi"] and body["summary_en"] is None


# -- errors -------------------------------------------------------------------

@pytest.mark.parametrize("route", ["/v1/summarize", "/v1/translate", "/v1/articles"])
def test_malformed_json_is_400(client, route):
    problem(client.post(route, data='{"text": "abc",', content_type="application/json"), 400)


@pytest.mark.parametrize("route", ["/v1/summarize", "/v1/translate", "/v1/articles"])
def test_wrong_content_type_is_415(client, route):
    body = problem(client.post(route, data="text=abc", content_type="text/plain"), 415)
    assert "application/json" in body["detail"]


def test_body_over_limit_is_413(client):
    problem(client.post("/v1/summarize", json={"text": "a " * 150_000}), 413)


def test_text_over_char_limit_is_413_with_limit(client):
    body = problem(client.post("/v1/summarize", json={"text": "Xin chào. " * 2_500}), 413)
    assert "20000" in body["detail"] and body["limit"] == 20000


def test_the_char_limit_counts_vietnamese_as_written_not_its_combining_marks(client):
    import unicodedata

    text = ("Người dân Hà Nội đồng tình với kế hoạch mở rộng đường. " * 400)[:19_990]
    nfd = unicodedata.normalize("NFD", text)
    assert len(nfd) > 20_000  # its combining marks alone would be past the limit
    assert client.post("/v1/summarize", json={"text": nfd, "method": "extractive"}).status_code == 200
    body = problem(client.post("/v1/summarize", json={"text": unicodedata.normalize("NFD", text + "x" * 20)}), 413)
    assert "text has 20010 characters; the limit is 20000" in body["detail"], body["detail"]


@pytest.mark.parametrize("payload, field", [
    ({"text": ""}, "text"),
    ({"text": "   \n\t "}, "text"),
    ({"text": 5}, "text"),
    ({}, "text"),
    ({"text": "Xin chào.", "method": "magic"}, "method"),
    ({"text": "Xin chào.", "max_sentences": 0}, "max_sentences"),
    ({"text": "Xin chào.", "max_sentence": 2}, "max_sentence"),
    ({"text": "Xin chào.", "num_beams": "four"}, "num_beams"),
])
def test_summarize_validation_is_422_per_field(client, payload, field):
    body = problem(client.post("/v1/summarize", json=payload), 422)
    assert field in [e["field"] for e in body["errors"]]


def test_json_array_body_is_422(client):
    problem(client.post("/v1/summarize", json=["Xin chào."]), 422)


def test_generation_over_server_bounds_is_422(client):
    body = problem(client.post("/v1/summarize", json={"text": ARTICLE, "num_beams": 64, "max_new_tokens": 100_000}), 422)
    assert {e["field"] for e in body["errors"]} == {"num_beams", "max_new_tokens"}


@pytest.mark.parametrize("payload, field", [
    ({"text": "Xin chào.", "target": "fr"}, "target"),
    ({"text": "Xin chào.", "texts": ["Chào."]}, "body"),
    ({"texts": []}, "texts"),
    ({"texts": ["Chào.", " "]}, "texts"),
])
def test_translate_validation_is_422(client, payload, field):
    body = problem(client.post("/v1/translate", json=payload), 422)
    assert any(e["field"] == field or e["field"].startswith(field) for e in body["errors"]), body


def test_translate_too_many_texts_is_413(client):
    body = problem(client.post("/v1/translate", json={"texts": ["Chào."] * 5}), 413)
    assert "4" in body["detail"]


def test_article_unknown_translate_value_is_422(client):
    body = problem(client.post("/v1/articles", json={"text": ARTICLE, "translate": "everything"}), 422)
    assert body["errors"][0]["field"] == "translate"


def test_text_that_is_only_debris_is_422(client):
    body = problem(client.post("/v1/summarize", json={"text": "leftcenterrightdel", "method": "extractive"}), 422)
    assert "sentences" in body["detail"]


def test_unknown_route_and_method_are_problems(client):
    problem(client.get("/v1/nope"), 404)
    problem(client.get("/v1/summarize"), 405)


# -- language check -------------------------------------------------------------

ENGLISH = "The city council met on Tuesday to discuss the new metro line. Construction will start next year."
CHINESE = "市政府周二召开会议，讨论新的地铁线路。工程将于明年开工。"


@pytest.mark.parametrize("route, payload, language", [
    ("/v1/summarize", {"text": ENGLISH, "method": "extractive"}, "en"),
    ("/v1/summarize", {"text": CHINESE, "method": "extractive"}, "zh"),
    ("/v1/translate", {"text": ENGLISH}, "en"),
    ("/v1/articles", {"text": ENGLISH, "translate": "none"}, "en"),
    ("/v1/summarize", {"text": "Ã¡Â»Â‡t Ã¢Â€Â™ Ã‚Â« Ã¢Â€Âœ 0x7f ÿþ ¤¤ ¦¦", "method": "extractive"}, "und"),
])
def test_text_that_is_not_vietnamese_is_422_naming_the_language(client, route, payload, language):
    body = problem(client.post(route, json=payload), 422)
    assert body["detected_language"] == language
    assert "allow_other_language" in body["detail"] and body["errors"][0]["field"] == "text"


def test_vietnamese_without_diacritics_is_accepted(client):
    text = "Chieu ngay 22/7, cong an quan 3 da to chuc hoi nghi so ket. Nguoi dan dong tinh voi ke hoach nay."
    resp = client.post("/v1/summarize", json={"text": text, "method": "extractive"})
    assert resp.status_code == 200 and resp.get_json()["warnings"] == []


def test_allow_other_language_processes_with_a_warning(client):
    body = client.post("/v1/summarize", json={"text": ENGLISH, "method": "extractive",
                                              "allow_other_language": True}).get_json()
    assert body["summary"] and len(body["warnings"]) == 1 and "'en'" in body["warnings"][0]
    many = client.post("/v1/translate", json={"texts": ["Hà Nội mưa to.", ENGLISH], "allow_other_language": True,
                                               **FAST}).get_json()
    assert len(many["translations"]) == 2 and many["warnings"][0].startswith("texts[1]")


# -- English → Vietnamese -------------------------------------------------------------

EN_TEXT = "The city council met on Tuesday. Mr. Smith said the U.S. plan will cost $1.5 billion.\n\nWork starts in 2025."


def test_translate_english_to_vietnamese_keeps_paragraphs(client):
    body = client.post("/v1/translate", json={"text": EN_TEXT, "source": "en", "target": "vi", **FAST}).get_json()
    assert (body["source"], body["target"]) == ("en", "vi")
    assert body["translation"].count("\n\n") == 1 and body["checks"] == {}  # fact checks are vi→en only
    assert client.post("/v1/translate", json={"text": EN_TEXT, "source": "en", **FAST}).get_json()["target"] == "vi"


def test_translate_source_auto_picks_the_direction(client):
    en = client.post("/v1/translate", json={"text": EN_TEXT, "source": "auto", **FAST}).get_json()
    vi = client.post("/v1/translate", json={"text": ARTICLE, "source": "auto", **FAST}).get_json()
    assert (en["source"], en["target"]) == ("en", "vi") and (vi["source"], vi["target"]) == ("vi", "en")
    assert "translation" in vi["checks"]
    body = problem(client.post("/v1/translate", json={"text": ARTICLE, "source": "auto", "target": "vi"}), 422)
    assert body["type"].endswith("/unsupported-pair")


def test_translate_source_auto_detects_a_single_text_once(client, monkeypatch):
    import models.pipeline as pipeline

    seen = []
    real = pipeline.detect_language
    monkeypatch.setattr(pipeline, "detect_language", lambda text: seen.append(text) or real(text))
    body = client.post("/v1/translate", json={"text": EN_TEXT + " unseen", "source": "auto", **FAST}).get_json()
    assert body["source"] == "en" and len(seen) == 1  # the direction and the language check share it
    body = client.post("/v1/translate", json={"texts": [EN_TEXT, EN_TEXT + " too"], "source": "auto",
                                              **FAST}).get_json()
    assert body["source"] == "en" and len(seen) == 4  # all together for the direction, then each text


def test_translate_default_stays_vietnamese_to_english(client):
    body = client.post("/v1/translate", json={"text": ARTICLE, **FAST}).get_json()
    assert (body["source"], body["target"]) == ("vi", "en") and body["checks"]["translation"]["ok"] in (True, False)


@pytest.mark.parametrize("payload, slug", [
    ({"text": EN_TEXT, "source": "en", "target": "fr"}, "unsupported-pair"),
    ({"text": EN_TEXT, "source": "de", "target": "vi"}, "unsupported-pair"),
    ({"text": ARTICLE, "source": "en", "target": "vi"}, "not-english"),
])
def test_translate_english_errors(client, payload, slug):
    body = problem(client.post("/v1/translate", json=payload), 422)
    assert body["type"].endswith("/" + slug), body


def test_tone_style_converts_vietnamese_output(tiny_runtime):
    from models import pipeline

    result = pipeline.translate(tiny_runtime, [EN_TEXT], "text", pipeline.GenerationOverrides(6, 2, 1),
                                source="en", target="vi", tone="old")
    assert (result.source, result.target, result.checks) == ("en", "vi", [])
    from models.text.tone_style import reader_tone

    assert result.translations[0] == reader_tone(result.translations[0], "old")


def test_english_article_on_summarize_is_still_422(client):
    body = problem(client.post("/v1/summarize", json={"text": EN_TEXT, "method": "extractive"}), 422)
    assert body["type"].endswith("/not-vietnamese") and body["detected_language"] == "en"


def test_models_lists_the_translation_directions(client):
    translation = next(m for m in client.get("/v1/models").get_json()["models"] if m["task"] == "translation")
    assert translation["directions"] == ["vi→en", "en→vi"]
