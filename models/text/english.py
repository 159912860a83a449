"""English sentence splitting, for text translated from English (en→vi).

The Vietnamese splitter (:mod:`models.text.segment`) knows "TP.HCM" and "Q.3"; English news
needs other exceptions. A boundary is terminal punctuation (``. ! ? …``) with any closing quotes
or brackets, then whitespace, then something that can start a sentence (a capital, a digit, an
opening quote or bracket). It is not a boundary when the period ends

* a title or other abbreviation that a name or number follows: ``Mr.``, ``Dr.``, ``Gov.``,
  ``Sen.``, ``St.``, ``Jan.``, ``vs.``…, and ``No.``, ``Fig.`` before a number;
* an initial: ``J. R. R. Tolkien``;
* a dotted acronym (``U.S.``, ``U.K.``, ``a.m.``, ``p.m.``, ``e.g.``), unless a word that commonly
  starts a sentence follows (``… in the U.S. The plan …`` splits, ``the U.S. Senate`` does not).

Decimals, times and thousands (``3.5``, ``9.30``, ``1,500.00``), URLs and e-mails have no space
after their periods and never split. Line breaks are always boundaries. Linear time; the request's
text budget is checked as the line is read.
"""

from __future__ import annotations

import re

from . import budget
from .segment import split_sentences, split_text

__all__ = ["split_english_sentences", "split_english_text"]

# abbreviations after which a capitalised word is still the same sentence (lower case, no period)
ABBREVIATIONS = frozenset("""
    mr mrs ms messrs dr prof sr jr st mt ft gen sen rep gov lt col capt cmdr sgt maj adm rev hon pres supt
    jan feb mar apr jun jul aug sep sept oct nov dec vs approx dept
""".split())
# abbreviations that count only before a number ("No. 3", "Fig. 2"; "He said no. Then…" ends a sentence)
NUMBERED = frozenset("no nos fig figs vol vols ch art sec pp".split())
# words that commonly open a sentence: after a dotted acronym they mark a boundary
SENTENCE_STARTERS = frozenset("""
    the a an it its he she his her they their we our i you this that these those there but and so yet
    in on at after before when while if as for meanwhile however officials police
""".split())

_BOUNDARY = re.compile(r"(?:\.{3}|[.!?…])+[\"'”’)\]]*\s+")
_STARTS = re.compile(r"[\"'“‘(\[]*[A-Z0-9]")
_WORD_BEFORE = re.compile(r"(\S+)$")
_ACRONYM = re.compile(r"^(?:[A-Za-z]\.){2,}$")
_NEXT_WORD = re.compile(r"[\"'“‘(\[]*([A-Za-z]+)")


def split_english_text(text: str) -> list[list[str]]:
    """Paragraphs → sentences (empty paragraphs are dropped), as ``segment.split_text`` for English."""
    return split_text(text, _split_line)


def split_english_sentences(text: str) -> list[str]:
    return split_sentences(text, _split_line)


def _split_line(line: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        budget.check()
        after = m.end()
        if after >= len(line) or not _STARTS.match(line, after):
            continue
        if m.group().startswith(".") and not m.group().startswith("...") and _keeps_going(line, start, m, after):
            continue
        piece = line[start:m.end()].strip()
        if piece:
            out.append(piece)
        start = after
    tail = line[start:].strip()
    if tail:
        out.append(tail)
    return out


def _keeps_going(line: str, start: int, m: re.Match, after: int) -> bool:
    """Whether the period at ``m`` belongs to its word (abbreviation, initial, acronym)."""
    if line[m.start():m.end()].rstrip()[-1:] != ".":
        return False  # a closing quote or bracket after the period: the sentence ended inside it
    before = _WORD_BEFORE.search(line, start, m.start() + 1)
    if before is None:
        return False
    word = before.group(1).lstrip("\"'“‘([")
    bare = word[:-1] if word.endswith(".") else word
    if bare.lower() in ABBREVIATIONS:
        return True
    if bare.lower() in NUMBERED:
        return line[after:after + 1].isdigit()
    if len(bare) == 1 and bare.isalpha() and bare.isupper():
        return True  # an initial
    if _ACRONYM.match(word):
        following = _NEXT_WORD.match(line, after)
        return not (following and following.group(1).lower() in SENTENCE_STARTERS)
    return False
