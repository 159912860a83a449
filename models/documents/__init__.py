"""Whole documents: translate a file and give back the same file, its structure kept (no HTTP here).

``translate_document(data, filename, translate)`` detects the format from the file's extension, checks
that the content is that format (a mislabelled or corrupt file raises :class:`models.errors.InputError`
with ``field="file"``: the HTTP layer answers 422), cuts it into segments (one per paragraph, heading,
list item, table-cell paragraph or subtitle cue), sends the segments worth translating to
``translate(texts) -> texts`` in batches, and writes each translation back where its segment was.

Formats and the library that reads and writes each: ``.txt`` (plain text, :mod:`.plain`), ``.md``
(markdown-it-py + mdformat, :mod:`.markdown`), ``.html``/``.htm`` (:mod:`models.html_translate`,
:mod:`.webpage`), ``.docx`` (python-docx, :mod:`.word`), ``.odt`` (odfpy, :mod:`.opendocument`),
``.srt`` (srt, :mod:`.subtitles`). How formatting survives a translation is told in each module and in
docs/DOCUMENTS.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from ._common import Document, fail
from ..text.segment import worth_translating

__all__ = ["FORMATS", "DocumentLimits", "DocumentResult", "open_document", "document_text",
           "translate_document", "detect_format", "formats_listing"]


@dataclass(frozen=True)
class Format:
    name: str  # the canonical extension, without the dot
    extensions: tuple[str, ...]
    media_type: str
    label: str


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("txt", (".txt",), "text/plain; charset=utf-8", "Plain text"),
    Format("md", (".md", ".markdown"), "text/markdown; charset=utf-8", "Markdown"),
    Format("html", (".html", ".htm"), "text/html; charset=utf-8", "HTML"),
    Format("docx", (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "Word document"),
    Format("odt", (".odt",), "application/vnd.oasis.opendocument.text", "OpenDocument text"),
    Format("srt", (".srt",), "application/x-subrip; charset=utf-8", "SubRip subtitles"),
)}
EXTENSIONS = {ext: f for f in FORMATS.values() for ext in f.extensions}


@dataclass(frozen=True)
class DocumentLimits:
    max_bytes: int = 10 * 1024 * 1024  # the file as sent
    max_unpacked_bytes: int = 100 * 1024 * 1024  # a .docx/.odt archive once unpacked (ZIP bombs)
    max_segments: int = 20_000
    max_chars: int = 1_000_000  # characters to translate, all segments together


@dataclass
class DocumentResult:
    data: bytes
    media_type: str
    filename: str  # a name for the translated file: "report.en.docx" (the target language before the extension)
    stats: dict = field(default_factory=dict)
    text: str = ""  # the translated segments, one a paragraph (for a summary of the translation)


def detect_format(filename: str) -> Format:
    ext = os.path.splitext(filename or "")[1].lower()
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        known = ", ".join(sorted(e for f in FORMATS.values() for e in f.extensions))
        shown = ext or "none"
        raise fail(f"unsupported file type (extension {shown}); supported: {known}", code="unsupported_format",
                   supported=sorted(FORMATS))
    return fmt


def open_document(data: bytes, filename: str, limits: DocumentLimits = DocumentLimits()) -> tuple[Format, Document]:
    """The document's format and segments; InputError when the file is not what its name says."""
    fmt = detect_format(filename)
    if len(data) > limits.max_bytes:
        raise fail(f"the file is {len(data)} bytes, more than the {limits.max_bytes} allowed", code="too_large",
                   limit=limits.max_bytes)
    if not data:
        raise fail("the file is empty", code="empty")
    if fmt.name == "txt":
        from .plain import open_txt as opener
    elif fmt.name == "md":
        from .markdown import open_md as opener
    elif fmt.name == "html":
        from .webpage import open_html as opener
    elif fmt.name == "srt":
        from .subtitles import open_srt as opener
    elif fmt.name == "docx":
        from .word import open_docx
        return fmt, open_docx(data, limits.max_unpacked_bytes)
    else:
        from .opendocument import open_odt
        return fmt, open_odt(data, limits.max_unpacked_bytes)
    return fmt, opener(data)


def document_text(data: bytes, filename: str, limits: DocumentLimits = DocumentLimits()) -> str:
    """The document's translatable text, one segment per paragraph (for summaries, language checks)."""
    return open_document(data, filename, limits)[1].text()


def translate_document(
    data: bytes,
    filename: str,
    translate: Callable[[list[str]], list[str]],
    *,
    limits: DocumentLimits = DocumentLimits(),
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    target: str = "en",
    opened: tuple[Format, Document] | None = None,
) -> DocumentResult:
    """Translate a whole file; see the module docstring.

    ``translate`` gets lists of at most ``batch_size`` segments and returns as many translations, in
    order; ``progress(done, total)`` is called after each batch (a job can report it). A translation
    that comes back empty for a non-empty segment keeps the source text there (counted in
    ``stats["kept"]``), so no element of the structure disappears. ``opened``: what ``open_document`` gave
    for this file already (it is not parsed again). ``result.text`` is the translation's text, as
    ``Document.text`` gives the source's.
    """
    fmt, document = opened or open_document(data, filename, limits)
    todo = [i for i, s in enumerate(document.segments) if worth_translating(s)]
    chars = sum(len(document.segments[i]) for i in todo)
    if len(todo) > limits.max_segments:
        raise fail(f"the document has {len(todo)} text segments, more than the {limits.max_segments} allowed",
                   code="too_large", limit=limits.max_segments)
    if chars > limits.max_chars:
        raise fail(f"the document has {chars} characters to translate, more than the {limits.max_chars} allowed",
                   code="too_large", limit=limits.max_chars)
    translations = list(document.segments)
    kept = 0
    for start in range(0, len(todo), max(1, batch_size)):
        batch = todo[start:start + batch_size]
        out = translate([document.segments[i] for i in batch])
        if len(out) != len(batch):
            raise RuntimeError(f"translator returned {len(out)} texts for {len(batch)}")
        for i, text in zip(batch, out):
            if text and text.strip():
                translations[i] = text
            else:
                kept += 1
        if progress is not None:
            progress(start + len(batch), len(todo))
    output = document.render(translations)
    stem = os.path.splitext(os.path.basename(filename or "document"))[0] or "document"
    ext = os.path.splitext(filename)[1].lower() or "." + fmt.name
    stats = {"format": fmt.name, "segments": len(document.segments), "translated": len(todo) - kept,
             "kept": kept, "characters": chars, "bytes_in": len(data), "bytes_out": len(output),
             "structure": dict(document.structure)}
    text = "\n\n".join(translations[i] for i in todo if worth_translating(translations[i]))
    return DocumentResult(output, fmt.media_type, f"{stem}.{target}{ext}", stats, text)


def formats_listing() -> list[dict]:
    """For ``/frontend/settings`` and the docs: each format, its extensions and media type."""
    return [{"format": f.name, "extensions": list(f.extensions), "media_type": f.media_type, "label": f.label}
            for f in FORMATS.values()]
