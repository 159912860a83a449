import pytest

from models.evaluation.rouge import (bootstrap_ci, corpus_rouge, normalize_tone, published_tokenize, rouge, rouge_tokens,
                                     tokenize)
from models.text.syllables import syllable_tone, syllables


def ascii_tokenize(text):
    """The `rouge-score` default tokenizer, reimplemented: lowercase, non [a-z0-9] -> space."""
    import re

    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def test_tokenize_keeps_diacritics_drops_punct_and_underscore():
    assert tokenize("Đà_Nẵng , 12 năm tù .") == ["đà", "nẵng", "12", "năm", "tù"]
    # NFD input gives the same tokens as NFC
    import unicodedata

    assert tokenize(unicodedata.normalize("NFD", "Người Việt")) == ["người", "việt"]


def test_tone_normalization_same_on_both_sides():
    assert normalize_tone("hòa") == normalize_tone("hoà") == "hoà"
    assert normalize_tone("thủy") == normalize_tone("thuỷ") == "thuỷ"
    assert normalize_tone("khỏe") == "khoẻ"
    # syllables whose placement does not vary are untouched
    for w in ["người", "của", "quả", "già", "hoàn", "ngoài", "tuần", "thuở", "cứu"]:
        assert normalize_tone(w) == w
    assert rouge("hòa bình thủy lợi", "hoà bình thuỷ lợi")["rouge1"].fmeasure == 1.0


def test_hand_computed_example():
    # cand tokens: công an bắt giữ đối tượng                    (6)
    # ref tokens:  công an đã bắt giữ hai đối tượng             (8)
    # ROUGE-1: overlap 6 -> P = 6/6 = 1, R = 6/8 = 0.75, F = 2*1*0.75/1.75 = 0.857142...
    # ROUGE-2: cand bigrams 5, ref bigrams 7, common {công an, bắt giữ, đối tượng} = 3
    #          P = 3/5, R = 3/7, F = 2*(9/35)/(36/35) = 0.5
    # ROUGE-L: LCS = 6 (whole candidate) -> same as ROUGE-1 here: 0.857142...
    s = rouge("Công an bắt giữ đối tượng", "Công an đã bắt giữ hai đối tượng .")
    assert s["rouge1"].precision == 1.0 and s["rouge1"].recall == 0.75
    assert s["rouge1"].fmeasure == pytest.approx(6 / 7)
    assert s["rouge2"].precision == pytest.approx(0.6) and s["rouge2"].recall == pytest.approx(3 / 7)
    assert s["rouge2"].fmeasure == pytest.approx(0.5)
    assert s["rougeL"].fmeasure == pytest.approx(6 / 7)


def test_rouge_l_lcs_and_clipping():
    # cand: a b c a ; ref: a c b  -> LCS 2 (a b or a c): P = 2/4, R = 2/3, F = 2*(1/3)/(7/6) = 4/7
    s = rouge_tokens(["a", "b", "c", "a"], ["a", "c", "b"])
    assert s["rougeL"].fmeasure == pytest.approx(4 / 7)
    # ROUGE-1 clipping: cand a a a vs ref a b -> overlap min(3,1)=1: P=1/3, R=1/2, F=0.4
    assert rouge_tokens(["a", "a", "a"], ["a", "b"])["rouge1"].fmeasure == pytest.approx(0.4)


def test_empty():
    s = rouge("", "có nội dung")
    assert s["rouge1"].fmeasure == 0.0 and s["rougeL"].fmeasure == 0.0


def test_ascii_tokenizer_fragments_vietnamese_and_inflates():
    # "người đẹp" vs "ngồi đợi": different words, no common syllable -> ours: 0.
    # ASCII tokenizer: "người" -> "ng i", "đẹp" -> "p", "ngồi" -> "ng i", "đợi" -> "i"
    # cand [ng, i, p], ref [ng, i, i]: overlap 2 -> P = R = F = 2/3.
    cand, ref = "người đẹp", "ngồi đợi"
    assert ascii_tokenize(cand) == ["ng", "i", "p"]
    assert ascii_tokenize(ref) == ["ng", "i", "i"]
    assert rouge(cand, ref)["rouge1"].fmeasure == 0.0
    assert rouge_tokens(ascii_tokenize(cand), ascii_tokenize(ref))["rouge1"].fmeasure == pytest.approx(2 / 3)
    # on a realistic pair the ASCII score is inflated too
    c = "Người dân được hỗ trợ tiền điện trong tháng này"
    r = "Những người được giúp đỡ đã nhận tiền ở địa phương"
    ours = rouge(c, r)["rouge1"].fmeasure
    asc = rouge_tokens(ascii_tokenize(c), ascii_tokenize(r))["rouge1"].fmeasure
    assert asc > ours


def test_bootstrap_ci():
    assert bootstrap_ci([0.5] * 20) == (0.5, 0.5)
    vals = [i / 100 for i in range(100)]
    lo, hi = bootstrap_ci(vals, n_resamples=300)
    assert lo < sum(vals) / len(vals) < hi
    agg = corpus_rouge([("a b", "a b"), ("a", "b")], n_resamples=50)
    assert agg["rouge1"]["f"] == pytest.approx(0.5) and agg["rouge1"]["n"] == 2


def test_tokenizer_lives_in_models_text():
    assert tokenize is syllables and normalize_tone is syllable_tone
    assert syllables("Thủy_điện Hòa Bình") == ["thuỷ", "điện", "hoà", "bình"]


def test_published_tokenizer_deletes_non_ascii_letters():
    # the `rouge` scorer's default: lowercase, anything outside [a-z0-9] is a space
    assert published_tokenize("Việt") == ["vi", "t"]
    assert published_tokenize("Người Việt ở Đà_Nẵng , năm 2019 .") == ["ng", "i", "vi", "t", "n", "ng", "n", "m", "2019"]
    assert published_tokenize("được") == ["c"]
    assert published_tokenize("") == []
    # segmented and de-segmented text tokenize the same
    assert published_tokenize("tuyên_phạt , 12 năm tù .") == published_tokenize("tuyên phạt , 12 năm tù .")
    # no normalization: an NFD "ệ" keeps its base "e", as the published scorer would
    import unicodedata

    assert published_tokenize(unicodedata.normalize("NFD", "Việt")) == ["vie", "t"]
