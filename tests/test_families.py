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
    """Wraps a real backend and records the id sequences the model was given."""

    def __init__(self, backend):
        self.inner = backend
        self.inputs: list[list[int]] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def generate_ids(self, batch, options):
        self.inputs.extend([int(i) for i in ids] for ids in batch)
        return self.inner.generate_ids(batch, options)

    def generate(self, texts, options):  # pragma: no cover - Seq2SeqModel goes through generate_ids
        raise AssertionError("Seq2SeqModel must hand the backend ids, not strings")


def load(replica, profile_id: str) -> Seq2SeqModel:
    profile = PROFILES[profile_id]
    backend = Recording(load_backend("torch", str(replica(profile_id)), profile, device="cpu", threads=1))
    return Seq2SeqModel(str(replica(profile_id)), profile, backend)


def received_text(model: Seq2SeqModel, ids: list[int]) -> str:
    """The text a recorded input encodes, after checking that encoding it again gives those very ids."""
    text = model.tokenizer.decode(ids)
    assert model.tokenizer.ids(text, model.profile.window) == ids, text
    return text


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_every_profile_loads_and_generates(replica, profile_id):
    model = load(replica, profile_id)
    texts = ["Chiều ngày 22/7, Công an Quận 3 họp.", "Giá vàng tăng mạnh."]
    out = model.generate(texts, GREEDY)
    assert len(out) == 2 and all(isinstance(o, str) for o in out)
    assert model.backend.inner.model.config.model_type == PROFILES[profile_id].family
    tok = model.tokenizer
    assert sorted(model.backend.inputs) == sorted(tok.ids(model.prepare(t), model.profile.window) for t in texts)
    assert all(max(ids) < model.backend.inner.model.config.vocab_size for ids in model.backend.inputs)


@pytest.mark.parametrize("profile_id, prefix", [
    ("VietAI/vit5-large-vietnews-summarization", "vietnews: "),
    ("VietAI/envit5-translation", "vi: "),
    ("VietAI/vit5-base-vietnews-summarization", ""),
    ("Helsinki-NLP/opus-mt-vi-en", ""),
])
def test_input_prefix_reaches_the_model(replica, profile_id, prefix):
    model = load(replica, profile_id)
    tok = model.tokenizer
    text = "Hà Nội mưa to."
    model.generate([text], GREEDY)
    assert model.backend.inputs == [tok.ids(prefix + text)]
    ids = model.backend.inputs[0]
    assert tok.decode(ids) == prefix + text
    assert ids[-1] == tok.eos_id and ids.count(tok.eos_id) == 1
    if prefix:
        assert ids != tok.ids(text)  # the prefix really changes what the model reads
        # the prefix comes first, as its own pieces: "vi: X" is "▁vi", ":", then X's pieces
        prefix_pieces = tok.encode(prefix.strip()).pieces[:-1]  # without </s>
        assert tok.encode(prefix + text).pieces[:len(prefix_pieces)] == prefix_pieces
        assert ids[len(prefix_pieces):] == tok.ids(text)
    else:
        assert ids == tok.ids(text)


def test_envit5_output_prefix_is_stripped(replica):
    model = load(replica, "VietAI/envit5-translation")
    assert model._strip_output("en: Hanoi is rainy.") == "Hanoi is rainy."
    assert model._strip_output("Hanoi is rainy.") == "Hanoi is rainy."
    assert load(replica, "Helsinki-NLP/opus-mt-vi-en")._strip_output("en: x") == "en: x"  # only where the profile says


@pytest.mark.parametrize("profile_id, expected, other", [
    ("vinai/vinai-translate-vi2en-v2", "hoà bình và sức khoẻ", "hòa bình và sức khỏe"),   # VinAI: new-style marks
    ("VietAI/vit5-base-vietnews-summarization", "hoà bình và sức khoẻ", "hòa bình và sức khỏe"),  # as VietNews
    ("VietAI/envit5-translation", "hòa bình và sức khỏe", "hoà bình và sức khoẻ"),        # EnViT5: NFC only
    ("facebook/nllb-200-distilled-600M", "hòa bình và sức khỏe", "hoà bình và sức khoẻ"),
])
def test_tone_normalization_only_where_the_profile_says(replica, profile_id, expected, other):
    model = load(replica, profile_id)
    tok, prefix = model.tokenizer, model.profile.input_prefix
    model.generate(["hòa bình và sức khỏe"], GREEDY)
    assert model.backend.inputs[-1] == tok.ids(prefix + expected)
    assert tok.ids(prefix + expected) != tok.ids(prefix + other)  # the two styles are different inputs
    assert model.tokenizer.decode(model.backend.inputs[-1]) == prefix + expected
    model.generate(["hoà bình và sức khoẻ"], GREEDY)
    # new-style marks in: kept by VinAI's profile, and by the NFC-only ones too (they move no mark)
    kept = expected if model.profile.tone_style == "new" else other
    assert model.backend.inputs[-1] == tok.ids(prefix + kept)


def test_mbart_source_code_and_decoder_start(replica):
    model = load(replica, "vinai/vinai-translate-vi2en-v2")
    backend, tok = model.backend.inner, model.tokenizer
    vi, en = tok.code_id("vi_VN"), tok.code_id("en_XX")
    assert (tok.id_to_piece(vi), tok.id_to_piece(en)) == ("vi_VN", "en_XX")
    assert backend.model.config.decoder_start_token_id == en  # the id the checkpoint itself names
    model.generate(["Xin chào."], GREEDY)
    ids = model.backend.inputs[-1]
    # mBART-25 (cc25) source format: X </s> vi_VN, the code last
    assert ids[-2:] == [tok.eos_id, vi] and ids.count(vi) == 1 and ids.count(tok.eos_id) == 1
    assert ids[:-2] == tok.ids("Xin chào.")[:-2] and tok.decode(ids) == "Xin chào."
    out, generated = backend.generate_ids([ids], GREEDY)
    assert out[0][0] == en  # decoding starts with en_XX (decoder start, not generated)
    assert "en_XX" not in tok.decode(out[0]) and "vi_VN" not in tok.decode(out[0])
    assert 2 <= generated <= GREEDY.max_new_tokens


def test_nllb_source_code_and_forced_target(replica):
    model = load(replica, "facebook/nllb-200-distilled-600M")
    backend, tok = model.backend.inner, model.tokenizer
    vie, eng = tok.code_id("vie_Latn"), tok.code_id("eng_Latn")
    assert (tok.id_to_piece(vie), tok.id_to_piece(eng)) == ("vie_Latn", "eng_Latn")
    model.generate(["Xin chào."], GREEDY)
    ids = model.backend.inputs[-1]
    # NLLB (non-legacy) source format: vie_Latn X </s>, the code first
    assert ids[0] == vie and ids[-1] == tok.eos_id and ids.count(vie) == 1
    assert ids[1:] == tok.ids("Xin chào.")[1:] and tok.decode(ids) == "Xin chào."
    out, _ = backend.generate_ids([ids], GREEDY)
    assert out[0][0] == backend.model.config.decoder_start_token_id == tok.eos_id  # decoding starts from </s>
    assert out[0][1] == eng  # forced first token after </s>
    assert "eng_Latn" not in tok.decode(out[0])


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
    first_pass = [received_text(model, ids) for ids in model.backend.inputs[:sections]]
    assert all(len(ids) <= model.profile.window for ids in model.backend.inputs[:sections])
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
    pieces = [received_text(model, ids) for ids in model.backend.inputs]
    assert len(pieces) > 3 and all(p.startswith("vi: ") for p in pieces)
    assert all(len(ids) <= model.profile.window for ids in model.backend.inputs)
    assert all(model.count_tokens(p[len("vi: "):]) <= model.token_budget() for p in pieces)
    assert "vi: Hà Nội mưa to." in pieces and "vi: Giá xăng giảm." in pieces


# -- English → Vietnamese ---------------------------------------------------------

EN = "The city council met on Tuesday."


def test_envit5_en_to_vi_same_weights_en_prefix_in_vi_prefix_out(replica):
    model = load(replica, "VietAI/envit5-translation")
    en_vi = model.toward("en", "vi")
    assert en_vi.backend is model.backend and en_vi.cache_key == model.cache_key  # no second copy of the weights
    assert model.toward("en", "vi") is en_vi and model.toward("vi", "en") is model
    assert en_vi.pairs == [("vi", "en"), ("en", "vi")]
    tok = en_vi.tokenizer
    en_vi.generate([EN], GREEDY)
    ids = model.backend.inputs[-1]
    assert ids == tok.ids("en: " + EN) and tok.decode(ids) == "en: " + EN
    assert tok.encode("en: " + EN).pieces[:2] == ["▁en", ":"]  # the real tokenizer: the prefix as its own pieces
    assert en_vi._strip_output("vi: Hội đồng họp.") == "Hội đồng họp."
    assert en_vi._strip_output("en: x") == "en: x"  # only the direction's own output prefix
    assert en_vi.token_budget() == model.token_budget()  # "en: " and "vi: " are two pieces each


def test_a_direction_the_profile_lacks_is_refused(replica):
    from models.profiles import ProfileError

    with pytest.raises(ProfileError, match="serves vi→en"):
        load(replica, "Helsinki-NLP/opus-mt-vi-en").toward("en", "vi")


def test_opus_mt_en_vi_real_tokenizer(replica):
    """The real source.spm/target.spm (tests/fixtures/models): English in, Vietnamese pieces out."""
    model = load(replica, "Helsinki-NLP/opus-mt-en-vi")
    assert (model.profile.source, model.profile.target, model.profile.input_prefix) == ("en", "vi", "")
    tok = model.tokenizer
    encoding = tok.encode("The city council met on Tuesday.")
    assert encoding.unk == 0 and encoding.pieces[-1] == "</s>" and "▁city" in encoding.pieces
    vi_ids = [tok.vocab[p] for p in ("▁Hội", "▁đồng") if p in tok.vocab]
    assert len(vi_ids) == 2 and tok.decode(vi_ids) == "Hội đồng"  # target pieces decode
    out = model.generate([EN], GREEDY)
    assert isinstance(out[0], str) and model.backend.inputs[-1] == tok.ids(EN)


def test_vinai_en2vi_source_code_decoder_start_and_new_tone_style(replica):
    model = load(replica, "vinai/vinai-translate-en2vi-v2")
    backend, tok = model.backend.inner, model.tokenizer
    en, vi = tok.code_id("en_XX"), tok.code_id("vi_VN")
    assert backend.model.config.decoder_start_token_id == vi
    model.generate([EN], GREEDY)
    ids = model.backend.inputs[-1]
    assert ids[-2:] == [tok.eos_id, en] and tok.decode(ids) == EN  # X </s> en_XX
    out, _ = backend.generate_ids([ids], GREEDY)
    assert out[0][0] == vi and "vi_VN" not in tok.decode(out[0])
    assert model.profile.output_tone("en", "vi") == "new"


def test_bare_directories_keep_meaning_the_vi_en_models(tmp_path):
    import json

    from models.profiles import resolve_profile

    for family, expected in (("marian", "Helsinki-NLP/opus-mt-vi-en"), ("mbart", "vinai/vinai-translate-vi2en-v2")):
        (tmp_path / "config.json").write_text(json.dumps({"model_type": family}))
        assert resolve_profile(str(tmp_path), "translation").id == expected
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "marian", "_name_or_path": "Helsinki-NLP/opus-mt-en-vi"}))
    assert resolve_profile(str(tmp_path), "translation").id == "Helsinki-NLP/opus-mt-en-vi"


def test_reader_tone_styles():
    from models.text.tone_style import reader_tone

    new = "Uỷ ban hoà giải, thuỷ điện, sức khoẻ; quý, hoàng, ngoài, khuya"
    old = "Ủy ban hòa giải, thủy điện, sức khỏe; quý, hoàng, ngoài, khuya"
    assert reader_tone(new, "old") == old and reader_tone(old, "new") == new
    assert reader_tone(new, "keep") == new and reader_tone(old, "old") == old


@pytest.mark.parametrize("text, expected", [
    ("Mr. Smith went to the U.S. He said prices rose 3.5 percent. Dr. Jones agreed.",
     ["Mr. Smith went to the U.S.", "He said prices rose 3.5 percent.", "Dr. Jones agreed."]),
    ("The U.S. Senate voted at 5 p.m. Tuesday. It passed.", ["The U.S. Senate voted at 5 p.m. Tuesday.", "It passed."]),
    ("Gov. Newsom met Sen. Padilla on Jan. 5. They talked.", ["Gov. Newsom met Sen. Padilla on Jan. 5.", "They talked."]),
    ('She said "I will go." Then she left.', ['She said "I will go."', "Then she left."]),
    ("J. R. R. Tolkien wrote it. He said no. Room No. 5 is free!", ["J. R. R. Tolkien wrote it.", "He said no.",
                                                                     "Room No. 5 is free!"]),
    ("Visit example.com today. It costs $1,500.50 now... Really?", ["Visit example.com today.",
                                                                     "It costs $1,500.50 now...", "Really?"]),
])
def test_english_sentences(text, expected):
    from models.text.english import split_english_sentences

    assert split_english_sentences(text) == expected


def test_a_profile_of_several_directions_states_them_once():
    """The first direction is the profile's default pair; a stated pair that is none of them is refused at
    definition, not found out at the first request."""
    from models.profiles import PROFILES, Direction, ModelProfile

    envit5 = PROFILES["VietAI/envit5-translation"]
    assert (envit5.source, envit5.target, envit5.input_prefix, envit5.output_prefix) == ("vi", "en", "vi: ", "en: ")
    toward = envit5.toward("en", "vi")
    assert (toward.source, toward.target, toward.input_prefix, toward.output_prefix) == ("en", "vi", "en: ", "vi: ")
    both = (Direction("vi", "en", "vi: ", "en: "), Direction("en", "vi", "en: ", "vi: "))
    # a direction that is the fields' defaults (vi→vi, no prefixes) is not mistaken for "unset"
    normalizer = ModelProfile(id="x/n", family="t5", task="translation", license="MIT", description="",
                              directions=(Direction("vi", "en", "vi: ", "en: "), Direction("vi", "vi")))
    assert normalizer.toward("vi", "vi").target == "vi" and normalizer.target == "en"
    with pytest.raises(ValueError, match="none of its directions"):
        ModelProfile(id="x/y", family="t5", task="translation", license="MIT", description="", target="en",
                     input_prefix="vi: ", output_prefix="vi: ", directions=both)


@pytest.mark.parametrize("article, summary", [
    ("Hòa bình và sức khỏe là điều người dân mong muốn. Ủy ban tỉnh họp bàn kế hoạch.", "Hòa bình và sức khỏe."),
    ("Hoà bình và sức khoẻ là điều người dân mong muốn. Uỷ ban tỉnh họp bàn kế hoạch.", "Hoà bình và sức khoẻ."),
])
def test_an_abstractive_summary_is_written_in_the_articles_tone_style(tiny_runtime, monkeypatch, article, summary):
    # the model writes VietNews' new style; an old-style article gets an old-style summary
    monkeypatch.setattr(AbstractiveSummarizer, "summarize", lambda self, sentences, options: ("Hoà bình và sức khoẻ.", 1))
    from models import pipeline

    result = pipeline.summarize(tiny_runtime, article, options=pipeline.SummaryOptions(method="abstractive"))
    assert result.summary == summary


def test_style_of_an_article():
    from models.text.tone_style import style_of

    assert style_of("hòa " * 8 + "hoà") == "old"  # the article's majority, not the model's
    assert style_of("hoà khoẻ uỷ") == "new" and style_of("hòa hoà") == "keep" and style_of("Hà Nội") == "keep"
