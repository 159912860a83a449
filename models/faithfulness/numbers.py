"""Number facts: scale words (``triệu``, ``billion``), currencies and percentages, English and Vietnamese
number words (support, never facts to find), the values of a number as each language writes its separators
(``_values_vi`` / ``_values_en``), ``_number_facts`` and ``_spelled_numbers``, and legal document codes
("03/2019/NĐ-CP", ``_code_facts``), which count as numbers."""

from __future__ import annotations

import re

from ._result import Fact
from ._text import fold

# -- numbers --------------------------------------------------------------------------------------

VI_SCALES = {"nghìn tỷ": 1e12, "ngàn tỷ": 1e12, "nghìn tỉ": 1e12, "ngàn tỉ": 1e12, "triệu tỷ": 1e15,
             "nghìn": 1e3, "ngàn": 1e3, "vạn": 1e4, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9, "trăm": 1e2,
             "k": 1e3}
EN_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "hundred": 1e2,
             "k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "tr": 1e12}
# currency and percent words after (or before) a number → a code
VI_UNITS = {"%": "%", "phần trăm": "%", "đồng": "VND", "vnd": "VND", "vnđ": "VND", "đ": "VND",
            "usd": "USD", "đô la mỹ": "USD", "đô la": "USD", "đôla": "USD", "đô": "USD", "$": "USD",
            "euro": "EUR", "eur": "EUR", "€": "EUR", "yên": "JPY", "jpy": "JPY", "nhân dân tệ": "CNY",
            "tệ": "CNY", "cny": "CNY", "bảng anh": "GBP", "bảng": "GBP", "£": "GBP", "gbp": "GBP",
            "won": "KRW", "rúp": "RUB", "baht": "THB", "bạt": "THB"}
EN_UNITS = {"%": "%", "percent": "%", "per cent": "%", "percentage points": "%", "dong": "VND",
            "vnd": "VND", "vnđ": "VND", "usd": "USD", "us dollars": "USD", "dollars": "USD", "dollar": "USD",
            "$": "USD", "us$": "USD", "euros": "EUR", "euro": "EUR", "eur": "EUR", "€": "EUR", "yen": "JPY",
            "yuan": "CNY", "renminbi": "CNY", "pounds": "GBP", "pound": "GBP", "sterling": "GBP", "£": "GBP",
            "won": "KRW", "roubles": "RUB", "rubles": "RUB", "baht": "THB"}
PREFIX_UNITS = {"$": "USD", "us$": "USD", "usd": "USD", "vnd": "VND", "€": "EUR", "£": "GBP", "eur": "EUR"}

EN_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fifteenth": 15,
    "twentieth": 20, "thirtieth": 30, "hundredth": 100, "once": 1, "twice": 2, "single": 1, "double": 2,
    "half": 0.5, "quarter": 0.25, "hundred": 100, "thousand": 1000, "million": 1e6, "billion": 1e9,
    "trillion": 1e12, "a": 1, "an": 1, "both": 2, "couple": 2, "pair": 2, "dozens": 12, "hundreds": 100,
    "thousands": 1000, "millions": 1e6, "billions": 1e9, "none": 0, "no": 0, "nil": 0, "triple": 3,
    "thrice": 3, "decade": 10, "decades": 10, "century": 100, "twins": 2, "thirds": 3, "quarters": 4,
}
EN_TENS_RE = re.compile(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ](one|two|three|four|five|six|"
                        r"seven|eight|nine|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)\b", re.I)
VI_NUMBER_WORDS = {"không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6,
                   "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9, "mười": 10, "mươi": 10, "trăm": 100, "nghìn": 1000,
                   "ngàn": 1000, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9, "chục": 10, "đôi": 2, "nửa": 0.5,
                   "rưỡi": 0.5, "mốt": 1, "nhất": 1}

# a number as written; dates, times and codes are taken out first (masked); "9X", "8X" (born in the 1990s,
# the 1980s) name a generation, no number
_NUM_RE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:\s?(st|nd|rd|th|s))?(?![\w]|[.,]\d)"
                     r"|(?<![\w.,])(?![5-9][Xx]\b)(\d+(?:[.,]\d+)*)(?=[^\W\d_])")


def _round(value: float) -> float:
    return float(f"{value:.9g}")


def _values_vi(raw: str) -> set[float]:
    """Values of a number as a Vietnamese text writes it: ``.`` thousands, ``,`` decimals."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", raw):
        return {float(raw.replace(".", "").replace(",", "."))}
    if re.fullmatch(r"\d+,\d+", raw):
        out = {float(raw.replace(",", "."))}
        if re.fullmatch(r"\d{1,3},\d{3}", raw):  # "1,500": a decimal in Vietnamese, thousands in English style
            out.add(float(raw.replace(",", "")))
        return out
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):  # English style inside a Vietnamese text
        return {float(raw.replace(",", ""))}
    if re.fullmatch(r"\d+\.\d+", raw):
        return {float(raw)}
    if re.fullmatch(r"\d+", raw):
        return {float(raw)}
    return set()


def _values_en(raw: str) -> set[float]:
    """Values of a number as an English text writes it: ``,`` thousands, ``.`` decimals (a Vietnamese
    style number copied into the English, "1.500.000", is read as Vietnamese)."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", raw):
        return {float(raw.replace(",", ""))}
    if re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", raw):
        return {float(raw.replace(".", "").replace(",", "."))}
    if re.fullmatch(r"\d{1,3}\.\d{3}", raw):
        return {float(raw), float(raw.replace(".", ""))}
    if re.fullmatch(r"\d+\.\d+", raw):
        return {float(raw)}
    if re.fullmatch(r"\d+,\d+", raw):
        return {float(raw.replace(",", "."))}
    if re.fullmatch(r"\d+", raw):
        return {float(raw)}
    return set()


def _longest_prefix(text: str, pos: int, table: dict[str, object], lower: str) -> tuple[str | None, int]:
    """The longest key of ``table`` that starts at ``pos`` (after spaces) on a word boundary."""
    i = pos
    while i < len(text) and text[i] in " \u00a0-":
        i += 1
    best, end = None, pos
    for key in table:
        if lower.startswith(key, i):
            j = i + len(key)
            if (j >= len(text) or not text[j].isalnum()) and (best is None or len(key) > len(best)):
                best, end = key, j
    return best, end


def _number_facts(text: str, masked: str, lang: str) -> list[Fact]:
    lower = masked.lower()
    scales = VI_SCALES if lang == "vi" else EN_SCALES
    units = VI_UNITS if lang == "vi" else EN_UNITS
    parse = _values_vi if lang == "vi" else _values_en
    facts = []
    for m in _NUM_RE.finditer(masked):
        raw = m.group(1) or m.group(3)
        start, end = m.start(), m.end(1) if m.group(1) else m.end(3)
        values = parse(raw)
        if not values:
            continue
        unit = None
        # a currency before the number: "$2.5", "US$ 3", "VND 1,500"
        before = lower[max(0, start - 5):start].rstrip()
        for key, code in PREFIX_UNITS.items():
            if before.endswith(key):
                unit = code
                break
        scale, after = _longest_prefix(masked, end, scales, lower)
        if scale is not None:
            values = {v * scales[scale] for v in values}
        else:
            after = end
        # "1.5 trillion" spelled with "a thousand billion" and the like: a second scale word
        scale2, after2 = _longest_prefix(masked, after, scales, lower)
        if scale is not None and scale2 is not None:
            values = {v * scales[scale2] for v in values}
            after = after2
        if masked.startswith("%", after):
            unit, after = "%", after + 1
        else:
            key, unit_end = _longest_prefix(masked, after, units, lower)
            if key is not None and (unit is None or units[key] == unit):
                unit, after = units[key], unit_end
        facts.append(Fact("number", text[start:after].strip(), frozenset(_round(v) for v in values), unit,
                          start=start))
    return facts


def _spelled_numbers(text: str, lang: str) -> list[Fact]:
    """Spelled-out numbers: support for a fact, never a fact to find."""
    out = []
    lower = text.lower()
    if lang == "en":
        for m in EN_TENS_RE.finditer(lower):
            tens = EN_NUMBER_WORDS[m.group(1)]
            units = EN_NUMBER_WORDS[m.group(2)]
            out.append(Fact("number", m.group(), frozenset({float(tens + units)}), support_only=True, start=m.start()))
        words = EN_NUMBER_WORDS
    else:
        words = VI_NUMBER_WORDS
    tokens = list(re.finditer(r"[^\W\d_]+", lower))
    for i, m in enumerate(tokens):
        value = words.get(m.group())
        if value is None:
            continue
        values = {float(value)}
        # "eight million", "hai triệu", "ba mươi"
        if i + 1 < len(tokens):
            nxt = words.get(tokens[i + 1].group())
            if nxt is not None and nxt >= 10 and nxt > value:
                values.add(float(value * nxt))
        unit = None
        out.append(Fact("number", m.group(), frozenset(_round(v) for v in values), unit, support_only=True,
                        start=m.start()))
    return out


# -- codes ----------------------------------------------------------------------------------------

_CODE_RE = re.compile(r"\b\d{1,4}/(?:\d{4}/)?[A-ZĐ][A-ZĐa-zđ]*(?:[-–][A-ZĐ][A-ZĐa-zđ]*)+\b|\b\d{1,4}/\d{4}/[A-ZĐ]{2,}\b")


def _code_facts(text: str) -> list[Fact]:
    return [Fact("number", m.group(), frozenset({re.sub(r"[\s–]", "-", fold(m.group()))}), "code", start=m.start())
            for m in _CODE_RE.finditer(text)]
