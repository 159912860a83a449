from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol


class ModelNotAvailable(RuntimeError):
    """A model cannot be loaded here; ``how_to_fix`` tells the operator what to do."""

    def __init__(self, message: str, how_to_fix: str = ""):
        super().__init__(message)
        self.how_to_fix = how_to_fix


@dataclass(frozen=True)
class GenerationOptions:
    """How to decode: a profile's defaults (``ModelProfile.generation``) and each call's options."""

    num_beams: int = 4
    max_new_tokens: int = 256
    min_new_tokens: int = 0
    no_repeat_ngram_size: int = 0
    length_penalty: float = 1.0

    def as_dict(self) -> dict:
        return asdict(self)


class Backend(Protocol):
    name: str
    device: str
    revision: str  # identifies the weights (commit hash or content digest) for caches
    tokenizer: "Tokenizer"  # models.tokenization: the same for every backend

    def count_tokens(self, text: str) -> int: ...

    def generate_ids(self, batch: list[list[int]], options: GenerationOptions) -> tuple[list[list[int]], int]: ...

    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]: ...


def check_model_dir(model_dir: Path, profile) -> dict:
    """The directory's config.json, after checking it is a model of the profile's architecture."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotAvailable(f"{model_dir}/config.json cannot be read ({exc})",
                                "restore config.json from the model's release (`tomtat models pull`)") from exc
    if not isinstance(config, dict):
        raise ModelNotAvailable(f"{model_dir}/config.json is not a JSON object", "restore the model's config.json")
    model_type = config.get("model_type")
    if model_type != profile.family:
        raise ModelNotAvailable(
            f"{model_dir} holds a {model_type!r} model, but profile {profile.id} is a {profile.family} model",
            "point the model variable at a directory of that architecture, or set the _PROFILE variable to a "
            "profile of this one (`tomtat models list`)",
        )
    return config


WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def check_weights(model_dir: Path) -> None:
    """A clear error for a directory without weights (before a loader or converter fails obscurely)."""
    if not any((model_dir / name).is_file() for name in WEIGHT_FILES):
        raise ModelNotAvailable(
            f"{model_dir} has no weights file ({' or '.join(WEIGHT_FILES[::2])})",
            "copy the complete model directory (`tomtat models pull NAME --to DIR` on a connected machine)",
        )


def embedding_rows(config: dict) -> int | None:
    rows = config.get("vocab_size")
    return int(rows) if isinstance(rows, int) and rows > 0 else None


def load_model_tokenizer(model_dir: Path, profile, config: dict | None = None, tokenizer_dir: Path | None = None):
    """The model's tokenizer (``models.tokenization``), checked against its embedding size."""
    from ..tokenization import TokenizerError, load_tokenizer

    try:
        tokenizer = load_tokenizer(tokenizer_dir or model_dir, profile.family, src_lang=profile.src_lang)
        if profile.tgt_lang:
            tokenizer.code_id(profile.tgt_lang)
    except (TokenizerError, ValueError) as exc:
        raise ModelNotAvailable(f"the tokenizer of {model_dir} cannot be used: {exc}",
                                "restore the tokenizer files that came with the weights (`tomtat models pull`); "
                                "`tomtat models check DIR` tells what is wrong") from exc
    rows = embedding_rows(config if config is not None else check_model_dir(model_dir, profile))
    if rows is not None:
        if tokenizer.reachable > rows:
            raise ModelNotAvailable(
                f"the tokenizer of {model_dir} produces ids up to {tokenizer.reachable - 1}, but the model has "
                f"only {rows} embedding rows: these tokenizer files belong to another model",
                "use the tokenizer files released with these weights",
            )
        if hasattr(tokenizer, "limit_to"):
            tokenizer.limit_to(rows)  # T5 extra ids past the embedding are never used
    return tokenizer


def generated_count(rows: list[list[int]], pad: int | None) -> int:
    """Tokens generated in ``rows`` (decoder start removed by the caller), padding excluded."""
    if pad is None:
        return sum(len(r) for r in rows)
    return sum(1 for r in rows for i in r if i != pad)
