import json
import subprocess
import sys

import pytest

import numpy as np

from models.evaluation.extractive_fit import cross_validate, fit, prepare, train, training_matrix
from models.extractive import (CANDIDATE_FEATURES, DEFAULT_WEIGHTS, FEATURES, MODEL_PATH, ExtractiveSummarizer, Trees,
                               candidate_summaries, is_junk_sentence)

ARTICLE = [
    "Chiều ngày 22/7, Công an và Ban Chỉ huy Quân sự Quận 3 tổ chức Hội nghị sơ kết 6 tháng đầu năm 2022 về thực hiện Nghị định 03.",
    "Ảnh: Lê Minh Tuấn",
    "Hội nghị do đồng chí Võ Văn Đức, Phó Bí thư Quận ủy, Chủ tịch UBND Quận 3 chủ trì.",
    "Lực lượng Công an và Quân sự Quận 3 đã phối hợp tốt trong việc bảo vệ an ninh quốc gia và trật tự an toàn xã hội trên địa bàn quận.",
    "Tuy nhiên , vẫn còn một số hạn chế cần khắc phục trong thời gian tới .",
    "Phát biểu tại Hội nghị, Chủ tịch UBND Quận 3 đề nghị hai lực lượng tiếp tục phối hợp thực hiện Nghị định 03 trong 6 tháng cuối năm.",
    "Lê Minh Tuấn",
]
TITLE = "Quận 3 sơ kết 6 tháng thực hiện Nghị định 03 về phối hợp Công an và Quân sự"


def test_returns_sorted_indices_within_limits():
    s = ExtractiveSummarizer()
    idx = s.summarize(ARTICLE, TITLE)
    assert idx == sorted(idx) and 1 <= len(idx) <= 2
    assert len(set(idx)) == len(idx)
    assert sum(len(ARTICLE[i].split()) for i in idx) <= 60 or len(idx) == 1
    assert all(0 <= i < len(ARTICLE) for i in idx)


def test_skips_captions_and_bylines():
    for n in (1, 2, 3, 4):
        idx = ExtractiveSummarizer().summarize(ARTICLE, TITLE, max_sentences=n, max_words=500)
        assert 1 not in idx and 6 not in idx
    assert is_junk_sentence("Ảnh: Lê Minh Tuấn")
    assert is_junk_sentence("Toàn cảnh hội nghị. (Ảnh: TTXVN)")
    assert is_junk_sentence("Lê Minh Tuấn")
    assert is_junk_sentence("!!! ... ???")
    assert is_junk_sentence("Giá &quot;vàng&quot; hôm nay tăng mạnh ở Hà Nội")
    assert not is_junk_sentence(ARTICLE[0])


def test_lengths_and_edge_cases():
    s = ExtractiveSummarizer()
    assert s.summarize([]) == []
    assert s.summarize(["Một câu duy nhất trong bài viết này thôi."]) == [0]
    assert len(s.summarize(ARTICLE, TITLE, max_sentences=1)) == 1
    assert s.summarize(ARTICLE, TITLE, max_sentences=0) == []
    # every sentence is junk -> still returns something
    assert len(s.summarize(["Ảnh: A", "PV"])) == 1
    # no title works too
    assert s.summarize(ARTICLE) == sorted(s.summarize(ARTICLE))


def test_title_is_used():
    sents = [
        "Thời tiết hôm nay ở thành phố khá đẹp và nhiều người dân ra đường đi dạo buổi sáng.",
        "Giá xăng dầu trong nước được điều chỉnh giảm mạnh từ 15 giờ chiều nay theo quyết định của liên Bộ.",
        "Các cửa hàng bán lẻ cho biết lượng khách đến mua hàng trong ngày khá ổn định như mọi khi.",
    ]
    idx = ExtractiveSummarizer().summarize(sents, "Giá xăng dầu giảm mạnh từ chiều nay", max_sentences=1)
    assert idx == [1]


def test_title_repeated_as_a_sentence_is_never_the_summary():
    title = "Mỹ tin tưởng Hàn Quốc không đảo ngược quyết định triển khai THAAD"
    sents = [title + ".", "Bộ Ngoại giao Mỹ cho biết Washington tin rằng Seoul sẽ giữ cam kết triển khai hệ thống THAAD.",
             "Hệ thống phòng thủ tên lửa này được đặt tại tỉnh Bắc Gyeongsang từ đầu năm nay."]
    for n in (None, 1, 2):
        assert 0 not in ExtractiveSummarizer().summarize(sents, title, max_sentences=n)
    assert ExtractiveSummarizer().summarize(sents) != []  # without the title it is an ordinary sentence


def test_redundancy_not_repeated():
    s = "Ủy ban nhân dân tỉnh quyết định tạm dừng hoạt động của các quán karaoke từ ngày mai để phòng dịch."
    sents = [s, s, "Người dân được khuyến cáo hạn chế ra khỏi nhà khi không cần thiết trong những ngày tới."]
    idx = ExtractiveSummarizer().summarize(sents, "Tạm dừng karaoke để phòng dịch")
    assert idx != [0, 1]


def test_default_weights_without_file():
    s = ExtractiveSummarizer(weights=DEFAULT_WEIGHTS)
    assert s.source == "default"
    assert 1 <= len(s.summarize(ARTICLE, TITLE)) <= 2


def test_shipped_model_is_small_trees_and_loads():
    assert MODEL_PATH.exists(), "models/extractive_model.json is the shipped model"
    assert MODEL_PATH.stat().st_size < 4_000_000
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model["features"] == FEATURES and "trees" in model
    assert model["trained_on"]["command"].startswith("python -m models.evaluation.extractive_fit train")
    s = ExtractiveSummarizer()
    assert s.source == "learned" and isinstance(s._scorer, Trees)
    assert s.selection["max_words"] == model["selection"]["max_words"]


def test_tree_walk_by_hand():
    # one tree: x[title_uni] <= 0.5 ? (x[pos0] <= 0.5 ? 1 : 2) : 3 ; a second tree: a single leaf 0.25
    tu, p0 = FEATURES.index("title_uni"), FEATURES.index("pos0")
    spec = {"columns": [tu, p0], "depth": 2, "base": 0.0, "roots": [0, 5],
            "feature": [0, 1, 0, 0, 0, 0], "threshold": [0.5, 0.5, 0, 0, 0, 0],
            "left": [1, 2, 2, 3, 4, 5], "right": [4, 3, 2, 3, 4, 5], "value": [0, 0, 1.0, 2.0, 3.0, 0.25]}
    X = np.zeros((4, len(FEATURES)))
    X[1, p0] = 1.0
    X[2, tu] = 0.9
    X[3, tu], X[3, p0] = 0.5, 1.0  # == threshold goes left
    assert Trees(spec).predict(X).tolist() == [1.25, 2.25, 3.25, 2.25]


def _records(k=10):
    # The reference is always the sentence that matches the title, wherever it stands: the
    # scorer has to learn title overlap from the training articles to find it in new ones.
    body = [x for x in ARTICLE if not is_junk_sentence(x)]
    recs = []
    for i in range(k):
        sents = body[i % len(body):] + body[:i % len(body)]
        recs.append({"id": str(i), "title": TITLE, "article": "\n".join(sents), "summary": ARTICLE[0]})
    return recs


def test_fit_linear_on_tiny_records(tmp_path):
    model = fit(prepare(_records(6)), learner="linear")
    assert set(model["weights"]) >= {"bias", "title_uni", "doc_cos"}
    path = tmp_path / "w.json"
    path.write_text(json.dumps(model))
    assert ExtractiveSummarizer(path).summarize(ARTICLE, TITLE)


def test_fit_trees_matches_lightgbm_and_serves(tmp_path):
    import lightgbm  # noqa: F401 - in the dev extra that `make test` installs: missing is a failure, not a skip
    prep = prepare(_records(40))
    # fit_trees checks the numpy walk against LightGBM's own predictions on the validation rows
    model = fit(prep[:30], learner="trees", valid=prep[30:], threads=1,
                params={"min_data_in_leaf": 5, "min_data_in_bin": 1, "bagging_fraction": 1.0})
    assert model["trees"]["depth"] >= 1 and model["trained_on"]["trees"] >= 1
    summ = ExtractiveSummarizer(model)
    X, _, _ = training_matrix(prep[30:])
    assert summ.score_rows(X).shape == (len(X),)
    assert summ.summarize(ARTICLE, TITLE, max_sentences=1) == [0]


def test_candidate_summaries_are_singles_and_pairs_within_budget():
    toks = [["a"] * 3, ["b", "c"], ["a"] * 3, ["d", "e", "f"], ["g"]]
    nwords = [30, 20, 30, 50, 10]
    scores = [0.9, 0.8, 0.85, 0.5, 0.1]
    sent = np.arange(5 * len(FEATURES), dtype=float).reshape(5, len(FEATURES))
    combos, rows = candidate_summaries(scores, toks, nwords, [0, 1, 2, 3], "tiêu đề", max_words=60, rows=sent)
    assert rows.shape == (len(combos), len(CANDIDATE_FEATURES))
    assert combos[:4] == [(0,), (2,), (1,), (3,)]  # the best sentences alone, best first
    pairs = combos[4:]
    assert all(a < b and nwords[a] + nwords[b] <= 60 for a, b in pairs)
    assert (0, 2) not in pairs  # near-duplicates are not a summary
    assert set(pairs) == {(0, 1), (1, 2)}
    # each candidate also carries a few features of its first and second sentence
    j, ja, jb = FEATURES.index("title_cos"), CANDIDATE_FEATURES.index("a_title_cos"), CANDIDATE_FEATURES.index("b_title_cos")
    r01 = combos.index((0, 1))
    assert rows[r01, ja] == sent[0, j] and rows[r01, jb] == sent[1, j]
    assert rows[combos.index((3,)), jb] == -1.0  # a single has no second sentence


def test_training_command_end_to_end(tmp_path):
    """The one training command on a tiny training file: both stages, and the model serves."""
    import lightgbm  # noqa: F401 - in the dev extra that `make test` installs: missing is a failure, not a skip
    import gzip

    recs = _records(60)
    with gzip.open(tmp_path / "summarization_vietnews_train.jsonl.gz", "wt", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(dict(r, id=f"vietnews-train-{r['id']}"), ensure_ascii=False) + "\n")
    out = tmp_path / "model.json"
    model = train(tmp_path, out, cache=False, threads=1, log=lambda *a: None)
    assert "rerank" in model and set(model["trained_on"]["validation"]) == {
        "sentence model + MMR selection", "two stages (sentence model, then candidate summaries scored whole)"}
    summ = ExtractiveSummarizer(out)
    assert summ.reranks
    idx = summ.summarize(ARTICLE, TITLE)
    assert 1 <= len(idx) <= 2 and 1 not in idx and 6 not in idx
    assert len(summ.summarize(ARTICLE, TITLE, max_sentences=3, max_words=500)) == 3  # a length asked: MMR


def test_shipped_model_reranks_by_default_and_honours_asked_lengths():
    s = ExtractiveSummarizer()
    assert s.reranks
    assert len(s.summarize(ARTICLE, TITLE, max_sentences=3, max_words=500)) == 3
    assert len(s.summarize(ARTICLE, TITLE, max_sentences=1)) == 1
    assert ExtractiveSummarizer(max_sentences=3).reranks is False


def test_cross_validation_scores_held_out_articles():
    res = cross_validate(_records(10), folds=5)
    assert res["folds"] == 5
    assert res["rouge1"]["f"] > 0.6  # LEAD-1 would score the right sentence in 2 of 10 articles
    assert res["mean_words"] <= 60


def test_serving_imports_no_evaluation_training_torch_or_flask():
    code = ("import sys, models.extractive; "
            "print(sorted(m for m in sys.modules if m.startswith('models.evaluation') or "
            "m.split('.')[0] in ('torch', 'flask', 'lightgbm', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_torch_or_flask_import():
    code = ("import sys, models.extractive, models.langid, models.evaluation.rouge, "
            "models.evaluation.summarization, models.evaluation.translation, models.evaluation.debris, "
            "models.evaluation.extractive_fit; "
            "print('torch' in sys.modules, 'flask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
