"""The one path from an article to its result.

HTTP routes, jobs, the CLI and the batch engine all call these functions:
``summarize`` and ``translate`` for the single capabilities, ``process_article``
for the newsroom's combined call. Data flows one way:
raw text → clean/normalize → debris removal (summary input) → sentences →
models → result.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Literal

from .cache import current_scope, make_key
from . import observe
from .errors import CapabilityUnavailable, InputError
from .faithfulness import check_summary, check_translation
from .glossary import Glossary
from .langid import detect_language
from .profiles import ProfileError
from .runtime import Runtime
from .text.budget import DEFAULT_TEXT_BUDGET_S, default_budget, text_budget
from .text.clean import prepare_text, strip_debris
from .text.english import split_english_text
from .text.segment import as_excerpt, leading_headline, split_sentences, split_text
from .text.tone_style import ReaderTone, reader_tone, style_of
from .translate import Translator

Method = Literal["auto", "abstractive", "extractive"]
TranslateWhat = Literal["none", "summary", "full", "both"]
OnUnfaithful = Literal["flag", "fallback"]

LANGUAGE_SAMPLE = 3000  # characters the language check reads
LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English"}
# how each source language's text is cut into sentences (paragraphs kept)
SPLITTERS = {"en": split_english_text}
CACHE_VERSION = 6  # bump when the pipeline's output for the same input changes
# Wall-clock seconds the text work (cleaning, sentences, language check) of a call made outside a
# request may take; a request's budget is RuntimeConfig.text_budget_s (TOMTAT_TEXT_BUDGET).
TEXT_BUDGET_S: float | None = DEFAULT_TEXT_BUDGET_S


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
    # an abstractive summary whose fact checks fail: "flag" returns it with its problems in `checks`,
    # "fallback" returns the extractive summary instead, with a warning that says why
    on_unfaithful: OnUnfaithful = "flag"


@dataclass
class SummaryResult:
    summary: str
    sentences: list[str]
    method: str
    model: str
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    # fact checks of the neural output (models/faithfulness/): {"summary": {"ok", "problems"}};
    # empty for an extractive summary (its words are the article's own)
    checks: dict[str, dict] = field(default_factory=dict)


@dataclass
class TranslationResult:
    translations: list[str]
    model: str
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    # one per translation, in order; empty for en→vi (the fact checks read a Vietnamese source, English output)
    checks: list[dict] = field(default_factory=list)
    source: str = "vi"
    target: str = "en"


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
    warnings: list[str] = field(default_factory=list)
    checks: dict[str, dict] = field(default_factory=dict)  # by output field: summary_vi, summary_en, translation_en


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


def check_language(text: str, allow_other: bool, field: str = "text", expected: str = "vi",
                   detected: tuple[str, float] | None = None) -> list[str]:
    """Text in the ``expected`` language (Vietnamese unless said) passes. Anything else is an ``InputError``
    naming the detected language, or, when the caller allows other languages, a warning to return with the
    result. ``detected``: (language, confidence) already found on this text, not detected again."""
    if detected is None:
        with default_budget(TEXT_BUDGET_S):
            detected = detect_language(text[:LANGUAGE_SAMPLE])
    code, confidence = detected
    if code == expected:
        return []
    name = LANGUAGE_NAMES.get(expected, expected)
    found = "no identifiable language (garbled or binary text?)" if code == "und" else f"language '{code}'"
    message = f"{field} looks like {found}, not {name} (confidence {confidence:.2f})"
    if not allow_other:
        raise InputError(message + f"; send {name} text, or set allow_other_language to process it anyway",
                         field=field, code=f"not-{name.lower()}", detected_language=code,
                         confidence=round(confidence, 3))
    return [message]


def served_pairs(runtime: Runtime) -> list[tuple[str, str]]:
    """The (source, target) pairs translation serves now: the loaded model's directions, none without one."""
    model = runtime.translation_model
    return model.pairs if model is not None else []


def pick_direction(pairs: list[tuple[str, str]], source: str, target: str | None,
                   detected: str | None = None) -> tuple[str, str]:
    """The pair to translate: ``source`` ("auto": the ``detected`` language, Vietnamese when undetermined) and
    ``target`` (None: the one target that source has). An unserved pair is an ``InputError`` naming the served ones."""
    if source == "auto":
        sources = [s for s, _ in pairs]
        source = detected if detected in sources else ("vi" if detected in (None, "und") and "vi" in sources
                                                      else detected or "und")
    targets = [t for s, t in pairs if s == source]
    if target is None and targets:
        target = targets[0]
    if (source, target) not in pairs:
        served = ", ".join(f"{s}→{t}" for s, t in pairs)
        asked = f"{source}→{target}" if target else f"{source} as a source"
        raise InputError(f"{asked} is not served; the loaded translation model serves {served}",
                         field="target" if source in [s for s, _ in pairs] else "source", code="unsupported-pair",
                         served=[f"{s}→{t}" for s, t in pairs])
    return source, target


def translator_for(runtime: Runtime, source: str = "vi", target: str = "en",
                   translator: Translator | None = None) -> Translator:
    """The runtime's translator (or ``translator``, already looked up) fed for ``source``→``target``: 503
    without a model; for a model that lacks the direction, 503 too (the caller cannot choose another: the
    operator's model serves other pairs)."""
    translator = translator or runtime.translator()
    try:
        return translator.toward(source, target)
    except ProfileError as exc:
        raise CapabilityUnavailable("translation", str(exc),
                                    "set TOMTAT_TRANSLATION_MODEL to a model that serves "
                                    f"{source}→{target} (tomtat models list)") from exc


def clean_article(text: str, title: str | None, format: str | None) -> list[list[str]]:
    """Raw article → its paragraphs as sentences, markup and scraping debris removed."""
    with default_budget(TEXT_BUDGET_S):
        paragraphs = split_text(strip_debris(prepare_text(text, format), title))
    if not any(paragraphs):
        raise InputError("the text has no sentences left once markup and scraping debris are removed")
    return paragraphs


def summary_input(paragraphs: list[list[str]], title: str | None) -> tuple[list[str], str | None]:
    """The sentences a summary is made of, and its title. A text sent without a title that opens with its
    headline (pasted or scraped whole: ``leading_headline``) gives both: the headline is the title the
    summarizer reads, not a sentence to pick (a "summary" repeating the headline says nothing new). The
    paragraphs themselves are untouched: a full translation keeps the headline."""
    headline = None if title else leading_headline(paragraphs)
    sentences = [s for p in paragraphs for s in p]
    return (sentences[1:] if headline else sentences), title or headline


def read_article(runtime: Runtime, text: str, title: str | None, format: str | None, allow_other_language: bool
                 ) -> tuple[list[list[str]], list[str], list[str], str | None]:
    """A request's article, read once: its paragraphs (``clean_article``), the language warnings, and the
    sentences and title its summary is made from (``summary_input``); one text budget for all of it."""
    with text_budget(runtime.config.text_budget_s):
        paragraphs = clean_article(text, title, format)
        warnings = check_language(_joined(paragraphs), allow_other_language)
    return (paragraphs, warnings, *summary_input(paragraphs, title))


def _joined(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs)


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


# -- result cache (models/cache.py): keyed by models, options and the cleaned text -------------

def _summary_key(runtime: Runtime, options: SummaryOptions) -> str:
    method = options.method
    if method == "auto":
        method = "abstractive" if runtime.summary_model is not None else "extractive"
    if method == "extractive":
        return "extractive"
    return runtime.summary_model.cache_key if runtime.summary_model is not None else "none"


def _translation_key(runtime: Runtime) -> str:
    return runtime.translation_model.cache_key if runtime.translation_model is not None else "none"


def _cache_get(runtime: Runtime, kind: str, *parts) -> tuple[str | None, dict | None]:
    cache = runtime.cache
    if cache is None:
        return None, None
    key = make_key(kind, CACHE_VERSION, current_scope(), *parts)  # one tenant's entries are its own
    return key, cache.get(key)


def _cache_put(runtime: Runtime, key: str | None, value: dict) -> None:
    if key is not None and runtime.cache is not None:
        runtime.cache.put(key, value)


def _mark(timings: dict, key: str | None, hit: bool) -> dict:
    if key is not None:
        timings["cache"] = "hit" if hit else "miss"
    return timings


def _announce_summary(runtime: Runtime, options: SummaryOptions):
    """Tell the summarization model's batcher a request is on its way (see models.batcher)."""
    model = runtime.summary_model
    if model is None or options.method == "extractive":
        return nullcontext()
    return model.announce()


def summarize_sentences(
    runtime: Runtime, sentences: list[str], title: str | None, options: SummaryOptions, clock: _Clock
) -> SummaryResult:
    method = options.method
    if method == "auto":
        method = "abstractive" if runtime.summary_model is not None else "extractive"
    if method == "extractive":
        picked = _extractive(runtime, sentences, title, options)
        clock.lap("summarize_ms")
        return SummaryResult(" ".join(picked), picked, method, "extractive", clock.timings)
    summarizer = runtime.abstractive()
    generation = summarizer.model.defaults(**options.generation.as_kwargs())
    text, _sections = summarizer.summarize(sentences, generation)
    # in the article's own tone-mark style: the model writes VietNews' new one ("hoà"), a newsroom mostly not
    text = reader_tone(text, style_of(" ".join(sentences)))
    picked = _limit_length(split_sentences(text) if text else [], options.max_sentences, options.max_words)
    clock.lap("summarize_ms")
    # against what the caller sent: the headline's facts are no invention either
    checks = check_summary("\n\n".join(([title] if title else []) + [" ".join(sentences)]), " ".join(picked))
    clock.lap("check_ms")
    if checks["ok"] or options.on_unfaithful != "fallback":
        return SummaryResult(" ".join(picked), picked, method, summarizer.model.name, clock.timings,
                             checks={"summary": checks})
    picked = _extractive(runtime, sentences, title, options)
    clock.lap("fallback_ms")
    warning = (f"the abstractive summary ({summarizer.model.name}) failed its fact checks ({describe(checks)}); "
               "on_unfaithful is fallback, so this is the extractive summary")
    return SummaryResult(" ".join(picked), picked, "extractive", "extractive", clock.timings, [warning])


def _extractive(runtime: Runtime, sentences: list[str], title: str | None, options: SummaryOptions) -> list[str]:
    chosen = runtime.extractive.summarize(
        sentences, title=title, max_sentences=options.max_sentences,
        max_words=options.max_words or (10_000 if options.max_sentences else None),
    )
    return as_excerpt([sentences[i] for i in chosen], list(chosen))


def describe(checks: dict, most: int = 3) -> str:
    """The problems of one output in a few words: "name 'Nung Đen' unsupported, number '12' unsupported"."""
    problems = checks.get("problems", [])
    said = [f"{p['kind']} '{p['text'][:60]}' {p['issue']}" for p in problems[:most]]
    if len(problems) > most:
        said.append(f"{len(problems) - most} more")
    return ", ".join(said)


def check_paragraphs(source: list[list[str]], translated: list[str], glossary: Glossary | None = None) -> dict:
    """Fact checks of a translation made paragraph by paragraph, each paragraph against its source; a problem
    the ``glossary`` accounts for (a term rendered as it says) is none."""
    checks = _check_paragraphs(source, translated)
    if glossary and checks["problems"]:
        source_text, output = _joined(source), "\n\n".join(translated)
        vouches = glossary.vouching(source_text, output)
        kept = [p for p in checks["problems"] if not vouches(p)]
        checks = checks | {"ok": not kept, "problems": kept}
    return checks


def _check_paragraphs(source: list[list[str]], translated: list[str]) -> dict:
    """The fact checks themselves (models/faithfulness/), paragraph by paragraph where they were kept."""
    if len(source) != len(translated):  # paragraphs not kept one for one: check the whole text
        return check_translation(_joined(source), "\n\n".join(translated))
    problems = []
    for sentences, english in zip(source, translated):
        problems += check_translation(" ".join(sentences), english)["problems"]
    return {"ok": not problems, "problems": problems}


def _report(checks: dict[str, dict], rename: dict[str, str] | None = None) -> None:
    """Tell the observers (metrics) the problems of what is being returned: one event per output field and kind."""
    for name, result in checks.items():
        counts: dict[str, int] = {}
        for problem in result.get("problems", []):
            counts[problem["kind"]] = counts.get(problem["kind"], 0) + 1
        for kind, count in counts.items():
            observe.emit("output_problems", field=(rename or {}).get(name, name), kind=kind, count=count)


def summarize(
    runtime: Runtime, text: str, title: str | None = None, format: str | None = None,
    options: SummaryOptions = SummaryOptions(), allow_other_language: bool = False,
) -> SummaryResult:
    clock = _Clock()
    with _announce_summary(runtime, options):
        _, warnings, sentences, title = read_article(runtime, text, title, format, allow_other_language)
        clock.lap("clean_ms")
        key, hit = _cache_get(runtime, "summarize", _summary_key(runtime, options), sentences, title, asdict(options))
        if hit is not None:
            result = SummaryResult(**hit, timings=_mark(clock.done(), key, True))
            _report(result.checks)
            return result
        result = summarize_sentences(runtime, sentences, title, options, clock)
    result.warnings = warnings + result.warnings
    _cache_put(runtime, key, {k: v for k, v in asdict(result).items() if k != "timings"})
    result.timings = _mark(clock.done(), key, False)
    _report(result.checks)
    return result


def _lines_key(paragraphs: list[list[str]]) -> list:
    """The paragraphs' line breaks as a part of a translation's cache key, which the sentences alone are not
    ("A.\nB." and "A. B." translate to different layouts); none for a text without any, whose key stays."""
    ends = [sorted(getattr(p, "line_ends", ())) for p in paragraphs]
    return [{"lines": ends}] if any(ends) else []


def _translate_paragraphs(translator: Translator, paragraphs: list[list[str]], generation: GenerationOverrides,
                          glossary: Glossary | None = None) -> list[str]:
    """``translator`` (fed for the request's direction: ``translator_for``) on the paragraphs, the caller's
    generation settings over its model's."""
    return translator.translate_paragraphs(paragraphs, translator.model.defaults(**generation.as_kwargs()),
                                           glossary)


def _check_glossary(glossary: Glossary | None, source: str, target: str) -> Glossary | None:
    """A glossary made for another direction is an error (one given inline takes the request's)."""
    if glossary and glossary.source is not None and (glossary.source, glossary.target) != (source, target):
        raise InputError(f"the glossary is for {glossary.source}→{glossary.target}; this translation is "
                         f"{source}→{target}. Use a glossary of that direction", field="glossary",
                         code="glossary-direction")
    return glossary or None


def translate(
    runtime: Runtime, texts: list[str], format: str | None = None,
    generation: GenerationOverrides = GenerationOverrides(), allow_other_language: bool = False,
    source: str = "vi", target: str | None = "en", tone: ReaderTone = "keep", glossary: Glossary | None = None,
    language_checked: bool = False,
) -> TranslationResult:
    """Translate each text, keeping its paragraphs (joined by a blank line) and the lines inside them (a line
    break where a line of the source ended: ``segment.Paragraph``).

    ``source``/``target``: one of the pairs the loaded model serves (``served_pairs``); ``source="auto"``
    takes the language detected on all the texts together, ``target=None`` that source's one target.
    ``tone``: the tone-mark style of a Vietnamese output (``keep`` as the model writes it, ``old``, ``new``).
    ``glossary``: terms rendered one way in every sentence that holds them (``models/glossary.py``).
    ``language_checked``: the caller checked the language of the whole (a document's segments): no check per
    text."""
    clock = _Clock()
    translator = runtime.translator()  # fail before any work when there is no model
    pairs = translator.pairs
    if source != "auto":
        source, target = pick_direction(pairs, source, target)
    with translator.model.announce():
        with text_budget(runtime.config.text_budget_s):  # one budget for all the texts of the request
            prepared = [prepare_text(t, format) for t in texts]
            found = None  # the language of a single text, detected once for the direction and the check
            if source == "auto":
                with default_budget(TEXT_BUDGET_S):
                    found = detect_language("\n\n".join(prepared)[:LANGUAGE_SAMPLE])
                source, target = pick_direction(pairs, "auto", target, found[0])
            split = SPLITTERS.get(source, split_text)
            docs = [split(t) for t in prepared]
            warnings = [] if language_checked else [w for i, doc in enumerate(docs) for w in check_language(
                _joined(doc), allow_other_language, "text" if len(docs) == 1 else f"texts[{i}]", expected=source,
                detected=found if len(docs) == 1 else None)]
        clock.lap("clean_ms")
        translator = translator_for(runtime, source, target, translator)
        glossary = _check_glossary(glossary, source, target)
        direction = None if (source, target) == ("vi", "en") else f"{source}-{target}"  # vi→en keys as before
        extra = ([direction] if direction else []) + ([f"glossary:{glossary.digest}"] if glossary else [])
        lookups = [_cache_get(runtime, "translate", _translation_key(runtime), doc, asdict(generation), *extra,
                              *_lines_key(doc))
                   for doc in docs]
        out: list[str | None] = [None if hit is None else hit["translation"] for _, hit in lookups]
        missing = [i for i, o in enumerate(out) if o is None]
        flat = [p for i in missing for p in docs[i]]
        translated = iter(_translate_paragraphs(translator, flat, generation, glossary)
                          if flat else [])
    for i in missing:
        out[i] = "\n\n".join(next(translated) for _ in docs[i])
        _cache_put(runtime, lookups[i][0], {"translation": out[i]})
    clock.lap("translate_ms")
    if target == "vi" and tone != "keep":
        out = [reader_tone(o or "", tone) for o in out]
    # deterministic and cheap: made again for a cached translation rather than stored with it. The fact
    # checks (models/faithfulness/) read a Vietnamese source and an English output: vi→en only
    checks = [check_paragraphs(doc, (o or "").split("\n\n"), glossary) for doc, o in zip(docs, out)] \
        if (source, target) == ("vi", "en") else []
    clock.lap("check_ms")
    key = lookups[0][0] if lookups else None
    timings = _mark(clock.done(), key, bool(lookups) and not missing)
    for result in checks:
        _report({"translation": result})
    return TranslationResult(out, translator.model.name, timings, warnings, checks, source, target)


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
    allow_other_language: bool = False,
    glossary: Glossary | None = None,
) -> ArticleResult:
    """Summarize an article in Vietnamese and give its English version(s); ``glossary`` (vi→en) holds
    for the English."""
    clock = _Clock()
    translator = None
    if translate != "none":
        translator = translator_for(runtime, "vi", "en")  # none (or an en→vi one) is an error before any work
        glossary = _check_glossary(glossary, "vi", "en")
    else:
        glossary = None
    with _announce_summary(runtime, summary):
        paragraphs, warnings, sentences, summary_title = read_article(runtime, text, title, format,
                                                                      allow_other_language)
        clock.lap("clean_ms")
        key, hit = _cache_get(
            runtime, "article", _summary_key(runtime, summary),
            _translation_key(runtime) if translate != "none" else None,
            paragraphs, title, asdict(summary), translate, asdict(translation),
            *([f"glossary:{glossary.digest}"] if glossary else []),
            *(_lines_key(paragraphs) if translate in ("full", "both") else []),
        )
        if hit is not None:
            article = ArticleResult(id=id, **hit, timings=_mark(clock.done(), key, True))  # warnings are cached with it
            _report(article.checks)
            return article
        result = summarize_sentences(runtime, sentences, summary_title, summary, clock)
    models = {"summary": result.model}
    checks = {"summary_vi": result.checks["summary"]} if "summary" in result.checks else {}
    summary_en = translation_en = None
    if translate in ("summary", "both", "full"):
        wanted = [result.sentences] if translate != "full" else []
        if translate in ("full", "both"):
            wanted += paragraphs
        out = _translate_paragraphs(translator, wanted, translation, glossary)
        if translate != "full":
            summary_en, out = out[0], out[1:]
            checks["summary_en"] = check_paragraphs([result.sentences], [summary_en], glossary)
        if translate in ("full", "both"):
            translation_en = "\n\n".join(out)
            checks["translation_en"] = check_paragraphs(paragraphs, out, glossary)
        models["translation"] = translator.model.name
        clock.lap("translate_ms")
    article = ArticleResult(
        id=id,
        summary_vi=result.summary,
        summary_sentences=result.sentences,
        summary_en=summary_en,
        translation_en=translation_en,
        method=result.method,
        models=models,
        timings={},
        warnings=warnings + result.warnings,
        checks=checks,
    )
    _cache_put(runtime, key, {k: v for k, v in asdict(article).items() if k not in ("id", "timings")})
    article.timings = _mark(clock.done(), key, False)
    _report(article.checks)
    return article


__all__ = [
    "ArticleResult", "CapabilityUnavailable", "GenerationOverrides", "InputError", "SummaryOptions",
    "SummaryResult", "TranslationResult", "check_paragraphs", "clean_article", "describe", "pick_direction",
    "process_article", "served_pairs", "summarize", "translate", "translator_for",
]
