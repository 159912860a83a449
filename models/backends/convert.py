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
* **Tokenizer saved for serving without transformers.** A fast tokenizer is saved
  next to the weights as ``tokenizer[.<src_lang>].json`` (for mBART/NLLB with the
  source-language template already applied) plus a small sidecar
  (``tomtat_tokenizer[.<src_lang>].json``: special tokens, pad/eos, clean-up
  flag), so ``ct2_backend`` serves with the ``tokenizers`` package alone and never
  imports transformers or torch. Marian has no fast tokenizer: it keeps the
  transformers path. Conversions made before this (``TOKENIZER_VERSION``) are
  augmented in place on first use.
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
TOKENIZER_VERSION = 1  # bump when the saved tokenizer files change: old conversions are augmented again


def tokenizer_files(src_lang: str | None) -> tuple[str, str]:
    """Names of the saved tokenizer and its sidecar inside a converted directory."""
    suffix = f".{src_lang}" if src_lang else ""
    return f"tokenizer{suffix}.json", f"tomtat_tokenizer{suffix}.json"


def saved_tokenizer(ct2_dir: Path, src_lang: str | None) -> tuple[Path, dict] | None:
    """The saved tokenizer file and its sidecar, or None (not saved, stale, or not a fast tokenizer)."""
    name, meta_name = tokenizer_files(src_lang)
    try:
        meta = json.loads((ct2_dir / meta_name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("version") != TOKENIZER_VERSION or not meta.get("fast") or not (ct2_dir / name).is_file():
        return None
    return ct2_dir / name, meta


def save_tokenizer(model_dir: Path, ct2_dir: Path, src_lang: str | None = None) -> bool:
    """Save ``model_dir``'s tokenizer for transformers-free serving; False when it has no fast tokenizer."""
    from transformers import AutoTokenizer

    name, meta_name = tokenizer_files(src_lang)
    kwargs = {"src_lang": src_lang} if src_lang else {}
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), **kwargs)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    meta = {"version": TOKENIZER_VERSION, "src_lang": src_lang, "class": type(tokenizer).__name__, "fast": False}
    if backend is not None and getattr(tokenizer, "is_fast", False):
        if src_lang:
            tokenizer.src_lang = src_lang  # the post-processor template puts the code where transformers does
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=ct2_dir)
        os.close(fd)
        backend.save(tmp)
        os.replace(tmp, ct2_dir / name)
        clean_up = bool(tokenizer.clean_up_tokenization_spaces)
        if clean_up and type(backend.model).__name__ == "BPE" and not getattr(
                tokenizer, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", False):
            clean_up = False  # transformers skips the clean-up for BPE tokenizers
        meta.update({
            "fast": True,
            "special_tokens": list(tokenizer.all_special_tokens),
            "special_ids": sorted(set(tokenizer.all_special_ids)),
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "clean_up_tokenization_spaces": clean_up,
        })
    fd, tmp = tempfile.mkstemp(prefix=f".{meta_name}.", dir=ct2_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
    os.replace(tmp, ct2_dir / meta_name)
    return meta["fast"]


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


def _tokenizer_is_current(ct2_dir: Path, src_lang: str | None) -> bool:
    try:
        meta = json.loads((ct2_dir / tokenizer_files(src_lang)[1]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("version") == TOKENIZER_VERSION


def convert(model: str | Path, quantization: str = "int8", *, force: bool = False, src_lang: str | None = None) -> Path:
    """Convert ``model`` (directory or cached HF id) to CTranslate2 at ``quantization``; cached.

    The tokenizer (with ``src_lang``'s template for mBART/NLLB) is saved alongside; a cached
    conversion without it (older ``TOKENIZER_VERSION``) gets it added.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    if not available():
        raise ModelNotAvailable("ctranslate2 is not installed", "pip install 'ctranslate2>=4.5,<5' or use TOMTAT_BACKEND=torch")
    model_dir = resolve_model_dir(str(model))
    revision = weights_revision(model_dir)
    final = converted_dir(model_dir, quantization, revision)
    if (final / MARKER).is_file() and not force:
        if not _tokenizer_is_current(final, src_lang):
            try:
                save_tokenizer(model_dir, final, src_lang)
            except Exception as exc:  # noqa: BLE001 - serving falls back to the transformers tokenizer
                log.warning("cannot save the tokenizer of %s for CTranslate2: %s", model_dir, exc)
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    started = time.perf_counter()
    try:
        _make_converter(model_dir).convert(str(tmp), quantization=quantization, force=True)
        save_tokenizer(model_dir, tmp, src_lang)
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
