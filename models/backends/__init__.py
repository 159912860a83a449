"""Inference backends: the only code in tomtat that touches an ML runtime.

A backend turns a batch of model-ready strings into decoded strings. It knows
the tokenizer's language-code conventions (mBART/NLLB) but nothing of prefixes,
tone marks or chunking: those belong to ``models.seq2seq`` so every backend
serves the same profile semantics.
"""

from .base import Backend, GenerationOptions, ModelNotAvailable

__all__ = ["Backend", "GenerationOptions", "ModelNotAvailable", "load_backend"]


def load_backend(name: str, model_path: str, profile, device: str = "auto", threads: int | None = None) -> Backend:
    """Load ``model_path`` (a local directory or a cached HF id) with backend ``name``."""
    if name in ("torch", "auto"):
        from .torch_backend import TorchBackend

        return TorchBackend(model_path, profile, device=device, threads=threads)
    raise ValueError(f"unknown backend {name!r}; choose auto or torch")
