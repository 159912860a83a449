"""The one path from an article to its result.

HTTP routes, jobs, the CLI and the batch engine all call these functions:
``summarize`` and ``translate`` for the single capabilities, ``process_article``
for the newsroom's combined call. Data flows one way:
raw text → clean/normalize → debris removal (summary input) → sentences →
models → result.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Literal

from .errors import CapabilityUnavailable, InputError
from .runtime import Runtime
from .text.clean import prepare_text, strip_debris
from .text.segment import split_sentences, split_text

Method = Literal["auto", "abstractive", "extractive"]
TranslateWhat = Literal["none", "summary", "full", "both"]

DEFAULT_SENTENCES = 2
DEFAULT_MAX_WORDS = 60


@dataclass(frozen=True)
class GenerationOverrides:
    """Per-request generation settings; ``None`` keeps the profile default."""

    max_new_tokens: int | None = None
    min_new_tokens: int | None = None
    num_beams: int | None = None

    def as_kwargs(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class SummaryOptions:
    method: Method = "auto"
    max_sentences: int | None = None
    max_words: int | None = None
    generation: GenerationOverrides = field(default_factory=GenerationOverrides)


@dataclass
class SummaryResult:
    summary: str
    sentences: list[str]
    method: str
    model: str
    timings: dict[str, float]


@dataclass
class TranslationResult:
    translations: list[str]
    model: str
    timings: dict[str, float]


@dataclass
class ArticleResult:
    id: str | None
    summary_vi: str
    summary_sentences: list[str]
    summary_en: str | None
    translation_en: str | None
    method: str
    models: dict[str, str]
    timings: dict[str, float]


class _Clock:
    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def done(self) -> dict[str, float]:
        self.timings["total_ms"] = round((time.perf_counter() - self.start) * 1000, 2)
        return self.timings


def clean_article(text: str, title: str | None, format: str | None) -> list[list[str]]:
    """Raw article → its paragraphs as sentences, markup and scraping debris removed."""
    paragraphs = split_text(strip_debris(prepare_text(text, format), title))
    if not any(paragraphs):
        raise InputError("the text has no sentences left once markup and scraping debris are removed")
    return paragraphs


def _limit_length(sentences: list[str], max_sentences: int | None, max_words: int | None) -> list[str]:
    """Keep whole leading sentences within the limits (at least one sentence, cut to max_words)."""
    if max_sentences:
        sentences = sentences[:max_sentences]
    if max_words:
        kept, words = [], 0
        for sentence in sentences:
            n = len(sentence.split())
            if kept and words + n > max_words:
                break
            kept.append(sentence)
            words += n
        if kept and len(kept[0].split()) > max_words:
            kept = [" ".join(kept[0].split()[:max_words]) + "…"]
        sentences = kept
    return sentences


def summarize_sentences(
    runtime: Runtime, sentences: list[str], title: str | None, options: SummaryOptions, clock: _Clock
) -> SummaryResult:
    method = options.method
    if method == "auto":
        method = "abstractive" if runtime.summary_model is not None else "extractive"
    if method == "extractive":
        max_sentences = options.max_sentences or (None if options.max_words else DEFAULT_SENTENCES)
        max_words = options.max_words or (None if options.max_sentences else DEFAULT_MAX_WORDS)
        chosen = runtime.extractive.summarize(sentences, title=title, max_sentences=max_sentences, max_words=max_words)
        picked = [sentences[i] for i in chosen]
        model = "extractive"
    else:
        summarizer = runtime.abstractive()
        generation = summarizer.model.defaults(**options.generation.as_kwargs())
        text, _sections = summarizer.summarize(sentences, generation)
        picked = _limit_length(split_sentences(text) if text else [], options.max_sentences, options.max_words)
        model = summarizer.model.name
    clock.lap("summarize_ms")
    return SummaryResult(" ".join(picked), picked, method, model, clock.timings)


def summarize(
    runtime: Runtime, text: str, title: str | None = None, format: str | None = None,
    options: SummaryOptions = SummaryOptions(),
) -> SummaryResult:
    clock = _Clock()
    sentences = [s for p in clean_article(text, title, format) for s in p]
    clock.lap("clean_ms")
    result = summarize_sentences(runtime, sentences, title, options, clock)
    result.timings = clock.done()
    return result


def _translate_paragraphs(runtime: Runtime, paragraphs: list[list[str]], generation: GenerationOverrides) -> list[str]:
    translator = runtime.translator()
    return translator.translate_paragraphs(paragraphs, translator.model.defaults(**generation.as_kwargs()))


def translate(
    runtime: Runtime, texts: list[str], format: str | None = None,
    generation: GenerationOverrides = GenerationOverrides(),
) -> TranslationResult:
    """Translate each text, keeping its paragraphs (joined by a blank line)."""
    clock = _Clock()
    translator = runtime.translator()  # fail before any work when there is no model
    docs = [split_text(prepare_text(t, format)) for t in texts]
    clock.lap("clean_ms")
    flat = [p for doc in docs for p in doc]
    translated = iter(_translate_paragraphs(runtime, flat, generation))
    out = ["\n\n".join(next(translated) for _ in doc) for doc in docs]
    clock.lap("translate_ms")
    return TranslationResult(out, translator.model.name, clock.done())


def process_article(
    runtime: Runtime,
    text: str,
    *,
    id: str | None = None,
    title: str | None = None,
    format: str | None = None,
    summary: SummaryOptions = SummaryOptions(),
    translate: TranslateWhat = "summary",
    translation: GenerationOverrides = GenerationOverrides(),
) -> ArticleResult:
    """Summarize an article in Vietnamese and give its English version(s)."""
    clock = _Clock()
    if translate != "none":
        runtime.translator()  # a missing translator is an error before any work is done
    paragraphs = clean_article(text, title, format)
    sentences = [s for p in paragraphs for s in p]
    clock.lap("clean_ms")
    result = summarize_sentences(runtime, sentences, title, summary, clock)
    models = {"summary": result.model}
    summary_en = translation_en = None
    if translate in ("summary", "both", "full"):
        wanted = [result.sentences] if translate != "full" else []
        if translate in ("full", "both"):
            wanted += paragraphs
        out = _translate_paragraphs(runtime, wanted, translation)
        if translate != "full":
            summary_en, out = out[0], out[1:]
        if translate in ("full", "both"):
            translation_en = "\n\n".join(out)
        models["translation"] = runtime.translation_model.name
        clock.lap("translate_ms")
    return ArticleResult(
        id=id,
        summary_vi=result.summary,
        summary_sentences=result.sentences,
        summary_en=summary_en,
        translation_en=translation_en,
        method=result.method,
        models=models,
        timings=clock.done(),
    )


__all__ = [
    "ArticleResult", "CapabilityUnavailable", "GenerationOverrides", "InputError", "SummaryOptions",
    "SummaryResult", "TranslationResult", "clean_article", "process_article", "summarize", "translate",
]
