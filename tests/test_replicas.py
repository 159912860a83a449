"""Random-weight replicas (tests/replicas.py): built offline, loaded like real checkpoints."""

from __future__ import annotations

import hashlib
import json
import os

import pytest


from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer  # noqa: E402

from models.profiles import PROFILES  # noqa: E402
from models.tokenization import load_tokenizer  # noqa: E402
from tests.replicas import (  # noqa: E402
    MANIFEST,
    REAL_TOKENIZERS,
    _pad_spm,
    _spm_pieces,
    _train_spm,
    build_replica,
    ensure_replica,
    parameter_count,
    real_tokenizer_dir,
    replica_config,
)

VI_TEXT = "Chiều ngày 22/7, Công an Quận 3 họp."
VI_TEXT_2 = "Ông Nguyễn Văn Ấn trú tại phường Ỷ La, tỉnh Tuyên Quang; ĐẶNG THỊ HƯƠNG."
VI_LINES = [VI_TEXT, VI_TEXT_2, "Thủ tướng Phạm Minh Chính chủ trì hội nghị trực tuyến với 63 tỉnh, thành phố.",
            "Giá vàng trong nước biến động mạnh (tăng 6,9%) theo thị trường thế giới!"]

ALL = list(PROFILES)
ENVIT5 = "VietAI/envit5-translation"
# replicas that carry the released tokenizer files (tests/fixtures/models), and the folder they come from
REAL = {
    "VietAI/vit5-base-vietnews-summarization": "VietAI__vit5-base-vietnews-summarization",
    "VietAI/vit5-large-vietnews-summarization": "VietAI__vit5-base-vietnews-summarization",
    ENVIT5: "VietAI__envit5-translation",
}
# released sentencepiece files but a vocab.json built from them (the released one is not public): real pieces,
# ids of our own (tests/fixtures/models/README.md)
REAL_PIECES = {"Helsinki-NLP/opus-mt-en-vi": "Helsinki-NLP__opus-mt-en-vi"}
TRAINED = [pid for pid in ALL if pid not in REAL and pid not in REAL_PIECES]

WEIGHTS = {"config.json", "generation_config.json", "model.safetensors"}
TOKENIZER_FILES = {  # the hub repos' tokenizer files
    "VietAI/vit5-base-vietnews-summarization": {"spiece.model", "tokenizer_config.json", "special_tokens_map.json"},
    "VietAI/vit5-large-vietnews-summarization": {"spiece.model", "tokenizer_config.json", "special_tokens_map.json"},
    ENVIT5: {"spiece.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"},
    "Helsinki-NLP/opus-mt-vi-en": {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"},
    "Helsinki-NLP/opus-mt-en-vi": {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json"},
    "vinai/vinai-translate-vi2en-v2": {"sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json"},
    "vinai/vinai-translate-en2vi-v2": {"sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json"},
    "facebook/nllb-200-distilled-600M": {"sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json"},
}
TOKENIZER_CLASS = {"t5": "T5Tokenizer", "marian": "MarianTokenizer", "mbart": "MBartTokenizer",
                   "m2m_100": "NllbTokenizer"}
OUR_CLASS = {"t5": "T5Tokenizer", "marian": "MarianTokenizer", "mbart": "FairseqTokenizer",
             "m2m_100": "FairseqTokenizer"}
MODEL_CLASS = {"t5": "T5ForConditionalGeneration", "marian": "MarianMTModel",
               "mbart": "MBartForConditionalGeneration", "m2m_100": "M2M100ForConditionalGeneration"}


@pytest.fixture(scope="session")
def replica_root(tmp_path_factory):
    return tmp_path_factory.mktemp("replicas")


@pytest.fixture(scope="session")
def replicas(replica_root):
    return {pid: ensure_replica(pid, replica_root) for pid in ALL}


@pytest.fixture(scope="session")
def ours(replicas):
    """Every replica's tokenizer as serving reads it (models.tokenization)."""
    return {pid: load_tokenizer(path, PROFILES[pid].family, src_lang=PROFILES[pid].src_lang)
            for pid, path in replicas.items()}


@pytest.fixture(scope="session")
def auto(replicas):
    """transformers' tokenizers, for the replicas whose tokenizer was trained (and saved) through it."""
    out = {}
    for pid in TRAINED:
        tok = AutoTokenizer.from_pretrained(replicas[pid])
        if PROFILES[pid].src_lang:
            tok.src_lang = PROFILES[pid].src_lang
        out[pid] = tok
    return out


@pytest.fixture(scope="session")
def models(replicas):
    return {pid: AutoModelForSeq2SeqLM.from_pretrained(path).eval() for pid, path in replicas.items()}


def _sha256sums() -> dict[str, str]:
    lines = (REAL_TOKENIZERS / "SHA256SUMS").read_text(encoding="utf-8").split("\n")
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


@pytest.mark.parametrize("pid", ALL)
def test_layout_matches_hub_repo(replicas, pid):
    family = PROFILES[pid].family
    files = set(os.listdir(replicas[pid]))
    config = json.loads((replicas[pid] / "config.json").read_text())
    assert config["model_type"] == family
    manifest = json.loads((replicas[pid] / MANIFEST).read_text())
    assert manifest["profile"] == pid and manifest["size"] == "tiny"
    assert "pytorch_model.bin" not in files
    if pid in REAL:
        # the released tokenizer files, byte for byte, and nothing else
        assert files == WEIGHTS | TOKENIZER_FILES[pid] | {MANIFEST}, sorted(files)
        real = REAL_TOKENIZERS / REAL[pid]
        assert real_tokenizer_dir(pid) == real
        sums = _sha256sums()
        for name in TOKENIZER_FILES[pid]:
            data = (replicas[pid] / name).read_bytes()
            assert data == (real / name).read_bytes(), name
            assert hashlib.sha256(data).hexdigest() == sums[f"{REAL[pid]}/{name}"], name  # the fixture is intact
        # the released vocabulary size; only widths and depths are shrunk
        assert config["vocab_size"] == json.loads((real / "config.json").read_text())["vocab_size"]
        assert config["d_model"] < 768
        assert manifest["tokenizer"] == "real (tests/fixtures/models)"
        assert manifest["tokens"] == manifest["vocab_size"] == config["vocab_size"]
    elif pid in REAL_PIECES:
        real = REAL_TOKENIZERS / REAL_PIECES[pid]
        assert real_tokenizer_dir(pid) == real and WEIGHTS | TOKENIZER_FILES[pid] <= files, sorted(files)
        for name in ("source.spm", "target.spm"):  # the released pieces, byte for byte
            assert (replicas[pid] / name).read_bytes() == (real / name).read_bytes(), name
        assert manifest["tokenizer"] == "real (tests/fixtures/models)"
    else:
        assert real_tokenizer_dir(pid) is None
        assert WEIGHTS | TOKENIZER_FILES[pid] <= files, sorted(files)
        assert "special_tokens_map.json" not in files  # not written by transformers 5, nor in these hub repos
        assert manifest["tokenizer"] == "trained at build time"


@pytest.mark.parametrize("pid", ALL)
def test_loads_as_the_right_classes(replicas, ours, auto, models, pid):
    family = PROFILES[pid].family
    tok, model = ours[pid], models[pid]
    assert type(tok).__name__ == OUR_CLASS[family] and tok.family == family
    assert type(model).__name__ == MODEL_CLASS[family]
    assert model.config.model_type == family
    assert tok.size == model.config.vocab_size and tok.reachable <= model.config.vocab_size
    assert model.config.pad_token_id == tok.pad_id
    assert model.config.eos_token_id == tok.eos_id
    manifest = json.loads((replicas[pid] / MANIFEST).read_text())
    assert manifest["tokenizer_class"] == TOKENIZER_CLASS[family]
    if pid in auto:
        assert type(auto[pid]).__name__ == TOKENIZER_CLASS[family]
        assert len(auto[pid]) == tok.size
        assert (auto[pid].pad_token_id, auto[pid].eos_token_id) == (tok.pad_id, tok.eos_id)


@pytest.mark.parametrize("pid", ALL)
@pytest.mark.parametrize("text", [VI_TEXT, VI_TEXT_2])
def test_vietnamese_round_trip(ours, auto, pid, text):
    tok = ours[pid]
    profile = PROFILES[pid]
    encoding = tok.encode(profile.input_prefix + text)
    ids = encoding.ids
    assert tok.unk_id not in ids and not encoding.unknown
    assert ids.count(tok.eos_id) == 1
    assert tok.decode(ids) == profile.input_prefix + text
    if pid in auto:
        assert auto[pid].decode(ids, skip_special_tokens=True) == profile.input_prefix + text


@pytest.mark.parametrize("pid", list(REAL))
def test_real_tokenizers_read_as_released(replicas, ours, pid):
    """Our reading of the released files agrees with what they say of themselves: sentencepiece's
    own ids + </s>, the extra ids where the released tokenizer_config / tokenizer.json put them."""
    import sentencepiece as spm

    tok, path = ours[pid], replicas[pid]
    sp = spm.SentencePieceProcessor(model_file=str(path / "spiece.model"))
    config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert tok.size == sp.get_piece_size() + config["extra_ids"]
    for text in VI_LINES:
        assert tok.ids(text) == sp.encode(text) + [sp.eos_id()]
    for k in range(config["extra_ids"]):
        assert tok.id_to_piece(tok.size - 1 - k) == f"<extra_id_{k}>"
    assert tok.sentinels == [tok.size - 1 - k for k in range(config["extra_ids"])]
    for i, added in (config.get("added_tokens_decoder") or {}).items():
        assert tok.id_to_piece(int(i)) == added["content"], i
    if (path / "tokenizer.json").is_file():  # EnViT5: the released tokenizers export of the same model
        from tokenizers import Tokenizer

        released = Tokenizer.from_file(str(path / "tokenizer.json"))
        vocab = released.get_vocab(with_added_tokens=True)
        assert tok.vocabulary() == sorted(vocab, key=vocab.get)
        for text in VI_LINES + ["vi: " + VI_TEXT]:
            assert tok.ids(text) == released.encode(text).ids, text


def test_t5_special_ids(ours, models):
    for pid in ALL:
        if PROFILES[pid].family != "t5":
            continue
        tok, model = ours[pid], models[pid]
        assert (tok.pad_id, tok.eos_id, tok.unk_id) == (0, 1, 2)
        c = model.config
        assert (c.decoder_start_token_id, c.pad_token_id, c.eos_token_id) == (0, 0, 1)
        assert tok.ids(VI_TEXT)[-1] == 1
        assert tok.sentinels[0] == tok.size - 1 == c.vocab_size - 1
        assert tok.id_to_piece(tok.sentinels[0]) == "<extra_id_0>"


def test_t5_tying(replicas, models):
    # what the hub config.json says (transformers 5.x itself always reports tie_word_embeddings=True
    # for T5 and keeps "untied" only as scale_decoder_outputs=False)
    tied = {
        pid: json.loads((replicas[pid] / "config.json").read_text())["tie_word_embeddings"]
        for pid in ALL
        if PROFILES[pid].family == "t5"
    }
    assert tied == {
        "VietAI/vit5-base-vietnews-summarization": True,
        "VietAI/vit5-large-vietnews-summarization": False,
        "VietAI/envit5-translation": False,
    }
    for pid, is_tied in tied.items():
        model = models[pid]
        shares = model.lm_head.weight.data_ptr() == model.shared.weight.data_ptr()
        assert shares == is_tied
        assert model.config.scale_decoder_outputs == is_tied  # T5 v1.0 rescales before lm_head, v1.1 does not
        keys = set(load_file(replicas[pid] / "model.safetensors"))
        assert ("lm_head.weight" in keys) == (not is_tied)


def test_mbart_language_codes(ours, auto, models):
    pid = "vinai/vinai-translate-vi2en-v2"
    tok, theirs, model = ours[pid], auto[pid], models[pid]
    vi, en = tok.code_id("vi_VN"), tok.code_id("en_XX")
    assert (vi, en) == (theirs.convert_tokens_to_ids("vi_VN"), theirs.convert_tokens_to_ids("en_XX"))
    assert theirs.unk_token_id not in (vi, en)
    assert {"vi_VN", "en_XX"} <= set(theirs.all_special_tokens)
    # mBART (cc25) format, as MBartTokenizer does it: X </s> src_lang_code
    ids = tok.ids(VI_TEXT)
    assert ids[-2:] == theirs(VI_TEXT).input_ids[-2:] == [tok.eos_id, vi]
    assert tok.decode(ids) == VI_TEXT
    # fairseq layout: <s> <pad> </s> <unk>, pieces, then the 25 language codes, then <mask>
    assert (tok.bos_id, tok.pad_id, tok.eos_id, tok.unk_id) == (0, 1, 2, 3)
    assert tok.id_to_piece(tok.size - 1) == "<mask>" and theirs.convert_tokens_to_ids("<mask>") == tok.size - 1
    assert len(tok.codes) == 25 and tok.code_id("ar_AR") == en - 3 == theirs.convert_tokens_to_ids("ar_AR")
    assert model.config.decoder_start_token_id == en
    assert model.generation_config.decoder_start_token_id == en


def test_mbart50_style_option(tmp_path):
    pid = "vinai/vinai-translate-vi2en-v2"
    path = build_replica(pid, tmp_path / "m50", mbart_style="mbart50")
    theirs = AutoTokenizer.from_pretrained(path)
    assert type(theirs).__name__ == "MBart50Tokenizer"
    theirs.src_lang = "vi_VN"
    tok = load_tokenizer(path, "mbart", src_lang="vi_VN")
    vi = tok.code_id("vi_VN")
    assert vi == theirs.convert_tokens_to_ids("vi_VN") and len(tok.codes) == 52
    for ids in (tok.ids(VI_TEXT), theirs(VI_TEXT).input_ids):  # mBART-50: src_lang_code X </s>
        assert ids[0] == vi and ids[-1] == tok.eos_id
    assert tok.decode(tok.ids(VI_TEXT)) == VI_TEXT
    assert tok.code_id("en_XX") == theirs.convert_tokens_to_ids("en_XX") != theirs.unk_token_id


def test_nllb_language_codes(ours, auto, models):
    pid = "facebook/nllb-200-distilled-600M"
    tok, theirs, model = ours[pid], auto[pid], models[pid]
    vie, eng = tok.code_id("vie_Latn"), tok.code_id("eng_Latn")
    assert (vie, eng) == (theirs.convert_tokens_to_ids("vie_Latn"), theirs.convert_tokens_to_ids("eng_Latn"))
    assert theirs.unk_token_id not in (vie, eng)
    ids = tok.ids(VI_TEXT)
    assert ids == theirs(VI_TEXT).input_ids
    assert ids[0] == vie and ids[-1] == tok.eos_id
    n_codes = 202
    first = tok.code_id("ace_Arab")
    assert len(tok.codes) == n_codes and first == theirs.convert_tokens_to_ids("ace_Arab")
    assert tok.code_id("zul_Latn") == first + n_codes - 1 == theirs.convert_tokens_to_ids("zul_Latn")
    assert tok.id_to_piece(tok.size - 1) == "<mask>"
    assert theirs.convert_tokens_to_ids("<mask>") == tok.size - 1 == len(theirs) - 1 == first + n_codes
    assert model.config.decoder_start_token_id == tok.eos_id == theirs.eos_token_id == 2


def test_marian_special_ids(ours, auto, models):
    pid = "Helsinki-NLP/opus-mt-vi-en"
    tok, theirs, model = ours[pid], auto[pid], models[pid]
    assert (tok.eos_id, tok.unk_id) == (theirs.eos_token_id, theirs.unk_token_id) == (0, 1)
    assert tok.pad_id == theirs.pad_token_id == tok.size - 1 == model.config.vocab_size - 1
    assert tok.ids(VI_TEXT) == theirs(VI_TEXT).input_ids
    assert model.config.decoder_start_token_id == tok.pad_id
    assert model.config.static_position_embeddings and model.config.scale_embedding
    assert model.config.activation_function == "swish"


@pytest.mark.parametrize("pid", ALL)
def test_generate(ours, models, pid):
    import torch

    tok, model = ours[pid], models[pid]
    profile = PROFILES[pid]
    batch = [tok.ids(profile.input_prefix + VI_TEXT), tok.ids(profile.input_prefix + "Xin chào.")]
    longest = max(len(ids) for ids in batch)
    input_ids = torch.tensor([ids + [tok.pad_id] * (longest - len(ids)) for ids in batch])  # right padding
    mask = torch.tensor([[1] * len(ids) + [0] * (longest - len(ids)) for ids in batch])
    kwargs = {}
    if profile.tgt_lang:
        kwargs["forced_bos_token_id"] = tok.code_id(profile.tgt_lang)
    with torch.no_grad():
        out = model.generate(input_ids=input_ids, attention_mask=mask, max_new_tokens=6, num_beams=2, **kwargs)
    assert out.shape[0] == 2 and 2 <= out.shape[1] <= 7
    assert int(out.max()) < model.config.vocab_size
    assert (out[:, 0] == model.config.decoder_start_token_id).all()
    if profile.tgt_lang:
        assert (out[:, 1] == kwargs["forced_bos_token_id"]).all()
    texts = [tok.decode(row) for row in out.tolist()]
    assert all(isinstance(t, str) for t in texts)
    specials = {t for t in ("<pad>", "</s>", "<unk>", profile.tgt_lang) if t}
    assert not any(s in t for t in texts for s in specials)


def test_ensure_replica_reuses_the_cache(replica_root, replicas):
    pid = "VietAI/vit5-base-vietnews-summarization"
    path = replicas[pid]
    assert path == replica_root / "tiny" / "VietAI__vit5-base-vietnews-summarization"
    before = {name: (path / name).stat().st_mtime_ns for name in ("model.safetensors", MANIFEST)}
    again = ensure_replica(pid, replica_root)
    assert again == path
    assert {name: (path / name).stat().st_mtime_ns for name in before} == before
    assert not [p for p in (replica_root / "tiny").iterdir() if p.name.startswith(".")]  # no temp dirs left


@pytest.mark.parametrize("pid", [ENVIT5, "Helsinki-NLP/opus-mt-vi-en"])  # real tokenizer; trained tokenizer
def test_build_is_deterministic(tmp_path, replicas, pid):
    again = build_replica(pid, tmp_path / "again")
    a, b = load_file(replicas[pid] / "model.safetensors"), load_file(again / "model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    for name in TOKENIZER_FILES[pid]:
        assert (again / name).read_bytes() == (replicas[pid] / name).read_bytes(), name


def test_build_refuses_non_empty_dir(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "junk").write_text("x")
    with pytest.raises(FileExistsError):
        build_replica("VietAI/envit5-translation", tmp_path / "x")


def test_real_config_vit5_base_without_weights():
    c = replica_config("VietAI/vit5-base-vietnews-summarization", "real")
    assert c.model_type == "t5"
    assert (c.d_model, c.num_layers, c.num_decoder_layers, c.num_heads, c.d_kv, c.d_ff) == (768, 12, 12, 12, 64, 3072)
    assert c.feed_forward_proj == "relu" and not c.is_gated_act
    assert c.vocab_size == 36096 and c.tie_word_embeddings and c.scale_decoder_outputs
    assert (c.decoder_start_token_id, c.pad_token_id, c.eos_token_id) == (0, 0, 1)
    assert 220e6 < parameter_count(c) < 230e6  # T5-base with a 36k vocabulary


def test_real_configs_have_documented_dims():
    large = replica_config("VietAI/vit5-large-vietnews-summarization", "real")
    assert (large.d_model, large.num_layers, large.num_heads, large.d_ff, large.vocab_size) == (1024, 24, 16, 2816, 36096)
    assert large.is_gated_act and not large.scale_decoder_outputs  # i.e. built with tie_word_embeddings=False
    envit5 = replica_config("VietAI/envit5-translation", "real")
    assert (envit5.d_model, envit5.d_ff, envit5.vocab_size, envit5.scale_decoder_outputs) == (768, 2048, 50048, False)
    marian = replica_config("Helsinki-NLP/opus-mt-vi-en", "real")
    assert (marian.d_model, marian.encoder_layers, marian.vocab_size, marian.pad_token_id) == (512, 6, 53739, 53738)
    nllb = replica_config("facebook/nllb-200-distilled-600M", "real")
    assert (nllb.d_model, nllb.encoder_layers, nllb.vocab_size, nllb.decoder_start_token_id) == (1024, 12, 256206, 2)
    mbart = replica_config("vinai/vinai-translate-vi2en-v2", "real")
    assert (mbart.d_model, mbart.encoder_layers, mbart.decoder_ffn_dim) == (1024, 12, 4096)


def test_padded_sentencepiece_keeps_the_segmentation():
    import sentencepiece as spm

    base = _train_spm([VI_TEXT, VI_TEXT_2, "The police held a meeting."], 800, "unigram", t5_ids=True, seed=0)
    padded = _pad_spm(base, 5000)
    assert len(_spm_pieces(padded)) == 5000
    a, b = spm.SentencePieceProcessor(model_proto=base), spm.SentencePieceProcessor(model_proto=padded)
    for text in (VI_TEXT, VI_TEXT_2, "Hà Nội mùa thu."):
        assert a.encode(text) == b.encode(text)
        assert b.decode(b.encode(text)) == text
