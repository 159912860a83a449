"""Text helpers shared by every fact check: :func:`fold` (lower case, no diacritics), NFC with one tone
placement (``_nfc``), the word patterns, :func:`is_vietnamese_word` and :func:`looks_vietnamese` (could a word be
one Vietnamese syllable?), and the rough sentence splitter that locates facts."""

from __future__ import annotations

import re
import unicodedata

from ..text.tone import normalize_tone

# -- text helpers ---------------------------------------------------------------------------------

_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O"})


def fold(text: str) -> str:
    """Lower case, no diacritics: "Nguyễn Văn Ấn" → "nguyen van an", "NĐ-CP" → "nd-cp"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _nfc(text: str) -> str:
    return normalize_tone(text or "")


_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_VIET_MARKS = frozenset("\u0302\u0306\u031b\u0309\u0323")  # circumflex, breve, horn, hook above, dot below


def is_vietnamese_word(word: str) -> bool:
    """True for a word only Vietnamese writes: đ, ă, â, ê, ô, ơ, ư, a hook or dot below, or a tone
    on a vowel with a Vietnamese vowel mark ("é" of "café" or "ã" of "São" alone are not enough)."""
    if "đ" in word or "Đ" in word:
        return True
    decomposed = unicodedata.normalize("NFD", word)
    if any(ch in _VIET_MARKS for ch in decomposed):
        return True
    for i, ch in enumerate(decomposed):  # a tilde on e, i, u or y is Vietnamese only
        if ch == "\u0303" and i and decomposed[i - 1].lower() in "eiuy":
            return True
    return False


_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(?:uye|uya|uyu|uoi|uou|uay|oai|oay|oeo|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|"
    r"[aeiouy])"  # the vowels Vietnamese writes together (no "ea" of "Sean", "oyo" of "Goyo")
    r"(?:ch|nh|ng|[cmnpt])?"
)


def looks_vietnamese(word: str) -> bool:
    """Could ``word`` be one Vietnamese syllable? ("Nguyễn", "Kit", "Sam": yes; "Biden", "Adams": no)."""
    if is_vietnamese_word(word):
        return True
    w = fold(word)
    return bool(_SYLLABLE_RE.fullmatch(w))


def _spans_between(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of ``text`` between the matches of ``pattern`` (empty ones too)."""
    spans, start = [], 0
    for m in pattern.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


_SENTENCE_GAP_RE = re.compile(r"(?<=[.!?…])[\"”’»)]*\s+|\n+")


def _split_sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans for fact location (the pipeline's own splitter is not needed here)."""
    return [(a, b) for a, b in _spans_between(_SENTENCE_GAP_RE, text) if b > a]
