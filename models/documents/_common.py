"""Helpers shared by the format modules: decoding, archive checks, spreading a translation over runs."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Callable

from ..errors import InputError
from ..text.segment import worth_translating

# control characters other than tab, newline, carriage return, form feed
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

FIELD = "file"
_ZIP_ENCRYPTED = 0x1  # general purpose bit 0 of a ZIP member: encrypted
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file (an encrypted Office file, a .doc)


def fail(message: str, code: str = "invalid_document", **extra) -> InputError:
    return InputError(message, field=FIELD, code=code, **extra)


@dataclass
class Document:
    """A document cut into segments: ``render(translations)`` gives the file with each segment replaced.

    ``segments`` are the texts in document order (one per paragraph, heading, cell paragraph, list item or
    cue); ``structure`` counts the document's elements, for the stats and the round-trip tests.
    ``render`` writes into the parsed document: render an opened document once.
    """

    segments: list[str]
    render: Callable[[list[str]], bytes]
    structure: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        """The translatable text, one segment a paragraph (for summaries and the language check)."""
        return "\n\n".join(s for s in self.segments if worth_translating(s))


def decode_text(data: bytes, kind: str) -> str:
    """The text of a text-format file: UTF-8 (a BOM is dropped) or UTF-16 with its BOM; else InputError."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        encoding = "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    if data.startswith(b"PK\x03\x04"):
        raise fail(f"the file is a ZIP archive (a .docx or .odt?), not a {kind} text file", code="wrong_format")
    if data.startswith(b"%PDF"):
        raise fail(f"the file is a PDF, not a {kind} text file (PDF is not supported)", code="wrong_format")
    if encoding == "utf-8" and b"\x00" in data[:65536]:
        raise fail(f"the file looks binary (NUL bytes), not a {kind} text file", code="wrong_format")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise fail(
            f"the file is not valid {encoding.upper()} text: undecodable bytes at offset {exc.start} "
            f"(save it as UTF-8)", code="undecodable",
        ) from None
    controls = len(_CONTROL_RE.findall(text))
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise fail(f"the file looks binary (control characters), not a {kind} text file", code="wrong_format")
    return text


def encode_text(text: str, crlf: bool) -> bytes:
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8")


def open_zip(data: bytes, kind: str, required: tuple[str, ...], max_unpacked: int) -> zipfile.ZipFile:
    """The archive of a .docx/.odt, checked before its library reads it: a ZIP, not corrupt, not a bomb."""
    if data.startswith(_OLE_MAGIC):  # what Word and LibreOffice write for a password-protected file (or a .doc)
        if "EncryptionInfo".encode("utf-16-le") in data:  # the stream an encrypted Office file keeps its key in
            raise fail(f"the {kind} file is password-protected (encrypted); send it without a password",
                       code="encrypted")
        raise fail(f"the file is not a {kind} document but an OLE compound file (an old binary .doc or .xls); "
                   f"open it and save it as {kind}", code="legacy-format")
    if not data.startswith(b"PK"):
        looks = "text" if _looks_text(data) else "not a ZIP archive"
        raise fail(f"the file is not a {kind} document: a {kind} file is a ZIP archive, this one is {looks}",
                   code="wrong_format")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise fail(f"the {kind} file is corrupt (truncated or damaged ZIP archive: {exc})", code="corrupt") from None
    missing = [name for name in required if name not in names]
    if missing:
        raise fail(f"the file is a ZIP archive but not a {kind} document (it has no {missing[0]})",
                   code="wrong_format")
    if unpacked > max_unpacked:
        raise fail(f"the {kind} file unpacks to {unpacked} bytes, more than the {max_unpacked} allowed",
                   code="too_large")
    if any(info.flag_bits & _ZIP_ENCRYPTED for info in archive.infolist()):  # testzip() raises RuntimeError
        raise fail(f"the {kind} file is encrypted (its ZIP archive needs a password); send it without a password",
                   code="encrypted")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise fail(f"the {kind} file is corrupt ({exc})", code="corrupt") from None
    if bad is not None:
        raise fail(f"the {kind} file is corrupt (member {bad} is damaged)", code="corrupt")
    return archive


def _looks_text(data: bytes) -> bool:
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 4090:
            return False
    return b"\x00" not in data[:4096]


def _boundaries(text: str) -> list[int]:
    """Offsets in ``text`` where a piece may start or end: its ends, the edges of its words and punctuation."""
    points = {0, len(text)}
    for m in re.finditer(r"\w+|[^\w\s]+", text):
        points.add(m.start())
        points.add(m.end())
    return sorted(points)


def rewrap(translation: str, lines: list[str]) -> list[str]:
    """A translation wrapped again over as many lines as its source ``lines`` (a hard-wrapped paragraph, a
    subtitle cue), sized like them and cut at word edges: one stripped piece per source line, empty where
    the translation ran out of words (the caller drops those: an empty line would end the paragraph or cue)."""
    return [piece.strip() for piece in distribute(translation.strip(), [len(line) + 1 for line in lines])]


def distribute(translation: str, weights: list[int]) -> list[str]:
    """Cut ``translation`` into ``len(weights)`` consecutive pieces sized like the source pieces.

    Each cut is put at the word edge nearest to where the source's cut falls proportionally (the
    source's pieces are ``weights`` characters long), so a translation as long as its source keeps
    every word where it was, and cuts never fall inside a word (a cut may separate a word from its punctuation). The pieces join back to the
    translation exactly; a piece may be empty when the translation has fewer words than pieces.
    """
    n = len(weights)
    if n == 0:
        return []
    if n == 1:
        return [translation]
    total = sum(weights)
    if total <= 0:
        return [translation] + [""] * (n - 1)
    points = _boundaries(translation)
    scale = len(translation) / total
    cuts, done, prev = [], 0, 0
    for w in weights[:-1]:
        done += w
        want = done * scale
        best = min((p for p in points if p >= prev), key=lambda p: (abs(p - want), p))
        cuts.append(best)
        prev = best
    edges = [0, *cuts, len(translation)]
    return [translation[edges[i]:edges[i + 1]] for i in range(n)]


def runs_document(paragraphs: list[list], get, put, save: Callable, structure: dict) -> Document:
    """A Document of a format whose paragraphs are runs of text (a docx run, an ODF text node): one segment
    per paragraph (its runs' text, blanks collapsed); rendering spreads each translation back over the runs
    (:func:`respread`) and ``save(stream)`` writes the file."""
    segments = [" ".join("".join(get(run) for run in runs).split()) for runs in paragraphs]

    def render(translations: list[str]) -> bytes:
        respread(paragraphs, segments, translations, get, put)
        out = io.BytesIO()
        save(out)
        return out.getvalue()

    return Document(segments, render, structure)


def respread(paragraphs: list[list], segments: list[str], translations: list[str], get, put) -> None:
    """Put each paragraph's translation back over its runs (a docx run, an ODF text node: ``get(run)`` reads
    its text, ``put(run, text)`` writes it), sized like the source runs; an unchanged paragraph is left as is."""
    for runs, source, translation in zip(paragraphs, segments, translations):
        if translation == source:
            continue
        texts = [" ".join(get(run).split()) + (" " if get(run)[-1:].isspace() else "") for run in runs]
        for run, piece in zip(runs, distribute(translation.strip(), [max(1, len(t)) for t in texts])):
            put(run, piece)
