import json

import pytest

from models.evaluation.debris import check_summary, evaluate_debris
from models.evaluation.summarization import evaluate_summarization, extractive_fn, lead_fn
from models.evaluation.translation import evaluate_translation

RECORDS = [
    {"id": "a1", "title": "Bắt giữ đối tượng vận chuyển ma tuý",
     "article": "Công an bắt giữ hai đối tượng vận chuyển ma tuý .\nHai đối tượng bỏ chạy khi thấy tổ tuần tra .\n"
                "Tổ tuần tra đã thu giữ tang vật .",
     "summary": "Công an bắt giữ hai đối tượng vận chuyển ma tuý ."},
    {"id": "a2", "title": "Giá xăng giảm",
     "article": "Thời tiết hôm nay đẹp .\nGiá xăng giảm mạnh từ chiều nay theo quyết định của liên Bộ .\n"
                "Nhiều người đi đổ xăng .",
     "summary": "Giá xăng giảm mạnh từ chiều nay ."},
]


def test_lead_and_extractive(tmp_path):
    res = evaluate_summarization(RECORDS, lead_fn(1), out_dir=tmp_path, name="lead1", n_resamples=50)
    assert res["system"]["rouge1"]["n"] == 2
    assert set(res["baselines"]) == {"lead-1", "lead-2", "lead-3"}
    # a1 LEAD-1 is the reference exactly -> F1 = 1; a2 lead shares nothing -> mean < 1
    assert res["baselines"]["lead-1"]["rouge1"]["f"] == pytest.approx(res["system"]["rouge1"]["f"])
    assert (tmp_path / "lead1.json").exists() and (tmp_path / "lead1.md").exists()
    ext = evaluate_summarization(RECORDS, extractive_fn(), n_resamples=50, baselines=())
    assert ext["system"]["rouge1"]["f"] > res["system"]["rouge1"]["f"]
    assert "mean_words" in ext["system"]


def test_published_style_column_uses_the_segmented_reference(tmp_path):
    rec = {"id": "p1", "title": "Công an bắt giữ đối tượng",
           "article": "Công an bắt giữ hai đối tượng .\nHai đối tượng bỏ chạy .",
           "summary": "Công an bắt giữ hai đối tượng .",
           "original_tokenized": {"summary": "Công_an bắt_giữ hai đối_tượng ."}}
    res = evaluate_summarization([rec], lead_fn(1), out_dir=tmp_path, name="pub", n_resamples=10)
    pub = res["system"]["published"]
    assert pub["rouge1"]["f"] == pytest.approx(1.0) and pub["rougeL"]["f"] == pytest.approx(1.0)
    assert "published" in res["baselines"]["lead-2"]
    assert "published-style" in (tmp_path / "pub.md").read_text(encoding="utf-8")
    # the ASCII tokenizer credits fragments: "Hai đối tượng bỏ chạy" shares "i", "t", "ng"... with the reference
    other = evaluate_summarization([dict(rec, article="Hai đối tượng bỏ chạy .")], lead_fn(1), n_resamples=10,
                                   baselines=())["system"]
    assert other["published"]["rouge1"]["f"] > other["rouge1"]["f"]
    # records without original_tokenized have no published column
    plain = evaluate_summarization(RECORDS, lead_fn(1), n_resamples=10, baselines=())
    assert "published" not in plain["system"]


def test_resumable(tmp_path):
    calls = []

    def fn(rec):
        calls.append(rec["id"])
        return rec["summary"]

    evaluate_summarization(RECORDS[:1], fn, out_dir=tmp_path, name="r", n_resamples=10)
    res = evaluate_summarization(RECORDS, fn, out_dir=tmp_path, name="r", n_resamples=10)
    assert calls == ["a1", "a2"]  # a1 was not recomputed
    assert res["n_computed_now"] == 1 and res["system"]["rouge1"]["f"] == pytest.approx(1.0)
    lines = (tmp_path / "r.records.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a1", "a2"]


def test_translation_scores_and_resume(tmp_path):
    recs = [
        {"id": "t1", "vi": "Xin chào.", "en": "Hello there, my friend.", "source": "iwslt15-ted-tst2012"},
        {"id": "t2", "vi": "Cảm ơn.", "en": "Thank you very much indeed.", "source": "iwslt15-ted-tst2012"},
        {"id": "t3", "vi": "Tin tức.", "en": "The news of the day is good.", "source": "ntrex-128"},
    ]
    table = {r["vi"]: r["en"] for r in recs}
    seen = []

    def tr(batch):
        seen.extend(batch)
        return [table[x] for x in batch]

    res = evaluate_translation(recs[:2], tr, out_dir=tmp_path, name="tr", model="dummy", settings={"num_beams": 1})
    res = evaluate_translation(recs, tr, out_dir=tmp_path, name="tr", model="dummy", settings={"num_beams": 1})
    assert len(seen) == 3
    assert set(res["by_source"]) == {"iwslt15-ted", "ntrex-128"}
    assert res["by_source"]["ntrex-128"]["bleu"] == pytest.approx(100.0)
    assert res["by_source"]["iwslt15-ted"]["chrf++"] == pytest.approx(100.0)
    assert res["model"] == "dummy" and res["settings"] == {"num_beams": 1}


def test_debris_checks():
    assert check_summary("Giá xăng giảm mạnh từ chiều nay theo quyết định của liên Bộ.") == []
    assert "html" in check_summary("Giá &quot;xăng&quot; giảm mạnh từ chiều nay.")
    assert "html" in check_summary("Giá xăng <b>giảm</b> mạnh từ chiều nay.")
    assert "caption" in check_summary("Toàn cảnh hội nghị diễn ra sáng nay. Ảnh: Lê Minh")
    assert "promo" in check_summary("Mời quý độc giả theo dõi các tin tức mới nhất trên trang.")
    s = "Giá xăng giảm mạnh từ chiều nay. Giá xăng giảm mạnh từ chiều nay."
    assert "repeated_sentence" in check_summary(s)
    # what is left of a credit broken over lines
    assert "broken_parenthesis" in check_summary("Bali là hòn đảo đẹp. avirtualvoyage.net)")
    assert "broken_parenthesis" in check_summary("Bali là hòn đảo đẹp (Ảnh:")
    assert check_summary("Giá xăng E5 (loại phổ biến) giảm mạnh từ chiều nay.") == []
    # widget words and a headline repeated as the summary: the patterns strip_debris removes
    assert "find_debris" in check_summary("leftcenterrightdel\nGiá xăng giảm mạnh từ chiều nay.")
    assert "find_debris" in check_summary("Giá xăng giảm mạnh", title="Giá xăng giảm mạnh")


def test_debris_rate_of_the_service_pipeline():
    """The default summarizer is the service's own path: debris in the article stays out of the summary."""
    article = ("Giá xăng giảm lần thứ ba\n\nTừ 15h chiều nay, giá xăng E5 giảm 500 đồng mỗi lít.\n"
               "Liên Bộ Công Thương - Tài chính cho biết mức giảm phản ánh giá thế giới.\n\n"
               "leftcenterrightdel\n Cây xăng trên đường Lê Duẩn.\n\nMinh Anh")
    res = evaluate_debris([{"id": "x", "text": article}])
    assert res["n_with_debris"] == 0


def test_caption_broken_over_lines_stays_out_of_the_pipeline_summary():
    from models import pipeline
    from models.runtime import Runtime, RuntimeConfig

    runtime = Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load()
    tail = "Du khách có thể thuê xe máy để đi khắp đảo với giá khoảng 100.000 đồng mỗi ngày."
    for article in ("Bali là hòn đảo nổi tiếng của Indonesia với nhiều bãi biển đẹp và đền cổ.\n(Ảnh: \n"
                    "avirtualvoyage.net\n)\n" + tail,
                    "Bali là hòn đảo nổi tiếng của Indonesia với nhiều bãi biển đẹp và đền cổ (Ảnh: \n"
                    "avirtualvoyage.net\n)\n" + tail):
        for n in (None, 3):
            options = pipeline.SummaryOptions(method="extractive", max_sentences=n)
            summary = pipeline.summarize(runtime, article, "Du lịch Bali mùa thu", "text", options).summary
            assert check_summary(summary) == [] and "Ảnh" not in summary and "avirtualvoyage" not in summary, summary
    res = evaluate_debris([{"id": "bali", "text": "Du lịch Bali mùa thu\n\n" + article}])
    assert res["n_with_debris"] == 0, res["examples"]


def test_debris_rate(tmp_path):
    recs = [{"id": "b1", "text": "Tiêu đề\n\nĐoạn văn một."}, {"id": "b2", "text": "Tiêu đề\n\nĐoạn văn hai."}]
    outs = {"b1": "Giá xăng giảm mạnh từ chiều nay.", "b2": "Giá &amp; xăng giảm mạnh."}
    res = evaluate_debris(recs, lambda raw: outs["b1" if "một" in raw else "b2"], out_dir=tmp_path)
    assert res["n_with_debris"] == 1 and res["debris_rate"] == pytest.approx(0.5)
    assert (tmp_path / "debris.json").exists()


def test_cli_eval_summarize_lead(tmp_path, capsys):
    import argparse

    from service.commands import eval as ev

    data = tmp_path / "d.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    ev.register(sub)
    for method in ("lead-2", "extractive"):
        args = parser.parse_args(["eval", "summarize", "--data", str(data), "--method", method, "--out", str(tmp_path)])
        assert args.func(args) == 0
    assert "ROUGE-1" in capsys.readouterr().out
    args = parser.parse_args(["eval", "quality", "--data-dir", str(tmp_path / "missing"),
                              "--output", str(tmp_path / "Q.md")])
    assert args.func(args) == 2


def test_the_extractive_score_is_of_the_summary_the_service_returns():
    """The evaluation scores what the pipeline returns for the same sentences: an opener that pointed outside
    the sentence is not scored, since no user gets it; the sentences as chosen are the other rendering."""
    from models.pipeline import SummaryOptions, _extractive
    from models.runtime import Runtime

    rec = {"id": "o1", "title": "Giá xăng giảm mạnh",
           "article": "Chiều 16-5 , giá xăng giảm mạnh theo quyết định của liên Bộ Công Thương - Tài chính .\n"
                      "Tuy nhiên , nhiều cây xăng vẫn bán theo giá cũ trong buổi chiều .",
           "summary": "Giá xăng giảm mạnh theo quyết định của liên Bộ ."}
    sentences = rec["article"].split("\n")
    summary = extractive_fn()(rec)
    served = _extractive(Runtime(), sentences, rec["title"], SummaryOptions(method="extractive"))
    assert summary == " ".join(served)  # what the service returns for the same sentences
    assert summary.startswith("Giá xăng giảm mạnh") and "Chiều 16-5" not in summary
    assert extractive_fn(served=False)(rec).startswith("Chiều 16-5")  # the sentences as they stand


def test_extractive_fit_evaluate_scores_both_renderings():
    """``python -m models.evaluation.extractive_fit evaluate``: the chosen sentences as they stand, and as the
    service returns them; a trimmed date opener makes the served summary shorter and closer to the lead."""
    from models.evaluation.extractive_fit import evaluate

    rec = {"id": "e1", "title": "Giá xăng giảm mạnh",
           "article": "Chiều 16-5 , giá xăng giảm mạnh theo quyết định của liên Bộ Công Thương - Tài chính .\n"
                      "Nhiều cây xăng vẫn bán theo giá cũ trong buổi chiều .",
           "summary": "Giá xăng giảm mạnh theo quyết định của liên Bộ Công Thương - Tài chính ."}
    res = evaluate(None, [rec])
    chosen, served = res["as chosen"], res["as served"]
    assert served["mean_words"] < chosen["mean_words"]
    assert served["rouge1"]["f"] > chosen["rouge1"]["f"] and served["rougeL"]["f"] > chosen["rougeL"]["f"]
