"""Convert a transformers seq2seq checkpoint to a CTranslate2 model, once, with the fixes it needs.

``convert(model_dir, quantization)`` returns the directory of the converted
model, converting only when it is not cached. The cache sits next to the model
(``<parent>/<name>.ct2/<revision>-<quantization>``; for a Hugging Face cache
snapshot, ``models--org--name/ct2/<revision>-<quantization>``), or under
``$TOMTAT_CT2_CACHE`` (default ``~/.cache/tomtat/ct2``) when that place is not
writable. The key holds the weights' revision, so new weights convert again.

Fixes applied before CTranslate2's own converter runs:

* **Untied T5 (T5 v1.1: EnViT5, ViT5-large).** transformers 5.x reports every T5
  config as ``tie_word_embeddings=True``; CTranslate2's T5 loader reads the flag
  and scales decoder outputs by ``d_model**-0.5``, which only tied T5 models do.
  When the checkpoint has its own ``lm_head.weight`` (different from the
  embeddings), the flag is set to ``False`` first, so logits, scores and beam
  search match the torch model.
* **mBART.** The converter reads ``config.normalize_before``, which 5.x configs
  no longer carry; mBART is pre-norm, so it is set to ``True``.
* **Tokenizer larger than the embedding matrix (ViT5: 36,100 tokens, 36,096
  rows).** Ids past the model's vocabulary cannot be produced by the model;
  they are left out of the CTranslate2 vocabulary instead of failing the
  conversion.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from .base import ModelNotAvailable
from .torch_backend import resolve_model_dir, weights_revision

log = logging.getLogger(__name__)

QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32")
MARKER = "tomtat_ct2.json"


def available() -> bool:
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return True


def _writable(path: Path) -> bool:
    probe = path
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def converted_dir(model_dir: Path, quantization: str, revision: str | None = None) -> Path:
    """Where the conversion of ``model_dir`` at ``quantization`` lives (whether or not it exists)."""
    revision = revision or weights_revision(model_dir)
    key = f"{revision}-{quantization}"
    if model_dir.parent.name == "snapshots":
        place = model_dir.parent.parent / "ct2" / key
    else:
        place = model_dir.parent / f"{model_dir.name}.ct2" / key
    if _writable(place.parent):
        return place
    root = Path(os.environ.get("TOMTAT_CT2_CACHE") or Path.home() / ".cache" / "tomtat" / "ct2")
    return root / f"{model_dir.name}-{key}"


def _checkpoint_has_own_lm_head(model) -> bool:
    head, embed = model.get_output_embeddings(), model.get_input_embeddings()
    return head is not None and head.weight.data_ptr() != embed.weight.data_ptr()


class _TruncatedVocab:
    """A tokenizer whose vocabulary stops at the model's embedding size (for the converter only)."""

    def __init__(self, tokenizer, size: int):
        self._tokenizer = tokenizer
        self._size = size

    def __getattr__(self, name):
        return getattr(self._tokenizer, name)

    def __len__(self) -> int:
        return self._size

    def get_vocab(self) -> dict:
        return {token: i for token, i in self._tokenizer.get_vocab().items() if i < self._size}


def _make_converter(model_dir: Path):
    import ctranslate2

    class Converter(ctranslate2.converters.TransformersConverter):
        vocab_size: int | None = None

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            if self.vocab_size is not None and len(tokenizer) > self.vocab_size:
                return _TruncatedVocab(tokenizer, self.vocab_size)
            return tokenizer

        def load_model(self, model_class, model_name_or_path, **kwargs):
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            config = model.config
            if config.model_type == "t5":
                self.vocab_size = config.vocab_size
            if config.model_type == "t5" and _checkpoint_has_own_lm_head(model):
                config.tie_word_embeddings = False  # T5 v1.1: no d_model**-0.5 output scaling
            if config.model_type == "mbart" and not hasattr(config, "normalize_before"):
                config.normalize_before = True
            return model

    return Converter(str(model_dir))


def convert(model: str | Path, quantization: str = "int8", *, force: bool = False) -> Path:
    """Convert ``model`` (directory or cached HF id) to CTranslate2 at ``quantization``; cached."""
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    if not available():
        raise ModelNotAvailable("ctranslate2 is not installed", "pip install 'ctranslate2>=4.5,<5' or use TOMTAT_BACKEND=torch")
    model_dir = resolve_model_dir(str(model))
    revision = weights_revision(model_dir)
    final = converted_dir(model_dir, quantization, revision)
    if (final / MARKER).is_file() and not force:
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    started = time.perf_counter()
    try:
        _make_converter(model_dir).convert(str(tmp), quantization=quantization, force=True)
        (tmp / MARKER).write_text(json.dumps({
            "source": str(model_dir), "revision": revision, "quantization": quantization,
            "seconds": round(time.perf_counter() - started, 2),
        }, indent=2), encoding="utf-8")
        if force and final.exists():
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / MARKER).is_file():  # another process won the race: use its result
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted %s to CTranslate2 %s in %.1f s: %s", model_dir, quantization,
             time.perf_counter() - started, final)
    return final
