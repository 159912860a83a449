"""Fact checks of neural outputs (models/faithfulness/): every kind in both directions, Vietnamese and
English forms, and the checks as the API, jobs, batch rows and metrics carry them (tiny random models:
their outputs are junk, so every check fires)."""

from __future__ import annotations

import json
import time

import pytest

from models.faithfulness import check_summary, check_translation, extract_facts, fold
from service.app import create_app
from service.batch.records import Record
from service.batch.runner import ArticleOptions, process_record
from service.config import Settings
from models import pipeline
from tests.helpers import app_factory, problem

FAST = {"max_new_tokens": 6, "min_new_tokens": 2, "num_beams": 1}
ARTICLE = (
    "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn An cho biết thành phố sẽ mở rộng đường.\n\n"
    "Dự án dự kiến hoàn thành năm 2025. Tổng vốn đầu tư là 1.500 tỷ đồng.\n\n"
    "Người dân Q.3 đồng tình với kế hoạch này."
)


def kinds(result: dict) -> set[tuple[str, str]]:
    return {(p["kind"], p["issue"]) for p in result["problems"]}


def passes(source: str, output: str, check=check_translation) -> None:
    result = check(source, output)
    assert result == {"ok": True, "problems": []}, result


def flagged(source: str, output: str, kind: str, issue: str, check=check_translation) -> dict:
    result = check(source, output)
    assert not result["ok"] and (kind, issue) in kinds(result), result
    return result


# -- translation (vi → en): every fact must be carried across ---------------------------------------

@pytest.mark.parametrize("english", [
    "The total investment is 1.5 trillion dong.",
    "The total investment is VND 1,500 billion.",
    "The total investment is 1,500 billion dong.",
    "Total investment: 1,500,000,000,000 VND.",
])
def test_translation_number_with_scale_and_currency_passes(english):
    passes("Tổng vốn đầu tư là 1.500 tỷ đồng.", english)


def test_translation_number_changed_currency_scale_or_value_is_flagged():
    result = flagged("Tổng vốn đầu tư là 1.500 tỷ đồng.", "The total investment is 1,500 billion dollars.",
                     "number", "changed")
    assert result["problems"][0]["text"] == "1.500 tỷ đồng" and "dollars" in result["problems"][0]["found"]
    flagged("Tổng vốn đầu tư là 1.500 tỷ đồng.", "The total investment is 1.5 billion dong.", "number", "changed")
    flagged("Tổng vốn đầu tư là 1.500 tỷ đồng.", "The total investment is large.", "number", "missing")


@pytest.mark.parametrize("vi, en", [
    ("Xuất khẩu đạt 1,5 triệu tấn.", "Exports reached 1.5 million tonnes."),
    ("Tăng trưởng đạt 3,5%.", "Growth reached 3.5 percent."),
    ("Tăng trưởng đạt 3,5 phần trăm.", "Growth reached 3.5%."),
    ("Có 1.500.000 người tham gia.", "1,500,000 people took part."),
    ("Có 8 người chết.", "Eight people died."),
    ("Giá 2,5 tỷ USD.", "It costs $2.5 billion."),
    ("Trận động đất 7,1 độ richter.", "A 7.1-magnitude earthquake."),
])
def test_translation_vietnamese_number_formats_pass(vi, en):
    passes(vi, en)


def test_translation_percentage_changed_is_flagged():
    flagged("Tăng trưởng đạt 3,5%.", "Growth reached 35 percent.", "number", "changed")


@pytest.mark.parametrize("vi, en", [
    ("Chiều 22/7, UBND họp.", "On the afternoon of July 22, the committee met."),
    ("Chiều 22/7, UBND họp.", "On the afternoon of 22 July, the committee met."),
    ("Tối 05/9/2019, đội tuyển thắng.", "On the evening of September 5, 2019, the team won."),
    ("Ngày 19 tháng 6 năm 1953, họ bị xử tử.", "They were executed on June 19, 1953."),
    ("Vào tháng 9 năm 2017, động đất xảy ra.", "An earthquake struck in September 2017."),
    ("Xuất khẩu 6 tháng đầu năm tăng.", "Exports rose in the first six months."),
    ("Xuất khẩu 6 tháng đầu năm tăng.", "Exports rose in the first half of the year."),
    ("Họ gặp nhau hôm Chủ nhật.", "They met on Sunday."),
    ("Cuộc họp lúc 5 giờ sáng.", "The meeting was at 5 a.m."),
])
def test_translation_dates_in_english_forms_pass(vi, en):
    passes(vi, en)


def test_translation_date_changed_or_missing_is_flagged():
    result = flagged("Chiều 22/7, UBND họp.", "On the afternoon of July 23, the committee met.", "date", "changed")
    assert result["problems"][0]["found"] == "July 23"
    flagged("Chiều 22/7, UBND họp.", "In the afternoon, the committee met.", "date", "missing")
    flagged("Họ gặp nhau hôm Chủ nhật.", "They met on Monday.", "date", "changed")


def test_translation_legal_code_with_and_without_diacritics():
    passes("Theo Nghị định 03/2019/NĐ-CP, mức phạt tăng.", "Under Decree 03/2019/ND-CP, fines rise.")
    flagged("Theo Nghị định 03/2019/NĐ-CP, mức phạt tăng.", "Under Decree 03/2018/ND-CP, fines rise.",
            "number", "missing")


@pytest.mark.parametrize("en", ["Mr. Nguyen Van An said so.", "Mr. Nguyễn Văn An said so.", "Mr. An said so."])
def test_translation_vietnamese_name_with_or_without_diacritics_passes(en):
    passes("Ông Nguyễn Văn An cho biết như vậy.", en)


def test_translation_name_missing_or_misspelt_is_flagged():
    flagged("Ông Nguyễn Văn An cho biết như vậy.", "Mr. Nguyen Van Binh said so.", "name", "missing")
    result = flagged("Ông Biden cho biết ông sẽ quyết định.", "Mr. Bidden said he would decide.", "name", "changed")
    assert result["problems"][0]["found"] == "Bidden"
    passes("Ông Biden cho biết ông sẽ quyết định.", "Biden said he would decide.")


def test_translation_places_and_exonyms():
    passes("Hai đối tượng quê tỉnh Bình Dương.", "The two suspects are from Binh Duong province.")
    flagged("Hai đối tượng quê tỉnh Bình Dương.", "The two suspects are from Dong Nai province.", "name", "missing")
    passes("Trung Quốc đã giới thiệu kế hoạch.", "China introduced its plan.")
    flagged("Trung Quốc đã giới thiệu kế hoạch.", "Japan introduced its plan.", "name", "missing")


def test_translation_quote_must_be_carried():
    source = "Ông nói: “Chúng tôi sẽ mở rộng con đường này”."
    passes(source, 'He said: "We will widen this road."')
    flagged(source, "He said they would widen the road.", "quote", "missing")


def test_translation_negation_must_be_carried():
    source = "Dự án không hoàn thành đúng hạn."
    passes(source, "The project was not finished on time.")
    passes(source, "The project wasn't finished on time.")
    flagged(source, "The project was finished on time.", "negation", "missing")
    passes("Chưa có ai bị thương.", "No one has been injured yet.")
    flagged("Chưa có ai bị thương.", "Someone has been injured.", "negation", "missing")


def test_words_that_look_like_negations_are_not():
    passes("Chất lượng không khí ở Hà Nội giảm.", "Air quality in Hanoi fell.")
    passes("Hãng hàng không Vietnam Airlines tăng chuyến.", "Vietnam Airlines adds flights.")
    passes("Anh có đi không?", "Are you going?")


def test_untranslated_vietnamese_in_english_is_flagged():
    result = flagged("Dự án của thành phố hoàn thành.", "The project của thành phố was completed.",
                     "untranslated", "unsupported")
    assert result["problems"][0]["text"] == "của thành phố"


def test_a_kept_name_with_diacritics_is_not_untranslated():
    passes("Ông Nguyễn Văn An phát biểu.", "Mr. Nguyễn Văn An spoke.")


# -- summary (vi → vi): what it states must be in the article ---------------------------------------

SUMMARY_ARTICLE = (
    "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn An, Giám đốc Sở Giao thông, cho biết "
    "dự án sẽ hoàn thành năm 2025 với tổng vốn 1.500 tỷ đồng. Theo ông An, đối tượng bỏ chạy nhưng hành vi này "
    "đã không qua mắt được tổ tuần tra. “Chúng tôi sẽ làm việc suốt đêm”, ông An nói."
)


def test_summary_faithful_passes_even_when_it_leaves_facts_out():
    passes(SUMMARY_ARTICLE, "Chiều 22/7, TP.HCM họp bàn về giao thông. Dự án vốn 1.500 tỷ đồng.", check_summary)
    passes(SUMMARY_ARTICLE, "Ông Nguyen Van An cho biết dự án hoàn thành năm 2025.", check_summary)
    passes(SUMMARY_ARTICLE, "Dự án có tổng vốn 1,5 nghìn tỷ đồng.", check_summary)
    passes(SUMMARY_ARTICLE, "Hành vi này đã không qua mắt được tổ tuần tra.", check_summary)
    passes(SUMMARY_ARTICLE, "Ông An nói: “Chúng tôi sẽ làm việc suốt đêm”.", check_summary)


@pytest.mark.parametrize("summary, kind", [
    ("Dự án có tổng vốn 2.000 tỷ đồng.", "number"),
    ("Dự án hoàn thành năm 2026.", "date"),
    ("Dự án có 2026 công nhân.", "number"),
    ("Chiều 23/7, TP.HCM họp bàn về giao thông.", "date"),
    ("Ông Nguyễn Văn Bình cho biết dự án sẽ hoàn thành.", "name"),
    ("Ông An nói: “Chúng tôi sẽ nghỉ ngơi cả tuần”.", "quote"),
    ("Hành vi này đã qua mắt được tổ tuần tra.", "negation"),
])
def test_summary_unfaithful_is_flagged(summary, kind):
    issue = "changed" if kind == "negation" else "unsupported"
    flagged(SUMMARY_ARTICLE, summary, kind, issue, check_summary)


def test_summary_negation_added_is_flagged():
    article = "Dự án đã hoàn thành đúng hạn vào tháng trước."
    flagged(article, "Dự án đã không hoàn thành đúng hạn.", "negation", "changed", check_summary)


def test_facts_are_normalized_values():
    vi = extract_facts("Tổng vốn 1.500 tỷ đồng, tức 1,5 triệu USD, tăng 3,5%.", "vi")
    values = {(min(f.values), f.unit) for f in vi.numbers}
    assert values == {(1.5e12, "VND"), (1.5e6, "USD"), (3.5, "%")}
    en = extract_facts("VND 1,500 billion, or $1.5 million, up 3.5 percent.", "en")
    assert {(min(f.values), f.unit) for f in en.numbers} == values
    assert fold("Nguyễn Văn Ấn, NĐ-CP") == "nguyen van an, nd-cp"


def test_checks_are_fast_on_a_long_article(seed_article):
    article = (seed_article + "\n\n") * 20
    started = time.perf_counter()
    check_summary(article, seed_article[:400])
    check_translation(seed_article, seed_article)
    assert time.perf_counter() - started < 2.0


# -- the checks in the service ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tiny_runtime):
    return create_app(Settings(max_chars=20_000, max_body_bytes=200_000, max_texts=4), tiny_runtime)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def test_abstractive_summary_carries_checks_and_extractive_none(client):
    body = client.post("/v1/summarize", json={"text": ARTICLE, "method": "abstractive", **FAST}).get_json()
    assert body["checks"]["summary"]["ok"] is False  # the tiny model's junk states what the article lacks
    assert body["checks"]["summary"]["problems"]
    body = client.post("/v1/summarize", json={"text": ARTICLE, "method": "extractive"}).get_json()
    assert body["checks"] == {}


def test_article_checks_every_neural_output(client):
    body = client.post("/v1/articles", json={"text": ARTICLE, "translate": "both", "translation": FAST,
                                             "summary": {"method": "abstractive", **FAST}}).get_json()
    assert set(body["checks"]) == {"summary_vi", "summary_en", "translation_en"}
    assert body["checks"]["summary_vi"]["ok"] is False and body["checks"]["translation_en"]["ok"] is False
    for check in body["checks"].values():
        for p in check["problems"]:
            assert p["kind"] in ("number", "date", "name", "quote", "negation", "untranslated")
            assert p["issue"] in ("missing", "unsupported", "changed")
    body = client.post("/v1/articles", json={"text": ARTICLE, "translate": "summary", "translation": FAST,
                                             "summary": {"method": "extractive"}}).get_json()
    assert set(body["checks"]) == {"summary_en"}  # the extractive summary itself is not checked
    assert body["checks"]["summary_en"]["ok"] is False  # "22/7", "Nguyễn Văn An" … lost by the tiny translator


def test_translate_checks_each_text(client):
    body = client.post("/v1/translate", json={"text": ARTICLE, **FAST}).get_json()
    assert body["checks"]["translation"]["ok"] is False
    kinds_found = {p["kind"] for p in body["checks"]["translation"]["problems"]}
    assert "number" in kinds_found or "date" in kinds_found
    body = client.post("/v1/translate", json={"texts": [ARTICLE, "Dự án dự kiến hoàn thành năm 2025 với tổng vốn 1.500 tỷ đồng."], **FAST}).get_json()
    assert set(body["checks"]) == {"translations[0]", "translations[1]"}
    assert not body["checks"]["translations[1]"]["ok"]


def test_on_unfaithful_fallback_returns_the_extractive_summary_with_a_warning(client):
    body = client.post("/v1/summarize", json={"text": ARTICLE, "method": "abstractive", "on_unfaithful": "fallback",
                                              **FAST}).get_json()
    assert body["method"] == "extractive" and body["model"] == "extractive"
    assert all(s in ARTICLE for s in body["sentences"])
    assert body["checks"] == {}
    assert any("fact checks" in w and "fallback" in w for w in body["warnings"]), body["warnings"]
    body = client.post("/v1/articles", json={"text": ARTICLE, "translate": "summary", "translation": FAST,
                                             "summary": {"method": "abstractive", "on_unfaithful": "fallback",
                                                         **FAST}}).get_json()
    assert body["method"] == "extractive" and "summary_vi" not in body["checks"] and "summary_en" in body["checks"]
    assert any("fact checks" in w for w in body["warnings"])


def test_on_unfaithful_bad_value_is_a_422_problem(client):
    resp = client.post("/v1/summarize", json={"text": ARTICLE, "on_unfaithful": "ignore"})
    body = problem(resp, 422)
    assert any(e["field"] == "on_unfaithful" for e in body["errors"]), body
    resp = client.post("/v1/articles", json={"text": ARTICLE, "summary": {"on_unfaithful": 1}})
    assert any(e["field"] == "summary.on_unfaithful" for e in problem(resp, 422)["errors"])


def test_cached_result_carries_the_same_checks(tiny_runtime):
    gen = pipeline.GenerationOverrides(6, 2, 1)
    options = pipeline.SummaryOptions(method="abstractive", max_sentences=2, generation=gen)
    runs = [pipeline.process_article(tiny_runtime, ARTICLE + "\n\nBản tin lưu.", summary=options,
                                     translate="summary", translation=gen) for _ in range(2)]
    assert runs[1].timings.get("cache") == "hit"
    first, second = ({k: v for k, v in vars(r).items() if k != "timings"} for r in runs)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["checks"]["summary_vi"]["ok"] is False


def test_metrics_count_problems_by_kind_and_field(tiny_runtime):
    app = create_app(Settings(max_chars=20_000), tiny_runtime)
    client = app.test_client()
    result = client.post("/v1/translate", json={"text": ARTICLE, **FAST}).get_json()["checks"]["translation"]
    text = client.get("/metrics").get_data(as_text=True)
    for kind in {p["kind"] for p in result["problems"]}:
        count = sum(1 for p in result["problems"] if p["kind"] == kind)
        line = f'tomtat_output_problems_total{{field="translation",kind="{kind}"}} {float(count)}'
        assert line in text, (line, [x for x in text.splitlines() if "output_problems" in x])


def test_batch_row_carries_checks(tiny_runtime):
    options = ArticleOptions(summary=pipeline.SummaryOptions(method="abstractive",
                                                             generation=pipeline.GenerationOverrides(6, 2, 1)),
                             translate="summary", translation=pipeline.GenerationOverrides(6, 2, 1))
    row = process_record(tiny_runtime, Record(id="a1", text=ARTICLE), options)
    assert set(row["checks"]) == {"summary_vi", "summary_en"} and row["checks"]["summary_vi"]["ok"] is False
    fallback = ArticleOptions.from_dict(options.to_dict() | {"summary": options.to_dict()["summary"]
                                                             | {"on_unfaithful": "fallback"}})
    row = process_record(tiny_runtime, Record(id="a2", text=ARTICLE), fallback)
    assert "summary_vi" not in row["checks"] and any("fact checks" in w for w in row["warnings"])


def test_job_result_carries_checks(tiny_runtime, tmp_path):
    with app_factory(tiny_runtime, db_path=str(tmp_path / "jobs.sqlite3"), job_lease_s=1.0, max_chars=5000) as make:
        client = make().test_client()
        resp = client.post("/v1/jobs", json={"articles": [{"id": "j1", "text": ARTICLE}], "translate": "summary",
                                             "translation": FAST, "summary": {"method": "abstractive", **FAST}})
        assert resp.status_code == 202, resp.get_data(as_text=True)
        job_id = resp.get_json()["job_id"]
        deadline = time.time() + 60
        while client.get(f"/v1/jobs/{job_id}").get_json()["status"] not in ("done", "failed", "cancelled"):
            assert time.time() < deadline
            time.sleep(0.05)
        rows = [json.loads(line) for line in client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True).splitlines()]
        assert rows[0]["id"] == "j1" and rows[0]["checks"]["summary_vi"]["ok"] is False
        assert "summary_en" in rows[0]["checks"]


# -- summaries: numbers counted, written differently, rounded ---------------------------------------

COUNT_ARTICLE = ("Sáng 5/8, cảnh sát khám xét năm container tại cảng. Trong năm 2019, đội đã bắt 17 thanh niên. "
                 "Tổng số tiền giao dịch là 2.013 tỷ đồng, khoảng 3.000.000 người dùng. Khu phố 3 bị ngập.")


@pytest.mark.parametrize("summary", [
    "Cảnh sát khám xét 5 container tại cảng.",          # spelled out in the article, same thing counted
    "Cảnh sát đã bắt 17 đối tượng.",                    # two digits, written as a number of its own
    "Số tiền giao dịch hơn 2.000 tỷ đồng.",             # rounded down, "hơn"
    "Số tiền giao dịch khoảng 2 nghìn tỷ đồng.",        # another writing of a rounded number
    "Có khoảng 3 triệu người dùng.",                    # "3 triệu" = "3.000.000"
])
def test_summary_numbers_written_differently_pass(summary):
    passes(COUNT_ARTICLE, summary, check_summary)


@pytest.mark.parametrize("summary", [
    "Cảnh sát khám xét 3 container tại cảng.",          # "3" is only a street number there ("khu phố 3")
    "Cảnh sát khám xét 8 container tại cảng.",          # "8" only in the date "5/8"
    "Số tiền giao dịch hơn 2.100 tỷ đồng.",             # "hơn 2.100" is not true of 2.013
    "Số tiền giao dịch gần 2.000 tỷ đồng.",             # "gần" says less than 2.000: 2.013 is more
    "Số tiền giao dịch trên 2.010 tỷ đồng.",            # not a round number: no rounding allowed
    "Có tới 2,9 triệu người dùng.",                     # "tới 2,9 triệu" is no rounding of a round 3 triệu
])
def test_summary_numbers_not_in_the_article_are_flagged(summary):
    flagged(COUNT_ARTICLE, summary, "number", "unsupported", check_summary)


def test_summary_more_than_a_round_number_reaches_the_next_round_number():
    article = "Cảnh sát phát hiện 573 kg thư không được chuyển tại nhà riêng của ông."
    passes(article, "Cảnh sát phát hiện hơn 500 kg thư tại nhà riêng của ông.", check_summary)
    # 573 is past the next round number after 400, and "gần 600" would be 5% off but "gần" it is not
    flagged(article, "Cảnh sát phát hiện hơn 400 kg thư.", "number", "unsupported", check_summary)
    flagged(article, "Cảnh sát phát hiện gần 500 kg thư.", "number", "unsupported", check_summary)
    # a figure as round as the article's is another figure, not a rounding of it
    flagged("Có tới 48% doanh nghiệp gặp khó.", "Có tới 45% doanh nghiệp gặp khó.", "number", "unsupported",
            check_summary)
    flagged("Họ lừa ít nhất 46 triệu USD.", "Họ lừa ít nhất 44 triệu USD.", "number", "unsupported", check_summary)


# -- translation negations: "không" as "air", English negation in a word ---------------------------

@pytest.mark.parametrize("vi, en", [
    ("Những bức ảnh chụp từ trên không cho thấy nhiều tòa nhà bị phá hủy.", "Aerial photographs showed many buildings destroyed."),
    ("Các tàu có một loạt tên lửa phòng không.", "The ships have an array of anti-aircraft missiles."),
    ("Anh ta đã không thốt nên lời.", "He was speechless."),
    ("Ông ấy không phù hợp với chức vụ.", "He is unfit for office."),
    ("Cú ghi bàn không thành công.", "The attempt was unsuccessful."),
])
def test_translation_negation_said_without_not_passes(vi, en):
    passes(vi, en)


@pytest.mark.parametrize("vi, en", [
    ("Ông ấy không phù hợp với chức vụ.", "He is fit for office."),
    ("Tên lửa phòng không đã không bắn trúng mục tiêu.", "The anti-aircraft missile hit the target."),
    ("Chúng tôi không thể đến.", "We can come under the united plan."),  # "under", "united" are no negations
])
def test_translation_negation_lost_is_flagged(vi, en):
    flagged(vi, en, "negation", "missing")


def test_flagged_lead_is_sorted_into_truly_absent_or_checker_error():
    from models.evaluation.facts import _truly_absent, audit_summaries
    article = "Ngày 18/11, phạm nhân Vũ Mạnh Hậu (SN 1995) trốn khỏi trại giam số 5."
    assert _truly_absent({"kind": "number", "text": "23", "issue": "unsupported"}, article)
    assert not _truly_absent({"kind": "number", "text": "5", "issue": "unsupported"}, article)
    assert _truly_absent({"kind": "name", "text": "Thanh Hóa", "issue": "unsupported"}, article)
    assert not _truly_absent({"kind": "date", "text": "18-11", "issue": "unsupported"}, article)
    audit = audit_summaries([("tune", article, "Phạm nhân Vũ Mạnh Hậu (23 tuổi) trốn trại."),
                             ("held-out", article, "Phạm nhân Vũ Mạnh Hậu trốn trại ngày 18/11.")])
    assert audit["tune"] == {"pairs": 1, "absent": 1, "error": 0}
    assert audit["held-out"] == {"pairs": 1, "absent": 0, "error": 0}


def test_hand_audit_of_vietnews_leads_is_read_against_the_checker_as_it_is():
    import json
    from models.evaluation.facts import AUDIT_FILE, _wilson, hand_audit
    audit = json.loads(AUDIT_FILE.read_text(encoding="utf-8"))
    assert {f["label"] for f in audit["flags"]} == {"correct", "false-alarm"}
    assert all(f["kind"] in ("number", "date", "name", "quote", "negation") and f["reason"] for f in audit["flags"])
    lo, hi = _wilson(30, 40)
    assert round(lo, 3) == 0.598 and round(hi, 3) == 0.858
    # the shared articles are not in a clone: two audited leads are stood in for by texts that keep (an age the
    # article lacks) or lose (a fraction the article gives as a percentage) their flag
    correct = next(f for f in audit["flags"] if f["label"] == "correct" and f["text"] == "23")
    alarm = next(f for f in audit["flags"] if f["label"] == "false-alarm" and f["text"] == "1/5")
    rows = {correct["id"]: ("Phạm nhân Vũ Mạnh Hậu (SN 1995) trốn trại.", "Phạm nhân Vũ Mạnh Hậu (23 tuổi) trốn trại."),
            alarm["id"]: ("Cuộc không kích phá huỷ 20% số phi cơ.", "Cuộc không kích phá huỷ 1/5 số phi cơ.")}
    result = hand_audit(rows)
    assert result["cases"] == 2 and result["absent"] == 1
    assert result["false_alarms"] == sum(f["id"] == alarm["id"] and f["label"] == "false-alarm"
                                         for f in audit["flags"])
    assert result["fixed"] == 1
    assert hand_audit({}) is None


# -- translation negations sentence by sentence, cues a Vietnamese word says without a negator ----------

@pytest.mark.parametrize("vi, en", [
    ("Tôi không đi. Anh ấy đã thất bại.", "I did not go. He failed."),
    ("Ông ta chọn án tử hình thay vì án tù không có khả năng phóng thích.",
     "He chose death rather than life in prison with no possibility of release."),
    ("Chúng tôi sẽ không thất bại.", "We will not fail."),
    ("Nó vẫn chưa bị ngộp.", "It was not drowned yet."),
    ("Họ không đơn phương giải giáp.", "They will not disarm unilaterally."),
    ("Cho tới hôm nay, chẳng có nhà thờ mà cũng chẳng có quán bar.", "Today, there's neither."),
])
def test_translation_negation_per_sentence_passes(vi, en):
    passes(vi, en)


@pytest.mark.parametrize("vi, en", [
    # the negation of the first sentence is lost; the second sentence's "not" does not make up for it
    ("Tôi không đi. Anh ấy đã đến.", "I went. He did not come."),
    # "rather than" says "thay vì": the dropped "no" is not carried by it
    ("Ông ta chọn án tử hình thay vì án tù không có khả năng phóng thích.",
     "He chose death rather than life in prison with some possibility of release."),
    # "fail" says "thất bại": "không thất bại" needs a negation of its own
    ("Chúng tôi sẽ không thất bại.", "We will fail."),
    # "unilaterally", "a few", "And yet" and "nonetheless" negate nothing
    ("Họ không đơn phương giải giáp.", "They will disarm unilaterally."),
    ("Họ không biết điều đó sau vài thế hệ.", "They knew it after a few generations."),
    ("Và 46% vụ án giết người không bị bắt.", "And yet, 46 percent of all homicide cases result in arrest."),
    ("Tôi không thực sự quan tâm.", "I really care, nonetheless."),
])
def test_translation_negation_per_sentence_lost_is_flagged(vi, en):
    flagged(vi, en, "negation", "missing")


# -- names: a given name replaced, plain words of a foreign name, a Vietnamese syllable before a foreign name --

def test_translation_given_name_dropped_passes_replaced_is_flagged():
    source = "Huấn luyện viên Peter Murchie hoàn toàn hài lòng."
    passes(source, "Coach Murchie was entirely satisfied.")
    passes(source, "Murchie was entirely satisfied.")
    flagged(source, "The coach, Lindqvist Murchie, was entirely satisfied.", "name", "changed")


def test_translation_plain_words_of_a_foreign_name_are_checked():
    source = "Tổng thống Hàn Quốc Moon Jae-in phát biểu."
    passes(source, "South Korean President Moon Jae-in spoke.")
    flagged(source, "South Korean President Mon Jae-in spoke.", "name", "changed")
    passes("Ngọn núi lửa có tên Don Goyo đã hoạt động.", "The volcano, Don Goyo, has been active.")
    flagged("Ngọn núi lửa có tên Don Goyo đã hoạt động.", "The volcano, Don Gyoo, has been active.", "name", "changed")


def test_summary_vietnamese_syllable_before_a_foreign_name_is_flagged():
    article = "Tổng thống Trump tuyên bố cuộc gặp thượng đỉnh là lịch sử."
    passes(article, "Tổng thống Donald Trump tuyên bố cuộc gặp là lịch sử.", check_summary)
    flagged(article, "Tổng thống Vinh Trump tuyên bố cuộc gặp là lịch sử.", "name", "unsupported", check_summary)


# -- weekdays written in lower case: a time of day or "tới"/"này" makes "thứ bảy" a day, not "seventh" -------

def test_translation_lower_case_weekday_after_time_of_day():
    source = "Cho tới chiều thứ bảy, chúng tôi chưa tìm thấy anh ấy."
    passes(source, "As of Saturday afternoon, we have not found him.")
    flagged(source, "As of Wednesday afternoon, we have not found him.", "date", "changed")
    flagged("Thứ năm tới sẽ là một trận đấu quan trọng.", "Going into Tuesday, it is another big match.", "date",
            "changed")
    passes("Anh ấy về thứ hai trong cuộc đua.", "He came second in the race.")  # an ordinal, no weekday


# -- negations the English carries in other words, and words that look like negations -------------------------

@pytest.mark.parametrize("vi, en", [
    ("Nó vẫn chưa bị ngộp.", "It was not drowned yet."),
    ("Anh ấy chưa trả lời.", "He has yet to respond."),
    # "không ngon" says "bad" (no negation of a fact): the "not" of "không ăn" is still there
    ("Nó học được việc không ăn loại quả đó vì nó có vị không ngon.", "It learnt not to eat that fruit because it tasted bad."),
    ("Tôi chọn KHÔNG ủng hộ người đang tuyên truyền ý thức hệ không tốt.",
     "I chose NOT to support someone spewing ideology that is harmful."),
    # "không thể không" is "couldn't help": the other "không" needs its own "not"
    ("Tôi không thể không hỏi: sao họ không thể trao cho anh ấy một vai?",
     "I couldn't help thinking: can't they give him a role?"),
    ("Chúng ta không thể làm vậy nếu không có chính phủ.", "We can't do without government."),
    ('Tôi nói " không, không, không. Không sao."', 'I said, "No, no, no. That\'s okay."'),
])
def test_translation_negation_in_other_words_passes(vi, en):
    passes(vi, en)


@pytest.mark.parametrize("vi, en", [
    ("Nó vẫn chưa bị ngộp.", "It was drowned yet."),  # a "yet" left behind by a dropped "not" negates nothing
    ("Nó học được việc không ăn loại quả đó vì nó có vị không ngon.", "It learnt to eat that fruit because it tasted bad."),
    ("Tôi chọn KHÔNG ủng hộ người đang tuyên truyền ý thức hệ không tốt.",
     "I chose to support someone spewing ideology that is harmful."),
    ("Tôi không thể không hỏi: sao họ không thể trao cho anh ấy một vai?",
     "I could help thinking: can't they give him a role?"),
    ("Chúng ta không thể làm vậy nếu không có chính phủ.", "We can't do with government."),  # "nếu không có" = "without"
    ('Tôi nói " không, không, không. Không sao."', 'I said, "Yes, no, no. That\'s okay."'),  # "Không." is "No."
])
def test_translation_negation_in_other_words_lost_is_flagged(vi, en):
    flagged(vi, en, "negation", "missing")


def test_summary_negation_in_a_condition_is_no_fact():
    article = "Nếu không được cứu kịp thời, hai du khách đã gặp nguy hiểm. Bốn chiến sĩ đã lao xuống biển."
    passes(article, "Bốn chiến sĩ đã lao xuống biển, hai du khách được cứu kịp thời.", check_summary)
    flagged("Hai du khách không được cứu kịp thời vì sóng lớn.", "Hai du khách được cứu kịp thời vì sóng lớn.",
            "negation", "changed", check_summary)


# -- dates: "ngày thứ sáu", ordinals, durations, "7.55 giờ", "Oct.", fractions, a weekday the English adds ------

@pytest.mark.parametrize("vi, en", [
    ("Trận động đất xảy ra tại đảo Sulawesi vào ngày thứ sáu, gây ra sóng thần.",
     "The earthquake hit Sulawesi on Friday, triggering a tsunami."),
    ("Đây là ngày thứ hai của hội nghị.", "This is the second day of the conference."),  # an ordinal
    ("Rangers rơi xuống vị trí thứ 6, Livingston lên vị trí thứ 3.", "Rangers drop to sixth spot, Livingston climb to third."),
    ("Họ ghi nhận 183 lượng khí thải trong vòng 24 giờ.", "It registered 183 emissions over 24 hours."),
    ("Nạn nhân được phát hiện vào lúc 7.55 giờ sáng.", "The victim was found at 7.55am."),
    ("Sân bay sẽ đóng cửa cho đến tháng Mười.", "The airport will remain closed until Oct."),
    ("Họ chơi tốt hơn, đặc biệt trong 1/3 thời gian cuối trận.", "They played better, especially in the final third."),
    ("Họ ở đó trong tháng Hai đầy tuyết.", "They were there in February, and it snowed a lot in February."),
    ("Kanye West hát trong Đêm nhạc SNL.", "Kanye West sang on Saturday Night Live."),  # no weekday in the source
])
def test_translation_dates_in_other_forms_pass(vi, en):
    passes(vi, en)


@pytest.mark.parametrize("vi, en, kind", [
    ("Trận động đất xảy ra tại đảo Sulawesi vào ngày thứ sáu, gây ra sóng thần.",
     "The earthquake hit Sulawesi on Wednesday, triggering a tsunami.", "date"),
    ("Rangers rơi xuống vị trí thứ 6, Livingston lên vị trí thứ 3.", "Rangers drop to seventh spot, Livingston climb to third.",
     "number"),
    ("Họ ghi nhận 183 lượng khí thải trong vòng 24 giờ.", "It registered 183 emissions over 42 hours.", "number"),
    ("Nạn nhân được phát hiện vào lúc 7.55 giờ sáng.", "The victim was found at 8.55am.", "date"),
    ("Sân bay sẽ đóng cửa cho đến tháng Mười.", "The airport will remain closed until Nov.", "date"),
    ("Họ chơi tốt hơn, đặc biệt trong 1/3 thời gian cuối trận.", "They played better, especially in the final quarter.",
     "number"),
    # the English adds a month, or a weekday, the source does not have
    ("Họ ở đó trong tháng Hai đầy tuyết.", "They were there in February, and it snowed a lot in January.", "date"),
    ("Thứ 6, thứ 6. Xuống phố vào thứ 6.", "Friday, Sunday. Gotta get down on Friday.", "date"),
])
def test_translation_dates_in_other_forms_changed_is_flagged(vi, en, kind):
    result = check_translation(vi, en)
    assert not result["ok"] and kind in {p["kind"] for p in result["problems"]}, result


def test_translation_adds_a_weekday_or_month_the_source_lacks_is_unsupported():
    result = flagged("Thứ 6, thứ 6. Xuống phố vào thứ 6.", "Friday, Sunday. Gotta get down on Friday.", "date",
                     "unsupported")
    assert [(p["text"], p.get("found")) for p in result["problems"]] == [("Sunday", None)]  # not "found Sunday"
    flagged("Họ ở đó trong tháng Hai đầy tuyết.", "They were there in February, and it snowed in January.", "date",
            "unsupported")


# -- "3.1billion" written together, demonyms, "tweeted", a quotation left open at the end ---------------------

def test_translation_number_written_against_its_scale():
    source = "Dự án đã đội vốn lên tới €3,1 tỷ ($3,6 tỷ), trong khi ước tính ban đầu là €2,2 tỷ."
    passes(source, "It reached €3.1billion ($3.6bn) - up from initial €2.2 billion.")
    flagged(source, "It reached €3.4billion ($3.6bn) - up from initial €2.2 billion.", "number", "changed")


def test_translation_demonym_and_tweet_carry_the_name():
    passes("Chính phủ Scotland cam kết hỗ trợ.", "The Scottish Government has committed to help.")
    flagged("Chính phủ Scotland cam kết hỗ trợ.", "The Irish Government has committed to help.", "name", "missing")
    passes("Karen Hunter lại đăng trên Twitter rằng West đơn giản.", "Karen Hunter tweeted that West was simple.")
    flagged("Karen Hunter lại đăng trên Twitter rằng West đơn giản.", "Karen Hunter said on Facebook that West was simple.",
            "name", "missing")


def test_translation_quotation_left_open_at_the_end():
    source = "“Ông có nghĩ rằng ông ấy nói sự thật với cả nước không?”"
    passes(source, '"Do you think he\'s telling the truth to the country?')
    flagged(source, "Do you think he's telling the truth to the country?", "quote", "missing")


def test_summary_date_after_a_weekday_is_read():
    article = "Đợt tập trận của 3 nước khởi động từ ngày thứ năm 14-3. Thông cáo phát ngày 12-3."
    passes(article, "Đợt tập trận của 3 nước sẽ bắt đầu từ ngày 14-3.", check_summary)
    flagged(article, "Đợt tập trận của 3 nước sẽ bắt đầu từ ngày 15-3.", "date", "unsupported", check_summary)


# -- "nor" continues a negation, "whether or not" is none, "rather than" says a "chỉ"; negated phrases
# -- past an auxiliary; a month of a year; the negation perturbation ---------------------------------------

def test_translation_nor_without_a_negation_before_it_carries_none():
    source = "Tôi không có ý đề cập tới sự ra đi của ông ấy là điều không tránh khỏi - cũng giống như người đồng cấp."
    passes(source, "I do not mean to suggest that his fall is inevitable - nor that of his equivalents.")
    flagged(source, "I do mean to suggest that his fall is inevitable - nor that of his equivalents.",
            "negation", "missing")
    passes("Ông không nói gì. Ông cũng không đến.", "He said nothing. Nor did he come.")


def test_translation_whether_or_not_is_no_negation():
    source = "Ông nói rằng nhóm của ông không bàn bạc với Google về việc có thay đổi hay không."
    passes(source, "He said that his team are not talking to Google about whether or not to change.")
    flagged(source, "He said that his team are talking to Google about whether or not to change.",
            "negation", "missing")


def test_translation_rather_than_says_only():
    source = "Bộ phim chỉ có thể chọc cười trẻ con, tôi cho rằng nó chẳng có gì sáng tạo."
    passes(source, "The film is pitched at kids rather than adults, and for me it isn't inventive.")
    flagged(source, "The film is pitched at kids rather than adults, and for me it is inventive.",
            "negation", "missing")


def test_summary_phrase_inside_a_negation_past_an_auxiliary_is_not_said_plainly():
    article = ("Với công trình không thể thi công hệ thống hút khói, thành phố đề xuất thay cửa chống cháy. "
               "Với công trình không có khả năng thi công hệ thống tăng áp, thành phố đề xuất thay quạt.")
    passes(article, "Với công trình không thể thi công hệ thống hút khói, thành phố đề xuất thay cửa chống cháy.",
           check_summary)
    flagged(article, "Với công trình có thể thi công hệ thống hút khói, thành phố đề xuất thay cửa chống cháy.",
            "negation", "changed", check_summary)


def test_summary_words_further_inside_a_negated_clause_are_not_said_plainly():
    # "bằng chứng nào" and "xảy ra nữa" are inside the summary's negation: it says there was no evidence,
    # as the article does, not that there was some
    article = ("Phiên điều trần đã đưa ra nhiều cáo buộc. Theo Sputnik, đã không có bằng chứng nào được trình bày. "
               "Ông Trump nói: điều đó sẽ không xảy ra nữa.")
    passes(article, "Phiên điều trần không đưa ra được bất kỳ bằng chứng nào.", check_summary)
    passes(article, "Ông Trump tuyên bố sẽ không để điều đó xảy ra nữa.", check_summary)
    # the same words with the negation dropped contradict the article
    flagged(article, "Đã có bằng chứng nào được trình bày.", "negation", "changed", check_summary)
    flagged(article, "Ông Trump nói điều đó sẽ xảy ra nữa.", "negation", "changed", check_summary)


def test_summary_negation_backed_further_inside_an_article_negation():
    # the article negates "chủ trương" past "được": "chưa có chủ trương đầu tư" says what it says
    article = ("Dự án được tỉnh chấp thuận chủ trương đầu tư tháng 9. "
               "Chưa phép đã xây, chưa được chủ trương đã bán.")
    passes(article, "Chưa có chủ trương đầu tư đã bán.", check_summary)
    # a negation of a pair the article only says plainly is still added
    flagged("Dự án được tỉnh chấp thuận chủ trương đầu tư tháng 9.",
            "Dự án chưa có chủ trương đầu tư.", "negation", "changed", check_summary)


def test_summary_bao_dam_and_dam_bao_are_one_verb():
    article = ("Bộ có công văn về các giải pháp bảo đảm an toàn cho học sinh. "
               "Gần đây đã xảy ra tình trạng không đảm bảo an toàn cho học sinh.")
    passes(article, "Bộ yêu cầu tăng cường giải pháp đảm bảo an toàn.", check_summary)
    flagged("Nhà trường không bảo đảm an toàn cho học sinh.", "Nhà trường đảm bảo an toàn cho học sinh.",
            "negation", "changed", check_summary)


def test_summary_fraction_and_percentage_are_one_number():
    article = "Cuộc không kích đã phá huỷ 20% số phi cơ đang hoạt động của Syria."
    passes(article, "Cuộc không kích đã phá huỷ 1/5 số phi cơ của Syria.", check_summary)
    flagged(article, "Cuộc không kích đã phá huỷ 1/4 số phi cơ của Syria.", "number", "unsupported", check_summary)
    passes("Dự án đã giải ngân 2/3 số vốn.", "Dự án đã giải ngân 66,7% số vốn.", check_summary)
    flagged("Dự án đã giải ngân 2/3 số vốn.", "Dự án đã giải ngân 75% số vốn.", "number", "unsupported",
            check_summary)


def test_summary_regnal_number_of_a_name_the_article_gives_without_one():
    article = "Nữ hoàng Elizabeth và Hoàng thân Philip sắp kỷ niệm 70 năm ngày cưới."
    passes(article, "Nữ hoàng Elizabeth II và Hoàng thân Philip sắp kỷ niệm 70 năm ngày cưới.", check_summary)
    # an article that numbers the name: the summary's other numeral is another person
    flagged("Vua Louis XVI bị xử tử. Vua Louis trị vì nước Pháp.", "Vua Louis XIV bị xử tử.", "name", "unsupported",
            check_summary)


def test_summary_province_the_article_names_by_its_best_known_part():
    article = "Ngư dân Huế lặn biển bắt tôm hùm con ở xã Lộc Vĩnh, huyện Phú Lộc."
    passes(article, "Ngư dân ở Thừa Thiên Huế lặn biển bắt tôm hùm con.", check_summary)
    flagged(article, "Ngư dân ở Quảng Trị lặn biển bắt tôm hùm con.", "name", "unsupported", check_summary)
    passes("Khách du lịch đổ về Vũng Tàu dịp lễ.", "Khách du lịch đổ về Bà Rịa - Vũng Tàu dịp lễ.", check_summary)


def test_a_flagged_organization_is_shown_with_the_lower_case_end_of_its_name():
    article = "Thành phố đã họp về giao thông. Ông Nguyễn Văn An cho biết sẽ mở rộng đường."
    texts = {p["text"] for p in check_summary(article, "Theo Sở Y tế TP.HCM, Đảng Cộng sản Việt Nam đã họp. "
                                                       "Dịp Tết Nguyên đán, ông Trần Văn Bình cho biết sẽ nghỉ.")["problems"]}
    # Vietnamese capitalizes only the first syllables of an organization's words; a person's name ends where
    # its capitals do ("cho biết" is no part of it)
    assert {"Sở Y tế", "Đảng Cộng sản", "Tết Nguyên đán", "Trần Văn Bình"} <= texts, texts


def test_an_organization_opening_a_sentence_is_a_name_to_check():
    article = "Bộ Công an cho biết bộ phim về vụ án sẽ ra mắt. Hội nghị diễn ra ở Hà Nội."
    passes(article, "Bộ Công an cho biết phim sẽ ra mắt.", check_summary)
    passes(article, "Bộ phim về vụ án sẽ ra mắt. Hội nghị diễn ra ở Hà Nội.", check_summary)  # "Bộ", "Hội": words
    result = flagged(article, "Bộ Quốc phòng cho biết phim sẽ ra mắt.", "name", "unsupported", check_summary)
    assert [p["text"] for p in result["problems"]] == ["Bộ Quốc phòng"]


def test_summary_phrase_said_both_ways_is_judged_by_the_clause_it_repeats():
    # the summary's clause shares one word more with the negated occurrence (6) than with the other (5)
    article = ("Bão số 6 được dự báo đi vào đất liền Trung Quốc, gây mưa lớn. "
               "Dù không đi vào đất liền Việt Nam, hoàn lưu bão sẽ gây mưa.")
    passes(article, "Dù dự báo không đi vào đất liền Việt Nam, nhưng bão sẽ gây mưa lớn.", check_summary)
    flagged(article, "Dù dự báo đi vào đất liền Việt Nam, nhưng bão sẽ gây mưa lớn.", "negation", "changed",
            check_summary)
    passes(article, "Bão số 6 được dự báo đi vào đất liền Trung Quốc.", check_summary)


def test_summary_month_of_a_year_is_a_month_of_that_year():
    article = ("Ngày 7/1/2016, Công ty Xây dựng Sông Hồng trả cổ tức năm 2014 bằng tiền. "
               "Ngày 8/1/2016, Công ty Đường Biên Hoà trả cổ tức.")
    passes(article, "Các công ty trả cổ tức trong tháng 1/2016.", check_summary)
    flagged(article, "Các công ty trả cổ tức trong tháng 1/2014.", "date", "unsupported", check_summary)
    # a month the article writes without a year, in a sentence that names the year
    passes("Trong tháng 3, năm 2019 công ty lãi lớn.", "Công ty lãi lớn trong tháng 3/2019.", check_summary)


def test_negation_perturbation_keeps_whether_or_not_and_says_co_the():
    import random

    from models.evaluation.facts import perturb_negation
    for seed in range(5):
        changed = perturb_negation("They are not sure whether or not it works.", random.Random(seed), "en")
        assert changed == "They are sure whether or not it works."
    article = "Với công trình không thể thi công hệ thống hút khói, thành phố đề xuất thay cửa."
    assert perturb_negation(article, random.Random(0), "vi", article) == \
        "Với công trình có thể thi công hệ thống hút khói, thành phố đề xuất thay cửa."


# -- a fact the article states two ways: judged by the clause the summary repeats --------------------------

def test_summary_phrase_the_article_negates_and_states_is_judged_by_its_clause():
    article = ("Ông Hùng không ký hợp đồng với công ty xây dựng Phú Thành vì giá quá cao. "
               "Trong khi đó, bà Lan vẫn ký hợp đồng với đối tác cũ ở Đà Nẵng.")
    passes(article, "Ông Hùng không ký hợp đồng với công ty Phú Thành vì giá cao.", check_summary)
    passes(article, "Bà Lan vẫn ký hợp đồng với đối tác cũ ở Đà Nẵng.", check_summary)
    passes(article, "Họ ký hợp đồng.", check_summary)  # no clause to tell which: a tie says nothing
    flagged(article, "Ông Hùng ký hợp đồng với công ty Phú Thành vì giá cao.", "negation", "changed",
            check_summary)
    flagged(article, "Bà Lan không ký hợp đồng với đối tác cũ ở Đà Nẵng.", "negation", "changed", check_summary)


def test_summary_date_the_article_gives_another_event_is_changed():
    article = ("Sáng 5/3, hội nghị khai mạc tại Hà Nội với sự tham dự của 300 đại biểu. "
               "Chiều 6/3, các đại biểu thảo luận về dự toán ngân sách.")
    passes(article, "Sáng 5/3, hội nghị khai mạc tại Hà Nội với 300 đại biểu.", check_summary)
    # both dates in one sentence: the words around one are the other's too
    passes(article, "Hội nghị khai mạc tại Hà Nội sáng 5/3 và các đại biểu thảo luận chiều 6/3 về dự toán ngân sách.",
           check_summary)
    passes(article, "Ngày 6/3, hội nghị tiếp tục.", check_summary)  # too few words shared to tell
    result = flagged(article, "Sáng 6/3, hội nghị khai mạc tại Hà Nội với 300 đại biểu.", "date", "changed",
                     check_summary)
    assert [p.get("found") for p in result["problems"]] == ["5/3"]
    # the words before a date match the words before another's only: "Bộ Tài chính" opens the clause of 5/3
    deadline = ("Theo quy định, Bộ Tài chính phải nộp báo cáo kết quả kiểm tra trước ngày 10/3. Sáng 5/3, Bộ Tài "
                "chính gửi văn bản đề nghị lùi thời hạn. Bộ cho biết sẽ nộp báo cáo trước ngày 20/3.")
    passes(deadline, "Thay vì nộp báo cáo kết quả kiểm tra trước 10/3, Bộ Tài chính sẽ gửi trước 20/3.",
           check_summary)


def test_summary_year_the_article_gives_another_figure_is_changed():
    article = ("Năm 2022, doanh thu của công ty đạt 500 tỷ đồng nhờ xuất khẩu tăng mạnh. "
               "Năm 2023, lợi nhuận giảm một nửa do giá nguyên liệu tăng.")
    passes(article, "Doanh thu của công ty năm 2022 đạt 500 tỷ đồng nhờ xuất khẩu.", check_summary)
    flagged(article, "Doanh thu của công ty năm 2023 đạt 500 tỷ đồng nhờ xuất khẩu.", "date", "changed",
            check_summary)


def test_a_count_before_a_word_in_h_is_no_clock_time():
    # "1 hành khách", "5 hộ dân": a number then a word starting with h, not "1h" or "5 giờ"
    article = "Tiếp viên phát hiện một nữ hành khách co giật. Đoàn đã thăm 5 hộ dân lúc 21h30 tối 9/2."
    assert extract_facts("Tiếp viên phát hiện 1 hành khách co giật.", "vi").dates == []
    passes(article, "Tiếp viên phát hiện 1 hành khách co giật.", check_summary)
    passes(article, "Đoàn thăm 5 hộ dân lúc 21h30 tối 9/2.", check_summary)
    flagged(article, "Đoàn thăm 5 hộ dân lúc 22h30 tối 9/2.", "date", "unsupported", check_summary)


def test_a_day_and_month_after_a_late_or_early_time_of_day():
    # "chiều muộn 4-1", "sáng sớm 4-1": the article's date, which a lead writing "hôm nay 4-1" states
    for when in ("chiều muộn", "sáng sớm", "đêm khuya"):
        article = f"Căn cứ lời khai, {when} 4-1, Viện Kiểm sát đã phê chuẩn lệnh bắt Nguyễn Kim Hưng."
        passes(article, "Hôm nay 4-1, công an đã bắt Nguyễn Kim Hưng.", check_summary)
        flagged(article, "Hôm nay 5-1, công an đã bắt Nguyễn Kim Hưng.", "date", "unsupported", check_summary)


@pytest.mark.parametrize("article, faithful, unfaithful, kind", [
    # "Quốc khánh 2-9": the holiday's day and month, in the article as "Khuya 2-9", not two numbers
    ("Khuya 2-9, Công an thị xã Phước Long cho biết xe tải đã tông vào xe máy làm hai người tử vong.",
     "Cuối ngày nghỉ lễ Quốc khánh 2-9, xe tải tông vào xe máy làm 2 người tử vong.",
     "Cuối ngày nghỉ lễ Quốc khánh 3-9, xe tải tông vào xe máy.", "date"),
    # "9X" (born in the 1990s) names a generation, no number
    ("Ngày 6-6, TAND xét xử hai bị cáo sinh năm 1990 và 1996 vận chuyển 20 bánh heroin.",
     "Hai thanh niên 9X vận chuyển 20 bánh heroin.", "Hai thanh niên 9X vận chuyển 30 bánh heroin.", "number"),
])
def test_holidays_and_generations(article, faithful, unfaithful, kind):
    passes(article, faithful, check_summary)
    flagged(article, unfaithful, kind, "unsupported", check_summary)


def test_a_fraction_after_a_word_of_quantity_is_no_date():
    article = "Cứ 4 trường học ở Trung Quốc thì có 1 trường đang thử nghiệm máy chấm điểm bài luận."
    result = check_summary(article, "Gần 1/4 trường học ở Trung Quốc đang thử nghiệm máy chấm điểm.")
    assert "date" not in {p["kind"] for p in result["problems"]}, result
    flagged("Từ 15/3 đến 1/4, trường nghỉ học.", "Từ 15/3 đến 2/4, trường nghỉ học.", "date", "unsupported",
            check_summary)  # "đến 1/4": April the first


def test_a_range_before_a_unit_of_time_is_no_date():
    # "nghỉ lễ 4-5 ngày", "sớm 2-3 tháng": four or five days, two or three months
    passes("Người dân được nghỉ lễ 4-5 ngày dịp Tết.", "Người dân nghỉ 4-5 ngày.", check_summary)
    passes("Dự án hoàn thành sớm 2-3 tháng.", "Dự án về đích sớm 2-3 tháng.", check_summary)
    flagged("Dự án hoàn thành sớm 2-3 tháng.", "Dự án về đích sớm 5-6 tháng.", "number", "unsupported", check_summary)


def test_a_lower_case_9x_is_a_generation_and_10x_a_number():
    passes("Hai bị cáo sinh năm 1990 và 1996.", "Hai thanh niên 9x bị bắt.", check_summary)
    flagged("Máy ảnh có zoom 10X.", "Máy ảnh có zoom 30X.", "number", "unsupported", check_summary)
