"""The CTranslate2 backend: conversion (cached, with the untied-T5 and mBART fixes), profile semantics,
and equality with torch: greedy outputs on every family, beam scores on an untied T5."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import ctranslate2  # noqa: E402  - a core dependency: missing means a broken install, not a skip

from models.backends import GenerationOptions, load_backend  # noqa: E402
from models.backends import convert as conversion  # noqa: E402
from models.profiles import PROFILES  # noqa: E402
from models.seq2seq import Seq2SeqModel  # noqa: E402

TEXTS = ["Chiều ngày 22/7, Công an Quận 3 họp báo.", "Giá vàng trong nước biến động mạnh theo thị trường thế giới."]
ENVIT5 = "VietAI/envit5-translation"


def backends(replica, profile_id, quantization="float32"):
    profile = PROFILES[profile_id]
    path = str(replica(profile_id))
    # fp32: compared with CTranslate2 float32 to 1e-4, which bf16 cannot be
    torch_backend = load_backend("torch", path, profile, device="cpu", threads=1, torch_dtype="fp32")
    ct2_backend = load_backend("ctranslate2", path, profile, device="cpu", threads=1, quantization=quantization)
    return profile, torch_backend, ct2_backend


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_greedy_outputs_match_torch_on_every_family(replica, profile_id):
    profile, torch_backend, ct2_backend = backends(replica, profile_id)
    assert ct2_backend.name == "ctranslate2"
    prepared = [profile.input_prefix + t for t in TEXTS]
    ids = [torch_backend.tokenizer.ids(t, profile.window) for t in prepared]
    for options in (GenerationOptions(num_beams=1, max_new_tokens=6, min_new_tokens=6),
                    GenerationOptions(num_beams=1, max_new_tokens=8)):
        assert ct2_backend.generate(prepared, options) == torch_backend.generate(prepared, options)
        # the very ids, not only the text they decode to (which hides language codes and </s>)
        torch_rows, _ = torch_backend.generate_ids(ids, options)
        ct2_rows, _ = ct2_backend.generate_ids(ids, options)
        # torch rows start with the decoder start; CT2's with the target prefix only (mBART: the same code)
        ct2_start = 1 if profile.target_token == "decoder_start" and profile.tgt_lang else 0
        assert _content(ct2_rows, ct2_backend.tokenizer, ct2_start) == _content(torch_rows, torch_backend.tokenizer, 1)


def _content(rows, tokenizer, skip: int) -> list[list[int]]:
    """Generated ids after the first ``skip`` ones, without the trailing </s> and padding."""
    out = []
    for row in rows:
        row = list(row[skip:])
        while row and row[-1] in (tokenizer.eos_id, tokenizer.pad_id):
            row.pop()
        out.append(row)
    return out


def _padded(tokenizer, batch: list[list[int]]):
    """Right padding with the tokenizer's pad id, and the attention mask, built by hand."""
    import torch

    longest = max(len(ids) for ids in batch)
    input_ids = torch.tensor([ids + [tokenizer.pad_id] * (longest - len(ids)) for ids in batch])
    mask = torch.tensor([[1] * len(ids) + [0] * (longest - len(ids)) for ids in batch])
    return input_ids, mask


def test_beam_scores_match_torch_on_untied_t5(replica):
    """EnViT5 is an untied T5 v1.1: without the converter fix, CT2 scales the decoder output
    by d_model**-0.5 and its scores (hence beam search) differ from torch."""
    import torch

    profile, torch_backend, ct2_backend = backends(replica, ENVIT5)
    model, tok = torch_backend.model, torch_backend.tokenizer
    assert model.lm_head.weight.data_ptr() != model.shared.weight.data_ptr()  # really untied
    prepared = [profile.input_prefix + t for t in TEXTS]
    ids = [tok.ids(t, profile.window) for t in prepared]
    assert len(set(map(len, ids))) > 1  # inputs of different lengths: padding is exercised
    input_ids, mask = _padded(tok, ids)
    for length_penalty in (1.0, 0.0):
        options = GenerationOptions(num_beams=4, max_new_tokens=8, min_new_tokens=8, length_penalty=length_penalty)
        with torch.inference_mode():
            out = model.generate(input_ids=input_ids, attention_mask=mask, num_beams=4, max_new_tokens=8,
                                 min_new_tokens=8, do_sample=False, length_penalty=length_penalty,
                                 early_stopping=True, output_scores=True, return_dict_in_generate=True)
        torch_scores = out.sequences_scores.tolist()
        # the backend pads its batches the same way: the same sequences
        assert torch_backend.generate_ids(ids, options)[0] == out.sequences.tolist()
        results = ct2_backend.translate(prepared, options)
        assert [r.scores[0] for r in ct2_backend.translate_ids(ids, options)] == [r.scores[0] for r in results]
        ct2_scores = [r.scores[0] for r in results]
        assert ct2_scores == pytest.approx(torch_scores, rel=1e-4, abs=1e-4)
        torch_tokens = [[tok.id_to_piece(i) for i in seq[1:]] for seq in out.sequences.tolist()]
        assert [r.hypotheses[0] for r in results] == torch_tokens

    # the unfixed converter really gets it wrong (this is what the fix is for). Only the
    # vocabulary comes from our tokenizer: transformers 5 cannot load EnViT5's tokenizer files.
    from models.backends.convert import _ConverterTokenizer
    from models.tokenization import load_tokenizer

    path = replica(ENVIT5)

    class Unfixed(ctranslate2.converters.TransformersConverter):
        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            return _ConverterTokenizer(load_tokenizer(path, "t5"), None)

    raw_dir = ct2_backend.ct2_dir.parent / "unfixed-for-test"
    Unfixed(str(path)).convert(str(raw_dir), quantization="float32", force=True)
    unfixed = ctranslate2.Translator(str(raw_dir), device="cpu", intra_threads=1)
    source = [[tok.id_to_piece(i) for i in row] for row in ids]
    wrong = [r.scores[0] for r in unfixed.translate_batch(source, beam_size=4, max_decoding_length=8,
                                                          min_decoding_length=8, return_scores=True)]
    assert wrong != pytest.approx(ct2_scores, rel=1e-2)


@pytest.mark.parametrize("profile_id", ["vinai/vinai-translate-vi2en-v2", ENVIT5])
def test_torch_backend_pads_on_the_right(replica, profile_id):
    """The torch backend feeds the model the tokenizer's ids, right-padded with its pad id under an
    attention mask (as transformers' tokenizers pad seq2seq inputs), and returns the rows it got."""
    profile, torch_backend, _ = backends(replica, profile_id)
    tok = torch_backend.tokenizer
    ids = [tok.ids(profile.input_prefix + t, profile.window) for t in TEXTS + ["Xin chào."]]
    seen = {}
    generate = torch_backend.model.generate

    def recording(*args, **kwargs):
        assert not args  # named inputs only
        seen.update(kwargs)
        return generate(*args, **kwargs)

    torch_backend.model.generate = recording
    options = GenerationOptions(num_beams=1, max_new_tokens=5)
    rows, generated = torch_backend.generate_ids(ids, options)
    input_ids, mask = _padded(tok, ids)
    assert seen["input_ids"].tolist() == input_ids.tolist() and seen["attention_mask"].tolist() == mask.tolist()
    assert len(rows) == len(ids) and all(len(r) <= 1 + options.max_new_tokens for r in rows)
    assert generated == sum(1 for r in rows for i in r[1:] if i != tok.pad_id)
    assert torch_backend.generate_ids([], options) == ([], 0)


def test_conversion_is_cached_and_keyed_by_quantization(replica):
    path = replica("Helsinki-NLP/opus-mt-vi-en")
    first = conversion.convert(path, "int8")
    marker = first / conversion.MARKER
    stamp = marker.stat().st_mtime_ns
    assert conversion.convert(path, "int8") == first and marker.stat().st_mtime_ns == stamp  # not converted again
    other = conversion.convert(path, "float32")
    assert other != first and other.parent == first.parent  # same place next to the model, another key
    meta = json.loads(marker.read_text())
    assert meta["quantization"] == "int8" and meta["revision"] in first.name
    assert first.parent == path.parent / f"{path.name}.ct2"
    assert conversion.saved_tokenizer_dir(first) == first and conversion.saved_tokenizer_dir(other) == other


def test_a_start_from_a_cached_conversion_loads_the_tokenizer_once(replica, monkeypatch):
    import models.tokenization as tokenization

    profile = PROFILES["Helsinki-NLP/opus-mt-vi-en"]
    path = replica(profile.id)
    converted = conversion.convert(path, "int8")
    loads = []
    real = tokenization.load_tokenizer
    monkeypatch.setattr(tokenization, "load_tokenizer", lambda d, *a, **k: loads.append(Path(d)) or real(d, *a, **k))
    backend = load_backend("ctranslate2", str(path), profile, device="cpu", quantization="int8", threads=1)
    assert loads == [converted] and backend.tokenizer.ids("Xin chào.")  # the copy beside the conversion


def test_target_language_prefix_for_mbart_and_nllb(replica):
    _, _, nllb = backends(replica, "facebook/nllb-200-distilled-600M")
    options = GenerationOptions(num_beams=1, max_new_tokens=4, min_new_tokens=4)
    result = nllb.translate(["Xin chào."], options)[0].hypotheses[0]
    assert result[0] == "eng_Latn" and len(result) == 4  # forced first token, counted as generated
    _, _, mbart = backends(replica, "vinai/vinai-translate-vi2en-v2")
    result = mbart.translate(["Xin chào."], options)[0].hypotheses[0]
    assert result[0] == "en_XX"  # decoding starts with the target code


def test_profile_conventions_through_seq2seq(replica):
    profile, _, ct2_backend = backends(replica, ENVIT5)
    seen = []
    original = ct2_backend.generate_ids

    def recording(batch, options):
        seen.extend(list(ids) for ids in batch)
        return original(batch, options)

    ct2_backend.generate_ids = recording
    model = Seq2SeqModel(ENVIT5, profile, ct2_backend)
    model.make_batcher(max_wait_ms=0)
    model.generate(["hòa bình"], GenerationOptions(num_beams=1, max_new_tokens=3))
    assert seen == [ct2_backend.tokenizer.ids("vi: hòa bình")]
    assert ct2_backend.tokenizer.decode(seen[0]) == "vi: hòa bình"
    assert model._strip_output("en: Peace.") == "Peace."
    assert model.describe()["backend"] == "ctranslate2" and model.describe()["quantization"] == "float32"
    assert "ct2-float32" in model.cache_key
    model.batcher.close()


def test_auto_prefers_ctranslate2_and_falls_back_to_torch(replica, monkeypatch):
    profile = PROFILES["VietAI/vit5-base-vietnews-summarization"]
    path = str(replica(profile.id))
    assert load_backend("auto", path, profile, device="cpu", threads=1).name == "ctranslate2"

    def broken(*args, **kwargs):
        raise RuntimeError("unsupported architecture")

    import models.backends.ct2_backend as ct2_module

    monkeypatch.setattr(ct2_module, "convert", broken)
    assert load_backend("auto", path, profile, device="cpu", threads=1).name == "torch"
    with pytest.raises(Exception, match="CTranslate2"):
        load_backend("ctranslate2", path, profile, device="cpu", threads=1)


def test_never_forces_mkl_and_threads_come_from_the_machine(replica):
    before = os.environ.get("CT2_USE_MKL")
    profile = PROFILES["Helsinki-NLP/opus-mt-vi-en"]
    backend = load_backend("ctranslate2", str(replica(profile.id)), profile, device="cpu")
    assert os.environ.get("CT2_USE_MKL") == before
    # one thread per batch, a batch split across one replica per core
    assert backend.intra_threads == 1 and backend.inter_threads == len(os.sched_getaffinity(0))
    assert backend.quantization == "int8"  # auto on CPU
    backend = load_backend("ctranslate2", str(replica(profile.id)), profile, device="cpu", threads=2)
    assert backend.intra_threads == 2 and backend.inter_threads == 1  # an explicit setting wins


def test_a_batch_split_across_replicas_keeps_order_and_results(replica):
    profile = PROFILES[ENVIT5]
    texts = [f"Câu thứ {i}: giá vàng trong nước hôm nay tăng {i} nghìn đồng." for i in range(7)]
    options = GenerationOptions(num_beams=1, max_new_tokens=6)
    whole = load_backend("ctranslate2", str(replica(profile.id)), profile, device="cpu", threads=1, inter_threads=1)
    split = load_backend("ctranslate2", str(replica(profile.id)), profile, device="cpu", threads=1, inter_threads=3)
    assert split.inter_threads == 3
    expected = [whole.generate([t], options)[0] for t in texts]  # one by one: no padding at all
    assert split.generate(texts, options) == expected
    assert len(set(expected)) > 1  # distinct outputs, so an order mix-up would show


def test_bf16_is_refused_without_hardware_support(monkeypatch):
    from models.backends import torch_backend

    monkeypatch.setattr(torch_backend, "_cpu_flags", lambda: {"avx2", "fma"})
    assert torch_backend.TorchBackend._pick_dtype("bf16", "cpu") == "fp32"
    assert torch_backend.TorchBackend._pick_dtype("auto", "cpu") == "fp32"
    assert torch_backend.TorchBackend._pick_dtype("auto", "cuda") == "fp16"
    assert torch_backend.TorchBackend._pick_dtype("int8", "cpu") == "int8"


def test_auto_dtype_is_bf16_only_where_amx_makes_it_fast(monkeypatch):
    from models.backends import torch_backend

    pick = torch_backend.TorchBackend._pick_dtype
    monkeypatch.setattr(torch_backend, "_cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    assert pick("auto", "cpu") == "fp32"  # bf16 dot products without AMX: allowed when asked, not chosen
    assert pick("bf16", "cpu") == "bf16"
    monkeypatch.setattr(torch_backend, "_cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16", "amx_bf16"})
    assert pick("auto", "cpu") == "bf16"
    assert pick("fp32", "cpu") == "fp32"  # an explicit choice always wins


def test_torch_bf16_loads_and_generates(replica, monkeypatch):
    from models.backends import torch_backend

    monkeypatch.setattr(torch_backend, "_cpu_flags", lambda: {"avx512_bf16", "amx_bf16"})
    profile = PROFILES["VietAI/envit5-translation"]
    backend = load_backend("torch", str(replica(profile.id)), profile, device="cpu", threads=1)
    assert backend.dtype == "bf16" and backend.revision.endswith("-bf16")  # a separate result-cache key
    assert str(next(backend.model.parameters()).dtype) == "torch.bfloat16"
    assert len(backend.generate(TEXTS, GenerationOptions(num_beams=1, max_new_tokens=4))) == 2


def test_torch_dynamic_int8_option(replica):
    profile = PROFILES["Helsinki-NLP/opus-mt-vi-en"]
    backend = load_backend("torch", str(replica(profile.id)), profile, device="cpu", threads=1, torch_dtype="int8")
    assert backend.dtype == "int8" and backend.revision.endswith("-int8")
    assert len(backend.generate(TEXTS, GenerationOptions(num_beams=1, max_new_tokens=4))) == 2



def _ct2_vocabulary(ct2_dir: Path) -> list[str]:
    return json.loads((ct2_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("profile_id, tokenizer_files", [
    ("VietAI/vit5-base-vietnews-summarization", ["spiece.model", "tokenizer_config.json", "special_tokens_map.json"]),
    ("Helsinki-NLP/opus-mt-vi-en", ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"]),
    ("facebook/nllb-200-distilled-600M", ["sentencepiece.bpe.model", "tokenizer_config.json"]),
])
def test_models_convert_command(replica, capsys, profile_id, tokenizer_files):
    from service.cli import main

    profile = PROFILES[profile_id]
    path = replica(profile_id)
    assert main(["models", "convert", str(path), "--quantization", "int8", "--profile", profile_id]) == 0
    converted = Path(capsys.readouterr().out.split(": ", 1)[1].rsplit(" (", 1)[0])
    assert (converted / "model.bin").is_file()
    ctranslate2.Translator(str(converted), device="cpu", compute_type="int8")  # loads
    # the tokenizer files travel with the conversion, byte for byte, named by the sidecar
    meta = json.loads((converted / conversion.TOKENIZER_META).read_text(encoding="utf-8"))
    assert meta == {"version": conversion.TOKENIZER_VERSION, "family": profile.family, "kind": "sentencepiece",
                    "files": tokenizer_files}
    for name in tokenizer_files:
        assert (converted / name).read_bytes() == (path / name).read_bytes(), name
    assert conversion.saved_tokenizer_dir(converted) == converted
    # what the service would load is exactly this conversion: nothing to convert again at start-up
    stamp = (converted / "model.bin").stat().st_mtime_ns
    backend = load_backend("ctranslate2", str(path), profile, device="cpu", threads=1)
    assert backend.ct2_dir == converted and (converted / "model.bin").stat().st_mtime_ns == stamp
    # CTranslate2's vocabulary is our tokenizer's id layout, cut at the embedding rows
    rows = json.loads((path / "config.json").read_text())["vocab_size"]
    vocabulary = backend.tokenizer.vocabulary(rows)
    assert len(vocabulary) == rows
    if profile.family == "marian":  # CTranslate2 drops the <pad> transformers adds as Marian's decoder start
        assert vocabulary[-1] == "<pad>"
        vocabulary = vocabulary[:-1]
    assert _ct2_vocabulary(converted) == vocabulary
    if profile.src_lang:  # the source-language convention applies to the served tokenizer
        ids = backend.tokenizer.ids("Xin chào.")
        assert ids[0] == backend.tokenizer.code_id(profile.src_lang) and ids[-1] == backend.tokenizer.eos_id


def test_tokenizer_larger_than_the_model_is_cut_for_conversion(replica, tmp_path):
    """A tokenizer with more ids than the model has embedding rows (a ViT5 fine-tune whose
    tokenizer_config says 100 extra ids: 36,100 ids for 36,096 rows) still converts and serves:
    CTranslate2's vocabulary stops at the rows and the sentinels used are the ids the model has."""
    from models.tokenization import load_tokenizer

    pid = "VietAI/vit5-base-vietnews-summarization"
    profile = PROFILES[pid]
    real = replica(pid)
    rows = json.loads((real / "config.json").read_text())["vocab_size"]
    as_released = load_tokenizer(real, "t5")
    assert as_released.size == rows == 36096 and as_released.reachable == 36000  # 36,000 pieces + 96 extra ids
    assert as_released.id_to_piece(rows - 1) == "<extra_id_0>"

    model_dir = tmp_path / "vit5-100-extra-ids"
    shutil.copytree(real, model_dir)
    config_path = model_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["extra_ids"] = 100
    config_path.write_text(json.dumps(config), encoding="utf-8")
    larger = load_tokenizer(model_dir, "t5")
    assert larger.size == 36100 > rows and larger.id_to_piece(rows - 1) == "<extra_id_4>"

    torch_backend = load_backend("torch", str(model_dir), profile, device="cpu", threads=1, torch_dtype="fp32")
    ct2_backend = load_backend("ctranslate2", str(model_dir), profile, device="cpu", threads=1,
                               quantization="float32")
    vocabulary = _ct2_vocabulary(ct2_backend.ct2_dir)
    assert len(vocabulary) == rows and vocabulary == larger.vocabulary(rows)
    assert vocabulary[-1] == "<extra_id_4>" and "<extra_id_0>" not in vocabulary
    for backend in (torch_backend, ct2_backend):
        sentinels = backend.tokenizer.sentinels
        assert len(sentinels) == 96 and max(sentinels) == rows - 1 and min(sentinels) == 36000
    options = GenerationOptions(num_beams=1, max_new_tokens=6)
    assert ct2_backend.generate(TEXTS, options) == torch_backend.generate(TEXTS, options)

    # a summary of text with a span the vocabulary lacks goes through a sentinel the model has
    text = "Giá vàng tăng 😀 mạnh trong tuần qua."
    outputs = []
    for backend in (torch_backend, ct2_backend):
        seen = []
        original = backend.generate_ids

        def recording(batch, opts, original=original, seen=seen):
            seen.extend(list(ids) for ids in batch)
            return original(batch, opts)

        backend.generate_ids = recording
        model = Seq2SeqModel(pid, profile, backend)
        assert model.encode(text).unknown  # the emoji is not in ViT5's vocabulary
        outputs.append(model.generate([text], options))
        assert len(seen) == 1 and rows - 1 in seen[0] and max(seen[0]) < rows
        assert backend.tokenizer.unk_id not in seen[0]
    assert outputs[0] == outputs[1]


SERVE_WITHOUT_TORCH = r"""
import json, sys
from models.backends import GenerationOptions, load_backend
from models.profiles import PROFILES
from models.seq2seq import Seq2SeqModel
profile = PROFILES[sys.argv[2]]
backend = load_backend("ctranslate2", sys.argv[1], profile, device="cpu", threads=1, quantization="float32")
options = GenerationOptions(num_beams=1, max_new_tokens=4)
texts = ["Chiều ngày 22/7, Công an Quận 3 họp báo.", "Giá vàng trong nước biến động mạnh."]
out = backend.generate([profile.input_prefix + t for t in texts], options)
served = Seq2SeqModel(sys.argv[2], profile, backend).generate(texts, options)
print(json.dumps({"out": out, "served": served, "count": backend.count_tokens("Xin chào."),
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))}))
"""


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_ct2_serving_imports_neither_torch_nor_transformers(replica, profile_id):
    import subprocess
    import sys

    profile = PROFILES[profile_id]
    path = replica(profile_id)
    ct2_dir = conversion.convert(path, "float32", src_lang=profile.src_lang)  # converted beforehand
    assert conversion.saved_tokenizer_dir(ct2_dir) == ct2_dir
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", SERVE_WITHOUT_TORCH, str(path), profile_id],
                          capture_output=True, text=True, cwd=root, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["modules"] == []
    # and what it serves is what the torch backend gives
    torch_backend = load_backend("torch", str(path), profile, device="cpu", threads=1, torch_dtype="fp32")
    options = GenerationOptions(num_beams=1, max_new_tokens=4)
    texts = ["Chiều ngày 22/7, Công an Quận 3 họp báo.", "Giá vàng trong nước biến động mạnh."]
    assert result["out"] == torch_backend.generate([profile.input_prefix + t for t in texts], options)
    assert result["served"] == Seq2SeqModel(profile_id, profile, torch_backend).generate(texts, options)
    assert result["count"] == torch_backend.count_tokens("Xin chào.")


VI_LINES = [
    "Ông Nguyễn Văn Ấn trú tại phường Ỷ La, tỉnh Tuyên Quang; ĐẶNG THỊ HƯƠNG.",
    "Thủ tướng Phạm Minh Chính chủ trì hội nghị trực tuyến với 63 tỉnh, thành phố.",
    "Nông dân đồng bằng sông Cửu Long phấn khởi vì lúa được mùa, được giá (tăng 6,9%).",
    "hoà bình và sức khoẻ, hòa bình và sức khỏe; thuỷ lợi, thủy lợi.",
    "  Khoảng trắng   thừa\tvà\nxuống dòng  ",
    "Giá 1½ triệu đồng — “rất đắt” 😀 北京",  # characters small vocabularies lack
]
TOKENIZER_TEXTS = TEXTS + VI_LINES + [
    "", "Xin chào , thế giới ! Bạn có khỏe không ? It's fine, isn't it .", "ạ" * 3000]
SPECIAL_TEXT = "Gõ </s> <pad> <unk> <extra_id_0> vi_VN eng_Latn <mask> vào bài."  # characters, never control ids


def sentencepiece_reference(path: Path, profile, text: str, window: int) -> list[int]:
    """The ids a model of ``profile`` was trained to read, straight from the sentencepiece library
    and the layout written in the model's files: sentencepiece's encoding mapped to the model's ids,
    plus the family's special tokens (T5, Marian: + </s>; mBART-25: + </s> src; NLLB: src + ... + </s>)."""
    import sentencepiece as spm

    family = profile.family
    if family == "t5":
        sp = spm.SentencePieceProcessor(model_file=str(path / "spiece.model"))
        content, before, after = sp.encode(text), [], [sp.eos_id()]
    elif family == "marian":
        sp = spm.SentencePieceProcessor(model_file=str(path / "source.spm"))
        vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        content = [vocab.get(piece, vocab["<unk>"]) for piece in sp.encode(text, out_type=str)]
        before, after = [], [vocab["</s>"]]
    else:
        sp = spm.SentencePieceProcessor(model_file=str(path / "sentencepiece.bpe.model"))
        added = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]
        code = next(t["id"] for t in added if t["content"] == profile.src_lang)  # as transformers numbered it
        fairseq = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
        content = [fairseq["<unk>"] if i == sp.unk_id() else i + 1 for i in sp.encode(text)]
        before, after = ([code], [fairseq["</s>"]]) if family == "m2m_100" else ([], [fairseq["</s>"], code])
    return before + content[:window - len(before) - len(after)] + after


def _spelled_in_bytes(tokenizer, ids) -> bool:
    return any(re.fullmatch(r"<0x[0-9A-F]{2}>", tokenizer.id_to_piece(i)) for i in ids)


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_ct2_tokenizer_gives_the_torch_ids(replica, profile_id):
    """Both backends read the same tokenizer files the same way: the same ids, counts and decoded
    text, which are sentencepiece's own; for the families whose tokenizer transformers can load
    (trained for the replicas: Marian, mBART, NLLB), transformers agrees where it can."""
    profile = PROFILES[profile_id]
    path = replica(profile_id)
    _, torch_backend, ct2_backend = backends(replica, profile_id)
    ours, served = torch_backend.tokenizer, ct2_backend.tokenizer
    assert type(served) is type(ours)
    assert set(served.files) <= {p.name for p in ct2_backend.ct2_dir.iterdir()}  # read from the conversion
    for text in TOKENIZER_TEXTS + [SPECIAL_TEXT]:
        expected = ours.ids(text, profile.window)
        assert served.ids(text, profile.window) == expected, text
        assert expected == sentencepiece_reference(path, profile, text, profile.window), text
        assert len(expected) <= profile.window
        assert ct2_backend.count_tokens(text) == torch_backend.count_tokens(text) == len(ours.ids(text)), text
    assert len(ours.ids("ạ" * 3000, profile.window)) == profile.window  # cut to the window, specials kept
    # typed special tokens stay text: the only control ids are the family's own, around the text
    hidden = ours.hidden_ids() - {ours.unk_id}
    assert sorted(i for i in ours.ids(SPECIAL_TEXT) if i in hidden) == sorted(ours.ids(""))
    rows = torch_backend.model.config.vocab_size
    sequences = [list(range(i, min(rows, i + 40))) for i in range(0, rows, 37)]
    sequences += [ours.ids(t) for t in TOKENIZER_TEXTS]
    assert [served.decode(ids) for ids in sequences] == [ours.decode(ids) for ids in sequences]
    for text in TEXTS + VI_LINES[:4]:
        assert ours.decode(ours.ids(text)) == text

    if profile_id in ("VietAI/vit5-base-vietnews-summarization", "VietAI/vit5-large-vietnews-summarization",
                      ENVIT5):
        return  # real ViT5/EnViT5 tokenizers: transformers 5 rebuilds them wrongly or not at all
    from transformers import AutoTokenizer

    auto = AutoTokenizer.from_pretrained(str(path))
    if profile.src_lang:
        auto.src_lang = profile.src_lang
        assert ours.code_id(profile.src_lang) == auto.convert_tokens_to_ids(profile.src_lang)
        assert ours.code_id(profile.tgt_lang) == auto.convert_tokens_to_ids(profile.tgt_lang)
    assert (ours.pad_id, ours.eos_id, ours.unk_id) == (auto.pad_token_id, auto.eos_token_id, auto.unk_token_id)
    assert len(auto) == ours.size == rows
    # Not compared (SPECIAL_TEXT aside, which transformers reads as control tokens): transformers 5
    # rebuilds the fairseq tokenizers (mBART, NLLB) as `tokenizers` BPE models, which have no byte
    # fallback (<unk> where sentencepiece spells a character in bytes) and keep a trailing "▁" for
    # trailing whitespace; the mBART one also merges some pieces differently from sentencepiece
    # ("ường" → "ườ" "ng"), so there only the layout and the spelled text are compared.
    for text in TOKENIZER_TEXTS:
        ids = ours.ids(text, profile.window)
        theirs = auto(text, truncation=True, max_length=profile.window)["input_ids"]
        if profile.family == "marian":
            assert ids == theirs, text
            continue
        if _spelled_in_bytes(ours, ids) or text != text.rstrip():
            continue
        if profile.family == "m2m_100":
            assert ids == theirs, text
        else:
            assert theirs[-2:] == ids[-2:] == [ours.eos_id, ours.code_id(profile.src_lang)], text
            assert auto.decode(theirs, skip_special_tokens=True) == ours.decode(ids), text
            assert "".join(auto.convert_ids_to_tokens(theirs)) == "".join(ours.encode(text, profile.window).pieces)
    for text in TEXTS + VI_LINES[:4]:
        ids = ours.ids(text)
        assert ours.decode(ids) == auto.decode(ids, skip_special_tokens=True), text


def test_older_conversion_without_saved_tokenizer(replica, monkeypatch):
    """A conversion made before the tokenizer files were copied (or with an older sidecar) gets them
    added in place on load, not reconverted, and serves what a current conversion serves."""
    import models.backends.ct2_backend as ct2_module

    profile = PROFILES[ENVIT5]
    path = replica(ENVIT5)
    ct2_dir = conversion.convert(path, "float32")
    options = GenerationOptions(num_beams=1, max_new_tokens=6)
    prepared = [profile.input_prefix + t for t in TEXTS]
    current = load_backend("ctranslate2", str(path), profile, device="cpu", threads=1, quantization="float32")
    expected = current.generate(prepared, options)
    files = json.loads((ct2_dir / conversion.TOKENIZER_META).read_text())["files"]
    assert "spiece.model" in files
    stamp = (ct2_dir / "model.bin").stat().st_mtime_ns

    seen = []
    original = ct2_module.load_model_tokenizer

    def recording(*args, **kwargs):
        seen.append(kwargs.get("tokenizer_dir"))
        return original(*args, **kwargs)

    monkeypatch.setattr(ct2_module, "load_model_tokenizer", recording)

    def older(kind):
        if kind == "no sidecar":  # before TOKENIZER_VERSION 2: no copied files at all
            for name in files + [conversion.TOKENIZER_META]:
                (ct2_dir / name).unlink()
        else:  # an older sidecar, its files all there but stale
            meta = json.loads((ct2_dir / conversion.TOKENIZER_META).read_text())
            (ct2_dir / conversion.TOKENIZER_META).write_text(json.dumps(meta | {"version": 1}))
            (ct2_dir / "tokenizer_config.json").write_text("{}")
        assert conversion.saved_tokenizer_dir(ct2_dir) is None

    for kind in ("no sidecar", "version 1"):
        older(kind)
        seen.clear()
        old = load_backend("ctranslate2", str(path), profile, device="cpu", threads=1, quantization="float32")
        assert old.ct2_dir == ct2_dir and (ct2_dir / "model.bin").stat().st_mtime_ns == stamp  # not reconverted
        assert conversion.saved_tokenizer_dir(ct2_dir) == ct2_dir  # restored in place
        meta = json.loads((ct2_dir / conversion.TOKENIZER_META).read_text())
        assert meta["version"] == conversion.TOKENIZER_VERSION and meta["files"] == files
        assert all((ct2_dir / name).read_bytes() == (path / name).read_bytes() for name in files)
        assert seen and seen[-1] == ct2_dir  # the served tokenizer is the restored copy
        assert old.generate(prepared, options) == expected
        assert old.count_tokens(TEXTS[0]) == current.count_tokens(TEXTS[0])

    # restoring can fail (a full disk): CTranslate2 then reports it, and auto still serves the same text
    older("no sidecar")

    def failing(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(conversion, "save_tokenizer", failing)
    with pytest.raises(Exception, match="CTranslate2"):
        load_backend("ctranslate2", str(path), profile, device="cpu", threads=1, quantization="float32")
    fallback = load_backend("auto", str(path), profile, device="cpu", threads=1, quantization="float32",
                            torch_dtype="fp32")
    assert fallback.generate(prepared, options) == expected
