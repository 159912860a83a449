"""Token-aware chunking with a fake whitespace tokenizer."""

import random

import pytest

from models.text.chunk import _pack, chunk_sentences, split_long_sentence
from models.text.segment import split_sentences


def count_words(text: str) -> int:
    return len(text.split())


def _norm(text: str) -> str:
    return " ".join(text.split())


def _article(n_words: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    vocab = "công an quận đã tổ chức hội nghị về an ninh trật tự trên địa bàn thành phố năm nay".split()
    sentences, total = [], 0
    while total < n_words:
        k = rng.choice([8, 15, 25, 40, 120, 300])  # a few run-on sentences over the window
        words = [rng.choice(vocab) for _ in range(k)]
        for i in range(6, k, 7):
            words[i] += ","
        sentences.append("Ông " + " ".join(words) + ".")
        total += k + 1
    return sentences


def test_long_article_chunks_under_window_nothing_lost():
    sentences = _article(6000)
    assert sum(map(count_words, sentences)) >= 6000
    chunks = chunk_sentences(sentences, count_words, window=256)
    assert all(count_words(" ".join(c)) <= 256 for c in chunks)
    assert _norm(" ".join(s for c in chunks for s in c)) == _norm(" ".join(sentences))
    assert len(chunks) >= 6000 // 256


def test_short_sentences_are_packed_in_order():
    sentences = ["Một hai ba.", "Bốn năm.", "Sáu bảy tám chín.", "Mười."]
    assert chunk_sentences(sentences, count_words, window=5) == [
        ["Một hai ba.", "Bốn năm."], ["Sáu bảy tám chín.", "Mười."]
    ]
    assert chunk_sentences([], count_words, window=5) == []


def test_long_sentence_splits_at_commas():
    sentence = ("Lực lượng công an đã phát huy vai trò, thực hiện tốt chức năng nhiệm vụ, "
                "kịp thời tham mưu cho quận ủy, xử lý các tình huống phức tạp.")
    pieces = split_long_sentence(sentence, count_words, window=9)
    assert pieces == [
        "Lực lượng công an đã phát huy vai trò,",
        "thực hiện tốt chức năng nhiệm vụ,",
        "kịp thời tham mưu cho quận ủy,",
        "xử lý các tình huống phức tạp.",
    ]


def test_semicolon_before_comma():
    sentence = "a b, c d; e f, g h"
    assert split_long_sentence(sentence, count_words, window=4) == ["a b, c d;", "e f, g h"]


def test_conjunction_and_word_fallback():
    sentence = "trời mưa rất to suốt đêm qua nhưng sáng nay đường phố đã khô ráo hoàn toàn"
    pieces = split_long_sentence(sentence, count_words, window=8)
    assert pieces[1].startswith("nhưng ")
    assert all(count_words(p) <= 8 for p in pieces)
    words = " ".join(f"từ{i}" for i in range(25))
    pieces = split_long_sentence(words, count_words, window=10)
    assert [count_words(p) for p in pieces] == [10, 10, 5]
    assert _norm(" ".join(pieces)) == words


def test_short_sentence_unchanged_and_window_validation():
    assert split_long_sentence("  Ngắn gọn.  ", count_words, window=10) == ["Ngắn gọn."]
    assert split_long_sentence("", count_words, window=10) == []
    with pytest.raises(ValueError):
        split_long_sentence("x", count_words, window=0)


def test_pipeline_on_real_style_text():
    text = ("Chiều ngày 22/7, Công an và Ban Chỉ huy Quân sự Quận 3 đã tổ chức Hội nghị. "
            "Cả 02 lực lượng đã chủ động bám sát chủ trương; chủ động xây dựng kế hoạch, phương án xử lý.")
    chunks = chunk_sentences(split_sentences(text), count_words, window=12)
    assert all(count_words(" ".join(c)) <= 12 for c in chunks)
    assert _norm(" ".join(s for c in chunks for s in c)) == _norm(text)


def _greedy_reference(pieces, count, window):
    """The packing as first written: add pieces one by one while the chunk fits."""
    chunks, current = [], []
    for piece in pieces:
        if current and count(" ".join([*current, piece])) > window:
            chunks.append(current)
            current = []
        current.append(piece)
    return chunks + ([current] if current else [])


def test_packing_by_bisection_equals_one_by_one_greedy_packing():
    rng = random.Random(7)
    words = ["a", "bb", "ccc dd", "Hà Nội", "thành phố Hồ Chí Minh", "x " * 9]
    for _ in range(300):
        sentences = [rng.choice(words) for _ in range(rng.randint(1, 40))]
        window = rng.randint(1, 12)
        assert _pack(sentences, count_words, window) == _greedy_reference(sentences, count_words, window)


def test_long_sentence_without_punctuation_costs_few_token_counts():
    calls = []

    def counting(text):
        calls.append(len(text))
        return len(text.split())

    sentence = "chữ " * 20_000
    pieces = split_long_sentence(sentence, counting, 500)
    assert [len(p.split()) for p in pieces] == [500] * 40
    assert sum(calls) < 40 * len(sentence)  # one-by-one packing counted ~500 growing texts per piece
