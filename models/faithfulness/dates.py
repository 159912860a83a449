"""Date facts: month and weekday tables, the Vietnamese and English date, period, weekday and clock-time
patterns, the claims a date is split into (``_claims_dmy``, ``_period_claims``, ``_month_implied``), fractions
written like a day and month ("2/3 số dân", ``_fraction_facts``), ``_date_facts`` itself, and
``_date_claims_loose`` (a time of unknown am/pm matches either reading)."""

from __future__ import annotations

import re

from ._result import Fact
from .numbers import _round

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
               r"(?<=qua )|(?<=mai )|(?<=muộn )|(?<=khuya )|(?<=sớm )|(?<=khánh )|(?<=lễ )|(?<=từ )|(?<=đến )|(?<=tới )|(?<=\()|(?<=, )|(?<=thứ hai )|(?<=thứ ba )|(?<=thứ tư )|"
               r"(?<=thứ năm )|(?<=thứ sáu )|(?<=thứ bảy )|(?<=chủ nhật )|(?<=thứ [2-7] ))"  # "ngày thứ năm 14-3"
               r"(?P<d>\d{1,2})\s?[-.]\s?(?P<m>\d{1,2})(?:[-.](?P<y>\d{4}))?(?![\d-]|,\d)"
               r"(?!\s*(?:ngày|tháng|tuần|năm|giờ|tiếng|phút|giây)\b)", re.I),  # "nghỉ lễ 4-5 ngày": a range
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
    r"(?<![\d/.,:])(?P<h>\d{1,2})(?:\s*(?:h|giờ|:)(?![^\W\d_])\s*(?P<mi>\d{2})?(?:\s*phút)?|\.(?P<mi2>\d{2})\s*giờ)"
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
# or after a word of quantity: "gần 1/4 trường học", "hơn 1/3", "chiếm 2/3" (no "đến"/"tới": "đến 1/4" is April)
_QUANTITY_BEFORE_RE = re.compile(r"(?:gần|hơn|khoảng|chiếm|chừng|ngót|trên|dưới)\s+$", re.I)
_DAY_WORD_BEFORE_RE = re.compile(r"(?:ngày|sáng|trưa|chiều|tối|đêm|hôm|từ|đến|tới|\()\s*$", re.I)


def _fraction_facts(text: str, mask: list[bool]) -> list[Fact]:
    """The fractions written like a day and month ("2/3 số dân"), as numbers worth d/n (and n, for "a third",
    "two thirds"); their spans masked so that no date reads them."""
    out = []
    for m in _VI_DATE_PATTERNS[1].finditer(text):
        d, n = int(m.group("d")), int(m.group("m"))
        before = text[max(0, m.start() - 9):m.start()]
        if m.group("y") or not d < n <= 10 or any(mask[m.start():m.end()]) \
                or not (_FRACTION_NOUN_RE.match(text[m.end():m.end() + 12]) or _QUANTITY_BEFORE_RE.search(before)) \
                or _DAY_WORD_BEFORE_RE.search(before[-6:]):
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


def _date_claims_loose(claims: set, pool: set) -> bool:
    """A time with unknown am/pm matches if either reading is there."""
    times = {c for c in claims if c[0] == "t"}
    rest = claims - times
    return bool(times & pool) and rest <= pool
