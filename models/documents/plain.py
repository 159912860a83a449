"""``.txt``: paragraphs are blocks of lines between blank lines; list items are their own segments.

A paragraph hard-wrapped over several lines is translated as one text and wrapped again over the same
number of lines (cut at word edges, sized like the source lines). A line that starts with a list marker
(``-``, ``*``, ``•``, ``1.``, ``a)``) starts a new segment and keeps its marker and indentation. Blank
lines, indentation and line endings (LF or CRLF) stay as sent; the output is UTF-8.
"""

from __future__ import annotations

import re

from ._common import Document, decode_text, encode_text, rewrap

_MARKER_RE = re.compile(r"^(\s*(?:[-*+•–]|\d{1,3}[.)]|[a-zA-Z][.)])\s+)")
_INDENT_RE = re.compile(r"^\s*")


def open_txt(data: bytes) -> Document:
    text = decode_text(data, ".txt")
    crlf = "\r\n" in text
    lines = text.replace("\r\n", "\n").split("\n")
    # pieces: a fixed string, or a segment = (index, [(prefix, line body)])
    groups: list[list[tuple[str, str]]] = []
    layout: list[str | int] = []
    current: list[tuple[str, str]] | None = None
    for i, line in enumerate(lines):
        if not line.strip():
            current = None
            layout.append(line)
            continue
        marker = _MARKER_RE.match(line)
        if marker or current is None:
            prefix = marker.group(1) if marker else _INDENT_RE.match(line).group()
            current = []
            groups.append(current)
            layout.append(len(groups) - 1)
        else:
            prefix = _INDENT_RE.match(line).group()
        current.append((prefix, line[len(prefix):].rstrip()))

    segments = [" ".join(body for _, body in group) for group in groups]

    def render(translations: list[str]) -> bytes:
        out: list[str] = []
        for item in layout:
            if isinstance(item, str):
                out.append(item)
                continue
            group = groups[item]
            if len(group) == 1:
                out.append(group[0][0] + translations[item].strip())
                continue
            pieces = rewrap(translations[item], [body for _, body in group])
            out.extend(prefix + piece for (prefix, _), piece in zip(group, pieces) if piece)
        return encode_text("\n".join(out), crlf)

    return Document(segments, render, {"paragraphs": len(groups), "lines": sum(map(len, groups))})
