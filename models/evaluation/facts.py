"""How well the fact checks of ``models/faithfulness/`` work, measured without any model weights.

* **False alarms**: human reference translations (NTREX-128 news, IWSLT'15 TED) and human reference
  summaries (VietNews leads against their articles) are faithful; the share the checker flags is its
  false-alarm rate. A naive digit match (every number written in the source must be written the same
  way in the output) is the baseline.
* **Recall**: the same references with one fact changed at a time (a number, a date, a name, a
  negation dropped; seeded, deterministic) must be flagged. Only references the checker passes are
  perturbed, so a flag is the perturbation's doing.

Each set is split by document (``sha1(doc id)``): the **tune** half is the one the rules were written
while looking at; the **held-out** half was only measured. Both are reported, and their union.

``python -m models.evaluation.facts --data-dir ../shared/data`` prints the markdown section;
``faithfulness_section(data_dir)`` returns it (``tomtat eval quality`` puts it in docs/QUALITY.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import time
from collections import Counter
from pathlib import Path

from ..faithfulness import check_summary, check_translation, extract_facts, fold
from ..faithfulness.dates import EN_MONTHS
from ..faithfulness.negation import _polar_phrases, _vi_negations
from ..faithfulness.numbers import EN_NUMBER_WORDS
from ._io import read_jsonl

SEED = 20240722
TRANSLATION_FILES = {"ntrex-128": "translation_ntrex128_news.jsonl", "iwslt15-ted": "translation_iwslt15_ted.jsonl"}
SUMMARY_FILE = "summarization_vietnews.jsonl"
COMMAND = "python -m models.evaluation.facts --data-dir ../shared/data"
KIND_ORDER = ("number", "date", "name", "negation")


def half(doc_id: str) -> str:
    """``tune`` or ``held-out``, by document."""
    return "tune" if hashlib.sha1(doc_id.encode()).digest()[0] % 2 == 0 else "held-out"


def _clean(text: str) -> str:
    return (text or "").replace("\r", "").strip()


def _detok(text: str) -> str:
    """VietNews text is tokenized ("tù , 12 năm ."): put punctuation back against its word."""
    text = re.sub(r"\s+([,.;:!?%)\]”])", r"\1", text)
    text = re.sub(r"([(\[“])\s+", r"\1", text)
    text = re.sub(r'"\s+([^"]*?)\s+"', r'"\1"', text)
    return text


NAIVE_NUMBER_RE = re.compile(r"\d[\d.,]*\d|\d")


def naive_flags(source: str, output: str) -> bool:
    """The baseline: the numbers of source and output, as written, are not the same set."""
    return set(NAIVE_NUMBER_RE.findall(source)) != set(NAIVE_NUMBER_RE.findall(output))


# -- perturbations: one fact of a faithful output changed ------------------------------------------

EN_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]
OTHER_NAMES_EN = ["Hartley", "Okonkwo", "Lindqvist", "Marchetti", "Takahashi", "Dubois", "Kowalski", "Fernandes"]
OTHER_NAMES_VI = ["Trịnh Quang Vinh", "Lạc Thị Hồng", "Đàm Văn Thái", "Khúc Minh Tâm"]


def _change_digits(raw: str, rng: random.Random) -> str:
    digits = [i for i, ch in enumerate(raw) if ch.isdigit()]
    i = rng.choice(digits)
    new = str((int(raw[i]) + rng.randint(1, 8)) % 10)
    if i == digits[0] and new == "0":
        new = "9" if raw[i] != "9" else "8"
    return raw[:i] + new + raw[i + 1:]


def perturb_number(text: str, rng: random.Random, lang: str) -> str | None:
    """A number changed: another digit, or another scale word."""
    # a number a reader reads as a quantity: not a piece of a date, a clock time or a document code (the
    # date kind changes those), nor a count changed to a lone "0"
    facts = extract_facts(text, lang)
    taken = [(f.start, f.start + len(f.text)) for f in facts.dates + [n for n in facts.numbers if n.unit == "code"]]
    numbers = [m for m in re.finditer(r"(?<![\w.,])\d+(?:[.,]\d+)*", text)
               if not any(a <= m.start() < b for a, b in taken)]
    if not numbers:
        return None
    m = rng.choice(numbers)
    scales = (("million", "billion"), ("billion", "million"), ("thousand", "million")) if lang == "en" else \
        (("triệu", "tỷ"), ("tỷ", "triệu"), ("nghìn", "triệu"))
    after = text[m.end():m.end() + 12]
    for old, new in scales:
        if after.lstrip().startswith(old) and rng.random() < 0.5:
            i = m.end() + after.index(old)
            return text[:i] + new + text[i + len(old):]
    if re.search(r"(?:gần|hơn|khoảng|trên|dưới|chừng|about|around|nearly|almost|over|more than|some)\s*$",
                 text[max(0, m.start() - 12):m.start()], flags=re.I):
        # a rounded number ("hơn 70" for 73) is changed in its first digit: a change a reader calls wrong
        first = next(i for i, ch in enumerate(m.group()) if ch.isdigit())
        raw = m.group()
        new = str(int(raw[first]) % 9 + 1 if int(raw[first]) < 5 else int(raw[first]) - 3)
        return text[:m.start()] + raw[:first] + new + raw[first + 1:] + text[m.end():]
    return text[:m.start()] + _change_digits(m.group(), rng) + text[m.end():]


def perturb_date(text: str, rng: random.Random, lang: str) -> str | None:
    """A date changed: another month, or another day."""
    if lang == "en":
        months = list(re.finditer(r"\b(" + "|".join(EN_MONTH_NAMES) + r")\b", text))
        months = [m for m in months if m.group() != "May"]
        if months:
            m = rng.choice(months)
            other = rng.choice([x for x in EN_MONTH_NAMES if x not in (m.group(), "May")])
            return text[:m.start()] + other + text[m.end():]
        days = list(re.finditer(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", text))
        if days:
            m = rng.choice(days)
            other = rng.choice([d for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                            "Sunday") if d != m.group()])
            return text[:m.start()] + other + text[m.end():]
        return None
    dates = [f for f in extract_facts(text, "vi").dates]
    dates = [f for f in dates if re.search(r"\d", f.text)]
    if not dates:
        return None
    fact = rng.choice(dates)
    start = text.find(fact.text)
    if start < 0:
        return None
    numbers = list(re.finditer(r"\d+", fact.text))
    m = rng.choice(numbers)
    value = int(m.group())
    if len(m.group()) == 4:
        new = str(value + rng.choice([-2, -1, 1, 2]))
    else:
        limit = 12 if re.search(r"tháng\s*$|/$", fact.text[:m.start()]) or (m.start() > 0 and fact.text[m.start() - 1] == "/") else 28
        new = str((value - 1 + rng.randint(1, limit - 1)) % limit + 1)
    changed = fact.text[:m.start()] + new + fact.text[m.end():]
    return text[:start] + changed + text[start + len(fact.text):]


def perturb_name(text: str, rng: random.Random, lang: str, source: str) -> str | None:
    """A name changed: one of its words replaced by another name, or misspelt."""
    if lang == "en":
        folded_source = set(re.findall(r"[^\W_]+", fold(source)))
        tokens = [m for m in re.finditer(r"(?<=[\w,;] )[A-Z][a-z]{3,}\b", text)
                  if fold(m.group()) in folded_source and fold(m.group()) not in EN_MONTHS
                  and m.group().lower() not in EN_NUMBER_WORDS
                  and m.group() not in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")]
        if not tokens:
            return None
        m = rng.choice(tokens)
        word = m.group()
        if rng.random() < 0.5:
            new = rng.choice([n for n in OTHER_NAMES_EN if n != word])
        else:
            i = rng.randrange(1, len(word) - 1)
            new = word[:i] + word[i + 1] + word[i] + word[i + 2:] if word[i] != word[i + 1] else word[:i] + word[i + 1:]
        return text[:m.start()] + new + text[m.end():]
    names = [f for f in extract_facts(text, "vi").names if len(f.text.split()) >= 2]
    if not names:
        return None
    fact = rng.choice(names)
    start = text.find(fact.text)
    words = fact.text.split()
    i = rng.randrange(len(words))
    replacement = rng.choice([w for n in OTHER_NAMES_VI for w in n.split() if fold(w) not in fold(source)])
    words[i] = replacement
    return text[:start] + " ".join(words) + text[start + len(fact.text):]


EN_NEGATION_DROPS = [
    (r"\bcannot\b", "can"), (r"\bcan't\b", "can"), (r"\bwon't\b", "will"), (r"\b(\w+)n't\b", r"\1"),
    (r"\bnot\s+", ""), (r"\bnever\b", "always"), (r"\bno longer\b", "still"), (r"\bno one\b", "someone"),
    (r"\bno way\b", "a way"), (r"\bwithout fail\b", "without fail"), (r"\bno\b", "some"),
    (r"\bnothing\b", "something"), (r"\bnobody\b", "somebody"), (r"\bneither\b", "either"),
    (r"\bwithout\b", "with"),
]


def perturb_negation(text: str, rng: random.Random, lang: str, source: str | None = None) -> str | None:
    """A negation dropped: English "not"/"n't"/"never"/"no" …; Vietnamese "không"/"chưa"/"chẳng"."""
    if lang == "en":
        spots = []
        for pattern, repl in EN_NEGATION_DROPS:
            for m in re.finditer(pattern, text, flags=re.I):
                if not any(m.start() < e and s < m.end() for s, e, _ in spots):
                    spots.append((m.start(), m.end(), m.expand(repl)))
        spots = [spot for spot in spots if text[spot[0]:spot[1]] != spot[2]  # "without fail" is no negation
                 and not re.search(r"\bor\s+$", text[max(0, spot[0] - 4):spot[0]], flags=re.I)]  # nor "or not"
        if not spots:
            return None
        s, e, repl = rng.choice(sorted(spots))
        return re.sub(r"\s{2,}", " ", text[:s] + repl + text[e:])
    negations = _vi_negations(text)
    if source is not None:  # a summary: only a negation of a phrase the article negates too is a fact to keep
        in_article = _polar_phrases(source)[0]
        starts = [start for phrase, negated, start in _polar_phrases(text)[2] if negated and phrase in in_article]
        negations = [(pos, w) for pos, w in negations if any(0 < s - pos <= 25 for s in starts)]
    if not negations:
        return None
    pos, _ = rng.choice(negations)
    m = re.match(r"(không phải|không hề|chưa hề|chẳng hề|không|chưa|chẳng|chả|đừng|chớ)\s*", text[pos:], flags=re.I)
    if not m:
        return None
    if re.match(r"thể\b", text[pos + m.end():]):
        return text[:pos] + "có " + text[pos + m.end():]  # "không thể" is "có thể" without its negation, not "thể"
    return text[:pos] + text[pos + m.end():]


PERTURB = {"number": perturb_number, "date": perturb_date, "negation": perturb_negation}


def _perturb(kind: str, text: str, rng: random.Random, lang: str, source: str) -> str | None:
    if kind == "name":
        return perturb_name(text, rng, lang, source)
    if kind == "negation":
        return perturb_negation(text, rng, lang, source if lang == "vi" else None)
    return PERTURB[kind](text, rng, lang)


# -- measurement ----------------------------------------------------------------------------------

def _rate(flags: list[bool]) -> str:
    return f"{100 * sum(flags) / len(flags):.1f}% ({sum(flags)}/{len(flags)})" if flags else "–"


def measure_pairs(pairs: list[tuple[str, str, str]], check, lang: str, seed: int = SEED) -> dict:
    """``pairs``: (half, source, output). False alarms per half, the kinds that fired, recall per kind."""
    flagged: dict[str, list[bool]] = {"tune": [], "held-out": []}
    naive: dict[str, list[bool]] = {"tune": [], "held-out": []}
    kinds: Counter = Counter()
    recall: dict[str, dict[str, list[bool]]] = {k: {"tune": [], "held-out": []} for k in KIND_ORDER}
    recall_kind: dict[str, list[bool]] = {k: [] for k in KIND_ORDER}
    timings: list[float] = []
    for index, (part, source, output) in enumerate(pairs):
        started = time.perf_counter()
        result = check(source, output)
        timings.append(time.perf_counter() - started)
        flagged[part].append(not result["ok"])
        naive[part].append(naive_flags(source, output))
        for problem in result["problems"]:
            kinds[problem["kind"]] += 1
        if not result["ok"]:
            continue
        for kind in KIND_ORDER:
            rng = random.Random(f"{seed}:{index}:{kind}")
            changed = _perturb(kind, output, rng, lang, source)
            if changed is None or changed == output:
                continue
            if kind == "negation" and lang == "en" and not _vi_negations(source):
                continue  # an English negation the source does not have is no fact to carry
            after = check(source, changed)
            recall[kind][part].append(not after["ok"])
            recall_kind[kind].append(any(p["kind"] == kind for p in after["problems"]))
    timings.sort()
    return {"flagged": flagged, "naive": naive, "kinds": kinds, "recall": recall, "recall_kind": recall_kind,
            "ms_median": 1000 * timings[len(timings) // 2] if timings else 0.0,
            "ms_p99": 1000 * timings[int(len(timings) * 0.99)] if timings else 0.0}


def _truly_absent(problem: dict, article: str) -> bool:
    """A looser, independent test of one flagged summary fact, by the letter of the article: a number none of
    whose digit strings the article writes (separators ignored), a date with a number the article lacks, a name
    with a word (no diacritics) the article lacks, a quotation with most words missing. A flag that passes this
    test is *truly absent*; one that fails it may be the checker's error (a fact the article states in another
    form), and is counted as such."""
    text, kind = problem["text"], problem["kind"]
    digits = set(re.sub(r"[.,]", "", d) for d in re.findall(r"\d[\d.,]*\d|\d", article))
    words = set(re.findall(r"[^\W_]+", fold(article)))
    if kind == "number":
        wanted = [re.sub(r"[.,]", "", d) for d in re.findall(r"\d[\d.,]*\d|\d", text)]
        return bool(wanted) and not any(w in digits or w.rstrip("0") in {d.rstrip("0") for d in digits} for w in wanted)
    if kind == "date":
        wanted = re.findall(r"\d+", text)
        return bool(wanted) and any(w.lstrip("0") not in {d.lstrip("0") for d in digits} for w in wanted)
    if kind in ("name", "quote"):
        wanted = re.findall(r"[^\W_]+", fold(text))
        missing = sum(w not in words for w in wanted)
        return missing >= 1 if kind == "name" else missing > len(wanted) / 2
    return False  # a negation flag is counted against the checker


def audit_summaries(pairs: list[tuple[str, str, str]]) -> dict:
    """Flagged reference leads split into *fact truly absent from the article* (one flagged fact at least
    passes :func:`_truly_absent`) and *checker error* (every flag is of a fact the article writes in some
    form), per half."""
    out = {part: {"pairs": 0, "absent": 0, "error": 0} for part in ("tune", "held-out")}
    for part, source, output in pairs:
        out[part]["pairs"] += 1
        result = check_summary(source, output)
        if result["ok"]:
            continue
        if any(_truly_absent(p, source) for p in result["problems"]):
            out[part]["absent"] += 1
        else:
            out[part]["error"] += 1
    return out


def translation_pairs(path: Path) -> list[tuple[str, str, str]]:
    rows = read_jsonl(path)
    return [(half(str(r.get("doc_id") or r["id"])), _clean(r["vi"]), _clean(r["en"])) for r in rows]


AUDIT_FILE = Path(__file__).with_name("vietnews_lead_audit.json")


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a share k/n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def hand_audit(rows_by_id: dict[str, tuple[str, str]]) -> dict | None:
    """The hand audit of ``AUDIT_FILE`` against the checker as it is now: leads with a flag judged correct,
    the false alarms and how many of them still fire. ``rows_by_id``: id -> (article, lead)."""
    if not AUDIT_FILE.exists():
        return None
    audit = json.loads(AUDIT_FILE.read_text(encoding="utf-8"))
    flags = [f for f in audit["flags"] if f["id"] in rows_by_id]
    if not flags:
        return None
    cases = {f["id"] for f in flags}
    absent = {f["id"] for f in flags if f["label"] == "correct"}
    alarms = [f for f in flags if f["label"] == "false-alarm"]
    fixed = 0
    for f in alarms:
        problems = check_summary(*rows_by_id[f["id"]])["problems"]
        # a flag's text may be shown longer now ("Sở Y" as "Sở Y tế"): the same flag still
        fixed += not any(p["kind"] == f["kind"] and p["text"].startswith(f["text"]) for p in problems)
    kinds = Counter(f["kind"] for f in alarms)
    return {"cases": len(cases), "absent": len(absent), "flags": len(flags), "false_alarms": len(alarms),
            "false_alarm_kinds": [f"{kind} {n}" for kind, n in kinds.most_common()], "fixed": fixed,
            "flagged_then": audit["flagged_then"], "leads": audit["leads"]}


def summary_pairs(path: Path) -> list[tuple[str, str, str]]:
    rows = read_jsonl(path)
    return [(half(str(r["id"])), _detok("\n\n".join(x for x in (r.get("title"), r["article"], r.get("captions")) if x)),
             _detok(r["summary"])) for r in rows]


def measure(data_dir: Path) -> dict:
    data_dir = Path(data_dir)
    out = {}
    for name, file in TRANSLATION_FILES.items():
        if (data_dir / file).exists():
            out[name] = measure_pairs(translation_pairs(data_dir / file), check_translation, "en")
    if (data_dir / SUMMARY_FILE).exists():
        pairs = summary_pairs(data_dir / SUMMARY_FILE)
        out["vietnews"] = measure_pairs(pairs, check_summary, "vi")
        out["vietnews"]["audit"] = audit_summaries(pairs)
        rows = read_jsonl(data_dir / SUMMARY_FILE)
        out["vietnews"]["hand_audit"] = hand_audit({str(r["id"]): (source, lead)
                                                    for r, (_, source, lead) in zip(rows, pairs)})
    return out


def _all(parts: dict[str, list[bool]]) -> list[bool]:
    return parts["tune"] + parts["held-out"]


def faithfulness_section(data_dir: Path) -> str:
    """The markdown section of docs/QUALITY.md on the fact checks (tables and the command)."""
    results = measure(Path(data_dir))
    lines = ["## Fact checks (`checks`)", "",
             "Every neural output is checked against its source (`models/faithfulness/`); these numbers need no "
             "model weights. References are human work, hence faithful: the share flagged is the false-alarm rate. "
             "Sets are split by document (sha1 of the id). The rules were first written looking at the *tune* "
             "half only; since the hand audit below (drawn from every flagged lead) false alarms and misses of "
             "both halves have been read, so *held-out* is no longer untouched: the two halves agreeing is what "
             "is left of that check.",
             "", f"Command: `{COMMAND}`", "",
             "### False alarms on human references", "",
             "| set | pairs | flagged: tune | flagged: held-out | flagged: all | naive digit match: all | median ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    labels = {"ntrex-128": "NTREX-128 news (vi→en translation)", "iwslt15-ted": "IWSLT'15 TED (vi→en translation)",
              "vietnews": "VietNews lead vs article (summary)"}
    for name, r in results.items():
        n = len(_all(r["flagged"]))
        lines.append(f"| {labels[name]} | {n} | {_rate(r['flagged']['tune'])} | {_rate(r['flagged']['held-out'])} | "
                     f"{_rate(_all(r['flagged']))} | {_rate(_all(r['naive']))} | {r['ms_median']:.2f} | "
                     f"{r['ms_p99']:.2f} |")
    lines += ["", "Naive digit match: the digit strings of source and reference, as written (`\\d[\\d.,]*\\d`: "
              "\"1.500\" and \"1,500\" differ), must be the same set; the pair is flagged otherwise. (Counting every "
              "`[\\d.,]+` token, lone commas and full stops included, flags 21% of NTREX: that variant mostly measures "
              "punctuation.) Problems that fired on the references, by kind: " +
              "; ".join(f"{labels[n].split(' (')[0]}: " + (", ".join(f"{k} {c}" for k, c in r["kinds"].most_common())
                                                           or "none") for n, r in results.items()) + ".",
              ""]
    if "vietnews" in results:
        audit = results["vietnews"]["audit"]

        def share(key: str, part: str | None = None) -> str:
            parts = [part] if part else ["tune", "held-out"]
            k = sum(audit[p][key] for p in parts)
            n = sum(audit[p]["pairs"] for p in parts)
            return f"{100 * k / n:.1f}% ({k}/{n})"

        lines += ["VietNews leads are written by the newspaper's editors, often with facts the article body does not "
                  "state (an age from a birth year, a count the editor added, a province named only in the lead). "
                  "Each flagged lead is sorted by a looser test by the letter of the article (a flagged number none "
                  "of whose digit strings the article writes, a date with a number it lacks, a name with a word it "
                  "lacks, a quotation mostly missing; negation flags counted against the checker): *fact truly "
                  "absent* when one flag passes it, *checker error* otherwise (a fact the article states in another "
                  "form, or one the looser test cannot tell).", "",
                  "| VietNews leads | tune | held-out | all |", "|---|---:|---:|---:|",
                  f"| flagged, a fact truly absent from the article | {share('absent', 'tune')} | "
                  f"{share('absent', 'held-out')} | {share('absent')} |",
                  f"| flagged, checker error | {share('error', 'tune')} | {share('error', 'held-out')} | "
                  f"{share('error')} |", ""]
        hand = results["vietnews"].get("hand_audit")
        if hand:
            lo, hi = _wilson(hand["absent"], hand["cases"])
            flagged = hand["flagged_then"] / hand["leads"]
            lines += [f"A hand audit reads every flag of {hand['cases']} flagged leads drawn at random against the "
                      f"whole article (`{AUDIT_FILE.relative_to(AUDIT_FILE.parents[2])}`: each flag, its label and "
                      f"the article's words): {hand['absent']} of {hand['cases']} leads "
                      f"({100 * hand['absent'] / hand['cases']:.0f}%, 95% interval {100 * lo:.0f}–{100 * hi:.0f}%) "
                      f"state a fact their article does not (an age with no birth year or no year of the events, a "
                      f"province the article never names, a venue, a co-organizer, a count, a date); "
                      f"{hand['false_alarms']} of its {hand['flags']} flags were false alarms "
                      f"({', '.join(hand['false_alarm_kinds'])}), {hand['fixed']} of which no longer fire. "
                      f"With {100 * flagged:.1f}% of leads flagged when it was drawn, "
                      f"{100 * flagged * lo:.0f}–{100 * flagged * hi:.0f}% of all VietNews leads state a fact their "
                      f"article lacks. A checker that flags at most 10% of the leads would have to pass leads that do, "
                      f"against the rule it enforces (a summary must not state a fact its article lacks) and its "
                      f"recall on changed facts (below): the 10% goal is not met for that reason.", ""]
    lines += ["### Recall on references with one fact changed", "",
              "One perturbation per reference and kind (seeded: the same every run), of references the checker "
              "passes: translations get a number, a month or weekday, a name carried from the source, or a negation "
              "changed in the English (the \"not\" of \"whether or not\", no negation, is never dropped); summaries get a "
              "number, a date, a name or a dropped \"không\"/\"chưa\" in the Vietnamese (\"không thể\" becomes "
              "\"có thể\", the un-negated Vietnamese, not a bare \"thể\"). *Flagged* counts any problem; *as that kind* counts a problem of the kind perturbed.", "",
              "| set | kind | perturbed | flagged: tune | flagged: held-out | flagged: all | as that kind |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        for kind in KIND_ORDER:
            parts = r["recall"][kind]
            n = len(_all(parts))
            if not n:
                continue
            lines.append(f"| {labels[name].split(' (')[0]} | {kind} | {n} | {_rate(parts['tune'])} | "
                         f"{_rate(parts['held-out'])} | {_rate(_all(parts))} | {_rate(r['recall_kind'][kind])} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data", type=Path)
    args = parser.parse_args(argv)
    print(faithfulness_section(args.data_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
