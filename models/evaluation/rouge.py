"""ROUGE-1 / ROUGE-2 / ROUGE-L for Vietnamese, implemented here (no ``rouge-score``).

Why our own: the widely used ``rouge-score`` package tokenizes with
``re.sub(r"[^a-z0-9]+", " ", text.lower())``. On Vietnamese that deletes every
letter with a diacritic, so ``được`` becomes ``c`` and ``người`` becomes ``ng i``:
words fall apart into shared ASCII fragments and unrelated texts match. The numbers
come out inflated and say little about Vietnamese; published VietNews scores (ViT5's among
them) were computed that way all the same, so ``published_tokenize`` reproduces it for
checking a model against a paper, never as the main number.

Our tokenizer (``tokenize`` = :func:`models.text.syllables.syllables`, shared with the
extractive summarizer):

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

``published_tokenize`` reproduces the ASCII tokenization published VietNews scores were
computed with, only so that those numbers can be checked (see its docstring).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..text.syllables import syllable_tone, syllables

__all__ = [
    "Score",
    "tokenize",
    "normalize_tone",
    "published_tokenize",
    "rouge_n",
    "rouge_l",
    "rouge",
    "rouge_tokens",
    "bootstrap_ci",
    "corpus_rouge",
]

# --------------------------------------------------------------------------- tokens

# The Vietnamese-correct tokenizer lives with the text code (serving uses it too).
normalize_tone = syllable_tone
tokenize = syllables

_NON_ASCII_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def published_tokenize(text: str) -> list[str]:
    """The tokenization behind published VietNews ROUGE (the ``rouge`` scorer's default).

    Lowercase, then every character outside ``[a-z0-9]`` becomes a space: every letter
    with a diacritic vanishes (``Việt`` -> ``vi t``, ``được`` -> ``c``), and so do ``_``
    and punctuation, which makes word-segmented and plain text tokenize the same. No
    Unicode normalization (the published scores had none). Use it only to compare with
    published numbers; :func:`tokenize` is the one that measures Vietnamese.
    """
    return _NON_ASCII_ALNUM_RE.sub(" ", text.lower()).split() if text else []


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
