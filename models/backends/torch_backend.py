"""transformers + torch backend.

Loads ``AutoModelForSeq2SeqLM`` from a local directory or from the Hugging Face
cache, never from the network: fetching weights is an explicit step (``tomtat
models pull``), so a service on an offline machine fails fast with a clear
message instead of hanging on a download. Text becomes ids through
``models.tokenization`` (sentencepiece itself for sentencepiece models), the
same path the CTranslate2 backend takes; the model only ever sees ids.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from .base import (GenerationOptions, ModelNotAvailable, check_model_dir, check_weights, generated_count,
                   load_model_tokenizer)


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


# transformers' beam search reorders the whole cross-attention cache every step: past a few
# sequences, bigger beam batches get slower per item. Beam batches are capped at this size.
MAX_BEAM_BATCH = 4


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return set()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX); without it bf16 is ~8x slower."""
    return bool({"avx512_bf16", "amx_bf16"} & _cpu_flags())


def cpu_has_amx_bf16() -> bool:
    """Whether this CPU has AMX bf16 tiles: there bf16 matrix multiplies run ~6x faster than fp32
    (measured 2,284 vs 368 GFLOP/s on a 2-core Xeon, bench/RESULTS.md)."""
    return "amx_bf16" in _cpu_flags()


class TorchBackend:
    name = "torch"

    def __init__(self, model: str, profile, device: str = "auto", threads: int | None = None, dtype: str = "auto"):
        import torch
        from transformers import AutoModelForSeq2SeqLM

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
        config = check_model_dir(self.model_dir, profile)
        self.tokenizer = load_model_tokenizer(self.model_dir, profile, config)
        check_weights(self.model_dir)
        try:
            # fp16 on GPUs; bf16 on CPUs with AMX, fp32 on other CPUs (see _pick_dtype).
            self.dtype = self._pick_dtype(dtype, device)
            torch_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.dtype, torch.float32)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(self.model_dir, dtype=torch_dtype).to(device).eval()
            if self.dtype == "int8":
                self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        except ModelNotAvailable:
            raise
        except Exception as exc:  # noqa: BLE001 - missing or corrupt weights fail in many ways
            raise ModelNotAvailable(
                f"cannot load the weights in {self.model_dir}: {str(exc)[:300]}",
                "check that the directory holds a complete checkpoint (model.safetensors or pytorch_model.bin "
                "next to config.json); `tomtat models check DIR` tells what is wrong",
            ) from exc
        self._torch = torch
        self._model_lock = threading.Lock()
        self._target_kwargs = {}
        if profile.tgt_lang:
            code = self.tokenizer.code_id(profile.tgt_lang)
            key = "decoder_start_token_id" if profile.target_token == "decoder_start" else "forced_bos_token_id"
            self._target_kwargs[key] = code

        if self.dtype != "fp32":
            self.revision = f"{self.revision}-{self.dtype}"

    @staticmethod
    def _pick_dtype(requested: str, device: str) -> str:
        requested = (requested or "auto").lower().replace("float16", "fp16").replace("float32", "fp32")
        if requested in ("auto", ""):
            if device == "cuda":
                return "fp16"
            # bf16 keeps fp32's range (T5 models were trained in it) at a lower precision; only AMX
            # makes it clearly faster than fp32 on a CPU, so only AMX machines get it by default.
            return "bf16" if cpu_has_amx_bf16() else "fp32"
        if requested not in ("fp32", "fp16", "bf16", "int8"):
            raise ModelNotAvailable(f"unknown torch dtype {requested!r}", "set TOMTAT_TORCH_DTYPE to auto, fp32, fp16, bf16 or int8")
        if device == "cpu" and requested == "fp16":
            return "fp32"
        if device == "cpu" and requested == "bf16" and not cpu_has_bf16():
            import logging

            logging.getLogger(__name__).warning("this CPU has no bf16 hardware support (~8x slower); using fp32")
            return "fp32"
        if device == "cuda" and requested == "int8":
            return "fp16"  # dynamic int8 quantization is a CPU feature
        return requested

    def describe(self) -> dict:
        return {"dtype": self.dtype}

    def max_batch(self, options: GenerationOptions, limit: int) -> int:
        return min(limit, MAX_BEAM_BATCH) if options.num_beams > 1 and self.device == "cpu" else limit

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]:
        """Model-ready strings in, decoded strings out (tests and tools; serving goes through Seq2SeqModel)."""
        ids = [self.tokenizer.ids(t, self.profile.window) for t in texts]
        return [self.tokenizer.decode(out) for out in self.generate_ids(ids, options)[0]]

    def generate_ids(self, batch: list[list[int]], options: GenerationOptions) -> tuple[list[list[int]], int]:
        """Output ids (decoder start included) for a batch of input id sequences, and the number of
        generated tokens (padding excluded)."""
        if not batch:
            return [], 0
        torch = self._torch
        pad = self.tokenizer.pad_id
        longest = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), longest), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):  # right padding, as transformers' tokenizers pad seq2seq inputs
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            mask[row, : len(ids)] = 1
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
            output = self.model.generate(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
                                         **kwargs)
        rows = output.tolist()
        return rows, generated_count([row[1:] for row in rows], self.model.generation_config.pad_token_id)
