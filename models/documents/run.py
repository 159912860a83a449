"""A whole file through the one pipeline: its translation (structure kept) and, on request, its summaries.

HTTP (``/v1/documents`` jobs, LibreTranslate's ``/translate_file``) calls :func:`translate_file`; the
segments of the file go to :func:`models.pipeline.translate` in batches, with the request's glossary,
so batching, cache, glossary guarantee and fact checks are the ones every translation gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import pipeline
from ..glossary import Glossary
from ..langid import detect_language
from ..runtime import Runtime
from . import DocumentLimits, Format, open_document, translate_document
from ._common import Document

MOST_PROBLEMS = 50  # fact-check problems a document result lists (all are counted)
TRANSLATION_SHARE = 0.9  # of the progress of a file also summarized: the summaries come after the translation


@dataclass
class FileResult:
    data: bytes
    media_type: str
    filename: str
    source: str
    target: str
    stats: dict
    summary_vi: str | None = None
    summary_en: str | None = None
    checks: dict = field(default_factory=dict)  # {"translation": {"ok", "problems", "count"}} for vi→en
    warnings: list[str] = field(default_factory=list)


def translate_file(
    runtime: Runtime, data: bytes, filename: str, *, source: str = "auto", target: str | None = None,
    glossary: Glossary | None = None, summarize: bool = False, allow_other_language: bool = False,
    limits: DocumentLimits = DocumentLimits(), opened: tuple[Format, Document] | None = None,
    progress: Callable[[float], None] | None = None,
) -> FileResult:
    """Translate the file ``data`` named ``filename``; an :class:`~models.errors.InputError` (``field="file"``)
    for a corrupt, mislabelled, oversized or wrong-language file, raised before any model work. ``opened``:
    ``open_document``'s answer for this file when the caller has it (the file is not parsed again).
    ``progress(fraction)``: called after each batch of segments, 0 < fraction <= 1, and with 1.0 at the end
    (a job shows it while the file is being translated)."""
    translator = runtime.translator()  # 503 before reading the file when there is no model
    opened = opened or open_document(data, filename, limits)  # opens and checks the file, once
    text = opened[1].text()
    if source == "auto":
        detected, _ = detect_language(text[:pipeline.LANGUAGE_SAMPLE])
        source, target = pipeline.pick_direction(translator.pairs, "auto", target, detected)
    else:
        source, target = pipeline.pick_direction(translator.pairs, source, target)
    warnings = pipeline.check_language(text, allow_other_language, field="file", expected=source)
    problems: list[dict] = []

    def translate(segments: list[str]) -> list[str]:
        # segments are single paragraphs of a document whose language was checked whole: a short one
        # ("OK", a name) must not fail its own check
        result = pipeline.translate(runtime, segments, "text", source=source, target=target, glossary=glossary,
                                    language_checked=True)
        for check in result.checks:
            problems.extend(check.get("problems", []))
        return result.translations

    share = TRANSLATION_SHARE if summarize else 1.0

    def advanced(done: int, total: int) -> None:
        if progress is not None and total:
            progress(share * done / total)

    translated = translate_document(data, filename, translate, limits=limits, target=target, opened=opened,
                                    progress=advanced)
    out = FileResult(translated.data, translated.media_type, translated.filename, source, target, translated.stats,
                     warnings=warnings)
    if (source, target) == ("vi", "en"):
        out.checks = {"translation": {"ok": not problems, "problems": problems[:MOST_PROBLEMS],
                                      "count": len(problems)}}
    if summarize:
        _summaries(runtime, out, text, translated.text, glossary)
    if progress is not None:
        progress(1.0)
    return out


def _summaries(runtime: Runtime, out: FileResult, source_text: str, target_text: str,
               glossary: Glossary | None) -> None:
    """Summaries are Vietnamese first: of the Vietnamese text (the file's own, or its translation), then in
    English when a vi→en translator is loaded."""
    vietnamese = source_text if out.source == "vi" else target_text
    english = ("vi", "en") in runtime.translator().pairs
    article = pipeline.process_article(runtime, vietnamese, translate="summary" if english else "none",
                                       glossary=glossary if out.source == "vi" else None,
                                       allow_other_language=True)
    out.summary_vi, out.summary_en = article.summary_vi, article.summary_en
    for name, check in article.checks.items():
        if name in ("summary_vi", "summary_en"):
            out.checks[name] = check
