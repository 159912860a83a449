"""The facts of a text: :class:`Facts` (its numbers, spelled-out numbers, dates, names and quotations, with
the date claims and number values they make) and :func:`extract_facts`, which masks codes, fractions and dates
so that no number reads them twice."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._result import Fact
from ._text import _nfc
from .dates import _date_facts, _fraction_facts, _month_implied
from .names import _name_facts
from .numbers import _code_facts, _number_facts, _spelled_numbers
from .quotes import _quote_facts

# -- facts of a text ------------------------------------------------------------------------------

@dataclass
class Facts:
    numbers: list[Fact] = field(default_factory=list)
    support: list[Fact] = field(default_factory=list)  # spelled-out numbers
    dates: list[Fact] = field(default_factory=list)
    names: list[Fact] = field(default_factory=list)
    quotes: list[Fact] = field(default_factory=list)

    def date_claims(self) -> set:
        claims: set = set()
        for fact in self.dates:
            claims |= _month_implied(set(fact.values))
        for fact in self.numbers:  # a year written alone is a number: "in 2017", "năm 2017"
            for v in fact.values:
                if fact.unit is None and 1000 <= v <= 2200 and v == int(v):
                    claims.add(("y", int(v)))
        return claims

    def all_values(self) -> list[tuple[frozenset, str | None]]:
        return [(f.values, f.unit) for f in self.numbers + self.support if f.unit != "code"]


def extract_facts(text: str, lang: str = "vi") -> Facts:
    """The numbers, dates, names and quotations of a Vietnamese (``lang="vi"``) or English text."""
    text = _nfc(text)
    facts = Facts()
    codes = _code_facts(text)
    mask = [False] * len(text)
    for fact in codes:
        for i in range(fact.start, fact.start + len(fact.text)):
            mask[i] = True
    fractions = _fraction_facts(text, mask) if lang == "vi" else []
    facts.dates = _date_facts(text, lang, mask)
    masked = "".join(" " if mask[i] else ch for i, ch in enumerate(text))
    facts.numbers = codes + fractions + _number_facts(text, masked, lang)
    facts.support = _spelled_numbers(text, lang)
    facts.names = _name_facts(text) if lang == "vi" else []
    facts.quotes = _quote_facts(text)
    return facts
