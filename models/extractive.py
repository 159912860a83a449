"""Extractive summarizer for Vietnamese news (no neural model, no torch).

``ExtractiveSummarizer().summarize(sentences, title=None)`` returns the indices (article
order) of the sentences to keep.

How it scores
-------------
Every sentence is tokenized into syllables (NFC, lowercase, diacritics kept, one tone-mark
placement: ``models.evaluation.rouge.tokenize``) and described by a handful of features:

* position (first sentences one-hot, relative position, log position);
* length (log words, too-short / too-long indicators);
* title overlap: share of the title's content syllables and syllable bigrams found in the
  sentence (Vietnamese stopwords removed) — the strongest single signal on news;
* centrality: TF-IDF cosine (syllable unigrams + bigrams, IDF over the article's
  sentences) to the whole article, and mean similarity to the other sentences
  (degree centrality, i.e. one TextRank step);
* cues: digits, quotes, discourse connectives that make a sentence depend on its
  context ("Tuy nhiên", "Theo đó", ...), a trailing colon, attribution ("cho biết").

A linear model combines them. Its weights were fitted on the VietNews dev split (target:
mean ROUGE-1/2 F1 of the sentence alone vs the reference lead) with
``python -m models.extractive train`` and ship in ``models/extractive_weights.json``; if
that file is missing, hand-set weights (title overlap + centrality + lead bias) are used.

Selection: highest-scoring sentence first, then more sentences by MMR (score minus
redundancy with what is already chosen) while the word budget allows and the sentence's
score is not far below the first one. Junk (captions, bylines, no letters, very short)
is never chosen unless nothing else exists.

Default length: 2 sentences and at most 60 words. VietNews references (publisher leads)
are measured at 37 words on average (median 35; 1.16 sentences); LEAD-2 is 72 words. A
60-word cap keeps two short sentences but stops a second long one; with the "second
sentence only if its score is >= 60% of the first" rule the output averages ~52 words.
On dev (5-fold CV) caps of 50-65 words score within ~0.2 ROUGE points of each other.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Sequence

from models.evaluation.rouge import tokenize

__all__ = ["ExtractiveSummarizer", "FEATURES", "DEFAULT_WEIGHTS", "STOPWORDS", "is_junk_sentence",
           "sentence_features"]

WEIGHTS_PATH = Path(__file__).with_name("extractive_weights.json")

# Vietnamese function syllables (lowercase, NFC, new-style tone placement like tokenize()).
STOPWORDS = frozenset(
    """
    và của là các những được có cho với trong này đã đang sẽ thì mà để một không người khi
    từ theo về như cũng nhiều đến tại vào ra lại rằng nên do bị trên dưới sau trước nếu vì
    nhưng hay hoặc còn rất đó đây ấy nào gì ai mình chúng họ ông bà anh chị em tôi ta nó
    thế vậy nữa chỉ mới vẫn đều cùng lúc thể phải việc cần nhất hơn năm ngày tháng
    qua nay hiện này bởi cả mỗi mọi tới lên xuống đi làm biết cho_biết thêm số
    the of and to in a is
    """.split()
)

# Sentence openers that make a sentence depend on the previous one.
_CONNECTIVES = (
    "tuy nhiên", "theo đó", "ngoài ra", "trong khi đó", "đồng thời", "bên cạnh đó", "sau đó",
    "do đó", "vì vậy", "vì thế", "cũng theo", "trước đó", "tiếp đó", "ngay sau đó", "cụ thể",
    "như vậy", "thế nhưng", "nhưng", "còn", "và", "mặt khác", "hơn nữa", "tại đây", "lúc này",
    "khi đó", "từ đó", "qua đó", "với", "riêng", "đặc biệt",
)
_CONNECTIVES_TOK = tuple(tuple(tokenize(c)) for c in _CONNECTIVES)

FEATURES = [
    "bias", "pos0", "pos1", "pos2", "pos3", "relpos", "logpos",
    "loglen", "short", "long",
    "title_uni", "title_bi", "title_cos",
    "doc_cos", "degree", "tf_mean",
    "digit", "quote", "connective", "colon", "attribution", "question",
    "pos0_title", "doc_cos_title",
    "cap_ratio", "num_ratio", "lead_sim", "len_a", "len_b", "next_sim",
]

# Fallback weights when no fitted file is present (hand-set, sensible order of magnitude).
DEFAULT_WEIGHTS = {
    "bias": 0.0, "pos0": 0.08, "pos1": 0.03, "pos2": 0.015, "relpos": -0.03,
    "title_uni": 0.12, "title_bi": 0.08, "doc_cos": 0.10, "degree": 0.05,
    "short": -0.05, "long": -0.03, "connective": -0.03, "colon": -0.03, "question": -0.02,
}
DEFAULT_SELECTION = {"max_sentences": 2, "max_words": 60, "mmr_lambda": 1.0, "second_ratio": 0.6}

_CAPTION_RE = re.compile(
    r"^\s*(\(?\s*(ảnh|ành|anh|clip|video|nguồn|đồ họa|đồ hoạ|infographic|photo)\s*(minh\s*h[ọo]a\s*)?[:\)]"
    r"|ảnh\s*minh\s*h)"
    r"|\(\s*ảnh\s*:[^)]*\)\s*\.?\s*$"
    r"|[\.\s]ảnh\s*:\s*[^.]{1,40}\.?\s*$",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(r"^\s*(theo\s+[\w\s\.]{1,30}|[A-ZĐ][\w\.]*(\s+[A-ZĐ][\w\.]*){0,4}\s*\(?\w*\)?)\s*\.?\s*$")
_LETTER_RE = re.compile(r"[^\W\d_]")


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def is_junk_sentence(sentence: str) -> bool:
    """Caption, byline, leftover markup, or too short / no letters to be a summary sentence."""
    s = _nfc(sentence).strip()
    if not s or not _LETTER_RE.search(s):
        return True
    words = s.split()
    if len(words) < 5:
        return True
    if _CAPTION_RE.search(s):
        return True
    if len(words) <= 6 and _BYLINE_RE.match(s):
        return True
    if re.search(r"</?\w+[^>]*>|&(nbsp|quot|amp|lt|gt|#\d+);", s):
        return True
    return False


def _ngrams(toks: Sequence[str]) -> Counter:
    c = Counter(t for t in toks if t not in STOPWORDS)
    c.update(a + " " + b for a, b in zip(toks, toks[1:]) if not (a in STOPWORDS and b in STOPWORDS))
    return c


def _cos(a: dict, b: dict, na: float, nb: float) -> float:
    if not na or not nb:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items()) / (na * nb)


def sentence_features(sentences: Sequence[str], title: str | None = None) -> tuple[list[list[float]], list[list[str]]]:
    """Feature rows (order of ``FEATURES``) and token lists for each sentence."""
    toks = [tokenize(s) for s in sentences]
    n = len(sentences)
    grams = [_ngrams(t) for t in toks]
    df: Counter = Counter()
    for g in grams:
        df.update(g.keys())
    idf = {k: math.log((n + 1) / (v + 0.5)) for k, v in df.items()}
    vecs = [{k: v * idf[k] for k, v in g.items()} for g in grams]
    norms = [math.sqrt(sum(x * x for x in v.values())) for v in vecs]
    doc: Counter = Counter()
    for g in grams:
        doc.update(g)
    docv = {k: v * idf[k] for k, v in doc.items()}
    docn = math.sqrt(sum(x * x for x in docv.values()))
    # degree centrality on unigram+bigram tf-idf cosine
    # sum_j cos(i, j) = unit_i . (sum_j unit_j) - 1: exact and linear in n (no pairwise loop)
    deg = [0.0] * n
    if n > 1:
        total: dict[str, float] = {}
        for v, nv in zip(vecs, norms):
            if nv:
                for k, x in v.items():
                    total[k] = total.get(k, 0.0) + x / nv
        for i in range(n):
            if norms[i]:
                dot = sum(x * total[k] for k, x in vecs[i].items()) / norms[i]
                deg[i] = max(0.0, dot - 1.0) / (n - 1)
    ttoks = tokenize(title) if title else []
    tuni = {t for t in ttoks if t not in STOPWORDS}
    tbi = {a + " " + b for a, b in zip(ttoks, ttoks[1:])}
    tvec = {k: idf.get(k, math.log(n + 1)) for k in (tuni | tbi)}
    tnorm = math.sqrt(sum(x * x for x in tvec.values()))
    has_title = 1.0 if tuni else 0.0
    rows = []
    for i, (s, t) in enumerate(zip(sentences, toks)):
        nw = len(t)
        st = set(t)
        sbi = {a + " " + b for a, b in zip(t, t[1:])}
        title_uni = len(tuni & st) / len(tuni) if tuni else 0.0
        title_bi = len(tbi & sbi) / len(tbi) if tbi else 0.0
        title_cos = _cos(tvec, vecs[i], tnorm, norms[i]) if tnorm else 0.0
        doc_cos = _cos(vecs[i], docv, norms[i], docn)
        content = [x for x in t if x not in STOPWORDS]
        tf_mean = (sum(doc[x] for x in content) / len(content) / max(1, n)) if content else 0.0
        tt = tuple(t[:3])
        conn = 1.0 if any(tt[: len(c)] == c for c in _CONNECTIVES_TOK) else 0.0
        raw = s.strip()
        rw = raw.split()
        cap_ratio = (sum(1 for x in rw[1:] if x[:1].isupper()) / (len(rw) - 1)) if len(rw) > 1 else 0.0
        num_ratio = sum(1 for x in t if any(ch.isdigit() for ch in x)) / nw if nw else 0.0
        rows.append([
            1.0, float(i == 0), float(i == 1), float(i == 2), float(i == 3),
            i / max(1, n - 1), math.log1p(i),
            math.log1p(nw), float(nw < 10), float(nw > 45),
            title_uni, title_bi, title_cos,
            doc_cos, deg[i], min(tf_mean, 1.0),
            float(any(ch.isdigit() for ch in raw)),
            float(any(q in raw for q in "\"“”")),
            conn, float(raw.endswith(":")),
            float("cho biết" in " ".join(t) or "nói" in st),
            float(raw.endswith("?")),
            float(i == 0) * title_uni, doc_cos * has_title,
            cap_ratio, num_ratio,
            _cos(vecs[i], vecs[0], norms[i], norms[0]) if i > 0 else 0.0,
            min(nw, 90) / 35.0, (min(nw, 90) / 35.0) ** 2,
            _cos(vecs[i], vecs[i + 1], norms[i], norms[i + 1]) if i + 1 < n else 0.0,
        ])
    return rows, toks


class ExtractiveSummarizer:
    """Vietnamese-aware extractive summarizer. Thread-safe (no mutable state after init)."""

    def __init__(self, weights: dict | str | Path | None = None, max_sentences: int | None = None,
                 max_words: int | None = None):
        sel = dict(DEFAULT_SELECTION)
        if weights is None and WEIGHTS_PATH.exists():
            weights = WEIGHTS_PATH
        if isinstance(weights, (str, Path)):
            weights = json.loads(Path(weights).read_text(encoding="utf-8"))
        if weights and "weights" in weights:
            sel.update(weights.get("selection", {}))
            w = weights["weights"]
            self.source = "learned"
        else:
            w = weights or DEFAULT_WEIGHTS
            self.source = "default" if w is DEFAULT_WEIGHTS else "custom"
        self.weights = [float(w.get(f, 0.0)) for f in FEATURES]
        self.selection = sel
        if max_sentences is not None:
            self.selection["max_sentences"] = max_sentences
        if max_words is not None:
            self.selection["max_words"] = max_words

    # ---------------------------------------------------------------- scoring
    def score(self, sentences: Sequence[str], title: str | None = None) -> list[float]:
        rows, _ = sentence_features(sentences, title)
        return [sum(w * x for w, x in zip(self.weights, r)) for r in rows]

    def summarize(self, sentences: list[str], title: str | None = None, max_sentences: int | None = None,
                  max_words: int | None = None) -> list[int]:
        """Indices (ascending, i.e. article order) of the chosen sentences.

        With neither limit given, the default short summary applies (two sentences, at
        most ~60 words, and a second sentence only when it scores close to the first).
        A caller who asks for a length gets it, as far as the article allows.
        """
        if not sentences or (max_sentences is not None and max_sentences <= 0):
            return []
        asked = max_sentences is not None or max_words is not None
        rows, toks = sentence_features(sentences, title)
        return self.select_prepared(rows, toks, sentences, [is_junk_sentence(s) for s in sentences],
                                    [len(s.split()) for s in sentences], max_sentences, max_words,
                                    ratio=0.0 if asked else None)

    def select_prepared(self, rows, toks, sentences, junk, nwords, max_sentences: int | None = None,
                        max_words: int | None = None, ratio: float | None = None) -> list[int]:
        """The selection step of :meth:`summarize` on features computed beforehand."""
        n = len(sentences)
        max_sentences = self.selection["max_sentences"] if max_sentences is None else max_sentences
        max_words = self.selection["max_words"] if max_words is None else max_words
        if n == 0 or max_sentences <= 0:
            return []
        ratio = float(self.selection.get("second_ratio", 0.6)) if ratio is None else ratio
        scores = [sum(w * x for w, x in zip(self.weights, r)) for r in rows]
        cand = [i for i in range(n) if not junk[i]] or [i for i in range(n) if _LETTER_RE.search(sentences[i])] \
            or list(range(n))
        return self._select(cand, scores, toks, nwords, max_sentences, max_words, ratio)

    def _select(self, cand, scores, toks, nwords, max_sentences, max_words, ratio) -> list[int]:
        lam = float(self.selection.get("mmr_lambda", 0.5))
        order = sorted(cand, key=lambda i: (-scores[i], i))
        first = order[0]
        # If even the best sentence overflows the budget, still return it (never empty).
        chosen = [first]
        used = nwords[first]
        sets = {i: set(toks[i]) for i in cand}
        top = scores[first]
        while len(chosen) < max_sentences:
            best, best_val = None, -1e9
            for i in order:
                if i in chosen or used + nwords[i] > max_words:
                    continue
                if ratio and scores[i] < top - (1.0 - ratio) * abs(top):
                    continue
                red = max(_jacc(sets[i], sets[j]) for j in chosen)
                if red > 0.7:  # near-duplicate (repeated sapo, quoted twice)
                    continue
                val = scores[i] - lam * red * abs(top)
                if val > best_val:
                    best, best_val = i, val
            if best is None:
                break
            chosen.append(best)
            used += nwords[best]
        return sorted(chosen)


def _jacc(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# ---------------------------------------------------------------------------- training

def _article_sentences(rec: dict) -> list[str]:
    return [s for s in rec["article"].split("\n") if s.strip()]


def _prepare(records: Sequence[dict]) -> list[dict]:
    """Per article, once: features, tokens, junk flags, word counts and each sentence's target
    (mean ROUGE-1/2 F1 of the sentence alone vs the reference). Training and every fold and
    repeat of the cross-validation reuse it."""
    from models.evaluation.rouge import rouge_tokens

    out = []
    for rec in records:
        sents = _article_sentences(rec)
        rows, toks = sentence_features(sents, rec.get("title")) if sents else ([], [])
        ref = tokenize(rec["summary"])
        targets = []
        for t in toks:
            sc = rouge_tokens(t, ref)
            targets.append((sc["rouge1"].fmeasure + sc["rouge2"].fmeasure) / 2)
        out.append({"sentences": sents, "rows": rows, "toks": toks, "ref": ref, "targets": targets,
                    "junk": [is_junk_sentence(x) for x in sents], "nwords": [len(x.split()) for x in sents]})
    return out


def build_training_rows(prepared: Sequence[dict]):
    """(features, targets) of every sentence that inference could select (junk never is)."""
    X, y = [], []
    for doc in prepared:
        for row, target, junk in zip(doc["rows"], doc["targets"], doc["junk"]):
            if not junk:
                X.append(row)
                y.append(target)
    return X, y


def fit_ridge(X, y, l2: float = 0.1) -> dict:
    import numpy as np

    A = np.asarray(X, dtype=float)
    b = np.asarray(y, dtype=float)
    reg = l2 * np.eye(A.shape[1])
    reg[0, 0] = 0.0  # no penalty on bias
    w = np.linalg.solve(A.T @ A + reg, A.T @ b)
    return {f: float(round(v, 6)) for f, v in zip(FEATURES, w)}


def _model(prepared: Sequence[dict], l2: float) -> dict:
    X, y = build_training_rows(prepared)
    return {
        "version": 1,
        "features": FEATURES,
        "weights": fit_ridge(X, y, l2),
        "selection": dict(DEFAULT_SELECTION),
        "trained_on": {"records": len(prepared), "sentences": len(X),
                       "target": "mean(ROUGE-1 F1, ROUGE-2 F1) of sentence vs reference", "l2": l2},
    }


def train(records: Sequence[dict], l2: float = 0.1) -> dict:
    return _model(_prepare(records), l2)


def _load_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.extractive")
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="fit sentence-scoring weights on a VietNews-style JSONL")
    tr.add_argument("--data", required=True)
    tr.add_argument("--out", default=str(WEIGHTS_PATH))
    tr.add_argument("--l2", type=float, default=0.1)
    cv = sub.add_parser("cv", help="k-fold cross-validated ROUGE by article")
    cv.add_argument("--data", required=True)
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--l2", type=float, default=0.1)
    cv.add_argument("--repeats", type=int, default=1, help="repeat the k-fold run on differently shuffled splits")
    args = ap.parse_args(argv)
    recs = _load_jsonl(args.data)
    if args.cmd == "train":
        model = train(recs, args.l2)
        Path(args.out).write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out} ({model['trained_on']['sentences']} sentences)")
        return 0
    res = cross_validate(recs, folds=args.folds, l2=args.l2, repeats=args.repeats)
    print(json.dumps(res, indent=1))
    return 0


def cross_validate(records: Sequence[dict], folds: int = 5, l2: float = 0.1, seed: int = 0,
                   selection: dict | None = None, repeats: int = 1) -> dict:
    """k-fold (by article) ROUGE of the learned summarizer: train on k-1 folds, score the held-out fold.

    The aggregate (means with bootstrap intervals) is the split shuffled with ``seed``; with
    ``repeats`` > 1 the whole k-fold run is repeated on splits shuffled with ``seed + 1`` …, and
    ``repeats_f`` lists each run's mean F1 (how much the estimate moves with the split).
    """
    import random

    from models.evaluation.rouge import aggregate_scores, rouge_tokens

    prepared = _prepare(records)
    runs = []
    for r in range(max(1, repeats)):
        idx = list(range(len(records)))
        random.Random(seed + r).shuffle(idx)
        fold_of = {i: k % folds for k, i in enumerate(idx)}
        per: dict[str, list] = {"rouge1": [], "rouge2": [], "rougeL": []}
        words = []
        for f in range(folds):
            model = _model([prepared[i] for i in idx if fold_of[i] != f], l2)
            if selection:
                model["selection"].update(selection)
            summ = ExtractiveSummarizer(model)
            for i in idx:
                if fold_of[i] != f:
                    continue
                doc = prepared[i]
                chosen = summ.select_prepared(doc["rows"], doc["toks"], doc["sentences"], doc["junk"],
                                              doc["nwords"])
                for k, v in rouge_tokens([t for j in chosen for t in doc["toks"][j]], doc["ref"]).items():
                    per[k].append(v)
                words.append(sum(doc["nwords"][j] for j in chosen))
        runs.append((per, words))
    per, words = runs[0]
    out = aggregate_scores(per)
    out["mean_words"] = sum(words) / max(1, len(words))
    out["folds"] = folds
    out["repeats_f"] = [{k: sum(s.fmeasure for s in v) / max(1, len(v)) for k, v in p.items()} for p, _ in runs]
    return out


if __name__ == "__main__":
    sys.exit(main())
