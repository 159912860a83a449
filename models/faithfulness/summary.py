""":func:`check_summary`: a Vietnamese summary against its article. Its helpers: the numbers of the article
with their context words (``_number_occurrences``, ``_summary_number_supported``, rounded numbers), the
article's dates and the words around them (``_words_around``, ``_ArticleDate``, ``_article_dates``,
``_date_of_context``: a date given to another event is changed), names in pieces, and the polarity of a
summary's phrases against the article's (``_summary_negations``, ``_polarity_of_context``)."""

from __future__ import annotations

import math
import re

from ..text.tone import normalize_tone
from ._result import Fact, _problem, _result
from ._text import _nfc, _split_sentences, fold, looks_vietnamese
from .dates import _date_claims_loose, _month_implied
from .facts import Facts, extract_facts
from .names import EXONYMS, PROVINCE_SHORT_FORMS, shown
from .negation import VI_NEGATORS, _polar_phrases
from .quotes import _squash

def _contains_words(haystack: str, needle: str) -> bool:
    """``needle`` (folded words) occurs in ``haystack`` (folded words) on word boundaries."""
    if not needle:
        return False
    return re.search(r"(?<![^\W_])" + re.escape(needle) + r"(?![^\W_])", haystack) is not None


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
        if any(_contains_words(folded_article, short) for short in PROVINCE_SHORT_FORMS.get(name, ())):
            continue  # "Thừa Thiên Huế" where the article says "Huế"
        if len(words) >= 2 and words[-1] in _REGNAL and _contains_words(folded_article, " ".join(words[:-1])) \
                and not re.search(r"\b" + re.escape(" ".join(words[:-1])) + r" (?:" + "|".join(_REGNAL) + r")\b",
                                  folded_article):
            continue  # "Nữ hoàng Elizabeth II" where the article says "Nữ hoàng Elizabeth" and no other numeral
        if all(w in article_words for w in rest) and rest[-1] in capitalized:
            continue  # each word is in the article and the last is a name there
        written = fact.text.split()[known:]
        if not looks_vietnamese(written[-1]) and rest[-1] in capitalized and len(rest) >= 2 and all(
                w in capitalized or not looks_vietnamese(t) for w, t in zip(rest, written)):
            continue  # a foreign family name the article has, given names added: "Donald Trump" / "ông Trump"
            # (a Vietnamese syllable before it, "Vinh Trump", "Quang Stoneman Douglas", is no given name of it)
        problems.append(_problem("name", shown(summary, fact), "unsupported"))
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
        if _FRACTION_RE.fullmatch(f.text):  # "1/5 số phi cơ" backs "20% số phi cơ"
            out.append((_percent_forms(f.text), "%", _context(article, f.start, f.start + len(f.text)), True))
    dates = [(f.start, f.start + len(f.text)) for f in src.dates]
    for m in re.finditer(r"\d+", article):  # a piece of a date counts nothing: it backs no small count
        in_date = any(a <= m.start() < b for a, b in dates)
        out.append((frozenset({float(m.group())}), None, set() if in_date else _context(article, m.start(), m.end()),
                    False))
    return out


_REGNAL = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv", "xvi")
_FRACTION_RE = re.compile(r"(\d+)/(\d+)")


def _percent_forms(fraction: str) -> frozenset:
    """The percentages a fraction is written as: "1/3" is 33%, 33,3% or 33,33%."""
    d, n = map(int, _FRACTION_RE.fullmatch(fraction).groups())
    return frozenset(round(100 * d / n, k) for k in (0, 1, 2))


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
    if fact.unit is None and _FRACTION_RE.fullmatch(fact.text):  # "1/5" backed by the article's "20%"
        percents = _percent_forms(fact.text)
        if any(unit == "%" and percents & values for values, unit, _, _ in occurrences):
            return True
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


def _significant(value: float) -> str:
    """The significant digits of a number: "1985" of 1.985, "4" of 400."""
    return f"{abs(value):.15g}".replace(".", "").strip("0")


def _rounds_to(exact: float, rounded: float, word: str) -> bool:
    """"hơn 1.000" says more than a round 1.000 (one or two significant digits), within 10%, or below the
    next round number up to 20% ("hơn 500 kg" for 573 kg, not for 610); "gần", "dưới" say less (within 10%);
    "khoảng" either side (within 10%)."""
    digits = _significant(rounded)
    if rounded <= 0 or len(digits) > 2 or len(digits) >= len(_significant(exact)):
        return False  # a rounded number is rounder than the one it rounds: "tới 41%" is no rounding of 48%
    word = word.lower()
    if word in ("hơn", "trên", "ít nhất", "tối thiểu", "không dưới"):
        step = 10 ** math.floor(math.log10(rounded)) / (10 if len(digits) == 2 else 1)
        return rounded <= exact <= rounded + min(max(step, 0.1 * rounded), 0.2 * rounded)
    if abs(exact - rounded) > 0.1 * rounded:
        return False
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
# a phrase said both ways: one word more is enough, the same phrase in two clauses being one event told twice
# far more often than two dates are ("không đi vào đất liền Việt Nam" / "đi vào đất liền Trung Quốc")
POLARITY_MARGIN = 1
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


def _name_in_pieces(name: str, article: str) -> bool:
    """"Mỹ Donald Trump" is backed by "Mỹ" and "Donald Trump": a leading word may stand apart."""
    words = name.split()
    if len(words) < 3:
        return False
    return _contains_words(article, words[0]) and _contains_words(article, " ".join(words[1:]))


def _summary_negations(article: str, summary: str) -> list[dict]:
    """A phrase of the summary that the article only negates must be negated in the summary, and the other
    way round: "đã không qua mắt được" in the article, "đã qua mắt được" in the summary. A phrase the article
    says both ways ("ông Hùng không ký hợp đồng …", "bà Lan vẫn ký hợp đồng …") is judged by the article clause
    the summary's clause repeats: the occurrence whose surrounding words it shares (``POLARITY_MARGIN``)."""
    neg_a, pos_a, ordered_a, scoped_a = _polar_phrases(article)
    problems, spans_a, spans_s = [], None, None
    for phrase, negated, start in _polar_phrases(summary).ordered:
        # a negation the article says further inside a negated clause backs it ("chưa có chủ trương đầu tư":
        # "chưa được chủ trương đã bán")
        if negated and phrase in pos_a and phrase not in neg_a and phrase[:2] not in scoped_a:
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
        if best[negated] >= max(CONTEXT_MIN, best[not negated] + POLARITY_MARGIN):
            return negated
    return None


def _phrase(text: str, start: int, words: int = 6) -> str:
    """A few words around ``start``, for an editor to find the spot."""
    before = text[:start].split()[-3:]
    after = text[start:].split()[:words]
    return " ".join(before + after).strip(" ,.;:")
