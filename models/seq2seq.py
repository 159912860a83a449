"""A loaded seq2seq model with its profile's conventions applied.

Every backend gets the same treatment here: tone marks normalized the way the
model was trained, the input prefix added, the output prefix stripped, and
inputs sent in length-sorted batches (less padding, identical results).

With a ``batcher`` (``models.batcher.MicroBatcher``, set up by the runtime), the
units of every concurrent caller share batches; without one, each call batches
only its own units.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property

from . import observe
from .backends import Backend, GenerationOptions
from .batcher import MicroBatcher
from .profiles import ModelProfile
from .text.tone import normalize_tone


@dataclass
class Seq2SeqModel:
    ref: str  # what the operator configured: a profile name or a directory
    profile: ModelProfile
    backend: Backend
    batch_size: int = 16
    batcher: MicroBatcher | None = None

    @property
    def name(self) -> str:
        return self.profile.id if self.ref == self.profile.id else f"{self.ref} ({self.profile.id})"

    @property
    def revision(self) -> str:
        return self.backend.revision

    def describe(self) -> dict:
        return {
            "name": self.ref,
            "profile": self.profile.id,
            "family": self.profile.family,
            "task": self.profile.task,
            "license": self.profile.license,
            "backend": self.backend.name,
            "device": self.backend.device,
            "revision": self.revision,
            "window": self.profile.window,
            "batching": self.batcher is not None,
        } | (self.backend.describe() if hasattr(self.backend, "describe") else {})

    @property
    def cache_key(self) -> str:
        """Identifies what this model would answer: profile, weights, backend and precision."""
        return f"{self.profile.id}@{self.revision}/{self.backend.name}/{self.backend.device}"

    def make_batcher(self, **settings) -> MicroBatcher:
        """Attach a micro-batcher (one inference thread) to this model and return it."""
        limit = getattr(self.backend, "max_batch", None)
        capability = "abstractive_summary" if self.profile.task == "summarization" else "translation"
        self.batcher = MicroBatcher(self.profile.id, self._run_batch, batch_limit=limit, capability=capability, **settings)
        return self.batcher

    def announce(self):
        """``with model.announce():`` around work that ends in a call to this model (see models.batcher)."""
        return self.batcher.announce() if self.batcher is not None else nullcontext()

    def _run_batch(self, texts: list[str], options: GenerationOptions) -> tuple[list[str], int | None]:
        detailed = getattr(self.backend, "generate_detailed", None)
        if detailed is not None:
            return detailed(texts, options)
        return self.backend.generate(texts, options), None

    def prepare(self, text: str) -> str:
        return self.profile.input_prefix + normalize_tone(text, self.profile.tone_style)

    @cached_property
    def _prefix_tokens(self) -> int:
        return self.backend.count_tokens(self.profile.input_prefix)

    def token_budget(self) -> int:
        """Tokens left for the text once the prefix and special tokens are counted."""
        return self.profile.window - self._prefix_tokens

    def count_tokens(self, text: str) -> int:
        return self.backend.count_tokens(normalize_tone(text, self.profile.tone_style))

    def defaults(self, **overrides) -> GenerationOptions:
        values = self.profile.generation.__dict__ | {k: v for k, v in overrides.items() if v is not None}
        if values["min_new_tokens"] > values["max_new_tokens"]:
            values["min_new_tokens"] = values["max_new_tokens"]
        return GenerationOptions(**values)

    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]:
        if not texts:
            return []
        prepared = [self.prepare(t) for t in texts]
        if self.batcher is not None:
            tokens = [self.backend.count_tokens(p) for p in prepared]
            return [self._strip_output(out) for out in self.batcher.run(prepared, tokens, options)]
        order = sorted(range(len(texts)), key=lambda i: len(prepared[i]))
        size = self.batch_size
        limit = getattr(self.backend, "max_batch", None)
        if limit is not None:
            size = max(1, limit(options, size))
        results: list[str] = [""] * len(texts)
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            batch = [prepared[i] for i in idx]
            started = time.monotonic()
            outputs, tokens_out = self._run_batch(batch, options)
            # the same event the micro-batcher emits, so metrics see both paths alike
            observe.emit("batch", model=self.profile.id, size=len(batch),
                         tokens_in=sum(self.backend.count_tokens(t) for t in batch), tokens_out=int(tokens_out or 0),
                         seconds=time.monotonic() - started, wait_seconds=0.0, priority=0)
            for i, out in zip(idx, outputs):
                results[i] = self._strip_output(out)
        return results

    def _strip_output(self, text: str) -> str:
        text = text.strip()
        prefix = self.profile.output_prefix.strip()
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :].lstrip()
        return text
