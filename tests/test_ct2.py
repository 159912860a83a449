"""The CTranslate2 backend: conversion (cached, with the untied-T5 and mBART fixes), profile semantics,
and equality with torch: greedy outputs on every family, beam scores on an untied T5."""

from __future__ import annotations

import json
import os
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
    for options in (GenerationOptions(num_beams=1, max_new_tokens=6, min_new_tokens=6),
                    GenerationOptions(num_beams=1, max_new_tokens=8)):
        assert ct2_backend.generate(prepared, options) == torch_backend.generate(prepared, options)


def test_beam_scores_match_torch_on_untied_t5(replica):
    """EnViT5 is an untied T5 v1.1: without the converter fix, CT2 scales the decoder output
    by d_model**-0.5 and its scores (hence beam search) differ from torch."""
    import torch

    profile, torch_backend, ct2_backend = backends(replica, ENVIT5)
    model = torch_backend.model
    assert model.lm_head.weight.data_ptr() != model.shared.weight.data_ptr()  # really untied
    prepared = [profile.input_prefix + t for t in TEXTS]
    for length_penalty in (1.0, 0.0):
        options = GenerationOptions(num_beams=4, max_new_tokens=8, min_new_tokens=8, length_penalty=length_penalty)
        batch = torch_backend.tokenizer(prepared, padding=True, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**batch, num_beams=4, max_new_tokens=8, min_new_tokens=8, do_sample=False,
                                 length_penalty=length_penalty, early_stopping=True,
                                 output_scores=True, return_dict_in_generate=True)
        torch_scores = out.sequences_scores.tolist()
        results = ct2_backend.translate(prepared, options)
        ct2_scores = [r.scores[0] for r in results]
        assert ct2_scores == pytest.approx(torch_scores, rel=1e-4, abs=1e-4)
        torch_tokens = [torch_backend.tokenizer.convert_ids_to_tokens(seq[1:]) for seq in out.sequences.tolist()]
        assert [r.hypotheses[0] for r in results] == torch_tokens

    # the unfixed converter really gets it wrong (this is what the fix is for)
    raw = ctranslate2.converters.TransformersConverter(str(replica(ENVIT5)))
    raw_dir = ct2_backend.ct2_dir.parent / "unfixed-for-test"
    raw.convert(str(raw_dir), quantization="float32", force=True)
    unfixed = ctranslate2.Translator(str(raw_dir), device="cpu", intra_threads=1)
    source = [torch_backend.tokenizer.convert_ids_to_tokens(ids) for ids in batch["input_ids"].tolist()]
    source = [[t for t in s if t != "<pad>"] for s in source]
    wrong = [r.scores[0] for r in unfixed.translate_batch(source, beam_size=4, max_decoding_length=8,
                                                          min_decoding_length=8, return_scores=True)]
    assert wrong != pytest.approx(ct2_scores, rel=1e-2)


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
    original = ct2_backend.generate_detailed

    def recording(texts, options):
        seen.extend(texts)
        return original(texts, options)

    ct2_backend.generate_detailed = recording
    model = Seq2SeqModel(ENVIT5, profile, ct2_backend)
    model.make_batcher(max_wait_ms=0)
    model.generate(["hòa bình"], GenerationOptions(num_beams=1, max_new_tokens=3))
    assert seen == ["vi: hòa bình"]
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


@pytest.mark.parametrize("profile_id, tokenizer_file", [
    ("VietAI/vit5-base-vietnews-summarization", "tokenizer.json"),
    ("facebook/nllb-200-distilled-600M", "tokenizer.vie_Latn.json"),  # source-language template saved
])
def test_models_convert_command(replica, capsys, profile_id, tokenizer_file):
    from service.cli import main

    path = replica(profile_id)
    assert main(["models", "convert", str(path), "--quantization", "int8", "--profile", profile_id]) == 0
    converted = Path(capsys.readouterr().out.split(": ", 1)[1].rsplit(" (", 1)[0])
    assert (converted / "model.bin").is_file() and (converted / tokenizer_file).is_file()
    ctranslate2.Translator(str(converted), device="cpu", compute_type="int8")  # loads
    # what the service would load is exactly this conversion: nothing to convert again at start-up
    backend = load_backend("ctranslate2", str(path), PROFILES[profile_id], device="cpu", threads=1)
    assert backend.ct2_dir == converted


def test_tokenizer_larger_than_the_model_is_cut_for_conversion(replica):
    """ViT5's tokenizer has 36,100 tokens for 36,096 embedding rows: the converter keeps the reachable ids."""
    from transformers import AutoTokenizer

    from models.backends.convert import _TruncatedVocab

    tok = AutoTokenizer.from_pretrained(str(replica("VietAI/vit5-base-vietnews-summarization")))
    cut = _TruncatedVocab(tok, len(tok) - 4)
    vocab = cut.get_vocab()
    assert len(cut) == len(vocab) == len(tok) - 4 and max(vocab.values()) == len(tok) - 5
    assert cut.eos_token == tok.eos_token and cut.convert_ids_to_tokens(1) == tok.convert_ids_to_tokens(1)


SERVE_WITHOUT_TORCH = r"""
import sys
from models.backends import GenerationOptions, load_backend
from models.profiles import PROFILES
profile = PROFILES[sys.argv[2]]
backend = load_backend("ctranslate2", sys.argv[1], profile, device="cpu", threads=1, quantization="float32")
out = backend.generate(["Chiều ngày 22/7, Công an Quận 3 họp báo."], GenerationOptions(num_beams=1, max_new_tokens=4))
assert len(out) == 1 and backend.count_tokens("Xin chào.") > 0
print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers")))
"""


@pytest.mark.parametrize("profile_id", ["VietAI/vit5-base-vietnews-summarization", ENVIT5])
def test_ct2_serving_imports_neither_torch_nor_transformers(replica, profile_id):
    import subprocess
    import sys

    path = replica(profile_id)
    ct2_dir = conversion.convert(path, "float32", src_lang=PROFILES[profile_id].src_lang)  # converted beforehand
    assert conversion.saved_tokenizer(ct2_dir, None) is not None
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", SERVE_WITHOUT_TORCH, str(path), profile_id],
                          capture_output=True, text=True, cwd=root, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


TOKENIZER_TEXTS = TEXTS + ["", "Xin chào , thế giới ! Bạn có khỏe không ? It's fine, isn't it .", "ạ" * 3000]


@pytest.mark.parametrize("profile_id", list(PROFILES))
def test_saved_tokenizer_matches_transformers(replica, profile_id):
    """Token strings, counts and decoded text from the saved tokenizer equal the transformers tokenizer's."""
    from models.backends.ct2_backend import SavedTokenizer

    profile = PROFILES[profile_id]
    _, torch_backend, ct2_backend = backends(replica, profile_id)
    tok = torch_backend.tokenizer
    ct2_dir = conversion.convert(replica(profile_id), "float32", src_lang=profile.src_lang)
    saved = conversion.saved_tokenizer(ct2_dir, profile.src_lang)
    if profile.family == "marian":
        assert saved is None and not isinstance(ct2_backend.tokenizer, SavedTokenizer)  # no fast tokenizer
        return
    assert saved is not None and isinstance(ct2_backend.tokenizer, SavedTokenizer)
    expected = [tok.convert_ids_to_tokens(ids) for ids in
                tok(TOKENIZER_TEXTS, truncation=True, max_length=profile.window)["input_ids"]]
    assert ct2_backend._tokens(TOKENIZER_TEXTS) == expected
    for text in TOKENIZER_TEXTS:
        assert ct2_backend.count_tokens(text) == torch_backend.count_tokens(text)
    vocab = len(tok)
    sequences = [list(range(i, min(vocab, i + 40))) for i in range(0, vocab, 37)]
    sequences += [tok(t)["input_ids"] for t in TOKENIZER_TEXTS]
    hyps = [tok.convert_ids_to_tokens(ids) for ids in sequences]
    assert ct2_backend.tokenizer.decode(hyps) == tok.batch_decode(sequences, skip_special_tokens=True)


def test_older_conversion_without_saved_tokenizer(replica, monkeypatch):
    """A conversion made before tokenizers were saved is augmented on load; if that fails,
    the transformers tokenizer serves it, with the same outputs."""
    from models.backends.ct2_backend import SavedTokenizer

    profile = PROFILES[ENVIT5]
    path = replica(ENVIT5)
    ct2_dir = conversion.convert(path, "float32")
    for name in conversion.tokenizer_files(None):
        (ct2_dir / name).unlink()
    options = GenerationOptions(num_beams=1, max_new_tokens=6)
    prepared = [profile.input_prefix + t for t in TEXTS]

    def failing(*args, **kwargs):
        raise OSError("read-only cache")

    monkeypatch.setattr(conversion, "save_tokenizer", failing)
    old = load_backend("ctranslate2", str(path), profile, device="cpu", threads=1, quantization="float32")
    assert not isinstance(old.tokenizer, SavedTokenizer) and conversion.saved_tokenizer(ct2_dir, None) is None
    monkeypatch.undo()
    new = load_backend("ctranslate2", str(path), profile, device="cpu", threads=1, quantization="float32")
    assert isinstance(new.tokenizer, SavedTokenizer)  # augmented in place, not reconverted
    assert new.generate(prepared, options) == old.generate(prepared, options)
    assert new.count_tokens(TEXTS[0]) == old.count_tokens(TEXTS[0])
