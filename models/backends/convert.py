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
* **One tokenizer path.** The converter builds CTranslate2's vocabulary from
  ``models.tokenization`` (id ``i`` is the piece the model knows as ``i``), not from
  transformers' rebuilt tokenizer, and the tokenizer files (``spiece.model``, …) are
  copied next to the weights with a sidecar (``tomtat_tokenizer.json``), so
  ``ct2_backend`` loads the very same tokenizer with sentencepiece alone and never
  imports transformers or torch. Conversions made before this
  (``TOKENIZER_VERSION``) get the files added on first use.
* **Tokenizer larger than the embedding matrix (T5 extra ids past the rows).**
  Ids past the model's vocabulary cannot be produced by the model; they are left
  out of the CTranslate2 vocabulary instead of failing the conversion.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from .base import ModelNotAvailable, check_weights
from .torch_backend import resolve_model_dir, weights_revision

log = logging.getLogger(__name__)

QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32")
MARKER = "tomtat_ct2.json"
TOKENIZER_META = "tomtat_tokenizer.json"
TOKENIZER_VERSION = 2  # bump when the saved tokenizer files change: old conversions get them again


def saved_tokenizer_dir(ct2_dir: Path) -> Path | None:
    """``ct2_dir`` when it holds a current copy of the model's tokenizer files, else None."""
    try:
        meta = json.loads((ct2_dir / TOKENIZER_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("version") != TOKENIZER_VERSION or not all((ct2_dir / f).is_file() for f in meta.get("files", [])):
        return None
    return ct2_dir


def save_tokenizer(model_dir: Path, ct2_dir: Path, family: str, src_lang: str | None = None) -> list[str]:
    """Copy the files ``models.tokenization`` reads for ``model_dir`` into ``ct2_dir``; returns their names."""
    from ..tokenization import load_tokenizer

    tokenizer = load_tokenizer(model_dir, family, src_lang=src_lang)
    for name in tokenizer.files:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=ct2_dir)
        os.close(fd)
        shutil.copyfile(model_dir / name, tmp)
        os.replace(tmp, ct2_dir / name)
    meta = {"version": TOKENIZER_VERSION, "family": family, "kind": tokenizer.kind, "files": list(tokenizer.files)}
    fd, tmp = tempfile.mkstemp(prefix=f".{TOKENIZER_META}.", dir=ct2_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
    os.replace(tmp, ct2_dir / TOKENIZER_META)
    return list(tokenizer.files)


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


class _ConverterTokenizer:
    """What CTranslate2's converter reads of a tokenizer, answered by ``models.tokenization``:
    the vocabulary is the model's id layout, cut at its embedding size."""

    def __init__(self, tokenizer, rows: int | None):
        self._tok = tokenizer
        self._vocab = tokenizer.vocabulary(rows)
        piece = tokenizer.id_to_piece
        self.pad_token, self.eos_token, self.unk_token = piece(tokenizer.pad_id), piece(tokenizer.eos_id), \
            piece(tokenizer.unk_id)
        self.unk_token_id = tokenizer.unk_id
        self.bos_token = piece(getattr(tokenizer, "bos_id", tokenizer.pad_id))
        codes = list(getattr(tokenizer, "codes", []))
        self.special_tokens_map = {"additional_special_tokens": codes} if codes else {}

    def __len__(self) -> int:
        return len(self._vocab)

    def get_vocab(self) -> dict:
        return {token: i for i, token in enumerate(self._vocab)}

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, int):
            return self._vocab[ids]
        return [self._vocab[i] for i in ids]

    def convert_tokens_to_ids(self, tokens):
        index = self.get_vocab()
        if isinstance(tokens, str):
            return index.get(tokens, self.unk_token_id)
        return [index.get(t, self.unk_token_id) for t in tokens]


def _make_converter(model_dir: Path, src_lang: str | None = None):
    import ctranslate2

    from ..tokenization import load_tokenizer

    class Converter(ctranslate2.converters.TransformersConverter):
        rows: int | None = None

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            family = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("model_type")
            return _ConverterTokenizer(load_tokenizer(model_dir, family, src_lang=src_lang), self.rows)

        def load_model(self, model_class, model_name_or_path, **kwargs):
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            config = model.config
            self.rows = model.get_input_embeddings().num_embeddings
            if config.model_type == "t5" and _checkpoint_has_own_lm_head(model):
                config.tie_word_embeddings = False  # T5 v1.1: no d_model**-0.5 output scaling
            if config.model_type == "mbart" and not hasattr(config, "normalize_before"):
                config.normalize_before = True
            return model

    return Converter(str(model_dir))


def cached_conversion(model_dir: Path, quantization: str) -> Path | None:
    """The finished conversion of ``model_dir`` at ``quantization`` with its tokenizer files beside it (what a
    start serves as it is), or None: ``convert`` has work to do."""
    final = converted_dir(model_dir, quantization)
    return final if (final / MARKER).is_file() and saved_tokenizer_dir(final) else None


def convert(model: str | Path, quantization: str = "int8", *, force: bool = False, src_lang: str | None = None) -> Path:
    """Convert ``model`` (directory or cached HF id) to CTranslate2 at ``quantization``; cached.

    The tokenizer files are copied alongside; a cached conversion without them (older
    ``TOKENIZER_VERSION``) gets them added.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    if not available():
        raise ModelNotAvailable("ctranslate2 is not installed", "pip install 'ctranslate2>=4.5,<5' or use TOMTAT_BACKEND=torch")
    model_dir = resolve_model_dir(str(model))
    revision = weights_revision(model_dir)
    final = converted_dir(model_dir, quantization, revision)
    family = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("model_type")
    if (final / MARKER).is_file() and not force:
        if saved_tokenizer_dir(final) is None:  # converted before the tokenizer files were copied beside it
            save_tokenizer(model_dir, final, family, src_lang)
        return final
    check_weights(model_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    started = time.perf_counter()
    try:
        _make_converter(model_dir, src_lang).convert(str(tmp), quantization=quantization, force=True)
        save_tokenizer(model_dir, tmp, family, src_lang)
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
