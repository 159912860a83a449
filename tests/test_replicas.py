"""Random-weight replicas (models/replicas.py): built offline, loaded like real checkpoints."""

from __future__ import annotations

import json
import os

import pytest


from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer  # noqa: E402

from models.profiles import PROFILES  # noqa: E402
from models.replicas import (  # noqa: E402
    MANIFEST,
    _pad_spm,
    _spm_pieces,
    _train_spm,
    build_replica,
    ensure_replica,
    parameter_count,
    replica_config,
)

VI_TEXT = "Chiều ngày 22/7, Công an Quận 3 họp."
VI_TEXT_2 = "Ông Nguyễn Văn Ấn trú tại phường Ỷ La, tỉnh Tuyên Quang; ĐẶNG THỊ HƯƠNG."

ALL = list(PROFILES)

EXPECTED_FILES = {
    "t5": {"config.json", "generation_config.json", "model.safetensors", "spiece.model", "tokenizer.json",
           "tokenizer_config.json"},
    "marian": {"config.json", "generation_config.json", "model.safetensors", "source.spm", "target.spm",
               "vocab.json", "tokenizer_config.json"},
    "mbart": {"config.json", "generation_config.json", "model.safetensors", "sentencepiece.bpe.model",
              "tokenizer.json", "tokenizer_config.json"},
    "m2m_100": {"config.json", "generation_config.json", "model.safetensors", "sentencepiece.bpe.model",
                "tokenizer.json", "tokenizer_config.json"},
}
TOKENIZER_CLASS = {"t5": "T5Tokenizer", "marian": "MarianTokenizer", "mbart": "MBartTokenizer",
                   "m2m_100": "NllbTokenizer"}
MODEL_CLASS = {"t5": "T5ForConditionalGeneration", "marian": "MarianMTModel",
               "mbart": "MBartForConditionalGeneration", "m2m_100": "M2M100ForConditionalGeneration"}


@pytest.fixture(scope="session")
def replica_root(tmp_path_factory):
    return tmp_path_factory.mktemp("replicas")


@pytest.fixture(scope="session")
def replicas(replica_root):
    return {pid: ensure_replica(pid, replica_root) for pid in ALL}


@pytest.fixture(scope="session")
def loaded(replicas):
    out = {}
    for pid, path in replicas.items():
        out[pid] = (AutoTokenizer.from_pretrained(path), AutoModelForSeq2SeqLM.from_pretrained(path).eval())
    return out


def _prepare(pid, tok):
    profile = PROFILES[pid]
    if profile.src_lang:
        tok.src_lang = profile.src_lang
    return profile


@pytest.mark.parametrize("pid", ALL)
def test_layout_matches_hub_repo(replicas, pid):
    family = PROFILES[pid].family
    files = set(os.listdir(replicas[pid]))
    assert EXPECTED_FILES[family] <= files, sorted(files)
    assert not {"pytorch_model.bin", "special_tokens_map.json"} & files
    config = json.loads((replicas[pid] / "config.json").read_text())
    assert config["model_type"] == family
    manifest = json.loads((replicas[pid] / MANIFEST).read_text())
    assert manifest["profile"] == pid and manifest["size"] == "tiny"


@pytest.mark.parametrize("pid", ALL)
def test_loads_as_the_right_classes(loaded, pid):
    family = PROFILES[pid].family
    tok, model = loaded[pid]
    assert type(tok).__name__ == TOKENIZER_CLASS[family]
    assert type(model).__name__ == MODEL_CLASS[family]
    assert model.config.model_type == family
    assert len(tok) <= model.config.vocab_size
    assert model.config.pad_token_id == tok.pad_token_id
    assert model.config.eos_token_id == tok.eos_token_id


@pytest.mark.parametrize("pid", ALL)
@pytest.mark.parametrize("text", [VI_TEXT, VI_TEXT_2])
def test_vietnamese_round_trip(loaded, pid, text):
    tok, _ = loaded[pid]
    profile = _prepare(pid, tok)
    ids = tok(profile.input_prefix + text).input_ids
    assert tok.unk_token_id not in ids
    assert ids.count(tok.eos_token_id) == 1
    assert tok.decode(ids, skip_special_tokens=True) == profile.input_prefix + text


def test_t5_special_ids(loaded):
    for pid in ALL:
        if PROFILES[pid].family != "t5":
            continue
        tok, model = loaded[pid]
        assert (tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2)
        c = model.config
        assert (c.decoder_start_token_id, c.pad_token_id, c.eos_token_id) == (0, 0, 1)
        assert tok(VI_TEXT).input_ids[-1] == 1
        assert tok.convert_tokens_to_ids("<extra_id_0>") == len(tok) - 1


def test_t5_tying(replicas, loaded):
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
        model = loaded[pid][1]
        shares = model.lm_head.weight.data_ptr() == model.shared.weight.data_ptr()
        assert shares == is_tied
        assert model.config.scale_decoder_outputs == is_tied  # T5 v1.0 rescales before lm_head, v1.1 does not
        keys = set(load_file(replicas[pid] / "model.safetensors"))
        assert ("lm_head.weight" in keys) == (not is_tied)


def test_mbart_language_codes(loaded):
    pid = "vinai/vinai-translate-vi2en-v2"
    tok, model = loaded[pid]
    _prepare(pid, tok)
    vi, en = tok.convert_tokens_to_ids("vi_VN"), tok.convert_tokens_to_ids("en_XX")
    assert tok.unk_token_id not in (vi, en)
    assert {"vi_VN", "en_XX"} <= set(tok.all_special_tokens)
    ids = tok(VI_TEXT).input_ids
    # mBART (cc25) format, as MBartTokenizer does it: X </s> src_lang_code
    assert ids[-2:] == [tok.eos_token_id, vi]
    assert tok.decode(ids, skip_special_tokens=True) == VI_TEXT
    # fairseq layout: pieces, then the 25 language codes, then <mask>
    assert tok.convert_tokens_to_ids("<mask>") == len(tok) - 1
    assert tok.convert_tokens_to_ids("ar_AR") == en - 3
    assert model.config.decoder_start_token_id == en
    assert model.generation_config.decoder_start_token_id == en


def test_mbart50_style_option(tmp_path):
    pid = "vinai/vinai-translate-vi2en-v2"
    path = build_replica(pid, tmp_path / "m50", mbart_style="mbart50")
    tok = AutoTokenizer.from_pretrained(path)
    assert type(tok).__name__ == "MBart50Tokenizer"
    tok.src_lang = "vi_VN"
    ids = tok(VI_TEXT).input_ids
    assert ids[0] == tok.convert_tokens_to_ids("vi_VN") and ids[-1] == tok.eos_token_id
    assert tok.convert_tokens_to_ids("en_XX") != tok.unk_token_id


def test_nllb_language_codes(loaded):
    pid = "facebook/nllb-200-distilled-600M"
    tok, model = loaded[pid]
    _prepare(pid, tok)
    vie, eng = tok.convert_tokens_to_ids("vie_Latn"), tok.convert_tokens_to_ids("eng_Latn")
    assert tok.unk_token_id not in (vie, eng)
    ids = tok(VI_TEXT).input_ids
    assert ids[0] == vie and ids[-1] == tok.eos_token_id
    n_codes = 202
    first = tok.convert_tokens_to_ids("ace_Arab")
    assert tok.convert_tokens_to_ids("zul_Latn") == first + n_codes - 1
    assert tok.convert_tokens_to_ids("<mask>") == len(tok) - 1 == first + n_codes
    assert model.config.decoder_start_token_id == tok.eos_token_id == 2


def test_marian_special_ids(loaded):
    tok, model = loaded["Helsinki-NLP/opus-mt-vi-en"]
    assert (tok.eos_token_id, tok.unk_token_id) == (0, 1)
    assert tok.pad_token_id == len(tok) - 1 == model.config.vocab_size - 1
    assert model.config.decoder_start_token_id == tok.pad_token_id
    assert model.config.static_position_embeddings and model.config.scale_embedding
    assert model.config.activation_function == "swish"


@pytest.mark.parametrize("pid", ALL)
def test_generate(loaded, pid):
    import torch

    tok, model = loaded[pid]
    profile = _prepare(pid, tok)
    batch = tok([profile.input_prefix + VI_TEXT, profile.input_prefix + "Xin chào."], return_tensors="pt",
                padding=True)
    kwargs = {}
    if profile.tgt_lang:
        kwargs["forced_bos_token_id"] = tok.convert_tokens_to_ids(profile.tgt_lang)
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=6, num_beams=2, **kwargs)
    assert out.shape[0] == 2 and 2 <= out.shape[1] <= 7
    assert int(out.max()) < model.config.vocab_size
    assert (out[:, 0] == model.config.decoder_start_token_id).all()
    if profile.tgt_lang:
        assert (out[:, 1] == kwargs["forced_bos_token_id"]).all()
    texts = tok.batch_decode(out, skip_special_tokens=True)
    assert all(isinstance(t, str) for t in texts)
    specials = {t for t in (tok.pad_token, tok.eos_token, profile.tgt_lang) if t}
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


def test_build_is_deterministic(tmp_path, replicas):
    pid = "VietAI/envit5-translation"
    again = build_replica(pid, tmp_path / "again")
    a, b = load_file(replicas[pid] / "model.safetensors"), load_file(again / "model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    assert (again / "spiece.model").read_bytes() == (replicas[pid] / "spiece.model").read_bytes()


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
