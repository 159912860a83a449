"""Vietnamese syllable tokens: what the extractive summarizer reads and ROUGE counts.

``syllables(text)``: Unicode NFC, lowercase, ``_`` (the word-segmentation joiner of
``Đà_Nẵng``) as a space, tokens = runs of letters/digits with their diacritics kept,
punctuation dropped, and every syllable given one tone-mark placement
(:func:`syllable_tone`, "new style": ``hòa`` -> ``hoà``, ``thủy`` -> ``thuỷ``), so that
two spellings of one word give one token.

Serving (``models.extractive``) and evaluation (``models.evaluation.rouge``) both import
it from here; it depends on nothing but the standard library.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["syllable_tone", "syllables"]

_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền sắc hỏi ngã nặng
_MARKED = set("ăâêôơư")  # vowels carrying a quality mark: the tone goes on them
_TOKEN_RE = re.compile(r"[^\W_]+")
_NUCLEUS_RE = re.compile(r"[aăâeêioôơuưy]+")
_VOWEL_RE = re.compile(r"[aăâeêioôơuưy]")


@lru_cache(maxsize=65536)  # a pure function of one syllable, and syllables repeat
def syllable_tone(syllable: str) -> str:
    """Place the tone mark of one lowercase NFC syllable by the "new style" rule.

    Rules: a quality-marked vowel (ă â ê ô ơ ư) takes the tone (in ``ươ`` the ``ơ``);
    otherwise in ``oa``/``oe``/``uy`` and whenever a final consonant follows, the last
    vowel of the nucleus takes it; otherwise (open syllable, 2-3 vowels) the first
    vowel of the nucleus after the ``qu``/``gi`` onset. Anything that is not a plain
    Vietnamese syllable (digits, foreign words, no tone) is returned unchanged.
    """
    if not syllable or syllable.isascii():
        return syllable
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return syllable
    tone = tones[0]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    # nucleus = maximal vowel run (single run expected for a Vietnamese syllable)
    m = _NUCLEUS_RE.search(base)
    if not m or _VOWEL_RE.search(base, m.end()):
        return syllable
    start, end = m.start(), m.end()
    onset = base[:start]
    # "qu" and "gi": the u / i belong to the onset when another vowel follows
    if onset == "q" and base[start] == "u" and end - start > 1:
        start += 1
    elif onset == "g" and base[start] == "i" and end - start > 1:
        start += 1
    nucleus = base[start:end]
    has_final = end < len(base)
    if len(nucleus) == 1:
        pos = start
    else:
        marked = [i for i, c in enumerate(nucleus) if c in _MARKED]
        if marked:
            pos = start + marked[-1]  # ươ -> ơ; uâ, uê, iê, yê -> the marked one
        elif has_final or nucleus in ("oa", "oe", "uy"):
            pos = start + len(nucleus) - 1
        elif len(nucleus) == 3:
            pos = start + 1  # oai, uya, oay... -> middle
        else:
            pos = start
    out = base[: pos + 1] + tone + base[pos + 1:]
    return unicodedata.normalize("NFC", out)


def syllables(text: str, tone: bool = True) -> list[str]:
    """Syllable tokens of ``text``: NFC, lowercase, ``_`` as space, diacritics kept, one tone placement."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text).lower().replace("_", " ")
    toks = _TOKEN_RE.findall(text)
    if tone:
        toks = [syllable_tone(t) for t in toks]
    return toks
