"""A loaded seq2seq model with its profile's conventions applied.

Every backend gets the same treatment here: tone marks normalized the way the
model was trained, typographic characters its vocabulary lacks mapped to the
plain forms it knows (curly quotes, dashes for ViT5), the input prefix added,
the text encoded by the model's tokenizer (``models.tokenization``), the output
decoded with every special piece removed and the output prefix stripped, and
inputs sent in length-sorted batches (less padding, identical results).

Spans no piece of the vocabulary can represent (emoji, CJK names, "½" for ViT5)
never reach the model as ``<unk>`` and are never dropped:

* translation: the sentence is translated around them, each span carried into
  the output untouched where it stood;
* summaries (T5): each span becomes one of the model's sentinel ids
  (``<extra_id_k>``), and a sentinel in the output is replaced by its span.

With a ``batcher`` (``models.batcher.MicroBatcher``, set up by the runtime), the
units of every concurrent caller share batches; without one, each call batches
only its own units.

Generation length follows the input: unless the caller sets ``max_new_tokens``,
``defaults()`` returns :class:`ScaledOptions`, and each unit may generate at most
``ratio × its input tokens + extra`` tokens (translation 2× + 16, summaries 1× + 16),
rounded up to a step of :data:`LENGTH_STEPS` (so that units of similar length still
share batches) and never more than the profile's ``max_new_tokens``.
"""

from __future__ import annotations

import re
import time
import unicodedata
from contextlib import nullcontext
from dataclasses import dataclass, field, fields, replace
from functools import cached_property

from . import observe
from .backends import Backend, GenerationOptions
from .batcher import MicroBatcher
from .profiles import ModelProfile
from .text.tone import normalize_tone
from .tokenization import SUPERSCRIPTS

_WORDLIKE = re.compile(r"\w")
# Part of every cache key: results computed before sentencepiece tokenization and span protection, or before
# generation lengths followed the input, differ.
TOKENIZATION_VERSION = "spm3-marian-joint"
# Output tokens a unit may need per input token (and a constant for short inputs), by task.
LENGTH_SCALE = {"translation": (2.0, 16), "summarization": (1.0, 16)}
# A unit's length limit is rounded up to one of these (then capped by the profile's maximum).
LENGTH_STEPS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


@dataclass(frozen=True)
class ScaledOptions(GenerationOptions):
    """Generation options whose ``max_new_tokens`` is a ceiling: each unit gets
    ``min(max_new_tokens, step(ratio × input tokens + extra))`` (see the module docstring)."""

    ratio: float = 2.0
    extra: int = 16

    def limit(self, input_tokens: int) -> int:
        wanted = int(self.ratio * input_tokens + 0.999) + self.extra
        step = next((s for s in LENGTH_STEPS if s >= wanted), wanted)
        return max(1, min(self.max_new_tokens, step))

    def for_input(self, input_tokens: int) -> GenerationOptions:
        """The plain options one unit of ``input_tokens`` tokens is generated with."""
        base = {f.name: getattr(self, f.name) for f in fields(GenerationOptions)}
        longest = self.limit(input_tokens)
        return GenerationOptions(**(base | {"max_new_tokens": longest,
                                            "min_new_tokens": min(self.min_new_tokens, longest)}))


def unit_options(options: GenerationOptions, input_tokens: int) -> GenerationOptions:
    """The options a unit of ``input_tokens`` tokens is generated with."""
    return options.for_input(input_tokens) if isinstance(options, ScaledOptions) else options


_SUPERSCRIPT_RUN_RE = re.compile(f"[{SUPERSCRIPTS}]+")


@dataclass
class ModelInput:
    """One model input: its ids, the text around it in the output, and its placeholders."""

    ids: tuple[int, ...]
    lead: str = ""
    trail: str = ""
    replacements: dict[int, str] = field(default_factory=dict)


@dataclass
class Seq2SeqModel:
    ref: str  # what the operator configured: a profile name or a directory
    profile: ModelProfile
    backend: Backend
    batch_size: int = 16
    batcher: MicroBatcher | None = None
    _views: dict = field(default_factory=dict, repr=False, compare=False)

    def toward(self, source: str, target: str) -> "Seq2SeqModel":
        """This model fed for the ``source``→``target`` direction of its profile (``ProfileError`` when it
        does not serve it): the same backend, batcher and cache key, that direction's prefixes."""
        profile = self.profile.toward(source, target)
        if profile is self.profile:
            return self
        key = (source, target)
        if key not in self._views:
            self._views[key] = replace(self, profile=profile, _views={})
        return self._views[key]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(d.source, d.target) for d in self.profile.pairs]

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
        } | ({"directions": [f"{d.source}→{d.target}" for d in self.profile.pairs]}
             if self.profile.task == "translation" else {}) | (self.backend.describe() if hasattr(self.backend, "describe") else {})

    @property
    def cache_key(self) -> str:
        """Identifies what this model would answer: profile, weights, backend and precision."""
        return f"{self.profile.id}@{self.revision}/{self.backend.name}/{self.backend.device}/{TOKENIZATION_VERSION}"

    def make_batcher(self, **settings) -> MicroBatcher:
        """Attach a micro-batcher (one inference thread) to this model and return it."""
        limit = getattr(self.backend, "max_batch", None)
        capability = "abstractive_summary" if self.profile.task == "summarization" else "translation"
        self.batcher = MicroBatcher(self.profile.id, self._run_batch, batch_limit=limit, capability=capability, **settings)
        return self.batcher

    def announce(self):
        """``with model.announce():`` around work that ends in a call to this model (see models.batcher)."""
        return self.batcher.announce() if self.batcher is not None else nullcontext()

    def _run_batch(self, units: list[tuple[int, ...]], options: GenerationOptions) -> tuple[list[list[int]], int]:
        return self.backend.generate_ids([list(u) for u in units], options)

    @property
    def tokenizer(self):
        return self.backend.tokenizer

    @cached_property
    def _plain(self) -> dict[int, str]:
        return str.maketrans(self.tokenizer.plain_equivalents())

    def model_text(self, text: str) -> str:
        """``text`` as this model was trained to read it: tone marks placed its way, typographic
        characters it lacks mapped to the plain ones it knows."""
        return normalize_tone(text, self.profile.tone_style).translate(self._plain)

    def prepare(self, text: str) -> str:
        """The exact string handed to the tokenizer (prefix included)."""
        return self.profile.input_prefix + self.model_text(text)

    @cached_property
    def _prefix_tokens(self) -> int:
        return self.tokenizer.count(self.profile.input_prefix)

    def token_budget(self) -> int:
        """Tokens left for the text once the prefix and special tokens are counted."""
        return self.profile.window - self._prefix_tokens

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(self.model_text(text))

    def defaults(self, **overrides) -> GenerationOptions:
        """The profile's options with the caller's overrides; without an explicit ``max_new_tokens``
        the length limit scales with each unit's input (:class:`ScaledOptions`)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        values = self.profile.generation.as_dict() | given
        if values["min_new_tokens"] > values["max_new_tokens"]:
            values["min_new_tokens"] = values["max_new_tokens"]
        if "max_new_tokens" in given:
            return GenerationOptions(**values)
        ratio, extra = LENGTH_SCALE.get(self.profile.task, LENGTH_SCALE["summarization"])
        return ScaledOptions(**values, ratio=ratio, extra=extra)

    # -- encoding ----------------------------------------------------------------
    def encode(self, text: str):
        """The ``Encoding`` of ``text`` as the model receives it, before unknown spans are protected."""
        return self.tokenizer.encode(self.prepare(text), self.profile.window)

    def _plan(self, text: str) -> list["str | ModelInput"]:
        """The model inputs for ``text`` and the raw spans between them, in output order."""
        prepared = self.prepare(text)
        encoding = self.tokenizer.encode(prepared, self.profile.window)
        if self.profile.task == "translation" and len(encoding.ids) >= self.profile.window \
                and self.tokenizer.count(prepared) > self.profile.window:
            # longer than the window even after chunking: one unsplittable word (a tracking URL, a hash).
            # Cutting it would lose its tail; it is carried through untouched instead.
            return [prepared[len(self.profile.input_prefix):]]
        if not encoding.unk_spans:
            return [ModelInput(tuple(encoding.ids))]
        if self.profile.task == "summarization":
            # a summary is one input: spans become sentinels restored in the output (none left: left out)
            return [self._with_sentinels(encoding)]
        return self._around(prepared, encoding.unknown)

    def _with_sentinels(self, encoding) -> ModelInput:
        unk = self.tokenizer.unk_id
        spans = iter(encoding.unk_spans)
        items: list[int | list[int]] = []  # ids, and [start, end] for each run of unknown pieces
        for i in encoding.ids:
            if i != unk:
                items.append(i)
                continue
            start, end = next(spans)
            if items and isinstance(items[-1], list) and items[-1][1] == start:
                items[-1][1] = end  # the same span, cut into several unknown pieces
            else:
                items.append([start, end])
        sentinels = iter(self.tokenizer.sentinels)
        by_text: dict[str, int | None] = {}
        ids: list[int] = []
        for item in items:
            if isinstance(item, int):
                ids.append(item)
                continue
            span = encoding.text[item[0]:item[1]]
            if span not in by_text:
                by_text[span] = next(sentinels, None)  # past the last sentinel, the span is left out
            if by_text[span] is not None:
                ids.append(by_text[span])
            elif _SUPERSCRIPT_RUN_RE.search(span):
                # no sentinel for an exponent: "10⁶" as "10 ^6", never the "10" or "106" of another number
                written = _SUPERSCRIPT_RUN_RE.sub(lambda m: "^" + unicodedata.normalize("NFKC", m.group()), span)
                ids.extend(i for i in self.tokenizer.content_ids(written) if i != unk)
        return ModelInput(tuple(ids), replacements={s: t for t, s in by_text.items() if s is not None})

    @staticmethod
    def _whole_words(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Each span widened to the word it sits in ("Ni[ñ]o" → "Niño"): a word is carried whole, never cut."""
        def inside(i: int) -> bool:
            return 0 <= i < len(text) and (text[i].isalnum() or unicodedata.category(text[i])[0] == "M")

        widened = []
        for start, end in spans:
            while inside(start - 1):
                start -= 1
            while inside(end):
                end += 1
            if widened and start <= widened[-1][1]:
                widened[-1] = (widened[-1][0], max(end, widened[-1][1]))
            else:
                widened.append((start, end))
        return widened

    def _around(self, prepared: str, spans: list[tuple[int, int]]) -> list["str | ModelInput"]:
        prefix = self.profile.input_prefix
        plan: list[str | ModelInput] = []
        position = len(prefix)
        pieces = []
        for start, end in self._whole_words(prepared, spans):
            start = max(start, len(prefix))
            if start > position:
                pieces.append((True, prepared[position:start]))
            pieces.append((False, prepared[start:end]))
            position = max(position, end)
        if position < len(prepared):
            pieces.append((True, prepared[position:]))
        for translatable, piece in pieces:
            body = piece.strip()
            if not translatable or not _WORDLIKE.search(body):
                plan.append(piece)
                continue
            lead, trail = piece[: len(piece) - len(piece.lstrip())], piece[len(piece.rstrip()):]
            encoding = self.tokenizer.encode(prefix + body, self.profile.window)
            ids = [i for i in encoding.ids if i != self.tokenizer.unk_id]  # nothing left unknown, by construction
            plan.append(ModelInput(tuple(ids), lead, trail))
        return plan

    # -- generation ----------------------------------------------------------------
    def generate(self, texts: list[str], options: GenerationOptions) -> list[str]:
        if not texts:
            return []
        plans = [self._plan(t) for t in texts]
        units = [part for plan in plans for part in plan if isinstance(part, ModelInput)]
        outputs = iter(self._generate_units(units, options))
        results = []
        for plan in plans:
            parts = []
            for part in plan:
                if isinstance(part, ModelInput):
                    text = self._strip_output(self.tokenizer.decode(next(outputs), part.replacements))
                    parts.append(part.lead + text + part.trail if text else part.lead + part.trail)
                else:
                    parts.append(part)
            results.append(re.sub(r"\s{2,}", " ", "".join(parts)).strip())
        return results

    def _generate_units(self, units: list[ModelInput], options: GenerationOptions) -> list[list[int]]:
        if not units:
            return []
        inputs = [u.ids for u in units]
        per_unit = [unit_options(options, len(i)) for i in inputs]
        if self.batcher is not None:
            return self.batcher.run(inputs, [len(i) for i in inputs], per_unit)
        groups: dict[GenerationOptions, list[int]] = {}
        for i in sorted(range(len(inputs)), key=lambda i: len(inputs[i])):
            groups.setdefault(per_unit[i], []).append(i)
        results: list[list[int]] = [[] for _ in inputs]
        for group_options, order in groups.items():
            size = self.batch_size
            limit = getattr(self.backend, "max_batch", None)
            if limit is not None:
                size = max(1, limit(group_options, size))
            for start in range(0, len(order), size):
                idx = order[start : start + size]
                batch = [inputs[i] for i in idx]
                started = time.monotonic()
                outputs, tokens_out = self._run_batch(batch, group_options)
                # the same event the micro-batcher emits, so metrics see both paths alike
                observe.emit("batch", model=self.profile.id, size=len(batch),
                             tokens_in=sum(len(b) for b in batch), tokens_out=int(tokens_out or 0),
                             seconds=time.monotonic() - started, wait_seconds=0.0, priority=0)
                for i, out in zip(idx, outputs):
                    results[i] = out
        return results

    def _strip_output(self, text: str) -> str:
        text = text.strip()  # decode already removed every special piece (tokenization.strip_hidden)
        prefix = self.profile.output_prefix.strip()
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :].lstrip()
        for code in (self.profile.src_lang, self.profile.tgt_lang):
            if code and code in text:
                text = re.sub(rf"(?<!\w){re.escape(code)}(?!\w)", "", text).strip()
        return text
