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

The package, by fact kind: ``_text`` (fold and word helpers), ``_result`` (Fact, the problem and result
shapes), ``numbers``, ``dates``, ``names``, ``quotes`` and ``negation`` (the facts of each kind and their
rules), ``facts`` (:func:`extract_facts`), ``summary`` (:func:`check_summary`) and ``translation``
(:func:`check_translation`).
"""

from ._result import ISSUES, KINDS, Fact
from ._text import fold
from .facts import extract_facts
from .summary import check_summary
from .translation import check_translation

__all__ = ["check_summary", "check_translation", "extract_facts", "Fact", "KINDS", "ISSUES", "fold"]
