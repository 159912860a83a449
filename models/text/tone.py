"""Vietnamese tone-mark placement normalization.

Vietnamese has two conventions for where the tone mark goes in the open
rhymes *oa*, *oe* and *uy* (no final consonant):

* old style (traditional, still common in the press): ``hòa``, ``khỏe``,
  ``thủy``, ``ủy ban`` — tone on the first vowel;
* new style (the one VinAI's models and most recent corpora use): ``hoà``,
  ``khoẻ``, ``thuỷ``, ``uỷ ban`` — tone on the second vowel.

With a final consonant both styles already agree (``hoàng``, ``khoẻn``… →
``hoàng``, ``thuyết``), and in triphthongs (``ngoài``, ``khuya``) the mark is
on the main vowel in both.  The onsets *qu* and *gi* contain a glide, not a
vowel of the rhyme, so ``quý``, ``quỳ`` and ``giá`` are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

__all__ = ["normalize_tone"]

# combining tone marks: huyền, sắc, ngã, hỏi, nặng
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_ONSET_RE = re.compile(r"(?:qu|gi|ngh|ng|nh|ch|gh|kh|ph|th|tr|[bcdđghklmnpqrstvx])?")
_SHIFTED_RHYMES = frozenset({"oa", "oe", "uy"})
_WORD_RE = re.compile(r"[^\W\d_]+")
# only an onset (at most 3 letters: "ngh") and an open "oa"/"oe"/"uy" are restyled: a longer word never changes
_MOST_RESTYLED_LETTERS = 5


def normalize_tone(text: str, style: Literal["nfc", "new", "old"] = "nfc") -> str:
    """Return ``text`` in NFC; with ``style="new"`` also move tone marks of
    open *oa/oe/uy* rhymes to the second vowel (``hòa`` → ``hoà``), with
    ``style="old"`` to the first (``hoà`` → ``hòa``)."""
    if style not in ("nfc", "new", "old"):
        raise ValueError(f"unknown tone style: {style!r}")
    text = unicodedata.normalize("NFC", text)
    if style == "nfc":
        return text
    new = style == "new"
    return _WORD_RE.sub(lambda m: m.group() if len(m.group()) > _MOST_RESTYLED_LETTERS
                        else _restyle_syllable(m.group(), new), text)


@lru_cache(maxsize=1 << 14)  # words of at most 5 letters: every request's text, glossary and checks repeat them
def _restyle_syllable(word: str, new: bool) -> str:
    letters = _decompose(word)
    if letters is None:
        return word
    bases, tone, tone_at = letters
    lower = "".join(bases).lower()
    onset = _ONSET_RE.match(lower).end()
    if lower[onset:] in _SHIFTED_RHYMES and tone_at == (onset if new else onset + 1):
        tone_at = onset + 1 if new else onset
    return _compose(bases, tone, tone_at)


def _decompose(word: str) -> tuple[list[str], str, int] | None:
    """Split a syllable into NFC base letters (tone removed), its tone mark and
    the index of the letter carrying it; ``None`` if it has not exactly one."""
    bases: list[str] = []
    tone, tone_at = "", -1
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_MARKS:
            if tone or not bases:
                return None
            tone, tone_at = ch, len(bases) - 1
        elif unicodedata.combining(ch) and bases:
            bases[-1] += ch
        else:
            bases.append(ch)
    if not tone:
        return None
    return [unicodedata.normalize("NFC", b) for b in bases], tone, tone_at


def _compose(bases: list[str], tone: str, tone_at: int) -> str:
    out = [b + tone if i == tone_at else b for i, b in enumerate(bases)]
    return unicodedata.normalize("NFC", "".join(out))
