from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ModelNotAvailable(RuntimeError):
    """A model cannot be loaded here; ``how_to_fix`` tells the operator what to do."""

    def __init__(self, message: str, how_to_fix: str = ""):
        super().__init__(message)
        self.how_to_fix = how_to_fix


@dataclass(frozen=True)
class GenerationOptions:
    num_beams: int = 4
    max_new_tokens: int = 256
    min_new_tokens: int = 0
    no_repeat_ngram_size: int = 0
    length_penalty: float = 1.0

    def as_dict(self) -> dict:
        return {
            "num_beams": self.num_beams,
            "max_new_tokens": self.max_new_tokens,
            "min_new_tokens": self.min_new_tokens,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
            "length_penalty": self.length_penalty,
        }


class Backend(Protocol):
    name: str
    device: str
    revision: str  # identifies the weights (commit hash or content digest) for caches

    def count_tokens(self, text: str) -> int: ...

    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]: ...
