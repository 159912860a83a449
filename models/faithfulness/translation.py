""":func:`check_translation`: an English translation against its Vietnamese source. Its helpers: numbers
found in the English (``_number_found``), a name's words in the English (``_has_name``, ``_closest``), what of
a Vietnamese name its English must show (``_checked_name``), another given name before a kept family name
(``_replaced_given_name``), and Vietnamese words left untranslated (``_untranslated``)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from ._result import Fact, _problem, _result
from ._text import _nfc, fold, is_vietnamese_word, looks_vietnamese
from .dates import _date_claims_loose, _month_implied
from .facts import extract_facts
from .names import EXONYMS, VI_COMMON, VI_PLACE_CLASSIFIERS, VI_SURNAMES, _is_acronym, shown
from .negation import _translation_negations
from .quotes import _count_quotes

def _number_found(fact: Fact, pool: list[tuple[frozenset, str | None]]) -> tuple[bool, bool]:
    """(found, found with another unit) for a number fact in a pool of (values, unit)."""
    other_unit = False
    for values, unit in pool:
        if fact.values & values:
            if fact.unit is None or unit is None or unit == fact.unit:
                return True, False
            other_unit = True
    return False, other_unit


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
                problems.append(_problem("name", shown(source, fact), "missing"))
            continue
        lost = [w for w in every if not _has_name(english, w)]
        if not lost:
            continue
        near = [n for n in (_closest(w, capitalized) for w in lost) if n]
        if near:  # a misspelt or another similar name in its place
            problems.append(_problem("name", shown(source, fact), "changed", near[0]))
        elif len(every) >= 2 and lost == every[:len(lost)] and len(lost) < len(every):
            other = _replaced_given_name(translation, every[len(lost)], source)
            if other:  # "Peter Murchie" → "Lindqvist Murchie": another name in the given name's place
                problems.append(_problem("name", shown(source, fact), "changed", other))
            continue  # "Brett Kavanaugh" → "Kavanaugh": given names may go, the family name must stay
        else:
            problems.append(_problem("name", shown(source, fact), "missing"))
    src_quotes, out_quotes = src.quotes, _count_quotes(translation)
    if len(src_quotes) > out_quotes:
        for fact in src_quotes[out_quotes:]:
            problems.append(_problem("quote", fact.text, "missing"))
    problems += _translation_negations(source, translation)
    problems += _untranslated(source, translation, src.names)
    return _result(problems)
