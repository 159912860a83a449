"""Each profile's conventions, checked on a tiny replica of its family loaded the real way."""

from __future__ import annotations

import pytest

from models.abstractive import AbstractiveSummarizer
from models.backends import GenerationOptions, load_backend
from models.profiles import PROFILES
from models.seq2seq import Seq2SeqModel
from models.translate import Translator

GREEDY = GenerationOptions(num_beams=1, max_new_tokens=4, min_new_tokens=2)


class Recording:
    """Wraps a real backend and records what the model was given."""

    def __init__(self, backend):
        self.inner = backend
        self.inputs: list[str] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def generate(self, texts, options):
        self.inputs.extend(texts)
        return self.inner.generate(texts, options)

    def generate_detailed(self, texts, options):
        self.inputs.extend(texts)
        detailed = getattr(self.inner, "generate_detailed", None)
        return detailed(texts, options) if detailed else (self.inner.generate(texts, options), None)


def load(replica, profile_id: str) -> Seq2SeqModel:
    profile = PROFILES[profile_id]
    backend = Recording(load_backend("torch", str(replica(profile_id)), profile, device="cpu", threads=1))
    return Seq2SeqModel(str(replica(profile_id)), profile, backend)


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_every_profile_loads_and_generates(replica, profile_id):
    model = load(replica, profile_id)
    out = model.generate(["Chiều ngày 22/7, Công an Quận 3 họp.", "Giá vàng tăng mạnh."], GREEDY)
    assert len(out) == 2 and all(isinstance(o, str) for o in out)
    assert model.backend.inner.model.config.model_type == PROFILES[profile_id].family


@pytest.mark.parametrize("profile_id, prefix", [
    ("VietAI/vit5-large-vietnews-summarization", "vietnews: "),
    ("VietAI/envit5-translation", "vi: "),
    ("VietAI/vit5-base-vietnews-summarization", ""),
    ("Helsinki-NLP/opus-mt-vi-en", ""),
])
def test_input_prefix_reaches_the_model(replica, profile_id, prefix):
    model = load(replica, profile_id)
    model.generate(["Hà Nội mưa to."], GREEDY)
    assert model.backend.inputs == [prefix + "Hà Nội mưa to."]


def test_envit5_output_prefix_is_stripped(replica):
    model = load(replica, "VietAI/envit5-translation")
    assert model._strip_output("en: Hanoi is rainy.") == "Hanoi is rainy."
    assert model._strip_output("Hanoi is rainy.") == "Hanoi is rainy."
    assert load(replica, "Helsinki-NLP/opus-mt-vi-en")._strip_output("en: x") == "en: x"  # only where the profile says


@pytest.mark.parametrize("profile_id, expected", [
    ("vinai/vinai-translate-vi2en-v2", "hoà bình và sức khoẻ"),   # VinAI: new-style tone marks
    ("VietAI/envit5-translation", "hòa bình và sức khỏe"),        # ViT5/EnViT5: NFC only
    ("facebook/nllb-200-distilled-600M", "hòa bình và sức khỏe"),
])
def test_tone_normalization_only_where_the_profile_says(replica, profile_id, expected):
    model = load(replica, profile_id)
    model.generate(["hòa bình và sức khỏe"], GREEDY)
    assert model.backend.inputs[-1].endswith(expected)


def test_mbart_source_code_and_decoder_start(replica):
    model = load(replica, "vinai/vinai-translate-vi2en-v2")
    backend, tok = model.backend.inner, model.backend.inner.tokenizer
    ids = tok("Xin chào.")["input_ids"]
    assert tok.convert_tokens_to_ids("vi_VN") in ids
    out = backend.generate_ids(["Xin chào."], GREEDY)
    assert out[0][0].item() == tok.convert_tokens_to_ids("en_XX")  # decoding starts with en_XX


def test_nllb_source_code_and_forced_target(replica):
    model = load(replica, "facebook/nllb-200-distilled-600M")
    backend, tok = model.backend.inner, model.backend.inner.tokenizer
    assert tok.convert_tokens_to_ids("vie_Latn") in tok("Xin chào.")["input_ids"]
    out = backend.generate_ids(["Xin chào."], GREEDY)
    assert out[0][1].item() == tok.convert_tokens_to_ids("eng_Latn")  # forced first token after </s>


def long_article(words: int) -> list[str]:
    base = ("Chiều ngày 22/7, Công an và Ban Chỉ huy Quân sự Quận 3 tổ chức hội nghị sơ kết công tác "
            "bảo đảm an ninh trật tự trên địa bàn thành phố Hồ Chí Minh năm {i}.")
    sentences, count, i = [], 0, 0
    while count < words:
        sentence = base.format(i=2000 + i)
        sentences.append(sentence)
        count += len(sentence.split())
        i += 1
    return sentences


def test_summary_of_6000_word_article_reads_every_sentence(replica):
    model = load(replica, "VietAI/vit5-base-vietnews-summarization")
    sentences = long_article(6000)
    budget = model.token_budget()
    assert sum(model.count_tokens(s) for s in sentences) > budget  # really over the window
    summary, sections = AbstractiveSummarizer(model).summarize(sentences, GREEDY)
    assert sections > 1 and isinstance(summary, str)
    first_pass = model.backend.inputs[:sections]
    whole = " ".join(sentences)
    assert all(section in whole for section in first_pass)  # each section is a run of consecutive sentences
    for sentence in sentences:  # nothing truncated or dropped, nothing read twice
        assert sum(section.count(sentence) for section in first_pass) == 1
    assert all(model.count_tokens(text) <= budget for text in first_pass)


def test_translation_splits_overlong_sentence_and_keeps_paragraphs(replica):
    model = load(replica, "VietAI/envit5-translation")  # window 128 tokens
    long_sentence = ", ".join(f"ông Nguyễn Văn {chr(65 + i % 26)} phát biểu về kế hoạch năm {2000 + i}" for i in range(40)) + "."
    assert model.count_tokens(long_sentence) > model.token_budget()
    paragraphs = [["Hà Nội mưa to.", long_sentence], ["Giá xăng giảm."]]
    out = Translator(model).translate_paragraphs(paragraphs, GREEDY)
    assert len(out) == 2
    pieces = model.backend.inputs
    assert len(pieces) > 3 and all(model.count_tokens(p[len("vi: "):]) <= model.token_budget() for p in pieces)
