"""A Vietnamese output in the tone-mark style its reader wants.

:func:`models.text.tone.normalize_tone` puts input in the style a model was trained on; this goes
the other way for output: VinAI's en→vi model writes the new style (``hoà``, ``thuỷ``), which a
reader used to the old style (``hòa``, ``thủy``, still common in the press) may ask for, and the
reverse. Only open *oa/oe/uy* rhymes differ between the styles (see :mod:`models.text.tone`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from .tone import normalize_tone

ReaderTone = Literal["keep", "old", "new"]

__all__ = ["ReaderTone", "reader_tone", "style_of"]


def reader_tone(text: str, style: ReaderTone = "keep") -> str:
    """``text`` with its tone marks in ``style``: ``old`` (``hòa``), ``new`` (``hoà``) or ``keep`` (as is, NFC)."""
    if style == "keep":
        return unicodedata.normalize("NFC", text)
    if style not in ("old", "new"):
        raise ValueError(f"unknown tone style: {style!r}")
    return normalize_tone(text, style)


def style_of(text: str) -> ReaderTone:
    """The tone-mark style ``text`` writes its open *oa/oe/uy* rhymes in: ``old`` or ``new`` when at least two
    in three of them agree, ``keep`` when it has none or mixes them evenly."""
    old = new = 0
    for word in _WORD_RE.findall(unicodedata.normalize("NFC", text).lower()):
        as_old, as_new = normalize_tone(word, "old"), normalize_tone(word, "new")
        if as_old != as_new:
            old += word == as_old
            new += word == as_new
    if old + new == 0:
        return "keep"
    return "old" if 3 * old >= 2 * (old + new) else "new" if 3 * new >= 2 * (old + new) else "keep"


_WORD_RE = re.compile(r"[^\W\d_]+")
