"""Extractive summarizer for Vietnamese news (no neural model, no torch): serving only.

``ExtractiveSummarizer().summarize(sentences, title=None)`` returns the indices (article
order) of the sentences to keep.

How it scores
-------------
Every sentence is tokenized into syllables (``models.text.syllables``: NFC, lowercase,
diacritics kept, one tone-mark placement) and described by the features in ``FEATURES``:

* position: first sentences one-hot, index among the sentences that can be chosen (captions
  and bylines skipped), relative position in sentences and in words;
* length: words, share of the article's words;
* title overlap: share of the title's content syllables and bigrams in the sentence, share
  of the sentence's content syllables in the title, TF-IDF cosine to the title;
* centrality: TF-IDF cosine (syllable unigrams + bigrams, IDF over the article's sentences)
  to the whole article, mean and max similarity to the other sentences (degree centrality;
  the max is also the sentence's redundancy), similarity to the first, previous and next
  sentences; each of title / article / degree also relative to the article's best, and its
  rank in the article;
* cues: digits, quotes, a leading time or date ("Chiều 22/7"), discourse connectives that
  make a sentence lean on its context ("Tuy nhiên", "Theo đó"), a trailing colon, a
  question, attribution ("cho biết"), capitalised and numeric token shares;
* article: number of sentences and words, whether there is a title.

A model combines them. The shipped one (``models/extractive_model.json``) is an ensemble of
regression trees (gradient boosting, LightGBM) fitted on 29,769 VietNews *training*
articles to predict each sentence's ROUGE against the reference lead; serving walks the
trees with numpy (the file holds plain arrays; LightGBM is needed to fit, not to serve).
Fitting and its evaluation live in ``models/evaluation/extractive_fit.py``
(``python -m models.evaluation.extractive_fit``). Without the file, hand-set linear weights
(title overlap + centrality + lead bias) are used; a dict of weights can be passed too.

Selection, default summary (no length asked): a second stage scores candidate summaries
whole — each of the 7 best-scored sentences (``top_k`` in the model file) alone and every pair of them within the word
budget (``max_words`` in the model file) that is not a near-duplicate — from their sentence
scores, ranks, positions, lengths, redundancy, joint title coverage and a few sentence features of
each of its sentences (``CANDIDATE_FEATURES``;
trees fitted to the candidate's own ROUGE), and returns the best one. So it decides between
one sentence and two from the pair itself. VietNews references (publisher leads) average 37
words.

Selection, length asked (``max_sentences`` / ``max_words``), or a model without the second
stage: highest-scoring sentence first, then more sentences by MMR (score minus redundancy
with what is already chosen) while the budget allows. Junk (captions, bylines, no letters,
very short) is never chosen unless nothing else exists.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from models.text.syllables import syllables

__all__ = ["ExtractiveSummarizer", "FEATURES", "CANDIDATE_FEATURES", "PAIR_SENTENCE_FEATURES", "candidate_summaries", "DEFAULT_WEIGHTS", "MODEL_PATH", "STOPWORDS", "is_junk_sentence", "junk_flags",
           "sentence_features", "Trees"]

MODEL_PATH = Path(__file__).with_name("extractive_model.json")

# Vietnamese function syllables (lowercase, NFC, new-style tone placement like syllables()).
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
_CONNECTIVES_TOK = tuple(tuple(syllables(c)) for c in _CONNECTIVES)
# A news lead often opens with when: "Chiều 22/7", "Sáng nay", "Ngày 3/5", "Rạng sáng qua".
_TIME_OPENERS = frozenset(syllables("sáng trưa chiều tối đêm rạng ngày hôm khuya đầu cuối"))
_DATE_RE = re.compile(r"\b\d{1,2}/\d{1,2}\b")

FEATURES = [
    "bias", "pos0", "pos1", "pos2", "pos3", "relpos", "logpos",
    "loglen", "short", "long",
    "title_uni", "title_bi", "title_cos",
    "doc_cos", "degree", "tf_mean",
    "digit", "quote", "connective", "colon", "attribution", "question",
    "pos0_title", "doc_cos_title",
    "cap_ratio", "num_ratio", "lead_sim", "len_a", "len_b", "next_sim",
    # added with the tree model
    "prev_sim", "max_sim", "title_prec",
    "title_cos_rel", "doc_cos_rel", "degree_rel", "title_rank", "doc_rank", "degree_rank",
    "real_pos", "real_pos0", "word_pos", "word_share", "time_lead",
    "log_n", "log_doc_words", "has_title",
]

# Fallback weights when no model file is present (hand-set, sensible order of magnitude).
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


def _word_key(s: str) -> list[str]:
    return re.findall(r"\w+", _nfc(s).casefold())


def junk_flags(sentences: Sequence[str], title: str | None = None) -> list[bool]:
    """Per sentence, whether it may never be chosen: :func:`is_junk_sentence`, or the title
    repeated word for word (a summary that only repeats the headline tells nothing)."""
    tkey = _word_key(title) if title else None
    return [is_junk_sentence(s) or (bool(tkey) and _word_key(s) == tkey) for s in sentences]


def _grams(toks: Sequence[str]) -> Counter:
    c = Counter(t for t in toks if t not in STOPWORDS)
    c.update(a + " " + b for a, b in zip(toks, toks[1:]) if not (a in STOPWORDS and b in STOPWORDS))
    return c


def _rank_desc(v: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next…; ties share the order of appearance."""
    r = np.empty(len(v))
    r[np.argsort(-v, kind="stable")] = np.arange(len(v))
    return r


def _rel(v: np.ndarray) -> np.ndarray:
    m = v.max() if len(v) else 0.0
    return v / m if m > 0 else np.zeros_like(v)


def sentence_features(sentences: Sequence[str], title: str | None = None,
                      junk: Sequence[bool] | None = None) -> tuple[np.ndarray, list[list[str]]]:
    """Feature matrix (one row per sentence, columns in ``FEATURES`` order) and the sentences' syllables."""
    n = len(sentences)
    toks = [syllables(s) for s in sentences]
    if n == 0:
        return np.zeros((0, len(FEATURES))), toks
    if junk is None:
        junk = junk_flags(sentences, title)
    grams = [_grams(t) for t in toks]
    vocab: dict[str, int] = {}
    for g in grams:
        for k in g:
            vocab.setdefault(k, len(vocab))
    V = max(1, len(vocab))
    tf = np.zeros((n, V))
    for i, g in enumerate(grams):
        if g:
            tf[i, [vocab[k] for k in g]] = list(g.values())
    df = (tf > 0).sum(0)
    idf = np.log((n + 1) / (df + 0.5))
    w = tf * idf
    norms = np.sqrt((w * w).sum(1))
    unit = w / np.where(norms > 0, norms, 1.0)[:, None]
    sim = unit @ unit.T  # cosine between sentences (0 for an empty one)
    docv = w.sum(0)
    docn = math.sqrt(float(docv @ docv))
    doc_cos = unit @ docv / docn if docn else np.zeros(n)
    if n > 1:
        off = sim - np.diag(np.diag(sim))
        degree = np.clip(off.sum(1), 0.0, None) / (n - 1)
        max_sim = off.max(1)
    else:
        degree = max_sim = np.zeros(n)
    ttoks = syllables(title) if title else []
    tuni = {t for t in ttoks if t not in STOPWORDS}
    tbi = {a + " " + b for a, b in zip(ttoks, ttoks[1:])}
    tgrams = tuni | tbi
    if tgrams:
        tvec = np.zeros(V)
        unseen = math.log(n + 1)
        tnorm2 = 0.0
        for k in tgrams:
            j = vocab.get(k)
            x = idf[j] if j is not None else unseen
            tnorm2 += x * x
            if j is not None:
                tvec[j] = x
        title_cos = unit @ tvec / math.sqrt(tnorm2)
    else:
        title_cos = np.zeros(n)
    has_title = 1.0 if tuni else 0.0
    nwords = [len(t) for t in toks]
    total_words = max(1, sum(nwords))
    counts: Counter = Counter()
    for g in grams:
        counts.update(g)
    title_cos_rel, doc_cos_rel, degree_rel = _rel(title_cos), _rel(doc_cos), _rel(degree)
    title_rank, doc_rank, degree_rank = _rank_desc(title_cos), _rank_desc(doc_cos), _rank_desc(degree)
    rows = np.zeros((n, len(FEATURES)))
    real = 0
    before = 0
    for i, (s, t) in enumerate(zip(sentences, toks)):
        nw = nwords[i]
        st = set(t)
        sbi = {a + " " + b for a, b in zip(t, t[1:])}
        content = [x for x in t if x not in STOPWORDS]
        title_uni = len(tuni & st) / len(tuni) if tuni else 0.0
        title_bi = len(tbi & sbi) / len(tbi) if tbi else 0.0
        title_prec = (sum(1 for x in content if x in tuni) / len(content)) if content and tuni else 0.0
        tf_mean = (sum(counts[x] for x in content) / len(content) / n) if content else 0.0
        tt = tuple(t[:3])
        conn = 1.0 if any(tt[: len(c)] == c for c in _CONNECTIVES_TOK) else 0.0
        raw = s.strip()
        rw = raw.split()
        cap_ratio = (sum(1 for x in rw[1:] if x[:1].isupper()) / (len(rw) - 1)) if len(rw) > 1 else 0.0
        num_ratio = sum(1 for x in t if any(ch.isdigit() for ch in x)) / nw if nw else 0.0
        time_lead = float(bool(t) and (t[0] in _TIME_OPENERS or bool(_DATE_RE.search(" ".join(rw[:6])))))
        rows[i] = (
            1.0, float(i == 0), float(i == 1), float(i == 2), float(i == 3),
            i / max(1, n - 1), math.log1p(i),
            math.log1p(nw), float(nw < 10), float(nw > 45),
            title_uni, title_bi, title_cos[i],
            doc_cos[i], degree[i], min(tf_mean, 1.0),
            float(any(ch.isdigit() for ch in raw)),
            float(any(q in raw for q in "\"“”")),
            conn, float(raw.endswith(":")),
            float("cho biết" in " ".join(t) or "nói" in st),
            float(raw.endswith("?")),
            float(i == 0) * title_uni, doc_cos[i] * has_title,
            cap_ratio, num_ratio,
            sim[i, 0] if i > 0 else 0.0,
            min(nw, 90) / 35.0, (min(nw, 90) / 35.0) ** 2,
            sim[i, i + 1] if i + 1 < n else 0.0,
            sim[i, i - 1] if i > 0 else 0.0, max_sim[i], title_prec,
            title_cos_rel[i], doc_cos_rel[i], degree_rel[i],
            min(title_rank[i], 10.0), min(doc_rank[i], 10.0), min(degree_rank[i], 10.0),
            min(real, 10) if not junk[i] else 10.0, float(real == 0 and not junk[i]),
            before / total_words, nw / total_words, time_lead,
            math.log1p(n), math.log1p(total_words), has_title,
        )
        before += nw
        if not junk[i]:
            real += 1
    return rows, toks


class Trees:
    """A sum of regression trees held as flat arrays and walked with numpy, all trees at once.

    Node ``k``: ``feature[k]``, ``threshold[k]``: go to ``left[k]`` when ``x[feature] <= threshold``
    else ``right[k]``; a leaf points to itself on both sides and holds ``value[k]``.
    """

    def __init__(self, spec: dict):
        self.feature = np.asarray(spec["feature"], dtype=np.intp)
        self.threshold = np.asarray(spec["threshold"], dtype=np.float64)
        self.left = np.asarray(spec["left"], dtype=np.intp)
        self.right = np.asarray(spec["right"], dtype=np.intp)
        self.value = np.asarray(spec["value"], dtype=np.float64)
        self.roots = np.asarray(spec["roots"], dtype=np.intp)
        self.depth = int(spec["depth"])
        self.rerank: Trees | None = None  # the second stage, when the model has one
        self.rerank_top_k = RERANK_TOP_K
        self.base = float(spec.get("base", 0.0))
        self.columns = np.asarray(spec["columns"], dtype=np.intp)  # model feature j = FEATURES[columns[j]]

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X[:, self.columns])
        n = X.shape[0]
        if n == 0:
            return np.zeros(0)
        node = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            go_left = X[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node].sum(1) + self.base


# Second stage: the candidate summaries (one or two of the best-scored sentences) are scored as wholes.
CANDIDATE_FEATURES = [
    "k", "words", "log_words", "words_a", "words_b",
    "s_a", "s_b", "s_max", "s_min", "s_sum", "s_top", "s_top_gap",
    "rank_a", "rank_b", "pos_a", "pos_b", "pos_gap", "has_lead",
    "red", "title_cov", "title_cov_gain", "log_n", "has_title",
]
# Sentence features (``FEATURES``) of the candidate's first and second sentence (-1 for a single), so the
# second stage sees more than the two sentence scores.
PAIR_SENTENCE_FEATURES = ["title_uni", "title_bi", "title_cos", "doc_cos", "degree", "max_sim", "connective",
                          "time_lead", "real_pos", "quote", "attribution"]
CANDIDATE_FEATURES += [f"a_{f}" for f in PAIR_SENTENCE_FEATURES] + [f"b_{f}" for f in PAIR_SENTENCE_FEATURES]
_PAIR_COLS = [FEATURES.index(f) for f in PAIR_SENTENCE_FEATURES]
RERANK_TOP_K = 7


def candidate_summaries(scores: Sequence[float], toks: Sequence[Sequence[str]], nwords: Sequence[int],
                        cand: Sequence[int], title: str | None, max_words: int,
                        top_k: int = RERANK_TOP_K, *, rows: np.ndarray
                        ) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The candidate summaries (each the best ``top_k`` sentences alone, and pairs of them within
    ``max_words`` that are not near-duplicates), with one feature row each (``CANDIDATE_FEATURES``).
    ``rows``: the article's sentence features (``sentence_features``), for the ``a_*`` / ``b_*`` columns the
    second stage was fit with."""
    order = sorted(cand, key=lambda i: (-scores[i], i))[:top_k]
    rank = {i: r for r, i in enumerate(order)}
    sets = {i: set(toks[i]) for i in order}
    ttoks = syllables(title) if title else []
    tuni = {t for t in ttoks if t not in STOPWORDS}
    cov = {i: (len(tuni & sets[i]) / len(tuni) if tuni else 0.0) for i in order}
    top = scores[order[0]]
    n = len(toks)
    combos: list[tuple[int, ...]] = [(i,) for i in order]
    for x in range(len(order)):
        for y in range(x + 1, len(order)):
            a, b = sorted((order[x], order[y]))
            if nwords[a] + nwords[b] <= max_words and _jacc(sets[a], sets[b]) <= 0.7:
                combos.append((a, b))
    out = np.zeros((len(combos), len(CANDIDATE_FEATURES)))
    base = len(CANDIDATE_FEATURES) - 2 * len(_PAIR_COLS)
    k = len(_PAIR_COLS)
    for r, c in enumerate(combos):
        a = c[0]
        b = c[1] if len(c) > 1 else None
        wa, wb = nwords[a], (nwords[b] if b is not None else 0)
        sa, sb = scores[a], (scores[b] if b is not None else 0.0)
        smax = max(sa, sb) if b is not None else sa
        smin = min(sa, sb) if b is not None else sa
        if b is not None:
            both = tuni & (sets[a] | sets[b])
            tc = len(both) / len(tuni) if tuni else 0.0
            red = _jacc(sets[a], sets[b])
        else:
            tc, red = cov[a], 0.0
        out[r, :base] = (
            len(c), wa + wb, math.log1p(wa + wb), wa, wb,
            sa, sb, smax, smin, sa + sb, top, top - smax,
            rank[a], rank[b] if b is not None else -1.0, a, b if b is not None else -1.0,
            (b - a) if b is not None else 0.0, float(a == min(cand)),
            red, tc, tc - max(cov[a], cov[b] if b is not None else 0.0), math.log1p(n), float(bool(tuni)),
        )
        out[r, base:base + k] = rows[a, _PAIR_COLS]
        out[r, base + k:] = rows[b, _PAIR_COLS] if b is not None else -1.0
    return combos, out


def _load_model(weights) -> tuple[str, dict, object]:
    """(source, selection overrides, scorer) from a path, a model dict or a weights dict."""
    if weights is None and MODEL_PATH.exists():
        weights = MODEL_PATH
    if isinstance(weights, (str, Path)):
        weights = json.loads(Path(weights).read_text(encoding="utf-8"))
    if weights and "trees" in weights:
        scorer = Trees(weights["trees"])
        if weights.get("rerank"):
            scorer.rerank = Trees(weights["rerank"]["trees"])
            scorer.rerank_top_k = int(weights["rerank"].get("top_k", RERANK_TOP_K))
        return "learned", weights.get("selection", {}), scorer
    if weights and "weights" in weights:  # a linear model file
        w = weights["weights"]
        return "learned", weights.get("selection", {}), np.array([float(w.get(f, 0.0)) for f in FEATURES])
    w = weights or DEFAULT_WEIGHTS
    source = "default" if w is DEFAULT_WEIGHTS else "custom"
    return source, {}, np.array([float(w.get(f, 0.0)) for f in FEATURES])


class ExtractiveSummarizer:
    """Vietnamese-aware extractive summarizer. Thread-safe (no mutable state after init)."""

    def __init__(self, weights: dict | str | Path | None = None, max_sentences: int | None = None,
                 max_words: int | None = None):
        self.source, sel, self._scorer = _load_model(weights)
        self.selection = dict(DEFAULT_SELECTION) | sel
        if max_sentences is not None:
            self.selection["max_sentences"] = max_sentences
        if max_words is not None:
            self.selection["max_words"] = max_words

    # ---------------------------------------------------------------- scoring
    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        if isinstance(self._scorer, Trees):
            return self._scorer.predict(rows)
        return rows @ self._scorer if len(rows) else np.zeros(0)

    def score(self, sentences: Sequence[str], title: str | None = None) -> list[float]:
        rows, _ = sentence_features(sentences, title)
        return self.score_rows(rows).tolist()

    def summarize(self, sentences: list[str], title: str | None = None, max_sentences: int | None = None,
                  max_words: int | None = None) -> list[int]:
        """Indices (ascending, i.e. article order) of the chosen sentences.

        With neither limit given, the default short summary applies (two sentences, at
        most ``max_words`` words, and a second sentence only when it scores close to the
        first). A caller who asks for a length gets it, as far as the article allows.
        """
        if not sentences or (max_sentences is not None and max_sentences <= 0):
            return []
        asked = max_sentences is not None or max_words is not None
        junk = junk_flags(sentences, title)
        rows, toks = sentence_features(sentences, title, junk)
        nwords = [len(s.split()) for s in sentences]
        if not asked and self.reranks:
            return self.rerank_prepared(rows, toks, sentences, junk, nwords, title)
        return self.select_prepared(rows, toks, sentences, junk, nwords,
                                    max_sentences, max_words, ratio=0.0 if asked else None)

    @property
    def reranks(self) -> bool:
        """Whether the default summary is chosen by the second stage (candidate summaries scored whole)."""
        return getattr(self._scorer, "rerank", None) is not None and self.selection.get("max_sentences", 2) == 2

    def rerank_prepared(self, rows, toks, sentences, junk, nwords, title: str | None,
                        scores: Sequence[float] | None = None) -> list[int]:
        """The default summary by the second stage: the best-scored candidate of one or two sentences."""
        n = len(sentences)
        if n == 0:
            return []
        if scores is None:
            scores = self.score_rows(np.asarray(rows, dtype=float))
        cand = [i for i in range(n) if not junk[i]]
        if not cand:  # nothing but junk: the second stage never saw such an article; one sentence by MMR
            return self.select_prepared(rows, toks, sentences, junk, nwords, max_sentences=1, scores=scores)
        scores = [float(x) for x in scores]
        combos, crow = candidate_summaries(scores, toks, nwords, cand, title, int(self.selection["max_words"]),
                                           self._scorer.rerank_top_k, rows=np.asarray(rows, dtype=float))
        best = int(np.argmax(self._scorer.rerank.predict(crow)))
        return list(combos[best])

    def select_prepared(self, rows, toks, sentences, junk, nwords, max_sentences: int | None = None,
                        max_words: int | None = None, ratio: float | None = None,
                        scores: Sequence[float] | None = None) -> list[int]:
        """The selection step of :meth:`summarize` on features (or scores) computed beforehand."""
        n = len(sentences)
        max_sentences = self.selection["max_sentences"] if max_sentences is None else max_sentences
        max_words = self.selection["max_words"] if max_words is None else max_words
        if n == 0 or max_sentences <= 0:
            return []
        ratio = float(self.selection.get("second_ratio", 0.6)) if ratio is None else ratio
        if scores is None:
            scores = self.score_rows(np.asarray(rows, dtype=float))
        scores = [float(x) for x in scores]
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
