"""Fetching real weights from the Hugging Face Hub: an explicit, operator-run step.

The service never downloads at run time; ``tomtat models pull`` (and the Docker
build) call ``pull`` on a connected machine, into the HF cache or a directory.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from .profiles import PROFILES

# Only what transformers needs to load and tokenize; skips TF/Flax/ONNX copies.
ALLOW_PATTERNS = ["*.json", "*.model", "*.spm", "*.txt", "*.safetensors", "sentencepiece.bpe.model"]
FALLBACK_PATTERNS = ["pytorch_model*.bin"]


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hub answers a TCP connection quickly (and downloads are not switched off)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    url = urlparse(hub_endpoint())
    try:
        with socket.create_connection((url.hostname, url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def local_dir_name(model_id: str) -> str:
    return model_id.replace("/", "__")


def is_cached(model_id: str) -> bool:
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(model_id, local_files_only=True)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not usable offline"
        return False


def pull(model_id: str, to: Path | None = None) -> Path:
    """Download ``model_id`` (safetensors when published, else the .bin weights)."""
    from huggingface_hub import HfApi, snapshot_download

    if model_id not in PROFILES:
        raise ValueError(f"unknown model {model_id!r}; see `tomtat models list`")
    files = HfApi().list_repo_files(model_id)
    patterns = list(ALLOW_PATTERNS)
    if not any(f.endswith(".safetensors") for f in files):
        patterns += FALLBACK_PATTERNS
    local_dir = str(to / local_dir_name(model_id)) if to else None
    return Path(snapshot_download(model_id, allow_patterns=patterns, local_dir=local_dir))
