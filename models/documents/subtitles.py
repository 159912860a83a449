"""``.srt`` through the ``srt`` library: every cue keeps its number and timings.

A cue's lines are one sentence more often than not, so a cue is translated as one text (its lines joined
by spaces) and wrapped again over as many lines as the source cue had, cut at word edges and sized like
the source lines (never an empty line: it would end the cue). Cues without letters (``♪``, ``...``) are
kept as they are.
"""

from __future__ import annotations

import srt

from ._common import Document, decode_text, encode_text, fail, rewrap


def open_srt(data: bytes) -> Document:
    text = decode_text(data, ".srt")
    crlf = "\r\n" in text
    try:
        cues = list(srt.parse(text.replace("\r\n", "\n")))
    except srt.SRTParseError as exc:
        raise fail(f"the .srt file is not valid SubRip: bad cue numbering or timings near character "
                   f"{exc.expected_start} ({_excerpt(text, exc.expected_start)!r})", code="corrupt") from None
    except (ValueError, OverflowError) as exc:
        raise fail(f"the .srt file has invalid timings ({exc})", code="corrupt") from None
    if not cues and text.strip():
        raise fail("the .srt file has no subtitle cues", code="corrupt")
    for cue in cues:
        if cue.end < cue.start:
            raise fail(f"the .srt file's cue {cue.index} ends before it starts ({cue.start} → {cue.end})",
                       code="corrupt")
    lines = [[line.strip() for line in cue.content.split("\n") if line.strip()] for cue in cues]
    segments = [" ".join(cue_lines) for cue_lines in lines]

    def render(translations: list[str]) -> bytes:
        out = []
        for cue, cue_lines, translation in zip(cues, lines, translations):
            content = "\n".join(piece for piece in rewrap(translation, cue_lines) if piece) if cue_lines else ""
            out.append(srt.Subtitle(cue.index, cue.start, cue.end, content, cue.proprietary))
        return encode_text(srt.compose(out, reindex=False, strict=True), crlf)

    return Document(segments, render, {"cues": len(cues), "lines": sum(map(len, lines))})


def _excerpt(text: str, at: int) -> str:
    return text[at:at + 40].split("\n\n")[0]
