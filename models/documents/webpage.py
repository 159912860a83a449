"""``.html`` through :mod:`models.html_translate`: markup, attributes, comments and whitespace kept byte
for byte; only text nodes are translated (script, style, code, pre and ``translate="no"`` content kept).

That module translates text node by text node (``Xin <b>chào</b>`` is two segments), which is its
published behaviour for ``/v1/translate`` with HTML; documents use it unchanged so both paths agree.
"""

from __future__ import annotations

import re

from ..html_translate import parse_html
from ..text import budget
from .. import pipeline
from ._common import Document, decode_text, encode_text


def open_html(data: bytes) -> Document:
    text = decode_text(data, ".html")
    with budget.default_budget(pipeline.TEXT_BUDGET_S):
        parsed = parse_html(text)
        segments = parsed.units()
    structure = {name: len(re.findall(rf"<{name}[\s>/]", text, re.IGNORECASE))
                 for name in ("p", "h1", "h2", "h3", "li", "td", "a", "table")}

    def render(translations: list[str]) -> bytes:
        return encode_text(parsed.render(iter(translations)), False)

    return Document(segments, render, structure)
