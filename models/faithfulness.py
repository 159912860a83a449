"""Fact checks of a neural output against its source text (pure Python, no models, linear time).

Abstractive models invent numbers, drop negations and garble names. Every neural output is
checked here against the text it was made from, and the result says which facts to look at:

* :func:`check_summary` (Vietnamese summary vs its Vietnamese article): a summary may leave facts
  out, but every number, date, name and quotation it states must be in the article, and a clause
  that repeats an article clause must keep its polarity ("không" dropped or added): ``unsupported``
  / ``changed``.
* :func:`check_translation` (Vietnamese source vs English output): every number, date, name,
  quotation and negation of the source must be carried across: ``missing``, or ``changed`` when the
  output holds a different fact of the same kind in its place (another amount, another currency,
  another date, a misspelt name); Vietnamese words left in the English are ``untranslated``.

Both return ``{"ok": bool, "problems": [{"kind", "text", "issue"[, "found"]}]}``.

What is a fact (all deterministic, each rule explainable to an editor):

* **number**: digits with Vietnamese (``1.500.000``, ``7,1``) or English (``1,500``, ``7.1``)
  separators, scale words (``nghìn/ngàn``, ``triệu``, ``tỷ/tỉ``, ``nghìn tỷ``; ``thousand`` …
  ``trillion``, ``bn``), percentages and currencies (``đồng``/``VND``, ``USD``/``$``/``đô la``,
  ``euro``/``€`` …), normalized to a value: "1.500 tỷ đồng" = "1.5 trillion dong" = "VND 1,500
  billion" = 1.5e12 VND. English number words ("eight", "ninth") and Vietnamese ones ("hai",
  "mười") count as support, never as facts to find. Legal document codes ("03/2019/NĐ-CP" =
  "03/2019/ND-CP") are numbers too.
* **date**: "22/7", "05/9/2019", "ngày 19 tháng 6 năm 1953", "tháng 9/2017", "6 tháng đầu năm"
  (the first half), "quý I", weekdays ("Chủ nhật", "thứ Hai"), clock times ("5 giờ sáng",
  "17h30"); English "July 22", "22 July 2019", "September 2017", "first six months", "Q1",
  "Sunday", "5 a.m.", "until Oct.". A date is split into claims (day and month, month, year, weekday, time,
  period) and each claim must be found; a translation's weekday or month that the source, dating by weekday
  (month), lacks is ``changed``. No dates: "vị trí thứ 6" (an ordinal), "trong vòng 24 giờ" (a duration),
  "1/3 thời gian" (a fraction, a number worth 1/3).
* **name**: a run of capitalized words, a sentence's first word left out when it is a common word.
  In a summary, a run of two or more words (or one foreign-looking word) must be in the article,
  compared without diacritics. In a translation a name is checked only where its English form is
  known: foreign-looking words (not Vietnamese syllables: "Biden", "Saipov") must appear as they
  are; a Vietnamese personal name (a common family name first) or a place after its classifier
  ("tỉnh Bình Dương") must appear without diacritics ("Binh Duong"); a handful of exonyms
  ("Trung Quốc" = "China", "Hà Nội" = "Hanoi") are listed.
* **quote**: text in quotation marks of three words or more. A summary's quotation must be in the
  article; a translation must have at least as many quotations as its source.
* **negation**: "không", "chưa", "chẳng", "chả", "đừng", "chớ" (not in "không khí", "hàng không",
  "không ngừng", "chưa đầy", "chẳng hạn" and other words where they negate nothing, nor the question
  "… không?", though a "Không." with no word before it is the answer "No"; "nếu không có" is "without")
  vs English "not", "n't", "no", "never", "neither", "nor", "without", "cannot",
  "unable" …; a translation must not have fewer negations than its source, sentence by sentence where both
  have as many sentences (else over the whole text). An English cue that a Vietnamese word of that sentence
  says without a negator ("fail" = "thất bại", "rather" = "thay vì", "lack" = "thiếu", "bad" = "không ngon",
  "couldn't help" = "không thể không") carries no negation; "yet" negates only in "has yet to". In a summary a
  negation inside a condition ("nếu không được cứu") asserts nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .text.tone import normalize_tone

__all__ = ["check_summary", "check_translation", "extract_facts", "Fact", "KINDS", "ISSUES", "fold"]

KINDS = ("number", "date", "name", "quote", "negation", "untranslated")
ISSUES = ("missing", "unsupported", "changed")
MAX_PROBLEMS = 20  # per output: enough to act on, bounded for a garbage output

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

# a number as written; dates, times and codes are taken out first (masked)
_NUM_RE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:\s?(st|nd|rd|th|s))?(?![\w]|[.,]\d)|(?<![\w.,])(\d+(?:[.,]\d+)*)(?=[^\W\d_])")


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


@dataclass(frozen=True)
class Fact:
    """One fact found in a text: its kind, the words it was written with, and what it means."""

    kind: str
    text: str
    values: frozenset = frozenset()  # numbers: candidate values; dates: claims; names: folded forms
    unit: str | None = None  # numbers: "%", "VND", "USD", ...
    support_only: bool = False  # spelled-out numbers: they back a fact, never need backing
    start: int = 0


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


# -- dates ----------------------------------------------------------------------------------------

EN_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
             "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
             "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
             "oct": 10, "nov": 11, "dec": 12}
EN_WEEKDAYS = {"monday": 2, "tuesday": 3, "wednesday": 4, "thursday": 5, "friday": 6, "saturday": 7, "sunday": 8}
VI_WEEKDAYS = {"hai": 2, "ba": 3, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "2": 2, "3": 3, "4": 4, "5": 5,
               "6": 6, "7": 7}
VI_MONTH_WORDS = {"giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8,
                  "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_EN_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December|" \
            r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_VI_DATE_PATTERNS = [
    # ngày 19 tháng 6 năm 1953 / 19 tháng 6, 1953 / ngày 19 tháng 6
    re.compile(r"(?:ngày\s+)?(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})(?:\s*(?:năm|,|/)\s*(?P<y>\d{4}))?", re.I),
    # 22/7, 05/9/2019, 4-10-1918 (with "ngày" or a year), 22.7.2019
    re.compile(r"(?<![\d/.,])(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"),
    re.compile(r"(?:(?<=ngày )|(?<=sáng )|(?<=trưa )|(?<=chiều )|(?<=tối )|(?<=đêm )|(?<=hôm )|(?<=nay )|"
               r"(?<=qua )|(?<=mai )|(?<=từ )|(?<=đến )|(?<=tới )|(?<=\()|(?<=, )|(?<=thứ hai )|(?<=thứ ba )|(?<=thứ tư )|"
               r"(?<=thứ năm )|(?<=thứ sáu )|(?<=thứ bảy )|(?<=chủ nhật )|(?<=thứ [2-7] ))"  # "ngày thứ năm 14-3"
               r"(?P<d>\d{1,2})\s?[-.]\s?(?P<m>\d{1,2})(?:[-.](?P<y>\d{4}))?(?![\d-]|,\d)", re.I),
    re.compile(r"(?<![\d/.,-])(?P<d>\d{1,2})[-.](?P<m>\d{1,2})[-.](?P<y>(?:19|20)\d{2})(?![\d-])"),
    # tháng 6 năm 2018 / tháng 6/2018 / tháng 6-2018 / tháng 6
    re.compile(r"tháng\s+(?P<m>\d{1,2})(?![\d,.]\d)(?:\s*(?:năm|/|-|,)\s*(?P<y>\d{4}))?", re.I),
    re.compile(r"tháng\s+(?P<mw>giêng|chạp|mười một|mười hai|mười|một|hai|ba|tư|năm|sáu|bảy|tám|chín)\b"
               r"(?:\s*(?:năm)\s*(?P<y>\d{4}))?", re.I),
]
_VI_YEAR_RE = re.compile(r"\b(?:năm|niên khóa|mùa giải)\s+(?P<y>\d{4})\b", re.I)
_VI_PERIOD_RE = re.compile(r"\b(?P<n>6|sáu|3|ba|9|chín)\s+tháng\s+(?P<where>đầu|cuối)\s+năm\b|"
                           r"\bnửa\s+(?P<half>đầu|cuối|sau)\s+năm\b|\bquý\s+(?P<q>IV|III|II|I|[1-4])\b", re.I)
_VI_WEEKDAY_RE = re.compile(r"\b(?:[Tt]hứ\s+(?P<w>Hai|Ba|Tư|Năm|Sáu|Bảy|hai|ba|tư|năm|sáu|bảy|[2-7])(?=\W|$)|(?P<sun>[Cc]hủ\s+[Nn]hật))")
_VI_TIME_RE = re.compile(
    r"(?<![\d/.,:])(?P<h>\d{1,2})(?:\s*(?:h|giờ|:)\s*(?P<mi>\d{2})?(?:\s*phút)?|\.(?P<mi2>\d{2})\s*giờ)"
    r"(?:\s*(?P<ap>sáng|trưa|chiều|tối|đêm))?"
    r"(?![\d/])", re.I)
_EN_DATE_PATTERNS = [
    re.compile(_EN_MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4}))?"),
    re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH + r"(?:,?\s+(?P<y>\d{4}))?"),
    re.compile(r"\b" + _EN_MONTH + r"(?:,?\s+(?P<y>\d{4}))"),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    re.compile(r"(?<![\d/.,])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])"),
]
_EN_MONTH_ALONE = re.compile(r"\b(January|February|March|April|June|July|August|September|October|November|"
                             r"December|Sept|May)\b")
_EN_MONTH_ABBR = re.compile(r"(?:(?<=\bin )|(?<=\bon )|(?<=\buntil )|(?<=\bby )|(?<=\bsince )|(?<=\bfrom )|(?<=\bto )|"
                            r"(?<=\bof )|(?<=\btill )|(?<=\bearly )|(?<=\blate )|(?<=\bmid-)|(?<=\blast )|(?<=\bnext ))"
                            r"(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.")
_EN_PERIOD_RE = re.compile(r"\b(?:first|second|third|fourth|last|final)\s+(?:six|three|nine)?[- ]?(?:months?|half|quarter)"
                           r"|\bH[12]\b|\bQ[1-4]\b|\bhalf[- ]year|\bsix[- ]month|\bnine[- ]month|\bthree[- ]month|"
                           r"\bfirst\s+half|\bsecond\s+half|\bquarter", re.I)
_EN_TIME_RE = re.compile(r"\b(?P<h>\d{1,2})(?:[:.](?P<mi>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?|o'clock|GMT|ET|EST|EDT)|"
                         r"\b(?P<h2>\d{1,2}):(?P<mi2>\d{2})\b|\b(?P<noon>noon|midday|midnight)\b", re.I)


# compiled once: the re module's own cache is churned by the per-name patterns and would recompile them
_ORDINAL_BEFORE_RE = re.compile(r"(?:vị trí|hạng|lần|đứng|xếp|top|vòng|tập|ván|hiệp|câu|bậc|khóa|phần)\s+$", re.I)
_NGAY_BEFORE_RE = re.compile(r"ngày\s+$", re.I)
_CLAUSE_END_RE = re.compile(r"\s*(?:[,.;:!?)(]|$|\d)")
_DURATION_BEFORE_RE = re.compile(r"(?:trong|vòng|suốt|mất|hơn|gần|khoảng|chừng|kéo dài|mỗi|hàng|vài|nhiều)\s+$", re.I)
_WORD_BEFORE_RE = re.compile(r"[^\W\d_]\s*$")
_YET_TO_RE = re.compile(r"\s+to\b", re.I)
_OR_NOT_BEFORE_RE = re.compile(r"\bor\s+$", re.I)
# before a "nor" that carries a negation: the start of its sentence ("Nor did he …"), or a negation earlier in it
_NOR_LEAD_RE = re.compile(r"(?:^|[.!?…]\s*[\"“'‘(]?|\n)\s*$|\b(?:not|never|neither|no|nobody|nothing|none|nowhere|cannot|"
                          r"without)\b[^.!?…\n]*$|n['’]t\b[^.!?…\n]*$", re.I)
_CONDITION_BEFORE_RE = re.compile(r"\bnếu(?: như)?\s+$", re.I)


def _claims_dmy(d, m, y) -> set:
    claims = set()
    d = int(d) if d else None
    m = int(m) if m else None
    if m is not None and not 1 <= m <= 12:
        return set()
    if d is not None and not 1 <= d <= 31:
        return set()
    if d and m:
        claims.add(("dm", d, m))
    elif m:
        claims.add(("m", m))
    if y:
        y = int(y)
        claims.add(("y", y + 2000 if y < 100 else y))
    return claims


def _month_implied(claims: set) -> set:
    """What a date also says: "22/7" says July too."""
    extra = {("m", c[2]) for c in claims if c[0] == "dm"}
    return claims | extra


def _period_claims(text: str, lang: str) -> set:
    t = text.lower()
    if lang == "vi":
        if re.search(r"quý", t):
            q = re.search(r"(iv|iii|ii|i|[1-4])\b", t.split("quý", 1)[1])
            return {("q", ROMAN[q.group(1)])} if q else set()
        if "cuối" in t or "sau" in t:
            return {("p", "H2")} if re.search(r"6|sáu|nửa", t) else {("p", "end")}
        return {("p", "H1")} if re.search(r"6|sáu|nửa", t) else {("p", "start")}
    if re.search(r"\bq([1-4])\b", t):
        return {("q", int(re.search(r"\bq([1-4])\b", t).group(1)))}
    if "quarter" in t:
        for word, n in (("first", 1), ("second", 2), ("third", 3), ("fourth", 4), ("final", 4), ("last", 4)):
            if word in t:
                return {("q", n)}
        return {("q", 0)}
    if re.search(r"\bh2\b|second|last|final", t):
        return {("p", "H2")}
    return {("p", "H1")}


# "1/3 thời gian cuối trận", "2/3 số dân": a fraction before a noun of quantity, not a day and month (unless a
# day word comes before it: "ngày 1/3 thời gian …")
_FRACTION_NOUN_RE = re.compile(r"\s+(?:số|thời gian|diện tích|dân số|lượng|tổng|quãng|chặng|cuối|đầu|sân|của|trong)\b",
                               re.I)
_DAY_WORD_BEFORE_RE = re.compile(r"(?:ngày|sáng|trưa|chiều|tối|đêm|hôm|từ|đến|tới|\()\s*$", re.I)


def _fraction_facts(text: str, mask: list[bool]) -> list[Fact]:
    """The fractions written like a day and month ("2/3 số dân"), as numbers worth d/n (and n, for "a third",
    "two thirds"); their spans masked so that no date reads them."""
    out = []
    for m in _VI_DATE_PATTERNS[1].finditer(text):
        d, n = int(m.group("d")), int(m.group("m"))
        if m.group("y") or not d < n <= 10 or any(mask[m.start():m.end()]) \
                or not _FRACTION_NOUN_RE.match(text[m.end():m.end() + 12]) \
                or _DAY_WORD_BEFORE_RE.search(text[max(0, m.start() - 6):m.start()]):
            continue
        out.append(Fact("number", m.group(), frozenset({_round(d / n), float(n)}), start=m.start()))
        for i in range(m.start(), m.end()):
            mask[i] = True
    return out


def _date_facts(text: str, lang: str, mask: list[bool]) -> list[Fact]:
    facts: list[Fact] = []

    def take(m, claims, kind="date"):
        if not claims:
            return
        if any(mask[m.start():m.end()]):
            return
        for i in range(m.start(), m.end()):
            mask[i] = True
        facts.append(Fact(kind, m.group().strip(), frozenset(claims), start=m.start()))

    if lang == "vi":
        for m in _VI_PERIOD_RE.finditer(text):
            take(m, _period_claims(m.group(), "vi"))
        for pattern in _VI_DATE_PATTERNS:
            for m in pattern.finditer(text):
                g = m.groupdict()
                month = g.get("m")
                if g.get("mw"):
                    month = VI_MONTH_WORDS.get(g["mw"].lower())
                take(m, _claims_dmy(g.get("d"), month, g.get("y")))
        for m in _VI_YEAR_RE.finditer(text):
            take(m, {("y", int(m.group("y")))})
        for m in _VI_WEEKDAY_RE.finditer(text):
            w = 8 if m.group("sun") else VI_WEEKDAYS[m.group("w").lower()]
            before = text[max(0, m.start() - 9):m.start()]
            if m.group("w") and _ORDINAL_BEFORE_RE.search(before):
                continue  # "vị trí thứ 6", "lần thứ 3": an ordinal, whatever its case or digits
            if m.group("w") and m.group("w")[0].islower() and not (  # "thứ hai" lower case: the ordinal "second",
                    re.search(r"(?:sáng|trưa|chiều|tối|đêm|hôm|vào)\s+$", before, re.I)
                    or _NGAY_BEFORE_RE.search(before) and _CLAUSE_END_RE.match(text[m.end():m.end() + 2])
                    or re.match(r"\s+(?:tới|này|trước|qua|tuần)\b", text[m.end():m.end() + 7], re.I)):
                continue  # unless a time of day or "vào" is before it or "tới"/"này"/"tuần" after: "chiều thứ bảy",
                # or "ngày" before it and the clause or a date after it: "vào ngày thứ sáu," (not "ngày thứ hai của")
            take(m, {("wd", w)})
        for m in _VI_TIME_RE.finditer(text):
            h = int(m.group("h"))
            unit = m.group(0)
            if ":" not in unit and "h" not in unit.lower() and "giờ" not in unit.lower():
                continue
            if ":" in unit and not m.group("mi"):
                continue
            if h > 24:
                continue
            if not (m.group("mi") or m.group("mi2") or m.group("ap")) and "giờ" in unit.lower() and _DURATION_BEFORE_RE.search(
                    text[max(0, m.start() - 9):m.start()]):
                continue  # "trong vòng 24 giờ": a duration, a number of hours ("24 hours"), no clock time
            mi = int(m.group("mi") or m.group("mi2") or 0)
            ap = (m.group("ap") or "").lower()
            hours = {h}
            if ap in ("chiều", "tối") and h < 12:
                hours = {h + 12}
            elif ap == "đêm" and h < 12:
                hours = {h, h + 12}
            elif not ap and h < 12:
                hours = {h, h + 12}
            take(m, {("t", hh % 24, mi) for hh in hours})
    else:
        for m in _EN_PERIOD_RE.finditer(text):
            take(m, _period_claims(m.group(), "en"))
        for pattern in _EN_DATE_PATTERNS:
            for m in pattern.finditer(text):
                g = m.groupdict()
                if "a" in g and g.get("a"):
                    a, b = int(g["a"]), int(g["b"])
                    claims = _claims_dmy(a, b, g.get("y")) | _claims_dmy(b, a, g.get("y"))
                    take(m, claims)
                    continue
                month = g.get("m")
                if month is None:
                    name = next((x for x in m.groups() if x and x.rstrip(".").lower() in EN_MONTHS), None)
                    month = EN_MONTHS[name.rstrip(".").lower()] if name else None
                take(m, _claims_dmy(g.get("d"), month, g.get("y")))
        for m in _EN_MONTH_ALONE.finditer(text):
            word = m.group(1)
            if word == "May" and not re.search(r"(?:in|of|since|until|by|early|late|mid-?|last|next|this)\s+$",
                                               text[max(0, m.start() - 8):m.start()]):
                continue
            take(m, {("m", EN_MONTHS[word.lower()])})
        for m in _EN_MONTH_ABBR.finditer(text):  # "until Oct.", "on Sept."
            take(m, {("m", EN_MONTHS[m.group(1).lower()])})
        for m in re.finditer(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b", text):
            take(m, {("wd", EN_WEEKDAYS[m.group(1).lower()])})
        for m in _EN_TIME_RE.finditer(text):
            if m.group("noon"):
                take(m, {("t", 0 if m.group("noon").lower() == "midnight" else 12, 0)})
                continue
            h = int(m.group("h") or m.group("h2"))
            mi = int(m.group("mi") or m.group("mi2") or 0)
            ap = (m.group("ap") or "").lower().replace(".", "")
            if h > 24:
                continue
            if ap == "pm" and h < 12:
                hours = {h + 12}
            elif ap == "am":
                hours = {h % 12}
            elif h < 12:
                hours = {h, h + 12}
            else:
                hours = {h}
            take(m, {("t", hh % 24, mi) for hh in hours})
    return facts


# -- names ----------------------------------------------------------------------------------------

# Sentence-initial words that are not names (their capital is the sentence's).
VI_COMMON = frozenset(fold(w) for w in """
theo những các trong ngoài sau đây hiện ông bà anh chị em khi với do vì nhưng còn đó được để cũng nếu từ đến
về cùng dù không có một trước lúc riêng ngày tối sáng chiều trưa đêm năm tháng báo thế mặc bên qua chính đặc
tuy vậy song nhờ bởi hôm tại ở là và hay hoặc thì mà này kia ngay tờ trang phía tất mọi nhiều ai gì sao bao
hai ba bốn sáu bảy tám chín mười chúng tôi ta họ nó mình người đội tỉnh thành huyện xã phường quận bộ sở
ban ủy uỷ hội công lực giới học thầy cô cháu con vợ chồng mẹ cha bố cụ vị vừa đang sẽ đã chỉ rất khá quá
cho nên thậm ngoài mới lại vẫn đều luôn liệu điều việc vụ chuyện hàng cuộc nhà lần đợt tuần mùa đầu cuối giữa
""".split())
TITLES = frozenset("Mr Mrs Ms Miss Dr Prof St Jr Sr Sir Lord Lady Rev Gen Col Lt Sgt Capt".split())
# family names: a name that starts with one is a Vietnamese personal name, romanized without diacritics
VI_SURNAMES = frozenset("""
nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh trịnh đào lương lưu
tạ châu lâm tô tôn vương kiều quách phùng triệu đàm khổng lạc mạc thân
""".split())  # compared in lower case with diacritics: "Đảng" is no "Đặng", "Lễ" no "Lê"
# classifiers before a Vietnamese place name, which English writes without diacritics
VI_PLACE_CLASSIFIERS = ("tỉnh", "thành phố", "tp", "tp.", "huyện", "quận", "phường", "xã", "thị xã", "thị trấn",
                        "sông", "núi", "đường", "phố", "đảo", "vịnh", "hồ", "đèo", "chùa", "làng", "ấp", "bản")
# Vietnamese forms of names whose English form is not the same letters
EXONYMS = {
    "viet nam": ("vietnam", "viet nam", "vietnamese"), "trung quoc": ("china", "chinese"),
    "hoa ky": ("us", "u.s", "united states", "america", "american"), "my": ("us", "u.s", "america", "american"),
    "nhat ban": ("japan", "japanese"), "han quoc": ("korea", "korean"), "trieu tien": ("korea", "korean"),
    "bac trieu tien": ("north korea", "korean", "pyongyang"), "nga": ("russia", "russian"),
    "anh": ("britain", "uk", "u.k", "england", "english", "british"), "phap": ("france", "french"),
    "duc": ("germany", "german"), "an do": ("india", "indian"), "thai lan": ("thailand", "thai"),
    "ha noi": ("hanoi", "ha noi"), "tp.hcm": ("ho chi minh", "hcmc", "saigon"), "tphcm": ("ho chi minh", "hcmc"),
    "sai gon": ("saigon", "sai gon"), "hue": ("hue",), "da nang": ("da nang", "danang"),
    "lien hop quoc": ("united nations", "un", "u.n"), "chau au": ("europe", "european"),
    "lao": ("laos", "lao"), "campuchia": ("cambodia", "cambodian"), "uc": ("australia", "australian"),
    "ba lan": ("poland", "polish"), "tay ban nha": ("spain", "spanish"), "y": ("italy", "italian"),
    "binh nhuong": ("pyongyang",), "bac kinh": ("beijing",), "van nam": ("yunnan",), "dai loan": ("taiwan",),
    "hong kong": ("hong kong",), "singapore": ("singapore",), "dong nam a": ("southeast asia",),
    "bien dong": ("east sea", "south china sea"), "trung dong": ("middle east",),
    "ai cap": ("egypt",), "tho nhi ky": ("turkey", "turkish", "turk"), "thuy dien": ("sweden", "swedish"),
    "thuy si": ("switzerland", "swiss"), "ha lan": ("netherlands", "dutch", "holland"),
    "bo dao nha": ("portugal", "portuguese"), "hy lap": ("greece", "greek"), "ca-na-da": ("canada",),
    "nam phi": ("south africa",), "chau phi": ("africa", "african"), "chau a": ("asia", "asian"),
    "nha trang": ("nha trang", "white house"),  # the city, and "Nhà Trắng" folded
    "scotland": ("scotland", "scottish", "scots"), "wales": ("wales", "welsh"), "ireland": ("ireland", "irish"),
    "twitter": ("twitter", "tweet"),  # "đăng trên Twitter" is "tweeted"
}


def _split_sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans for fact location (the pipeline's own splitter is not needed here)."""
    spans, start = [], 0
    for m in re.finditer(r"(?<=[.!?…])[\"”’»)]*\s+|\n+", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


_TOKEN_RE = re.compile(r"[^\W_]+(?:[.'’\-][^\W_]+)*\.?", re.UNICODE)
_RUN_BREAK = re.compile(r"^[ \u00a0]+$")


@dataclass
class _Run:
    tokens: list[str]
    start: int
    initial: bool  # the first token starts a sentence (or a quotation)


def _capitalized(token: str) -> bool:
    return token[:1].isupper() and not token[:1].isdigit()


def _is_acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _runs(text: str) -> list[_Run]:
    runs: list[_Run] = []
    for a, b in _split_sentences(text):
        sentence = text[a:b]
        current: _Run | None = None
        last_end = 0
        first = True
        for m in _TOKEN_RE.finditer(sentence):
            tok = m.group().rstrip(".") if not re.fullmatch(r"(?:[A-ZĐ]\.)+", m.group()) else m.group()
            gap = sentence[last_end:m.start()]
            initial = first or bool(re.search(r"[:;“\"«(\-–—]\s*$", gap)) and not current
            first = False
            last_end = m.end()
            if not tok or tok[0].isdigit() or not _capitalized(tok):
                current = None
                continue
            if current is not None and _RUN_BREAK.match(gap or " ") and not gap == "":
                current.tokens.append(tok)
            else:
                current = _Run([tok], a + m.start(), initial)
                runs.append(current)
            if m.group().endswith(".") and not re.fullmatch(r"(?:[A-ZĐ]\.)+|[A-ZĐ][a-z]?\.", m.group()):
                current = None
    return runs


def _name_facts(text: str) -> list[Fact]:
    lowered = set(w for w in re.findall(r"[^\W\d_]+", text) if w[:1].islower())
    lowered = {fold(w) for w in lowered}
    facts = []
    for run in _runs(text):
        tokens = list(run.tokens)
        start_is_initial = run.initial
        while tokens and start_is_initial and (fold(tokens[0]) in VI_COMMON or
                                               (fold(tokens[0]) in lowered and looks_vietnamese(tokens[0]))):
            tokens = tokens[1:]
            start_is_initial = False
        while tokens and (_is_acronym(tokens[0]) or tokens[0] in ("TP", "Tp")) and len(tokens) > 1:
            tokens = tokens[1:]  # "UBND TP Nha Trang" → "Nha Trang"
        if not tokens:
            continue
        if all(_is_acronym(t) for t in tokens):
            continue
        if len(tokens) == 1 and (looks_vietnamese(tokens[0]) or tokens[0] in TITLES or len(tokens[0]) < 2):
            continue
        name = " ".join(tokens)
        facts.append(Fact("name", name, frozenset({fold(name)}), start=run.start))
    return facts


# -- quotes and negations -------------------------------------------------------------------------

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


VI_NEGATORS = ("không", "chưa", "chẳng", "chả", "đừng", "chớ", "chăng")
# "không"/"chưa"/"chẳng" inside words where they negate nothing, and phrases English says without "not"
VI_NOT_NEGATION = tuple(p for p in (
    "không khí", "không gian", "không quân", "không trung", "không lưu", "không kích", "không ảnh", "không tặc",
    "không phận", "không vận", "không cảng", "không đoàn", "hàng không", "phi không", "số không", "con số không",
    "không ngừng", "không ít", "không khỏi", "không lâu", "không bao lâu", "không kém", "không chỉ", "không những",
    "không quá", "không dưới", "chưa đầy", "chưa tới", "chưa đến", "chẳng hạn", "chẳng mấy", "chẳng may",
    "không may", "chả là", "không sao", "chẳng lẽ", "chăng nữa", "hay không", "hay chưa", "có không",
    "không ngờ", "không thua", "chưa từng có", "chưa bao giờ có", "không chừng", "không thôi",
    "không biết bao", "không kể", "không kịp", "không đâu", "chưa kể", "không hẳn", "không phải ai",
    "không riêng", "không ai khác", "không xa", "chưa lâu", "chỉ không", "không nhiều",
    "không chuyên", "không tốt", "không thể tránh", "không tránh khỏi", "không thoải mái", "không đủ khả năng",
    "không sớm thì muộn", "không tồi", "không thể không", "không hề nhỏ", "không nhỏ", "không ổn định",
    "không an toàn", "không chính thức", "không rõ", "không công bằng", "không hợp pháp", "không bình thường",
    "không giống", "một không hai", "không ngon", "không ổn", "không khoan nhượng", "không biết tại sao", "không đều",
    "không biết vì sao", "không hiểu sao", "không phải là không", "trên không", "phòng không", "từ không",
))
EN_NEGATION_RE = re.compile(
    r"\b(?:not|no|never|neither|nor|none|nobody|nothing|nowhere|without|cannot|unable|unknown|unclear|unlikely|"
    r"impossible|illegal|illegally|lack|lacks|lacked|lacking|fail|fails|failed|failing|failure|refuse|refused|"
    r"refuses|deny|denied|denies|absence|absent|hardly|barely|rarely|seldom|unless|unprecedented|unaware|"
    r"unavailable|unsure|unemployed|unfinished|unsolved|unresolved|undecided|unnecessary|irrelevant|inaccurate|"
    r"incomplete|insufficient|invalid|unsafe|unfair|unhappy|uncomfortable|unusual|unable|inevitable|"
    r"incapacitated|amateur|ignorant|harmful|yet|instead|rather|free|zero|less|fewer|little|few|unlike|otherwise|"
    r"unequal|wrong|bad|outside|stop(?:s|ped|ping)?|non-\w+|keep\s+\w+\s+from|speechless|clueless|unfit|hide|hid|hidden|"
    r"un(?!der|til|i(?![nmd])|less|cle|veil|ravel|dergo|rest)[a-z]{4,}|(?!(?:nonethe|neverthe|regard|bless|un)less)[a-z]{3,}less)\b|"
    r"n't\b|n’t\b",
    re.I,
)
EN_STRICT_NEGATION_RE = re.compile(r"\b(?:not|never|neither|nor|nobody|nothing|nowhere|cannot|no)\b|n't\b|n’t\b",
                                   re.I)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"[.!?…;:,\n]+|\s[-–—]\s|\b(?:nhưng|song|tuy nhiên|trong khi|mà còn)\b", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _vi_negations(text: str) -> list[tuple[int, str]]:
    """Negations of a Vietnamese text: (position, the words from the negator on). Compared with diacritics:
    "không quá" (at most) is no "không qua" (did not pass)."""
    out = []
    lower = text.lower()
    for m in _VI_NEGATOR_RE.finditer(lower):
        word = m.group()
        if word == "chăng":
            continue
        lo = max(0, m.start() - 12)
        window = lower[lo:m.end() + 24]
        at = m.start() - lo
        if any(p in window and any(i <= at < i + len(p) for i in _find_all(window, p)) for p in VI_NOT_NEGATION):
            continue
        # a question: "… có đi không?", "… đã lập kế hoạch chưa."
        # (a "không" with no word before it, "Không." or "không, không", is the answer "No")
        if word in ("không", "chưa") and re.match(r"\s*(?:[.?!\"”]|$|(?:nhỉ|nhé|ạ|vậy|hả|hở|nữa|thế)\b)",
                                                 lower[m.end():m.end() + 6]) and \
                _WORD_BEFORE_RE.search(lower[max(0, m.start() - 3):m.start()]):
            continue
        out.append((m.start(), text[m.start():m.start() + 40].split(",")[0]))
    return out


def _find_all(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


_VI_NEGATOR_RE = re.compile(r"(?<![^\W\d_])(?:" + "|".join(VI_NEGATORS) + r")(?![^\W\d_])")


def _en_negation_cues(text: str, strict: bool = False) -> list[tuple[int, str]]:
    """Negation cues of an English text: (position, word). "No. 1" is no negation; a "yet" but "yet to"
    ("has not yet" has its "not", "And yet" is a conjunction), "a few", "a little" and "not only" (Vietnamese "không chỉ", no negation) are not counted; a "neither" with no "nor" after it
    ("there's neither") negates two things."""
    pattern = EN_STRICT_NEGATION_RE if strict else EN_NEGATION_RE
    out: list[tuple[int, str]] = []
    for m in pattern.finditer(text):
        word = m.group().lower()
        if word == "no" and re.match(r"\.?\s*\d", text[m.end():m.end() + 3]):  # "No. 1"
            continue
        if word == "not" and re.match(r"\s+(?:only|just|merely)\b", text[m.end():m.end() + 8], re.I):
            continue
        if word in ("few", "little") and re.search(r"\b(?:a|every|quite a)\s+$", text[max(0, m.start() - 9):m.start()], re.I):
            continue  # "a few", "a little": some, no negation
        if word == "not" and _OR_NOT_BEFORE_RE.search(text[max(0, m.start() - 4):m.start()]):
            continue  # "whether or not": no negation (the source's "hay không" is none either)
        if word == "nor" and not _NOR_LEAD_RE.search(text[:m.start()]):
            continue  # a "nor" with no negation before it in its sentence and not leading it ("Nor did he")
            # extends nothing: "I do mean X - nor Y" has lost the negation "nor" continues
        if word == "yet" and not _YET_TO_RE.match(text[m.end():m.end() + 4]):
            continue  # only "has yet to", "is yet to" negate: "not … yet" has its "not", "And yet" is a conjunction,
            # "simple yet strong" a "but", and a "yet" left behind by a dropped "not" ("It was drowned yet") none
        out.append((m.start(), word))
        if word == "neither" and not re.match(r"[^.!?;]*\bnor\b", text[m.end():]):
            out.append((m.start(), word))
    return out


def _en_negations(text: str, strict: bool = False) -> int:
    return len(_en_negation_cues(text, strict))


# English cues a Vietnamese word says without any negator ("thất bại" = "fail", "thay vì" = "rather than"):
# in a sentence whose source has that word, the cue carries no "không" of the source
EN_CUE_COUNTERPARTS = (
    (r"rather|instead", ("thay vì", "thay vào đó", "thay cho", "thà", "hơn là", "chỉ")),
    (r"fail\w*", ("thất bại", "hỏng", "trượt", "thua")),
    (r"refus\w*|den(?:y|ied|ies)", ("từ chối", "khước từ", "phủ nhận", "bác bỏ", "chối")),
    (r"harmful", ("có hại", "gây hại", "độc hại", "tác hại", "nguy hại", "không tốt")),
    (r"inevitable", ("tất yếu", "chắc chắn", "khó tránh", "tránh khỏi", "không thể tránh")),
    (r"lack\w*|without|absen\w*", ("thiếu", "vắng")),
    (r"few|fewer|little|less", ("ít", "chút", "giảm", "kém", "nhỏ", "thấp")),
    (r"bad|wrong", ("xấu", "tệ", "dở", "tồi", "sai", "nhầm", "kém", "không tốt", "không ngon", "không ổn")),
    (r"illegal\w*", ("trái phép", "phi pháp", "bất hợp pháp", "lậu", "vi phạm", "không hợp pháp")),
    (r"free", ("miễn phí", "tự do", "thoát", "giải phóng", "rảnh")),
    (r"stop\w*", ("dừng", "ngừng", "chặn", "ngăn", "thôi")),
    (r"hide|hid|hidden", ("giấu", "ẩn", "che")),
    (r"outside", ("ngoài",)),
    (r"unlike|otherwise", ("khác",)),
    (r"yet", ("nhưng", "tuy", "song", "vậy mà")),
    (r"unprecedented", ("chưa từng có", "chưa bao giờ có", "lần đầu")),
    (r"unemployed", ("thất nghiệp",)),
    (r"amateur", ("nghiệp dư",)),
    (r"un\w+|\w+less|non-\w+|in\w+|ir\w+|impossible", ("bất", "vô", "phi", "mất", "không an toàn", "không chính thức",
                                                     "không hợp pháp", "không công bằng", "không bình thường",
                                                     "không ổn định", "không thoải mái", "không rõ", "không đều",
                                                     "không chuyên", "không khoan nhượng", "không thể tránh",
                                                     "không tránh khỏi", "không đủ khả năng")),
    # a double negation, no negation of a fact, which English says with one: "couldn't help" for "không thể không"
    (r"not|n't|n’t|cannot", ("không thể không",)),
)
_EN_CUE_COUNTERPARTS = [(re.compile(r"(?:" + cue + r")$"),
                         tuple(re.compile(r"(?<![^\W\d_])" + re.escape(w) + r"(?![^\W\d_])") for w in words))
                        for cue, words in EN_CUE_COUNTERPARTS]


def _carried_cues(source: str, cues: list[tuple[int, str]]) -> int:
    """How many English cues may carry a negation of ``source``: a cue that a Vietnamese word without a
    negator says as well is not one, once per occurrence of that word in the source."""
    lower = source.lower()
    left: dict[tuple, int] = {}
    count = 0
    for _, word in cues:
        for pattern, words in _EN_CUE_COUNTERPARTS:
            if pattern.match(word):
                if words not in left:
                    left[words] = sum(len(w.findall(lower)) for w in words)
                if left[words] > 0:
                    left[words] -= 1
                    break
        else:
            count += 1
    return count


def _translation_negations(source: str, translation: str) -> list[dict]:
    """Every negation of the source must be carried: sentence by sentence where source and translation have
    as many sentences (aligned by order), else over the whole text. A sentence with fewer English cues
    than Vietnamese negations, once cues a Vietnamese word says without negator are discounted, has lost one."""
    negations = _vi_negations(source)
    if not negations:
        return []
    src_spans, out_spans = _split_sentences(source), _split_sentences(translation)
    cues = _en_negation_cues(translation)
    if len(src_spans) == len(out_spans) and len(src_spans) > 1:
        pairs = list(zip(src_spans, out_spans))
    else:
        pairs = [((0, len(source)), (0, len(translation)))]
    for (a, b), (c, d) in pairs:
        here = [(pos, w) for pos, w in negations if a <= pos < b]
        if here and len(here) > _carried_cues(source[a:b], [(p, w) for p, w in cues if c <= p < d]):
            return [_problem("negation", here[-1][1].strip(), "missing")]
    return []


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


# -- matching -------------------------------------------------------------------------------------

def _number_found(fact: Fact, pool: list[tuple[frozenset, str | None]]) -> tuple[bool, bool]:
    """(found, found with another unit) for a number fact in a pool of (values, unit)."""
    other_unit = False
    for values, unit in pool:
        if fact.values & values:
            if fact.unit is None or unit is None or unit == fact.unit:
                return True, False
            other_unit = True
    return False, other_unit


def _problem(kind: str, text: str, issue: str, found: str | None = None) -> dict:
    out = {"kind": kind, "text": text, "issue": issue}
    if found:
        out["found"] = found
    return out


def _result(problems: list[dict]) -> dict:
    seen, unique = set(), []
    for p in problems:
        key = (p["kind"], p["text"], p["issue"])
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return {"ok": not unique, "problems": unique[:MAX_PROBLEMS]}


def _contains_words(haystack: str, needle: str) -> bool:
    """``needle`` (folded words) occurs in ``haystack`` (folded words) on word boundaries."""
    if not needle:
        return False
    return re.search(r"(?<![^\W_])" + re.escape(needle) + r"(?![^\W_])", haystack) is not None


def _words_of(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(re.sub(r"['’]s\b", "", text))))


def _has_name(english: str, name: str) -> bool:
    """A name's words occur in the (folded) English, a short ending allowed on the last one:
    "Indonesia" in "Indonesian", "Olympic" in "Olympics", "Martin’s" in "Martin's"."""
    needle = _words_of(name)
    if not needle:
        return False
    last = needle.split()[-1]
    if len(last) >= 5:  # "Mexico" in "Mexicans", "Kurd" in "Kurdish"
        needle, tail = needle[:-1], r"[^\W\d_]{0,4}"
    elif len(last) == 4:
        tail = r"[^\W\d_]{0,3}"
    else:
        tail = r"s?"
    return re.search(r"(?<![^\W_])" + re.escape(needle) + tail + r"(?![^\W_])", english) is not None


def _closest(word: str, candidates: list[str]) -> str | None:
    best, score = None, 0.0
    for c in candidates:
        r = SequenceMatcher(None, fold(word), fold(c)).ratio()
        if r > score:
            best, score = c, r
    return best if score >= 0.6 else None


# -- summaries ------------------------------------------------------------------------------------

def _content_words(text: str) -> set[str]:
    words = set(re.findall(r"[^\W_]+", fold(text)))
    return words - {fold(n) for n in VI_NEGATORS} - {"da", "se", "dang", "thi", "la", "va", "cua", "duoc", "bi",
                                                      "nay", "do", "cac", "nhung", "mot", "co", "cho", "voi", "ve",
                                                      "hề", "he", "phai", "con"}


def check_summary(article: str, summary: str) -> dict:
    """Problems of a Vietnamese summary against its article: every fact it states must be there."""
    article, summary = _nfc(article), _nfc(summary)
    src, out = extract_facts(article, "vi"), extract_facts(summary, "vi")
    problems: list[dict] = []
    occurrences = _number_occurrences(article, src)
    for fact in out.numbers:
        if fact.unit == "code":
            if not any(fact.values & f.values for f in src.numbers):
                problems.append(_problem("number", fact.text, "unsupported"))
            continue
        if not _summary_number_supported(fact, summary, occurrences):
            problems.append(_problem("number", fact.text, "unsupported"))
    claims = src.date_claims()
    # an article that dates its events only relative to the day it appeared ("hôm qua", "sáng nay") cannot
    # back or contradict a summary's day and month: those are not checked then
    relative_only = not any(c[0] == "dm" for c in claims) and bool(_RELATIVE_DAY_RE.search(article))
    dated = None
    for fact in out.dates:
        wanted = {c for c in fact.values if not (relative_only and c[0] == "dm")}
        if not wanted <= claims and not _date_claims_loose(wanted, claims):
            problems.append(_problem("date", fact.text, "unsupported"))
        elif not _month_of_year_found(wanted, article, src):
            problems.append(_problem("date", fact.text, "unsupported"))
        else:
            if dated is None:  # once per check: the article's dates with their words, the summary's sentences
                dated = (_article_dates(article, src), _split_sentences(summary),
                         {c for f in out.dates for c in _month_implied(set(f.values))})
            other = _date_of_context(fact, wanted, summary, *dated)
            if other:  # in the article, but where the summary has it the article has another date
                problems.append(_problem("date", fact.text, "changed", other))
    folded_article = " ".join(re.findall(r"[^\W_]+", fold(article)))
    article_words = set(folded_article.split())
    capitalized = {fold(w) for w in re.findall(r"[^\W\d_]+", article) if w[:1].isupper()}
    for fact in out.names:
        name = " ".join(re.findall(r"[^\W_]+", fold(fact.text)))
        if _contains_words(folded_article, name) or _name_in_pieces(name, folded_article):
            continue
        words = name.split()
        known = 0
        while known < len(words) - 1 and " ".join(words[:known + 1]) in EXONYMS:
            known += 1  # "Mỹ Donald Trump": a country before the name
        rest = words[known:]
        if " ".join(rest) in EXONYMS:
            continue  # a well-known country or city: no fact of the article
        if all(w in article_words for w in rest) and rest[-1] in capitalized:
            continue  # each word is in the article and the last is a name there
        written = fact.text.split()[known:]
        if not looks_vietnamese(written[-1]) and rest[-1] in capitalized and len(rest) >= 2 and all(
                w in capitalized or not looks_vietnamese(t) for w, t in zip(rest, written)):
            continue  # a foreign family name the article has, given names added: "Donald Trump" / "ông Trump"
            # (a Vietnamese syllable before it, "Vinh Trump", "Quang Stoneman Douglas", is no given name of it)
        problems.append(_problem("name", fact.text, "unsupported"))
    sentences = None
    for fact in out.quotes:
        if _contains_words(folded_article, _squash(fact.text)):
            continue
        if sentences is None:
            sentences = [set(_squash(article[a:b]).split()) for a, b in _split_sentences(article)]
        words = _squash(fact.text).split()
        # quotation marks around a phrase the article words a little differently are no invented quotation:
        # most of its words in one article sentence back it
        if any(sum(w in sentence for w in words) >= 0.8 * len(words) for sentence in sentences):
            continue
        problems.append(_problem("quote", fact.text, "unsupported"))
    problems += _summary_negations(article, summary)
    return _result(problems)


_CONTEXT_STOP = frozenset("""da va la cua co cac nhung mot trong voi cho duoc tai o nay do ve se dang thi
bi khi tu den toi hon gan khoang chi con len xuong tren duoi sau truoc nhat so""".split())
_APPROX_RE = re.compile(r"(?:gần|hơn|khoảng|trên|dưới|chừng|xấp xỉ|ngót|gần như|tới|đến|hàng|chưa đầy|chưa tới|"
                        r"không quá|không dưới|ít nhất|tối đa|tối thiểu|cỡ|ước|ước tính|ước khoảng)\s*$", re.I)


def _context(text: str, start: int, end: int, n: int = 3) -> set[str]:
    """Content words (folded) just before ``start`` and just after ``end``: what a number counts."""
    before = [w for w in re.findall(r"[^\W\d_]+", fold(text[max(0, start - 40):start]))][-n:]
    after = [w for w in re.findall(r"[^\W\d_]+", fold(text[end:end + 40]))][:n]
    return {w for w in before + after if w not in _CONTEXT_STOP and len(w) > 1}


def _number_occurrences(article: str, src: "Facts") -> list[tuple[frozenset, str | None, set[str], bool]]:
    """Every number the article writes (digits, spelled-out, or digits inside a date or code: "ngày 13/5"
    holds 13), as (values, unit, context words, a number of its own written in digits)."""
    out = []
    for f in src.numbers + src.support:
        if f.unit == "code":
            continue
        out.append((f.values, f.unit, _context(article, f.start, f.start + len(f.text)), not f.support_only))
    dates = [(f.start, f.start + len(f.text)) for f in src.dates]
    for m in re.finditer(r"\d+", article):  # a piece of a date counts nothing: it backs no small count
        in_date = any(a <= m.start() < b for a, b in dates)
        out.append((frozenset({float(m.group())}), None, set() if in_date else _context(article, m.start(), m.end()),
                    False))
    return out


def _summary_number_supported(fact: "Fact", summary: str, occurrences: list) -> bool:
    """A summary's number is backed by the same value in the article (any writing: "3 triệu" = "3.000.000",
    "sáu" = "6"). A small count (under 100, no unit) is too common to be backed by value alone, "5 container"
    by any "5" or "năm" of the article: the article's must count the same thing (a content word shared
    nearby) or, from 10 on, the article must write it in digits as a number of its own (not a word such as "năm",
    which is mostly "year", nor a piece of a date). A rounded number ("gần 1.500", "hơn 1.000") is backed by an article number within 10% of it."""
    small = fact.unit is None and all(v < 100 and v == int(v) for v in fact.values)
    context = _context(summary, fact.start, fact.start + len(fact.text)) if small else set()
    approx_match = _APPROX_RE.search(summary[max(0, fact.start - 16):fact.start])
    approx = approx_match.group().strip() if approx_match else ""
    two_digits = all(v >= 10 for v in fact.values)
    for values, unit, where, digits in occurrences:
        if fact.unit is not None and unit is not None and unit != fact.unit:
            continue
        if fact.values & values:
            if not small or context & where or (digits and two_digits):
                return True
        elif approx and not small and (fact.unit is None or unit == fact.unit) and any(
                _rounds_to(b, a, approx) for a in fact.values for b in values):
            return True
    return False


def _rounds_to(exact: float, rounded: float, word: str) -> bool:
    """"hơn 1.000" says more than a round 1.000 (one or two significant digits), within 10%; "gần",
    "dưới" say less; "khoảng" either side."""
    if rounded <= 0 or len(f"{rounded:.15g}".replace(".", "").strip("0")) > 2:
        return False
    if abs(exact - rounded) > 0.1 * rounded:
        return False
    word = word.lower()
    if word in ("hơn", "trên", "ít nhất", "tối thiểu", "không dưới"):
        return exact >= rounded
    if word in ("gần", "dưới", "chưa đầy", "chưa tới", "ngót", "không quá", "tối đa", "gần như"):
        return exact <= rounded
    return True


_RELATIVE_DAY_RE = re.compile(r"\b(?:hôm (?:qua|nay|kia)|(?:sáng|trưa|chiều|tối|đêm) (?:qua|nay|mai)|ngày (?:mai|hôm qua|"
                              r"hôm nay)|cùng ngày|rạng sáng (?:nay|qua)|tuần (?:qua|trước|này|sau)|vừa qua)\b", re.I)


def _month_of_year_found(claims: set, article: str, src: "Facts") -> bool:
    """A month of a year ("tháng 1/2014", no day) is a month of the article in that year: a date of the article
    with that month and year, or with that month and no year of its own in a sentence that names the year.
    (The month and the year each somewhere, "7/1/2016" and "cổ tức năm 2014", are no January 2014.)"""
    months = [c[1] for c in claims if c[0] == "m"]
    years = [c[1] for c in claims if c[0] == "y"]
    if len(months) != 1 or len(years) != 1 or any(c[0] == "dm" for c in claims):
        return True
    month, year = ("m", months[0]), ("y", years[0])
    spans = None
    for f in src.dates:
        values = _month_implied(set(f.values))
        if month not in values:
            continue
        own = {c for c in values if c[0] == "y"}
        if year in own:
            return True
        if own:
            continue
        if spans is None:
            spans = _split_sentences(article)
        a, b = next(((a, b) for a, b in spans if a <= f.start < b), (0, len(article)))
        if re.search(r"(?<!\d)" + str(year[1]) + r"(?!\d)", article[a:b]):
            return True
    return False


# A fact the article states more than once, differently (a phrase negated in one sentence and not in another,
# two dates), is judged by the occurrence whose surrounding words the summary's fact shares: only when that one
# shares CONTEXT_MARGIN words more than the best occurrence of the summary's own version, and CONTEXT_MIN at
# least; a tie says nothing.
CONTEXT_WORDS = 8  # content words either side of a fact that say what it is about
CONTEXT_MARGIN = 2
CONTEXT_MIN = 3
_NEGATORS_FOLDED = frozenset(fold(w) for w in VI_NEGATORS)


def _words_around(text: str, start: int, end: int, spans: list[tuple[int, int]], skip: int = 0) -> set[tuple]:
    """Content words (lower case) of the sentence around ``text[start:end]``, each with its side ("<" before,
    ">" after): ``CONTEXT_WORDS`` before it and as many after it (past ``skip`` words: a phrase's own), no
    negators, no function words: what tells one occurrence of a fact from another ("sáng 5/3, hội nghị khai
    mạc" from "chiều 6/3, các đại biểu thảo luận"). Words match on the same side only: "Bộ Tài chính sẽ gửi
    trước 20/3" shares nothing with "Sáng 5/3, Bộ Tài chính gửi văn bản", whose words are another clause's."""
    a, b = next(((a, b) for a, b in spans if a <= start < b), (0, len(text)))
    before = re.findall(r"[^\W\d_]+", text[a:start].lower())[-CONTEXT_WORDS:]
    after = re.findall(r"[^\W\d_]+", text[end:b].lower())[skip:skip + CONTEXT_WORDS]
    # with their tones ("dù" is no "dự"), placed one way ("hoà" = "hòa")
    return {(side, normalize_tone(w, "new")) for side, words in (("<", before), (">", after)) for w in words
            if fold(w) not in _CONTEXT_STOP and fold(w) not in _NEGATORS_FOLDED and len(w) > 1}


class _ArticleDate:
    """One date of the article, its claims and, read when first asked for, the words around it."""

    def __init__(self, article: str, fact: Fact, claims: set, spans: list[tuple[int, int]]):
        self.text, self.claims = fact.text, claims
        self._where = (article, fact.start, fact.start + len(fact.text), spans)
        self._words: set | None = None

    @property
    def words(self) -> set:
        if self._words is None:
            self._words = _words_around(*self._where)
        return self._words


def _article_dates(article: str, src: "Facts") -> list[_ArticleDate]:
    """The article's dates, years written alone ("2017 tăng 6,8%") too; each summary date compares with
    them, so their words are read once per check."""
    spans = _split_sentences(article)
    found = [_ArticleDate(article, f, _month_implied(set(f.values)), spans) for f in src.dates]
    for f in src.numbers:
        years = {("y", int(v)) for v in f.values if f.unit is None and 1000 <= v <= 2200 and v == int(v)}
        if years:
            found.append(_ArticleDate(article, f, years, spans))
    return found


_CONTEXT_DATE_KINDS = ("dm", "m", "y", "wd")
# words next to any date: they tell no date from another (a part of the day does: "rạng sáng", "chiều")
_DATE_WORDS = frozenset("ngày tháng năm vào hồi hôm lúc diễn ra".split())


def _date_of_context(fact: Fact, wanted: set, summary: str, dates: list[_ArticleDate],
                     summary_spans: list[tuple[int, int]], stated: set) -> str | None:
    """Another date of the article where the summary's clause has its date: a summary's date may be in the
    article and still be changed, when the article gives it to another event ("Sáng 5/3, hội nghị khai mạc …
    Chiều 6/3, các đại biểu thảo luận": "Sáng 6/3, hội nghị khai mạc" is changed). The article date whose
    surrounding words the summary's date shares clearly more of than those of any occurrence of the summary's
    own date is returned. An article date the summary states too is no other date: the summary's words around
    one of its dates may be those of its other ("khai mạc sáng 5/3 và thảo luận chiều 6/3"). ``dates``: the
    article's (``_article_dates``); ``stated``: the date claims of the whole summary."""
    key = {c for c in wanted if c[0] in _CONTEXT_DATE_KINDS}
    kinds = {c[0] for c in key}
    if not key:
        return None
    around = _words_around(summary, fact.start, fact.start + len(fact.text), summary_spans)
    around = {(side, w) for side, w in around if w not in _DATE_WORDS}
    same, other, other_text = 0, 0, None
    for date in dates:
        own = {c for c in date.claims if c[0] in kinds}
        if not date.claims & key and ({c[0] for c in own} != kinds or own <= stated):
            continue  # no date of the same kind ("năm 2014" is no other "tháng 1/2016"), or one the summary states
        shared = len(around & date.words)
        if date.claims & key:
            same = max(same, shared)
        elif shared > other:
            other, other_text = shared, date.text
    return other_text if other >= max(CONTEXT_MIN, same + CONTEXT_MARGIN) else None


def _date_claims_loose(claims: set, pool: set) -> bool:
    """A time with unknown am/pm matches if either reading is there."""
    times = {c for c in claims if c[0] == "t"}
    rest = claims - times
    return bool(times & pool) and rest <= pool


def _name_in_pieces(name: str, article: str) -> bool:
    """"Mỹ Donald Trump" is backed by "Mỹ" and "Donald Trump": a leading word may stand apart."""
    words = name.split()
    if len(words) < 3:
        return False
    return _contains_words(article, words[0]) and _contains_words(article, " ".join(words[1:]))


_AUXILIARIES = frozenset("hề phải được thể còn có nên cần muốn dám bị".split())  # "không được phép", "chưa hề"


def _polar_phrases(text: str) -> tuple[set, set, list]:
    """(phrases a negation negates, phrases with no negation before them, the text's phrases in order with
    their polarity and position). A phrase is three words (folded); the one negated is the one right after
    the negator, past auxiliaries ("không được phép đi" negates "phép đi …"). Negators that negate nothing
    ("không khí", "không ngừng") do not count."""
    # a condition asserts nothing: "nếu không được cứu kịp thời" says no one was left unrescued
    negated_at = {pos for pos, _ in _vi_negations(text) if not _CONDITION_BEFORE_RE.search(text[max(0, pos - 9):pos])}
    # tone marks placed one way ("hoà" = "hòa") so that both sides compare alike
    tokens = [(m.start(), normalize_tone(m.group().lower(), "new")) for m in re.finditer(r"[^\W\d_]+", text)]
    neg_words = set(VI_NEGATORS)
    targets, near = set(), set()
    for i, (pos, _) in enumerate(tokens):
        if pos not in negated_at:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][1] in _AUXILIARIES and j < i + 3:
            j += 1
        targets.add(j)
        # no phrase that overlaps the negated one counts as said without negation ("không có khả năng thi công
        # hệ thống": "thi công hệ" is inside the negated "khả năng thi")
        near.update(range(i + 1, min(len(tokens), j + 3)))
    negated, positive, ordered = set(), set(), []
    for i in range(len(tokens) - 2):
        phrase = tuple(t for _, t in tokens[i:i + 3])
        if any(w in neg_words for w in phrase) or phrase[0] in _AUXILIARIES:
            continue
        if i in targets:
            negated.add(phrase)
            ordered.append((phrase, True, tokens[i][0]))
        elif i not in near:
            positive.add(phrase)
            ordered.append((phrase, False, tokens[i][0]))
    return negated, positive, ordered


def _summary_negations(article: str, summary: str) -> list[dict]:
    """A phrase of the summary that the article only negates must be negated in the summary, and the other
    way round: "đã không qua mắt được" in the article, "đã qua mắt được" in the summary. A phrase the article
    says both ways ("ông Hùng không ký hợp đồng …", "bà Lan vẫn ký hợp đồng …") is judged by the article clause
    the summary's clause repeats: the occurrence whose surrounding words it shares (``CONTEXT_MARGIN``)."""
    neg_a, pos_a, ordered_a = _polar_phrases(article)
    problems, spans_a, spans_s = [], None, None
    for phrase, negated, start in _polar_phrases(summary)[2]:
        if negated and phrase in pos_a and phrase not in neg_a:
            problems.append(_problem("negation", _phrase(summary, start), "changed"))
        elif not negated and phrase in neg_a and phrase not in pos_a:
            problems.append(_problem("negation", _phrase(summary, start), "changed"))
        elif phrase in neg_a and phrase in pos_a:
            if spans_a is None:
                spans_a, spans_s = _split_sentences(article), _split_sentences(summary)
            around = _words_around(summary, start, start, spans_s, skip=3)
            if _polarity_of_context(phrase, around, article, ordered_a, spans_a) is (not negated):
                problems.append(_problem("negation", _phrase(summary, start), "changed"))
    return problems


def _polarity_of_context(phrase: tuple, around: set[tuple], article: str, ordered: list,
                         spans: list[tuple[int, int]]) -> bool | None:
    """Whether the article negates ``phrase`` where its surrounding words are ``around`` (the summary's): the
    polarity of the occurrences sharing clearly the most of them, None on a tie."""
    best = {True: 0, False: 0}
    for other, negated, at in ordered:
        if other == phrase:
            best[negated] = max(best[negated], len(around & _words_around(article, at, at, spans, skip=3)))
    for negated in (True, False):
        if best[negated] >= max(CONTEXT_MIN, best[not negated] + CONTEXT_MARGIN):
            return negated
    return None


def _phrase(text: str, start: int, words: int = 6) -> str:
    """A few words around ``start``, for an editor to find the spot."""
    before = text[:start].split()[-3:]
    after = text[start:].split()[:words]
    return " ".join(before + after).strip(" ,.;:")


# -- translations ---------------------------------------------------------------------------------

def _en_words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _place_before(text: str, start: int) -> bool:
    before = " " + text[max(0, start - 14):start].lower().rstrip()
    return any(before.endswith(" " + c) for c in VI_PLACE_CLASSIFIERS)


def _checked_name(fact: Fact, source: str) -> tuple[list[str], list[str]] | None:
    """What of a Vietnamese name its English must show: (words that must appear, alternatives of which one
    must appear); None when its English form cannot be known (a translated institution, a Sino-Vietnamese
    form of a foreign name)."""
    tokens = fact.text.split()
    folded = fold(fact.text)
    key = " ".join(re.findall(r"[^\W_]+(?:[.\-][^\W_]+)*", folded))
    if key in EXONYMS:
        return [], list(EXONYMS[key])
    foreign = [t for t in tokens if not looks_vietnamese(t) and not _is_acronym(t)]
    if foreign:
        # the words of a foreign name written without Vietnamese marks are the name's too ("Moon Jae-in"),
        # save a Vietnamese title before it ("Cha Johnson" is "Father Johnson")
        # (those next to a foreign word, no Vietnamese word between: a title-case headline's words are not)
        plain, segment = [], []
        for t in tokens + [""]:
            if t and not is_vietnamese_word(t) and not _is_acronym(t) and fold(t) not in VI_COMMON:
                segment.append(t)
                continue
            if any(x in foreign for x in segment):
                plain += segment
            plain += [t] if t in foreign else []
            segment = []
        return [re.sub(r"['’]s$", "", t) for t in plain], []
    if tokens[0].lower() in VI_SURNAMES and len(tokens) >= 2:
        return [], [" ".join(fold(t) for t in tokens), " ".join(fold(t) for t in tokens[-2:]),
                    fold(tokens[-1]) if len(tokens) >= 3 else " ".join(fold(t) for t in tokens)]
    if _place_before(source, fact.start) and len(tokens) >= 2:
        return [], [" ".join(fold(t) for t in tokens), "".join(fold(t) for t in tokens)]
    return None


EN_TITLES = frozenset(fold(w) for w in """mr mrs ms miss dr prof professor sir lord lady saint st rev reverend father
pastor bishop pope king queen prince princess president vice premier minister prime secretary chancellor
governor senator sen rep representative congressman congresswoman mayor judge justice general gen colonel col
major captain capt lieutenant lt sergeant sgt officer detective inspector chief commissioner director chairman
chairwoman ceo coach manager striker midfielder defender goalkeeper agent ambassador envoy speaker leader
chair spokesman spokeswoman dame uncle aunt brother sister north south east west new former late""".split())


def _replaced_given_name(translation: str, kept: str, source: str) -> str | None:
    """The capitalized word the English writes right before a family name whose given names it dropped, when
    that word is no name or word of the source and no title ("Lindqvist Murchie" for "Peter Murchie";
    "Coach Murchie", "Mr. Murchie" are fine)."""
    source_words = set(re.findall(r"[^\W_]+", fold(source)))
    for m in re.finditer(r"(?<![^\W_])" + re.escape(kept) + r"(?![^\W_])", translation):
        before = re.search(r"(?:^|[^\w\s.'’-]\s*|\s)([A-Z][^\W\d_]+)[ \u00a0]+$", translation[:m.start()])
        if not before or re.search(r"(?:^|[.!?:;\"“‘(\n]\s*)$", translation[:before.start(1)]):
            continue  # nothing capitalized before it, or that word starts the sentence
        word = before.group(1)
        if fold(word) in source_words or fold(word) in EN_TITLES or _is_acronym(word):
            continue
        return word
    return None


def _count_quotes(text: str) -> int:
    """Quotations of an English text, however short (a Vietnamese quotation of four syllables may be two words)."""
    return len(_EN_QUOTE_RE.findall(text))


def _untranslated(source: str, output: str, names: list[Fact]) -> list[dict]:
    allowed = {fold(t) for f in names for t in f.text.split()}
    problems, run = [], []
    for m in re.finditer(r"[^\W\d_]+|[^\w\s]+|\d+", output):
        word = m.group()
        if fold(word) not in allowed and (is_vietnamese_word(word) or (
                run and not word.isascii() and looks_vietnamese(word))):  # "thành" next to "của"
            run.append(word)
            continue
        if run and word.isalpha():
            problems.append(_problem("untranslated", " ".join(run), "unsupported"))
            run = []
    if run:
        problems.append(_problem("untranslated", " ".join(run), "unsupported"))
    return problems


def check_translation(source: str, translation: str) -> dict:
    """Problems of an English translation against its Vietnamese source: every fact must be carried."""
    source, translation = _nfc(source), _nfc(translation)
    src, out = extract_facts(source, "vi"), extract_facts(translation, "en")
    problems: list[dict] = []
    pool = out.all_values()
    unmatched_out = [f for f in out.numbers if f.unit != "code"
                     and not any(f.values & s.values for s in src.numbers + src.support)]
    codes_out = {v for f in out.numbers if f.unit == "code" for v in f.values}
    src_claims = src.date_claims()
    out_claims = out.date_claims()
    for fact in src.numbers:
        if fact.unit == "code":
            if not fact.values & codes_out:
                problems.append(_problem("number", fact.text, "missing"))
            continue
        if any(v in {float(y) for _, y in (c for c in src_claims if c[0] == "y")} for v in fact.values) and \
                fact.unit is None and any(("y", int(v)) in out_claims for v in fact.values if v == int(v)):
            continue
        found, other_unit = _number_found(fact, pool)
        if found:
            continue
        if other_unit:
            other = next(f for f in out.numbers if f.values & fact.values)
            problems.append(_problem("number", fact.text, "changed", other.text))
        elif unmatched_out:
            problems.append(_problem("number", fact.text, "changed", unmatched_out[0].text))
        else:
            problems.append(_problem("number", fact.text, "missing"))
    for fact in src.dates:
        claims = set(fact.values)
        if claims <= out_claims or _date_claims_loose(claims, out_claims):
            continue
        kinds = {c[0] for c in claims}
        other = [f for f in out.dates if {c[0] for c in f.values} & kinds and not set(f.values) & src_claims]
        if other:
            problems.append(_problem("date", fact.text, "changed", other[0].text))
        else:
            problems.append(_problem("date", fact.text, "missing"))
    # the other way: a weekday or month of the English that the source has none of, where the source does date
    # by weekday (or month): "Friday, Sunday" for "thứ 6, thứ 6"
    src_kinds = {"m" if c[0] == "dm" else c[0] for c in src_claims}
    reported = {p.get("found") for p in problems if p["kind"] == "date"}
    for fact in out.dates:
        claims = _month_implied(set(fact.values))
        kinds = {c[0] for c in claims} & {"wd", "m"} & src_kinds
        if kinds and fact.text not in reported and not any(c in src_claims for c in claims if c[0] in kinds):
            problems.append(_problem("date", fact.text, "unsupported"))  # the English's own: nothing found for it
    english = _words_of(translation)
    capitalized = [w for w in re.findall(r"\b[A-Z][\w'’\-]+", translation)]
    for fact in src.names:
        wanted = _checked_name(fact, source)
        if wanted is None:
            continue
        every, one_of = wanted
        if one_of:
            if not any(_has_name(english, w) for w in one_of):
                problems.append(_problem("name", fact.text, "missing"))
            continue
        lost = [w for w in every if not _has_name(english, w)]
        if not lost:
            continue
        near = [n for n in (_closest(w, capitalized) for w in lost) if n]
        if near:  # a misspelt or another similar name in its place
            problems.append(_problem("name", fact.text, "changed", near[0]))
        elif len(every) >= 2 and lost == every[:len(lost)] and len(lost) < len(every):
            other = _replaced_given_name(translation, every[len(lost)], source)
            if other:  # "Peter Murchie" → "Lindqvist Murchie": another name in the given name's place
                problems.append(_problem("name", fact.text, "changed", other))
            continue  # "Brett Kavanaugh" → "Kavanaugh": given names may go, the family name must stay
        else:
            problems.append(_problem("name", fact.text, "missing"))
    src_quotes, out_quotes = src.quotes, _count_quotes(translation)
    if len(src_quotes) > out_quotes:
        for fact in src_quotes[out_quotes:]:
            problems.append(_problem("quote", fact.text, "missing"))
    problems += _translation_negations(source, translation)
    problems += _untranslated(source, translation, src.names)
    return _result(problems)
