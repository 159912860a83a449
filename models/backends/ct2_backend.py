"""CTranslate2 backend: int8 on CPUs (float16 / int8_float16 on CUDA), same profile semantics.

The model directory is converted once (``models.backends.convert``, cached next
to the model). The conversion copies the model's tokenizer files next to the
weights; serving loads them through ``models.tokenization`` (sentencepiece), the
tokenizer the torch backend uses, so a CT2 process imports neither transformers
nor torch (~280 MB less RSS) and both backends feed the model the same ids. Ids
travel to CTranslate2 as the pieces of its vocabulary, which the conversion wrote
in id order.

Target language: NLLB (``forced_bos``) decodes from ``</s>`` with the target
code as a forced prefix; VinAI's mBART (``decoder_start``) starts decoding with
the code itself. Both are the ``target_prefix`` CTranslate2 takes; the prefix
counts towards ``max_new_tokens`` only where transformers counts it (NLLB).

Threads (CPU), unless TOMTAT_THREADS / TOMTAT_INTER_THREADS say otherwise: one thread per
batch and as many batches in parallel as cores (``inter_threads``; the replicas share the
weights), a batch from the micro-batcher being split into that many parts. Measured on 2 cores
(bench/RESULTS-profile.md): eight 774-token articles summarized in 5.4 s split over two
one-thread replicas vs 7.3 s with two threads on one batch; 16 sentences translated in 0.78 s
vs 1.60 s. CTranslate2's two-thread decoding steps are slower than one-thread ones here; only a
single long input loses (one article: 1.67 s vs 1.61 s).
``CT2_USE_MKL`` is never set here: on AMD CPUs forcing MKL is 2-10x slower.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from .base import (GenerationOptions, ModelNotAvailable, check_model_dir, embedding_rows, generated_count,
                   load_model_tokenizer)
from .convert import cached_conversion, convert
from .torch_backend import resolve_model_dir, weights_revision

log = logging.getLogger(__name__)


def cpu_vendor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def default_quantization(device: str) -> str:
    return "float16" if device == "cuda" else "int8"


def resolve_device(device: str) -> str:
    """``auto`` → cuda when CTranslate2 sees a GPU, else cpu (the same rule for serving and converting)."""
    import ctranslate2

    if device == "auto":
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _generation_config(model_dir: Path) -> dict:
    import json

    for name in ("generation_config.json", "config.json"):
        path = model_dir / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            if name == "generation_config.json" or "forced_eos_token_id" in data:
                return data
    return {}


class CT2Backend:
    name = "ctranslate2"

    def __init__(
        self,
        model: str,
        profile,
        device: str = "auto",
        threads: int | None = None,
        quantization: str = "auto",
        inter_threads: int | None = None,
    ):
        try:
            import ctranslate2
        except ImportError as exc:
            raise ModelNotAvailable("ctranslate2 is not installed", "pip install 'ctranslate2>=4.5,<5' or set TOMTAT_BACKEND=torch") from exc
        if os.environ.get("CT2_USE_MKL") == "1" and "AMD" in cpu_vendor():
            log.warning("CT2_USE_MKL=1 on an AMD CPU: CTranslate2 runs 2-10x slower; unset it")
        self.profile = profile
        self.model_dir = resolve_model_dir(model)
        device = resolve_device(device)
        if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            raise ModelNotAvailable("TOMTAT_DEVICE=cuda but CTranslate2 sees no CUDA device", "set TOMTAT_DEVICE=cpu or auto")
        self.device = device
        if quantization in ("auto", "", None):
            quantization = default_quantization(device)
        self.quantization = quantization
        config = check_model_dir(self.model_dir, profile)
        if cached_conversion(self.model_dir, quantization) is None:
            load_model_tokenizer(self.model_dir, profile, config)  # a bad tokenizer fails before converting
        self.ct2_dir = convert(self.model_dir, quantization, src_lang=profile.src_lang)
        self.revision = f"{weights_revision(self.model_dir)}-ct2-{quantization}"
        if device == "cpu" and not threads and not inter_threads:
            threads, inter_threads = 1, cpu_count()
        self.intra_threads = threads or (cpu_count() if device == "cpu" else 1)
        self.inter_threads = inter_threads or 1
        self.translator = ctranslate2.Translator(
            str(self.ct2_dir), device=device, compute_type=quantization,
            inter_threads=self.inter_threads, intra_threads=self.intra_threads,
        )
        # the tokenizer is loaded once on a start from a cached conversion: from the files copied beside it
        # (``convert`` copies them, to an older conversion too)
        self.tokenizer = load_model_tokenizer(self.model_dir, profile, config, tokenizer_dir=self.ct2_dir)
        self._pieces = self.tokenizer.vocabulary(embedding_rows(config))
        self._index = {piece: i for i, piece in enumerate(self._pieces)}
        self._prefix: list[str] | None = [profile.tgt_lang] if profile.tgt_lang else None
        # transformers counts a forced first token as generated; a decoder start token is not.
        self._prefix_counts = profile.tgt_lang is not None and profile.target_token == "forced_bos"
        # Marian and mBART force </s> as the last possible token (generation_config.forced_eos_token_id):
        # transformers then leaves one position fewer for text than max_new_tokens.
        self._forced_eos = _generation_config(self.model_dir).get("forced_eos_token_id") is not None

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def max_batch(self, options: GenerationOptions, limit: int) -> int:
        return limit

    def describe(self) -> dict:
        return {"quantization": self.quantization, "intra_threads": self.intra_threads,
                "inter_threads": self.inter_threads}

    def translate(self, texts: list[str], options: GenerationOptions, **extra):
        """The raw CTranslate2 results for model-ready strings."""
        return self.translate_ids([self.tokenizer.ids(t, self.profile.window) for t in texts], options, **extra)

    def translate_ids(self, batch: list[list[int]], options: GenerationOptions, **extra):
        """The raw CTranslate2 results for input id sequences."""
        source = [[self._pieces[i] for i in ids] for ids in batch]
        offset = 0 if self._prefix_counts or not self._prefix else len(self._prefix)
        longest = max(1, options.max_new_tokens - (1 if self._forced_eos else 0))
        kwargs = dict(
            beam_size=options.num_beams,
            max_decoding_length=longest + offset,
            min_decoding_length=min(options.min_new_tokens, longest) + offset,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            length_penalty=options.length_penalty,
            max_input_length=0,  # windows are enforced by chunking upstream
            return_scores=True,
        )
        kwargs.update(extra)
        prefix = [list(self._prefix) for _ in source] if self._prefix else None
        parts = min(self.inter_threads, len(source))
        if parts <= 1:
            return self.translator.translate_batch(source, prefix, **kwargs)
        # One part per replica, run in parallel; results come back in input order.
        size = -(-len(source) // parts)
        pending = [
            self.translator.translate_batch(source[i:i + size], prefix[i:i + size] if prefix else None,
                                            asynchronous=True, **kwargs)
            for i in range(0, len(source), size)
        ]
        return [r.result() for part in pending for r in part]

    def generate_ids(self, batch: list[list[int]], options: GenerationOptions) -> tuple[list[list[int]], int]:
        """Output ids for a batch of input id sequences, and the number of generated tokens."""
        if not batch:
            return [], 0
        unk = self.tokenizer.unk_id
        rows = [[self._index.get(piece, unk) for piece in r.hypotheses[0]] for r in self.translate_ids(batch, options)]
        return rows, generated_count(rows, None)

    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]:
        """Model-ready strings in, decoded strings out (tests and tools; serving goes through Seq2SeqModel)."""
        ids = [self.tokenizer.ids(t, self.profile.window) for t in texts]
        return [self.tokenizer.decode(out) for out in self.generate_ids(ids, options)[0]]
