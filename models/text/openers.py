"""Openers that point outside a sentence, and :func:`trim_opener`, which takes one off a sentence picked out
of its article.

In the article, "Tuy nhiên, …" answers the sentence before it, and "Chiều 16-5, …" dates the event for a
reader who has the paper's date. In a two-sentence excerpt neither has anything to point at: the connective
reads as a non sequitur, and a day and month without a year date nothing. Editors writing the lead (sapo)
leave them out, and the extractive summary does the same. Two kinds go, and nothing else:

- a connective of discourse followed by a comma ("Tuy nhiên,", "Ngoài ra,", "Theo đó,", "Trong khi đó,");
- a time opener followed by a comma: a relative one ("Sáng nay,", "Hôm qua,", "Mới đây,") or a date without
  a year, with the part of the day and the clock time that go with it ("Chiều 16-5,", "Sáng 7/8,",
  "Khoảng 10h ngày 12/3 vừa qua,", "Ngày 20 tháng 11,").

A date with its year ("Ngày 12/3/2019,", "Năm 2018,") is a fact of the sentence and stays, as does the date of
what is still to come ("Ngày 27-4, hai bên sẽ tổ chức…": when it will happen is the news); so does every
attribution ("Theo Reuters,": without it a claim becomes the summary's own) and every place ("Tại Hà Nội,").
What is left must still be a sentence of some length; the first letter is upper-cased. Both the natural
("16-5, một") and the VietNews token style ("16-5 , một") are read.
"""

from __future__ import annotations

import re

__all__ = ["trim_opener"]

_CONNECTIVES = ("tuy nhiên", "ngoài ra", "cụ thể", "trong khi đó", "bên cạnh đó", "đặc biệt", "do đó",
                "vì vậy", "vì thế", "bởi vậy", "thậm chí", "mặt khác", "như vậy", "theo đó", "được biết",
                "đồng thời", "thế nhưng", "song")
_PART_OF_DAY = r"(?:rạng\s+sáng|sáng\s+sớm|sáng|trưa|chiều|tối|đêm|khuya|ngày|hôm)"
_CLOCK = r"\d{1,2}\s*(?:h|giờ)(?:\s*\d{1,2}(?:\s*phút)?)?"
_DAY_MONTH = r"\(?\d{1,2}\s*[/-]\s*\d{1,2}(?!\d)\)?(?!\s*[/-]\s*\d)|\d{1,2}\s+tháng\s+\d{1,2}(?!\d)(?!\s+năm)"
_AFTER_DATE = r"(?:\s+(?:vừa\s+qua|tới|qua|này|\(?(?:theo\s+)?giờ\s+(?:địa\s+phương|Việt\s+Nam|Hà\s+Nội|VN)\)?))?"
_DATED = (rf"(?:(?:vào|khoảng|lúc)\s+)?(?:{_CLOCK}\s+)?(?:{_PART_OF_DAY}\s+)?(?:(?:nay|qua|mai)\s+)?"
          rf"(?:{_DAY_MONTH}){_AFTER_DATE}")
_RELATIVE = (rf"(?:{_PART_OF_DAY}\s+(?:nay|qua|mai)|hôm\s+nay|hôm\s+qua|mới\s+đây(?:\s+nhất)?|vừa\s+qua|gần\s+đây"
             rf"|{_PART_OF_DAY}\s+(?:nay|qua|mai)\s+\(\d{{1,2}}\s*[/-]\s*\d{{1,2}}\))")
_CONNECTIVE_RE = re.compile(
    r"^(?:" + "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in _CONNECTIVES) + r")\s*,\s*", re.IGNORECASE)
_TIME_RE = re.compile(rf"^(?:{_DATED}|{_RELATIVE})\s*,\s*", re.IGNORECASE)
# a sentence about what is to come: its date is when it will happen, the news itself
_FUTURE_RE = re.compile(r"(?<![^\W_])(?:sẽ|dự kiến|sắp)(?![^\W_])", re.IGNORECASE)
# what must be left: a sentence of at least this many words
_LEAST_WORDS_LEFT = 6


def trim_opener(sentence: str) -> str:
    """``sentence`` without the openers that point outside it (see the module), the first letter upper-cased;
    unchanged when it has none, or when what would be left is too short to stand alone."""
    rest = sentence
    while True:
        m = _CONNECTIVE_RE.match(rest) or _TIME_RE.match(rest)
        if not m or len(rest[m.end():].split()) < _LEAST_WORDS_LEFT:
            break
        if m.re is _TIME_RE and _FUTURE_RE.search(rest, m.end()):
            break
        rest = rest[m.end():]
    if rest is sentence:
        return sentence
    return _upper_first(rest)


def _upper_first(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
        if not (ch in "\"“‘'([«" or ch.isspace()):
            return text
    return text
