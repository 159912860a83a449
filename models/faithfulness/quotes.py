"""Quotation facts: the quotation-mark patterns of Vietnamese and English texts, ``_quote_facts`` (quotations
of four words or more), ``_squash`` (a quotation's folded words, for comparison) and ``_count_quotes`` (an
English text's quotations, however short)."""

from __future__ import annotations

import re

from ._result import Fact
from ._text import fold

_QUOTE_RE = re.compile(r"“([^”]{3,}?)”|\"([^\"]{3,}?)\"|«([^»]{3,}?)»|‘([^’]{8,}?)’")


# (a quotation left open at the end of the text counts too: a sentence cut from a longer quotation)
_EN_QUOTE_RE = re.compile(r"“[^”]+”|\"[^\"]+\"|«[^»]+»|‘[^’]+’|(?<!\w)'[^']{2,}?'(?!\w)|[“\"][^”\"]{8,}$")


def _quote_facts(text: str, least: int = 4) -> list[Fact]:
    """Quotations of ``least`` words (Vietnamese syllables) or more."""
    out = []
    for m in _QUOTE_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None).strip()
        if len(re.findall(r"[^\W_]+", inner)) >= least:
            out.append(Fact("quote", inner, frozenset({_squash(inner)}), start=m.start()))
    return out


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _count_quotes(text: str) -> int:
    """Quotations of an English text, however short (a Vietnamese quotation of four syllables may be two words)."""
    return len(_EN_QUOTE_RE.findall(text))
