"""ROUGE-1 / ROUGE-2 / ROUGE-L for Vietnamese, implemented here (no ``rouge-score``).

Why our own: the widely used ``rouge-score`` package tokenizes with
``re.sub(r"[^a-z0-9]+", " ", text.lower())``. On Vietnamese that deletes every
letter with a diacritic, so ``được`` becomes ``c`` and ``người`` becomes ``ng i``:
words fall apart into shared ASCII fragments and unrelated texts match. The numbers
come out inflated and not comparable with published Vietnamese results.

Our tokenizer (``tokenize``):

* Unicode NFC, lowercase;
* ``_`` (word-segmentation joiner, ``Đà_Nẵng``) is treated as a space, so segmented and
  unsegmented text give the same syllables;
* tokens are runs of letters/digits (syllables with their diacritics kept); punctuation is
  dropped;
* every syllable gets the same tone-mark placement (``normalize_tone``: "new style",
  ``hòa`` -> ``hoà``, ``thủy`` -> ``thuỷ``), applied to both candidate and reference.

Scores: ROUGE-N is clipped n-gram overlap; ROUGE-L is LCS over the whole token sequence
(the ``rougeL`` variant, not the per-sentence ``rougeLsum``). F1 uses beta = 1. All
values are in [0, 1]; callers that report points multiply by 100.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

__all__ = [
    "Score",
    "tokenize",
    "normalize_tone",
    "rouge_n",
    "rouge_l",
    "rouge",
    "rouge_tokens",
    "bootstrap_ci",
    "corpus_rouge",
]

# --------------------------------------------------------------------------- tone marks

_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền sắc hỏi ngã nặng
_VOWELS = set("aăâeêioôơuưy")
_MARKED = set("ăâêôơư")  # vowels carrying a quality mark: the tone goes on them
_TOKEN_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)  # a pure function of one syllable, and syllables repeat: most of tokenize()'s time
def normalize_tone(syllable: str) -> str:
    """Place the tone mark of one lowercase NFC syllable by the "new style" rule.

    Rules: a quality-marked vowel (ă â ê ô ơ ư) takes the tone (in ``ươ`` the ``ơ``);
    otherwise in ``oa``/``oe``/``uy`` and whenever a final consonant follows, the last
    vowel of the nucleus takes it; otherwise (open syllable, 2-3 vowels) the first
    vowel of the nucleus after the ``qu``/``gi`` onset. Anything that is not a plain
    Vietnamese syllable (digits, foreign words, no tone) is returned unchanged.
    """
    if not syllable or syllable.isascii():
        return syllable
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return syllable
    tone = tones[0]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    # nucleus = maximal vowel run (single run expected for a Vietnamese syllable)
    m = re.search(r"[aăâeêioôơuưy]+", base)
    if not m or re.search(r"[aăâeêioôơuưy]", base[m.end():]):
        return syllable
    start, end = m.start(), m.end()
    onset = base[:start]
    # "qu" and "gi": the u / i belong to the onset when another vowel follows
    if onset == "q" and base[start] == "u" and end - start > 1:
        start += 1
    elif onset == "g" and base[start] == "i" and end - start > 1:
        start += 1
    nucleus = base[start:end]
    has_final = end < len(base)
    if len(nucleus) == 1:
        pos = start
    else:
        marked = [i for i, c in enumerate(nucleus) if c in _MARKED]
        if marked:
            pos = start + marked[-1]  # ươ -> ơ; uâ, uê, iê, yê -> the marked one
        elif has_final or nucleus in ("oa", "oe", "uy"):
            pos = start + len(nucleus) - 1
        elif len(nucleus) == 3:
            pos = start + 1  # oai, uya, oay... -> middle
        else:
            pos = start
    out = base[: pos + 1] + tone + base[pos + 1:]
    return unicodedata.normalize("NFC", out)


def tokenize(text: str, tone: bool = True) -> list[str]:
    """Vietnamese-correct ROUGE tokens: NFC, lowercase, ``_`` as space, syllables kept."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text).lower().replace("_", " ")
    toks = _TOKEN_RE.findall(text)
    if tone:
        toks = [normalize_tone(t) for t in toks]
    return toks


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    fmeasure: float

    def as_dict(self) -> dict:
        return {"p": self.precision, "r": self.recall, "f": self.fmeasure}


def _prf(overlap: float, n_cand: int, n_ref: int) -> Score:
    p = overlap / n_cand if n_cand else 0.0
    r = overlap / n_ref if n_ref else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return Score(p, r, f)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def rouge_n(cand: Sequence[str], ref: Sequence[str], n: int) -> Score:
    c, r = _ngrams(cand, n), _ngrams(ref, n)
    overlap = sum((c & r).values())
    return _prf(overlap, sum(c.values()), sum(r.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else (cur[j] if cur[j] > prev[j + 1] else prev[j + 1]))
        prev = cur
    return prev[-1]


def rouge_l(cand: Sequence[str], ref: Sequence[str]) -> Score:
    return _prf(lcs_length(cand, ref), len(cand), len(ref))


def rouge_tokens(cand: Sequence[str], ref: Sequence[str]) -> dict[str, Score]:
    return {"rouge1": rouge_n(cand, ref, 1), "rouge2": rouge_n(cand, ref, 2), "rougeL": rouge_l(cand, ref)}


def rouge(candidate: str, reference: str) -> dict[str, Score]:
    """ROUGE-1/2/L (P, R, F1) of one candidate against one reference string."""
    return rouge_tokens(tokenize(candidate), tokenize(reference))


# --------------------------------------------------------------------------- aggregation


def bootstrap_ci(values: Sequence[float], n_resamples: int = 1000, alpha: float = 0.05,
                 seed: int = 12345) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of per-document ``values`` (resampling documents)."""
    vals = list(values)
    if not vals:
        return (0.0, 0.0)
    if len(vals) == 1:
        return (vals[0], vals[0])
    rng = random.Random(seed)
    n = len(vals)
    means = []
    for _ in range(n_resamples):
        s = 0.0
        for _ in range(n):
            s += vals[rng.randrange(n)]
        means.append(s / n)
    means.sort()
    lo = means[int((alpha / 2) * n_resamples)]
    hi = means[min(n_resamples - 1, int((1 - alpha / 2) * n_resamples))]
    return (lo, hi)


def corpus_rouge(pairs: Iterable[tuple[str, str]], n_resamples: int = 1000, seed: int = 12345) -> dict:
    """Mean ROUGE F1/P/R over (candidate, reference) pairs with bootstrap 95% CIs of the F1 means."""
    per: dict[str, list[Score]] = {"rouge1": [], "rouge2": [], "rougeL": []}
    for cand, ref in pairs:
        for k, v in rouge(cand, ref).items():
            per[k].append(v)
    return aggregate_scores(per, n_resamples=n_resamples, seed=seed)


def aggregate_scores(per: dict[str, list[Score]], n_resamples: int = 1000, seed: int = 12345) -> dict:
    out: dict = {}
    for k, scores in per.items():
        n = len(scores)
        f = [s.fmeasure for s in scores]
        out[k] = {
            "f": sum(f) / n if n else 0.0,
            "p": sum(s.precision for s in scores) / n if n else 0.0,
            "r": sum(s.recall for s in scores) / n if n else 0.0,
            "f_ci95": list(bootstrap_ci(f, n_resamples=n_resamples, seed=seed)),
            "n": n,
        }
    return out
