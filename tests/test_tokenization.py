"""The default models are fed exactly as they were trained: ids equal sentencepiece's own encoding on the
real ViT5 and EnViT5 tokenizer files (tests/fixtures/models), nothing reaches the model as <unk>, nothing
the user sees is a special piece, and spans no piece can represent are carried through untouched."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import sentencepiece as spm

from models.backends import GenerationOptions, load_backend
from models.checks import TokenizerOnly
from models.profiles import PROFILES
from models.seq2seq import Seq2SeqModel, ModelInput
from models.text import normalize_unicode
from models.tokenization import load_tokenizer, strip_hidden

FIXTURES = Path(__file__).parent / "fixtures"
VIT5_DIR = FIXTURES / "models" / "VietAI__vit5-base-vietnews-summarization"
ENVIT5_DIR = FIXTURES / "models" / "VietAI__envit5-translation"
VIT5 = "VietAI/vit5-base-vietnews-summarization"
ENVIT5 = "VietAI/envit5-translation"

# Hand-written lines: what scraped Vietnamese news carries (quotes, dashes, ellipses, emoji, CJK names,
# numbers, dates, codes, URLs, special-token look-alikes), NFC.
LINES = [
    "Chiều 22/7, UBND TP.HCM họp bàn về giao thông.",
    "Công an Q.3 tạm giữ hai người liên quan vụ việc.",
    "Theo Nghị định 03/2019/NĐ-CP, mức phạt là 1.500.000 đồng.",
    "Lãi suất giảm 0,5 điểm phần trăm, còn 4,5%/năm.",
    "“Chúng tôi sẽ không bỏ cuộc”, ông Hùng nói.",
    "Bà Lan cho biết: ‘Tôi rất vui’.",
    "Giá vàng tăng – giảm thất thường — nhà đầu tư lo ngại.",
    "Anh ấy im lặng… rồi bỏ đi.",
    "Cô ấy nói \"được\" và 'không sao'.",
    "Đội tuyển thắng 2-0 😀🎉 trước Thái Lan.",
    "Ông Tập Cận Bình (习近平) đến Bắc Kinh (北京) hôm qua.",
    "Tokyo (東京) và Seoul (서울) là hai thủ đô lớn.",
    "Giá cà phê ½ kg là 120.000 ₫, tăng 5 ‰.",
    "Nhiệt độ 35°C, độ ẩm 80 %.",
    "Xem chi tiết tại https://vnexpress.net/thoi-su-4567890.html?ref=home#top.",
    "Liên hệ: tòa soạn <toasoan@tuoitre.com.vn> hoặc 028 3997 3838.",
    "Dự án dài 76,34 km, vốn 75.378 tỷ đồng (khoảng 3,2 tỷ USD).",
    "Ngày 05/9/2019, Quốc hội khóa XIV bế mạc kỳ họp thứ 8.",
    "6 tháng đầu năm, GDP tăng 6,42% so với cùng kỳ.",
    "Hoà bình, sức khoẻ, thuỷ lợi, quý khách, hòa bình, sức khỏe.",
    "ĐẶNG THỊ HƯƠNG, 45 tuổi, trú tại phường Ỷ La.",
    "Tàu SE1 khởi hành lúc 19h30 từ ga Hà Nội.",
    "Thông tin được đăng tải trên trang Thông tấn xã Việt Nam.",
    "Mã chứng khoán VNM tăng 2.300 đồng/cổ phiếu.",
    "Bài viết có thẻ <b>đậm</b> và </s> cùng <extra_id_0> <pad> <unk>.",
    "Câu hỏi: Vì sao? Trả lời: Không rõ!",
    "Số điện thoại +84 (0)24 3825 1234; fax 024.3825.5678.",
    "Tỷ lệ 3:1, tỷ số 1/2, phân số 3/4.",
    "Mùa giải 2023–2024 kết thúc với 90+5 phút bù giờ.",
    "Ảnh: Ngọc Thắng/TTXVN • Nguồn: Reuters",
    "Vụ án “Vạn Thịnh Phát” – phiên xử phúc thẩm ngày 3/12.",
    "Người dân xếp hàng từ 5h sáng… để mua vé.",
    "Hashtag #TếtNguyênĐán và @baotuoitre được chia sẻ rộng rãi.",
    "Điểm chuẩn 27,5 – 28,75 điểm (thang 30).",
    "Công ty TNHH MTV Xây dựng số 1 trúng thầu.",
    "Nhà khoa học Marie Curie và Nguyễn Thị Định được nhắc tới.",
    "Giá: 3.990.000đ → 2.490.000đ (giảm 38%).",
    "Ký hiệu © 2024 Báo Tuổi Trẻ ® ™.",
    "Thời tiết: ☀️ nắng, 🌧️ mưa rào.",
    "Cụm từ «tự chủ chiến lược» được nhắc nhiều lần.",
    "Ông Kim Jong-un (김정은) gặp ông Putin (Путин).",
    "Phương trình x² + y² = z² được chứng minh.",
]

REAL = [(VIT5, VIT5_DIR), (ENVIT5, ENVIT5_DIR)]


def reference(model_dir: Path, text: str) -> list[int]:
    """sentencepiece's own encoding with T5's </s>: what the released model was trained on."""
    return spm.SentencePieceProcessor(model_file=str(model_dir / "spiece.model")).encode(text) + [1]


def tokenizer_model(profile_id: str, model_dir: Path) -> Seq2SeqModel:
    tokenizer = load_tokenizer(model_dir, "t5")
    return Seq2SeqModel(str(model_dir), PROFILES[profile_id], TokenizerOnly(tokenizer))


@pytest.fixture(scope="module")
def seed_lines(seed_article) -> list[str]:
    return [line for line in normalize_unicode(seed_article).splitlines() if line.strip()]


def test_enough_hand_written_lines():
    assert len(LINES) >= 40 and all(unicodedata.is_normalized("NFC", line) for line in LINES)


@pytest.mark.parametrize("profile_id, model_dir", REAL, ids=["vit5", "envit5"])
def test_ids_equal_sentencepiece_on_real_tokenizers(profile_id, model_dir, seed_lines):
    tokenizer = load_tokenizer(model_dir, "t5")
    for text in LINES + seed_lines:
        assert tokenizer.ids(text) == reference(model_dir, text), text
        assert tokenizer.count(text) == len(reference(model_dir, text))


@pytest.mark.parametrize("profile_id, model_dir", REAL, ids=["vit5", "envit5"])
def test_the_prepared_string_is_what_sentencepiece_encodes(profile_id, model_dir, seed_lines):
    """After the pipeline's normalization (tone marks, plain characters, prefix), ids are still exactly
    sentencepiece's encoding of that string."""
    model = tokenizer_model(profile_id, model_dir)
    for text in LINES + seed_lines:
        encoding = model.encode(text)
        assert encoding.text == model.prepare(text)
        assert encoding.text.startswith(PROFILES[profile_id].input_prefix)
        expected = reference(model_dir, encoding.text)
        window = PROFILES[profile_id].window
        if len(expected) > window:  # the pipeline chunks to the window first; a whole seed line is cut
            expected = expected[: window - 1] + [1]
        assert encoding.ids == expected


def test_vit5_real_pieces_are_whole_syllables():
    """The trap the real BPE file sets: a rebuilt Unigram splits 'Thông' into ▁Th ông; the model was
    trained on ▁Thông."""
    tokenizer = load_tokenizer(VIT5_DIR, "t5")
    encoding = tokenizer.encode("Thông tin về Thành phố Hồ Chí Minh")
    assert encoding.pieces[:2] == ["▁Thông", "▁tin"]
    assert "▁Thành" in encoding.pieces and encoding.pieces[-1] == "</s>"
    assert tokenizer.size == 36096 and tokenizer.reachable == 36000


def test_special_token_text_is_encoded_as_text():
    """An article that contains '</s>' or '<extra_id_0>' must not end or corrupt the model's input."""
    for model_dir in (VIT5_DIR, ENVIT5_DIR):
        tokenizer = load_tokenizer(model_dir, "t5")
        ids = tokenizer.ids("a </s> b <extra_id_0> c")
        assert ids.count(tokenizer.eos_id) == 1 and ids[-1] == tokenizer.eos_id
        assert not set(ids) & set(tokenizer.sentinels)


def test_vit5_maps_typography_to_what_it_knows():
    model = tokenizer_model(VIT5, VIT5_DIR)
    prepared = model.prepare("“Không” – ‘được’ — thế…")
    assert prepared == "\"Không\" - 'được' - thế…"  # ViT5's normalizer already reads … as ...
    assert model.encode("“Không” – ‘được’").unk == 0


def test_envit5_keeps_the_typography_it_knows():
    model = tokenizer_model(ENVIT5, ENVIT5_DIR)
    assert model.prepare("“Không” – được") == "vi: “Không” – được"  # EnViT5 has “ ” and –


@pytest.mark.parametrize("profile_id, model_dir", REAL, ids=["vit5", "envit5"])
def test_nothing_reaches_the_model_as_unk(profile_id, model_dir, seed_lines):
    model = tokenizer_model(profile_id, model_dir)
    unk = model.tokenizer.unk_id
    raw_unknown = 0
    for text in LINES + seed_lines:
        raw_unknown += load_tokenizer(model_dir, "t5").encode(text).unk
        for part in model._plan(text):
            if isinstance(part, ModelInput):
                assert unk not in part.ids, text
    assert raw_unknown > 0  # the lines do hold characters these vocabularies lack


def test_translation_plan_carries_unrepresentable_spans_in_place():
    model = tokenizer_model(ENVIT5, ENVIT5_DIR)
    plan = model._plan("Ông Tập Cận Bình (习近平) đến Bắc Kinh 😀 hôm qua.")
    raw = [p for p in plan if isinstance(p, str)]
    assert "习近平" in "".join(raw) and "😀" in "".join(raw)
    units = [p for p in plan if isinstance(p, ModelInput)]
    assert len(units) >= 2 and all(u.ids[-1] == model.tokenizer.eos_id for u in units)
    decoded = [model.tokenizer.decode(u.ids) for u in units]
    assert decoded[0].startswith("vi: Ông Tập Cận Bình")


def test_summary_plan_uses_sentinels_for_unrepresentable_spans():
    model = tokenizer_model(VIT5, VIT5_DIR)
    (unit,) = model._plan("Ông Tập đến 北京. Sau đó, 北京 đón 😀 khách.")
    sentinels = [i for i in unit.ids if i in model.tokenizer.sentinels]
    assert sorted(unit.replacements.values()) == ["北京", "😀"]
    assert len(sentinels) == 3 and len(set(sentinels)) == 2  # the same span, the same sentinel
    # the decoder's output gets each sentinel back as its span
    out = [i for i in unit.ids if i != model.tokenizer.eos_id]
    assert model.tokenizer.decode(out, unit.replacements) == "Ông Tập đến 北京. Sau đó, 北京 đón 😀 khách."


HIDDEN = re.compile(r"<unk>|<pad>|</s>|<extra_id_\d+>|<0x[0-9A-Fa-f]{2}>|\u2047|en_XX|vi_VN")


def test_decoding_never_shows_special_pieces():
    for model_dir in (VIT5_DIR, ENVIT5_DIR):
        tokenizer = load_tokenizer(model_dir, "t5")
        ids = [tokenizer.pad_id] + tokenizer.ids("Giá vàng") [:-1] + [tokenizer.unk_id, tokenizer.sentinels[0],
                                                                        tokenizer.eos_id, tokenizer.pad_id]
        assert tokenizer.decode(ids) == "Giá vàng"
    assert strip_hidden("a <unk> b <extra_id_7> c <0x0A> d ⁇ e </s>") == "a b c d e"


@pytest.fixture(scope="module")
def real_models(replica):
    """Tiny random-weight models on the real tokenizers, greedy, no batcher."""
    out = {}
    for profile_id in (VIT5, ENVIT5):
        path = str(replica(profile_id))
        backend = load_backend("torch", path, PROFILES[profile_id], device="cpu", threads=1, torch_dtype="fp32")
        out[profile_id] = Seq2SeqModel(path, PROFILES[profile_id], backend)
    return out


def test_replicas_carry_the_real_tokenizer_files(replica):
    for profile_id, model_dir in REAL:
        path = replica(profile_id)
        assert (path / "spiece.model").read_bytes() == (model_dir / "spiece.model").read_bytes()
    assert (replica(ENVIT5) / "tokenizer.json").read_bytes() == (ENVIT5_DIR / "tokenizer.json").read_bytes()


def test_tiny_models_on_real_tokenizers_give_clean_output_and_keep_spans(real_models, seed_lines):
    options = GenerationOptions(num_beams=1, max_new_tokens=12, min_new_tokens=12)
    translator = real_models[ENVIT5]
    lines = LINES + seed_lines[:5]
    outputs = translator.generate(lines, options)
    for line, out in zip(lines, outputs):
        assert not HIDDEN.search(out), (line, out)
        assert not out.startswith("en:")
        for start, end in translator.tokenizer.encode(translator.prepare(line)).unknown:
            span = translator.prepare(line)[start:end]
            assert span in out, (span, out)
    summary = real_models[VIT5].generate([" ".join(seed_lines)], options)[0]
    assert summary and not HIDDEN.search(summary)


def test_torch_receives_exactly_the_planned_ids(real_models):
    """The ids in the batch the torch model gets are the planned ones: nothing re-tokenizes in between."""
    model = real_models[VIT5]
    seen = []
    original = model.backend.generate_ids

    def spy(batch, options):
        seen.extend(batch)
        return original(batch, options)

    model.backend.generate_ids = spy
    try:
        text = "Thông tin “mới” về 北京."
        model.generate([text], GenerationOptions(num_beams=1, max_new_tokens=3))
    finally:
        model.backend.generate_ids = original
    (unit,) = model._plan(text)
    assert seen == [list(unit.ids)]


def test_envit5_output_prefix_is_stripped_with_the_real_tokenizer():
    model = tokenizer_model(ENVIT5, ENVIT5_DIR)
    decoded = model.tokenizer.decode(model.tokenizer.ids("en: The price of gold rose 2%."))
    assert decoded == "en: The price of gold rose 2%."
    assert model._strip_output(decoded) == "The price of gold rose 2%."


def test_a_word_with_an_unknown_letter_is_carried_whole():
    """EnViT5 has no 'ñ': the word is carried untouched, never cut into 'Ni' + 'ñ' + 'o' for the model."""
    model = tokenizer_model(ENVIT5, ENVIT5_DIR)
    plan = model._plan("Hiện tượng El Niño khiến mưa nhiều.")
    assert "Niño" in [p.strip() for p in plan if isinstance(p, str)]
    decoded = [model.tokenizer.decode(p.ids) for p in plan if isinstance(p, ModelInput)]
    assert decoded == ["vi: Hiện tượng El", "vi: khiến mưa nhiều."]


@pytest.mark.parametrize("profile_id, model_dir", REAL, ids=["vit5", "envit5"])
def test_symbols_fall_back_to_their_compatibility_form(profile_id, model_dir):
    model = tokenizer_model(profile_id, model_dir)
    assert model.model_text("Giá ½ kg, ¼ số hộ") == "Giá 1/2 kg, 1/4 số hộ"
    assert model.encode("Giá ½ kg, ¼ số hộ").unk == 0


def test_an_exponent_is_carried_not_folded_into_another_number():
    """sentencepiece's NFKC folds "10⁶" into "106" with no <unk>: the number would change on its way in. A
    superscript after a letter ("m²") is the unit Vietnamese news writes "m2", and folds as before."""
    text = "Dân số 10⁶ người, diện tích 30 m², thời gian 10⁻³ giây."
    translator = tokenizer_model(ENVIT5, ENVIT5_DIR)
    plan = translator._plan(text)
    assert [p.strip() for p in plan if isinstance(p, str)] == ["10⁶", "10⁻³"]
    decoded = " ".join(translator.tokenizer.decode(p.ids) for p in plan if isinstance(p, ModelInput))
    assert "106" not in decoded and "103" not in decoded and "30 m2" in decoded
    summarizer = tokenizer_model(VIT5, VIT5_DIR)
    (unit,) = summarizer._plan(text)
    assert sorted(unit.replacements.values()) == ["⁶", "⁻³"]
    out = summarizer.tokenizer.decode([i for i in unit.ids if i != summarizer.tokenizer.eos_id], unit.replacements)
    assert "10⁶ người" in out and "10⁻³ giây" in out


def test_a_summary_is_one_input_even_without_sentinels(tmp_path):
    """A T5 summarizer that ships only tokenizer.json has no sentinels: the spans are left out of its one
    input, never cut into fragments summarized apart."""
    import shutil

    shutil.copy(ENVIT5_DIR / "tokenizer.json", tmp_path / "tokenizer.json")
    tokenizer = load_tokenizer(tmp_path, "t5")
    assert type(tokenizer).__name__ == "JsonTokenizer" and not tokenizer.sentinels
    model = Seq2SeqModel(str(tmp_path), PROFILES[VIT5], TokenizerOnly(tokenizer))
    plan = model._plan("Ông Tập 习近平 đến 😀 hôm qua 🎉 và về.")
    assert len(plan) == 1 and isinstance(plan[0], ModelInput) and tokenizer.unk_id not in plan[0].ids
    # an exponent with no sentinel to carry it is written with a caret, never left out into another number
    (unit,) = model._plan("Dân số đạt 10⁶ người.")
    decoded = tokenizer.decode(list(unit.ids))
    assert "^6" in decoded and "106" not in decoded and "10 người" not in decoded, decoded


def test_a_fairseq_model_with_only_tokenizer_json_is_refused_clearly(tmp_path):
    import shutil

    from models.tokenization import TokenizerError

    shutil.copy(ENVIT5_DIR / "tokenizer.json", tmp_path / "tokenizer.json")
    for family in ("mbart", "m2m_100"):
        with pytest.raises(TokenizerError, match="sentencepiece.bpe.model"):
            load_tokenizer(tmp_path, family, src_lang="vie_Latn")


def test_tokenize_line_shows_the_string_after_ingress_cleaning():
    from models.checks import tokenize_line

    model = tokenizer_model(ENVIT5, ENVIT5_DIR)
    out = tokenize_line(model, "Giá vàng &amp; bạc tăng &quot;mạnh&quot;")
    assert out["text"] == 'vi: Giá vàng & bạc tăng "mạnh"'
    assert out["ids"] == reference(ENVIT5_DIR, out["text"])


def test_a_word_longer_than_the_window_is_carried_whole_not_cut():
    model = tokenizer_model(ENVIT5, ENVIT5_DIR)
    url = "https://vnexpress.net/" + "-".join(["tin-tuc-kinh-te-thi-truong"] * 30) + "/c/45678901.epi"
    assert model.count_tokens(url) > model.token_budget()
    assert model._plan(url) == [url]
