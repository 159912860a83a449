"""Inference backends: the only code in tomtat that touches an ML runtime.

A backend turns a batch of model-ready strings into decoded strings. It knows
the tokenizer's language-code conventions (mBART/NLLB) but nothing of prefixes,
tone marks or chunking: those belong to ``models.seq2seq`` so every backend
serves the same profile semantics.

* ``torch``: transformers + torch (GPU fp16; CPU fp32 or dynamic int8).
* ``ctranslate2``: the model converted once to CTranslate2 (int8 on CPUs).
* ``auto``: CTranslate2 when it is installed and the model converts, else torch.
"""

from __future__ import annotations

import logging

from .base import Backend, GenerationOptions, ModelNotAvailable

__all__ = ["Backend", "GenerationOptions", "ModelNotAvailable", "load_backend", "BACKENDS"]

BACKENDS = ("auto", "torch", "ctranslate2")
log = logging.getLogger(__name__)


def load_backend(
    name: str,
    model_path: str,
    profile,
    device: str = "auto",
    threads: int | None = None,
    *,
    quantization: str = "auto",
    inter_threads: int | None = None,
    torch_dtype: str = "auto",
) -> Backend:
    """Load ``model_path`` (a local directory or a cached HF id) with backend ``name``.

    ``quantization`` is CTranslate2's compute type (``auto``: int8 on CPU, float16 on CUDA);
    ``torch_dtype`` the torch backend's (``auto``: fp16 on CUDA, bf16 on CPUs with AMX, else fp32; ``int8``: dynamic
    int8 quantization of the linear layers on CPU).
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name in ("ctranslate2", "auto"):
        from .convert import available

        if name == "ctranslate2" or available():
            try:
                from .ct2_backend import CT2Backend

                return CT2Backend(model_path, profile, device=device, threads=threads,
                                  quantization=quantization, inter_threads=inter_threads)
            except ModelNotAvailable:
                if name == "ctranslate2":
                    raise
                # auto: the torch loader below reports a missing model with its own advice
            except Exception as exc:  # noqa: BLE001 - conversion can fail in many ways
                if name == "ctranslate2":
                    raise ModelNotAvailable(
                        f"cannot serve {model_path} with CTranslate2: {exc}",
                        "set TOMTAT_BACKEND=torch (or auto) or run `tomtat models convert` to see the error",
                    ) from exc
                log.warning("CTranslate2 cannot serve %s (%s); using torch", model_path, exc)
    from .torch_backend import TorchBackend

    return TorchBackend(model_path, profile, device=device, threads=threads, dtype=torch_dtype)
