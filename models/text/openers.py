"""Openers that point outside a sentence, and :func:`trim_opener`, which takes one off a sentence picked out
of its article.

In the article, "Tuy nhiên, …" answers the sentence before it, and "Chiều 16-5, …" dates the event for a
reader who has the paper's date. In a two-sentence excerpt neither has anything to point at: the connective
reads as a non sequitur, and a day and month without a year date nothing. Editors writing the lead (sapo)
leave them out, and the extractive summary does the same. What goes, followed by its comma:

- a connective of discourse ("Tuy nhiên,", "Ngoài ra,", "Theo đó,", "Do vậy,", "Trước đó,") or a reference
  to the day of the sentence before ("Chiều cùng ngày,", "Hôm sau,"), unless the excerpt holds that
  sentence: a sentence that ``follows`` its article predecessor keeps what answers it;
- a day and month without a year, with the part of the day and the weekday that go with it ("Chiều 16-5,",
  "Tối ngày 16/5,", "Sáng thứ Hai (6/2),"), or a relative day ("Sáng nay,", "Hôm qua,", "Mới đây,").

What stays: a date with its year ("Ngày 12/3/2019,"); a clock time ("Khoảng 2h20 ngày 12/1,": when a crash
happened is a fact); what is still to come ("Ngày 1/7 tới,", "Tối nay,", "Ngày mai,", or any date opener of a
sentence with "sẽ", "dự kiến", "sắp": when it will happen is the news); "Ngày nay," (nowadays, a stance, not
a date); every attribution and hedge ("Theo Reuters,", "Được biết,": without it a claim becomes the
summary's own) and every place ("Tại Hà Nội,"). Nothing is trimmed inside a quotation (a sentence that
closes a quote it did not open), nor where the opener does the sentence's work: the rest would start with
"xuất hiện", "xảy ra", "tiếp tục", "tức" (no subject left), or would point at the date it lost ("cùng ngày",
"hôm đó"). What is left must still be a sentence of at least six words; its first letter is upper-cased
unless the word is cased inside ("iPad"). Both the natural ("16-5, một") and the VietNews token style
("16-5 , một", "( 10/12 )") are read; the text is NFC, as everywhere past ingress.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["trim_opener"]

# answer the sentence before: dropped unless the excerpt holds that sentence
_CONNECTIVES = (
    "tuy nhiên", "tuy vậy", "dù vậy", "mặc dù vậy", "dẫu vậy", "thế nhưng", "song", "trong khi đó",
    "ngoài ra", "bên cạnh đó", "cùng với đó", "hơn nữa", "không những thế", "chưa hết", "tương tự", "đồng thời",
    "đặc biệt", "cụ thể", "theo đó", "như vậy", "mặt khác", "thậm chí",
    "do đó", "do vậy", "vì vậy", "vì thế", "chính vì vậy", "chính vì thế", "bởi vậy", "thế nên", "cho nên",
    "trước đó", "sau đó", "khi đó", "lúc này",
)
_PART_OF_DAY = r"(?:rạng\s+sáng|sáng\s+sớm|sáng|trưa|chiều|tối|đêm|khuya)"
_WEEKDAY = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ\s+nhật)"
_OPEN, _CLOSE = r"\(\s*", r"\s*\)"
_DAY_MONTH = (r"\d{1,2}\s*[/-]\s*\d{1,2}(?!\d)(?!\s*[/-]\s*\d)"
              r"|\d{1,2}\s+tháng\s+\d{1,2}(?!\d)(?!\s+năm)")
# "Ngày 16/5", "Tối ngày 16/5", "Sáng thứ Hai (6/2)", "Hôm 26-12 ( giờ địa phương )": a word that says it is
# a day comes first, so that a bare "1/3," (a fraction) or "2-1," (a score) is never taken for a date
_DATED = (rf"(?:(?:vào|đến)\s+)?(?:(?:{_PART_OF_DAY}\s+)?(?:ngày|hôm)|{_PART_OF_DAY})\s+"
          rf"(?:{_WEEKDAY}\s*(?:,\s*)?)?(?:{_DAY_MONTH}|{_OPEN}(?:{_DAY_MONTH}){_CLOSE})"
          rf"(?:\s+(?:vừa\s+qua|qua|này))?"
          rf"(?:\s*{_OPEN}(?:theo\s+)?giờ\s+(?:địa\s+phương|Việt\s+Nam|Hà\s+Nội|VN){_CLOSE})?")
# "Tối nay," and "Đêm nay," are mostly still to come, and stay
_RELATIVE = (rf"(?:(?:{_PART_OF_DAY}|hôm)\s+qua|(?:sáng|trưa|chiều|hôm)\s+nay|mới\s+đây(?:\s+nhất)?|vừa\s+qua"
             rf"|gần\s+đây)"
             rf"(?:\s*{_OPEN}\d{{1,2}}\s*[/-]\s*\d{{1,2}}{_CLOSE})?")
# the day of the sentence before
_SAME_DAY = rf"(?:(?:vào|đến|khoảng|lúc)\s+)?(?:{_PART_OF_DAY}\s+)?(?:cùng\s+ngày|ngày\s+hôm\s+sau|hôm\s+sau|hôm\s+đó)"


def _alternatives(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_COMMA = r"\s*,\s*"
_ANSWERS_RE = re.compile(rf"^(?:{_alternatives(_CONNECTIVES)}|{_SAME_DAY}){_COMMA}", re.IGNORECASE)
_TIME_RE = re.compile(rf"^(?:{_DATED}|{_RELATIVE}){_COMMA}", re.IGNORECASE)
# a sentence about what is to come: its date is when it will happen, the news itself
_FUTURE_RE = re.compile(r"(?<![^\W_])(?:sẽ|dự\s+kiến|sắp)(?![^\W_])", re.IGNORECASE)
# an opener that does the sentence's work: the rest has no subject, or points at the date it would lose
_NEEDED_RE = re.compile(r"^[\"“‘'(\s]*(?:xuất\s+hiện|xảy\s+ra|diễn\s+ra|tiếp\s+tục|tức|nghĩa\s+là)(?![^\W_])",
                        re.IGNORECASE)
_POINTS_BACK_RE = re.compile(r"(?<![^\W_])(?:cùng\s+ngày|hôm\s+đó|hôm\s+sau|ngày\s+hôm\s+sau)(?![^\W_])",
                             re.IGNORECASE)
# what must be left: a sentence of at least this many words
_LEAST_WORDS_LEFT = 6


def trim_opener(sentence: str, follows: bool = False) -> str:
    """``sentence`` without the openers that point outside it (see the module), the first letter upper-cased;
    unchanged when it has none, or when what would be left could not stand alone. ``follows``: the excerpt
    holds the article sentence just before this one, so a connective answering it stays."""
    if not unicodedata.is_normalized("NFC", sentence):
        sentence = unicodedata.normalize("NFC", sentence)
    if _inside_a_quotation(sentence):
        return sentence
    rest = sentence
    while True:
        m = None if follows else _ANSWERS_RE.match(rest)
        time_opener = m is None
        m = m or _TIME_RE.match(rest)
        if not m:
            break
        left = rest[m.end():]
        if len(left.split()) < _LEAST_WORDS_LEFT or _NEEDED_RE.match(left):
            break
        if time_opener and (_FUTURE_RE.search(left) or _POINTS_BACK_RE.search(left)):
            break
        rest = left
    if rest is sentence:
        return sentence
    return _upper_first(rest)


def _inside_a_quotation(sentence: str) -> bool:
    """The sentence closes a quotation it did not open: it is someone's words, continued."""
    curly_open, curly_close = sentence.find("“"), sentence.find("”")
    if curly_close != -1 and (curly_open == -1 or curly_close < curly_open):
        return True
    return sentence.count('"') % 2 == 1


def _upper_first(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            word = re.match(r"[^\W\d_]+", text[i:]).group(0)
            if any(c.isupper() for c in word[1:]):  # "iPad", "eKYC": cased inside, left as written
                return text
            return text[:i] + ch.upper() + text[i + 1:]
        if not (ch in "\"“‘'([«" or ch.isspace()):
            return text
    return text
