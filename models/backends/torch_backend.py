"""transformers + torch backend.

Loads ``AutoTokenizer`` + ``AutoModelForSeq2SeqLM`` from a local directory or
from the Hugging Face cache, never from the network: fetching weights is an
explicit step (``tomtat models pull``), so a service on an offline machine fails
fast with a clear message instead of hanging on a download.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from .base import GenerationOptions, ModelNotAvailable


def resolve_model_dir(model: str) -> Path:
    """Return the local directory holding ``model`` (a directory or a cached HF id)."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotAvailable(
                f"{path} has no config.json, so it is not a transformers model directory",
                "point the TOMTAT_*_MODEL variable at a directory written by save_pretrained "
                "or by `tomtat models pull NAME --to DIR`",
            )
        return path
    if model.count("/") != 1 or path.is_absolute() or model.startswith("."):
        raise ModelNotAvailable(
            f"model directory {model} does not exist",
            "set the TOMTAT_*_MODEL variable to an existing directory or to a profile name",
        )
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError) as exc:
        raise ModelNotAvailable(
            f"model {model} is not in the local Hugging Face cache ({exc.__class__.__name__})",
            f"on a machine with internet access run `tomtat models pull {model}` (or "
            f"`tomtat models pull {model} --to DIR` and copy DIR here, then set the model "
            "variable to DIR)",
        ) from exc


def weights_revision(model_dir: Path) -> str:
    """A short digest that changes whenever the weights or their config change."""
    if model_dir.parent.name == "snapshots":  # HF cache: the directory is named by commit
        return model_dir.name[:12]
    digest = hashlib.sha256()
    for item in sorted(model_dir.iterdir()):
        if item.is_file():
            stat = item.stat()
            digest.update(f"{item.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


class TorchBackend:
    name = "torch"

    def __init__(self, model: str, profile, device: str = "auto", threads: int | None = None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.profile = profile
        self.model_dir = resolve_model_dir(model)
        self.revision = weights_revision(self.model_dir)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise ModelNotAvailable("TOMTAT_DEVICE=cuda but torch sees no CUDA device", "set TOMTAT_DEVICE=cpu or auto")
        self.device = device
        if device == "cpu":
            torch.set_num_threads(threads or max(1, len(os.sched_getaffinity(0))))
        tokenizer_kwargs = {}
        if profile.src_lang:
            tokenizer_kwargs["src_lang"] = profile.src_lang
        if profile.tgt_lang:
            tokenizer_kwargs["tgt_lang"] = profile.tgt_lang
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir, **tokenizer_kwargs)
            # Windows are enforced by chunking (models.text.chunk), not by the tokenizer's warning.
            self.tokenizer.model_max_length = 1 << 30
            # fp16 on GPUs; fp32 on CPUs (bf16 without hardware support is several times slower).
            dtype = torch.float16 if device == "cuda" else torch.float32
            self.model = AutoModelForSeq2SeqLM.from_pretrained(self.model_dir, dtype=dtype).to(device).eval()
        except (OSError, ValueError) as exc:
            raise ModelNotAvailable(
                f"cannot load {self.model_dir}: {exc}",
                "check that the directory holds a complete transformers checkpoint and tokenizer",
            ) from exc
        self._torch = torch
        # Fast tokenizers are not re-entrant (padding/truncation state); generate runs one
        # batch at a time. Separate locks: counting tokens never waits for a generation.
        self._tokenizer_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._target_kwargs = {}
        if profile.tgt_lang:
            code = self.tokenizer.convert_tokens_to_ids(profile.tgt_lang)
            key = "decoder_start_token_id" if profile.target_token == "decoder_start" else "forced_bos_token_id"
            self._target_kwargs[key] = code

    def count_tokens(self, text: str) -> int:
        with self._tokenizer_lock:
            return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]:
        if not texts:
            return []
        output = self.generate_ids(texts, options)
        with self._tokenizer_lock:
            return self.tokenizer.batch_decode(output, skip_special_tokens=True)

    def generate_ids(self, texts: list[str], options: GenerationOptions):
        """Token ids out of ``model.generate`` for a batch of model-ready strings."""
        torch = self._torch
        with self._tokenizer_lock:
            batch = self.tokenizer(
                texts, padding=True, truncation=True, max_length=self.profile.window, return_tensors="pt"
            )
        with self._model_lock, torch.inference_mode():
            kwargs = dict(
                num_beams=options.num_beams,
                max_new_tokens=options.max_new_tokens,
                min_new_tokens=options.min_new_tokens,
                length_penalty=options.length_penalty,
                do_sample=False,
                **self._target_kwargs,
            )
            if options.no_repeat_ngram_size:
                kwargs["no_repeat_ngram_size"] = options.no_repeat_ngram_size
            if options.num_beams > 1:
                kwargs["early_stopping"] = True
            return self.model.generate(**batch.to(self.device), **kwargs)
