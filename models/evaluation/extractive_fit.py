"""Fitting and evaluation of the extractive summarizer's sentence scorer (``models.extractive``).

One command rebuilds the shipped model from the VietNews training sample::

    python -m models.evaluation.extractive_fit train --data-dir ../shared/data

What it does:

1. Reads ``summarization_vietnews_train.jsonl.gz`` (VietNews *train* split, disjoint from the
   dev and acceptance files) and sets 10 % of its articles aside (by a hash of the id) as a
   validation part for early stopping and the selection settings. The dev file is not read.
2. For every article: its sentences' features (``models.extractive.sentence_features``) and
   each sentence's target, a weighted mean of ROUGE-1, ROUGE-2 and ROUGE-L F1 (``TARGET_WEIGHTS``,
   leaning on ROUGE-L) of the sentence alone
   against the reference lead. A fifth of the articles (by hash) are featurized without
   their title, so that the model also serves callers who send none. Sentences that serving
   never picks (captions, bylines, fragments) are left out. The matrix is cached under
   ``var/extractive_fit/`` (keyed by data, feature list and this module's settings).
3. Fits gradient-boosted regression trees (LightGBM, ``pip install '.[train]'``) on the
   training part, with early stopping on the validation part; ``--learner linear`` fits
   the old ridge model with numpy alone.
4. Picks the MMR selection settings (word budget, when to add a second sentence, redundancy
   weight) that give the best mean ROUGE on the validation part (used when a caller asks for
   a length).
5. Second stage: scores every training article's sentences with a model fit on the *other*
   half of the articles (out of fold, as unseen articles get them), builds its candidate
   summaries (``models.extractive.candidate_summaries``: the ``RERANK_TOP_K`` best sentences alone and in
   pairs) with their own ROUGE as target, and fits trees to it, early-stopped on the
   validation candidates; then picks the pairs' word budget on the validation part.
6. Writes ``models/extractive_model.json``: both tree ensembles as flat arrays (serving walks
   them with numpy, see ``models.extractive.Trees``), the selection settings, and what it was
   fit on (with the validation ROUGE of each stage).

``evaluate`` scores a model on any VietNews-style file (the whole dev file, say), and
``cross_validate`` gives k-fold estimates on a file when nothing else is there to train on.
Serving never imports this module.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from models.extractive import (CANDIDATE_FEATURES, DEFAULT_SELECTION, FEATURES, MODEL_PATH, RERANK_TOP_K,
                               ExtractiveSummarizer, Trees, candidate_summaries, junk_flags, sentence_features)
from models.text.segment import as_excerpt

from .rouge import aggregate_scores, rouge_tokens, tokenize

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILE = "summarization_vietnews_train.jsonl.gz"
CACHE_DIR = REPO_ROOT / "var" / "extractive_fit"
VALID_SHARE = 0.10
NO_TITLE_SHARE = 0.20
# Sentence target: weighted mean of the sentence's ROUGE-1 / ROUGE-2 / ROUGE-L F1, leaning on ROUGE-L (the
# gain over LEAD-2 that fell short with the plain mean; on the held-out part the lean also raised R-1 / R-2).
TARGET_WEIGHTS = (0.2, 0.2, 0.6)
LGB_PARAMS = {
    "objective": "regression", "learning_rate": 0.05, "num_leaves": 31, "max_depth": 8,
    "min_data_in_leaf": 200, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
    "lambda_l2": 1.0, "verbose": -1, "seed": 7, "deterministic": True, "force_row_wise": True,
}
MAX_ROUNDS = 1500
RERANK_MAX_WORDS = 100  # the widest pair budget the second stage's training candidates are built with
RERANK_CAPS = (50, 55, 60, 65, 70, 80, 100)
RERANK_PARAMS = {"min_data_in_leaf": 100, "num_leaves": 31, "max_depth": 7}
SELECTION_GRID = {"max_words": (45, 50, 55, 60, 65, 70), "second_ratio": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                  "mmr_lambda": (0.0, 0.5, 1.0)}

__all__ = ["prepare", "fit", "train", "evaluate", "cross_validate", "latency", "thousand_word_docs", "main"]


# --------------------------------------------------------------------------- data

def read_records(path: str | Path) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _bucket(rid: str, salt: str) -> float:
    """A stable number in [0, 1) from a record id: same split on every machine and run. (SHA-1, not
    CRC-32: CRCs of two salts of one length differ by a constant, which ties the splits together.)"""
    return int.from_bytes(hashlib.sha1(f"{salt}:{rid}".encode()).digest()[:8], "big") / 2**64


def article_sentences(rec: dict) -> list[str]:
    return [s for s in rec["article"].split("\n") if s.strip()]


def prepare(records: Iterable[dict], drop_titles: bool = False, features: bool = True) -> list[dict]:
    """Per article, once: features, syllables, junk flags, word counts, reference and each sentence's
    target (``features=False``: all but the features and targets)."""
    out = []
    for rec in records:
        sents = article_sentences(rec)
        title = rec.get("title")
        if drop_titles and _bucket(str(rec.get("id")), "title") < NO_TITLE_SHARE:
            title = None
        junk = junk_flags(sents, title)
        ref = tokenize(rec["summary"])
        if not features:
            out.append({"id": rec.get("id"), "title": title, "sentences": sents, "toks": [tokenize(x) for x in sents],
                        "ref": ref, "junk": junk, "nwords": [len(x.split()) for x in sents]})
            continue
        rows, toks = sentence_features(sents, title, junk)
        targets = []
        w1, w2, wl = TARGET_WEIGHTS
        for t in toks:
            sc = rouge_tokens(t, ref)
            targets.append(w1 * sc["rouge1"].fmeasure + w2 * sc["rouge2"].fmeasure + wl * sc["rougeL"].fmeasure)
        out.append({"id": rec.get("id"), "title": title, "sentences": sents, "rows": rows, "toks": toks, "ref": ref,
                    "targets": np.asarray(targets), "junk": junk, "nwords": [len(x.split()) for x in sents]})
    return out


def training_matrix(prepared: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, group sizes) over the sentences serving could select (junk never is)."""
    Xs, ys, groups = [], [], []
    for doc in prepared:
        keep = ~np.asarray(doc["junk"], dtype=bool)
        if keep.any():
            Xs.append(doc["rows"][keep])
            ys.append(doc["targets"][keep])
            groups.append(int(keep.sum()))
    if not Xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0, dtype=int)
    return np.vstack(Xs), np.concatenate(ys), np.asarray(groups)


# --------------------------------------------------------------------------- learners

def fit_ridge(X: np.ndarray, y: np.ndarray, l2: float = 0.1) -> dict:
    reg = l2 * np.eye(X.shape[1])
    reg[0, 0] = 0.0  # no penalty on bias
    w = np.linalg.solve(X.T @ X + reg, X.T @ y)
    return {f: float(round(v, 6)) for f, v in zip(FEATURES, w)}


def _flatten_lightgbm(booster, features: Sequence[str] = FEATURES) -> dict:
    """LightGBM trees -> the flat arrays ``models.extractive.Trees`` walks."""
    dump = booster.dump_model()
    names = dump["feature_names"]
    columns = [list(features).index(n) for n in names]
    feat, thr, left, right, value, roots = [], [], [], [], [], []
    depth = 0

    def add(node: dict, d: int) -> int:
        nonlocal depth
        k = len(feat)
        feat.append(0)
        thr.append(0.0)
        left.append(k)
        right.append(k)
        value.append(0.0)
        if "leaf_value" in node:
            value[k] = float(node["leaf_value"])
            depth = max(depth, d)
            return k
        if node.get("decision_type") != "<=" or node.get("missing_type") not in ("None", "NaN"):
            raise ValueError(f"unsupported split: {node.get('decision_type')} / {node.get('missing_type')}")
        feat[k] = int(node["split_feature"])
        thr[k] = float(node["threshold"])
        left[k] = add(node["left_child"], d + 1)
        right[k] = add(node["right_child"], d + 1)
        return k

    for tree in dump["tree_info"]:
        roots.append(add(tree["tree_structure"], 0))
    return {"columns": columns, "depth": depth, "base": 0.0, "roots": roots, "feature": feat,
            "threshold": thr, "left": left, "right": right, "value": [round(v, 7) for v in value]}


def fit_trees(X: np.ndarray, y: np.ndarray, Xv: np.ndarray | None = None, yv: np.ndarray | None = None,
              params: dict | None = None, rounds: int = MAX_ROUNDS, threads: int = 2,
              features: Sequence[str] = FEATURES) -> tuple[dict, dict]:
    """Gradient-boosted regression trees; early stopping on (Xv, yv) when given. Returns (trees, info)."""
    try:
        import lightgbm as lgb
    except ImportError as e:  # pragma: no cover - depends on the extra
        raise SystemExit("the tree learner needs LightGBM: pip install '.[train]' (or use --learner linear)") from e
    p = dict(LGB_PARAMS, **(params or {}), num_threads=threads)
    cols = [j for j, f in enumerate(features) if f != "bias"]
    names = [features[j] for j in cols]
    dtrain = lgb.Dataset(X[:, cols], y, feature_name=names, free_raw_data=True)
    valid, callbacks = [], []
    if Xv is not None and len(Xv):
        valid = [lgb.Dataset(Xv[:, cols], yv, feature_name=names, reference=dtrain)]
        callbacks = [lgb.early_stopping(50, verbose=False)]
    booster = lgb.train(p, dtrain, num_boost_round=rounds, valid_sets=valid, callbacks=callbacks)
    if valid:
        booster = booster.model_from_string(booster.model_to_string(num_iteration=booster.best_iteration))
    trees = _flatten_lightgbm(booster, features)
    if Xv is not None and len(Xv):  # the numpy walk must give LightGBM's own predictions
        from models.extractive import Trees

        k = min(len(Xv), 20000)
        ours = Trees(trees).predict(Xv[:k])
        theirs = booster.predict(Xv[:k, cols])
        err = float(np.max(np.abs(ours - theirs)))
        if err > 1e-5:
            raise AssertionError(f"numpy tree walk differs from LightGBM by {err}")
    info = {"learner": "lightgbm gradient-boosted regression trees", "lightgbm": lgb.__version__,
            "rounds": booster.current_iteration(), "trees": len(trees["roots"]), "nodes": len(trees["feature"]), "depth": trees["depth"],
            "params": {k: v for k, v in p.items() if k not in ("verbose", "num_threads")}}
    return trees, info


def fit(prepared: Sequence[dict], learner: str = "trees", valid: Sequence[dict] | None = None,
        selection: dict | None = None, l2: float = 0.1, threads: int = 2, params: dict | None = None) -> dict:
    """A model dict that ``ExtractiveSummarizer`` loads."""
    X, y, _ = training_matrix(prepared)
    model: dict = {"version": 2, "features": FEATURES, "selection": dict(DEFAULT_SELECTION, **(selection or {}))}
    if learner == "linear":
        model["weights"] = fit_ridge(X, y, l2)
        info = {"learner": "ridge regression", "l2": l2}
    elif learner == "trees":
        Xv = yv = None
        if valid:
            Xv, yv, _ = training_matrix(valid)
        model["trees"], info = fit_trees(X, y, Xv, yv, params=params, threads=threads)
    else:
        raise ValueError(f"unknown learner: {learner!r}")
    model["trained_on"] = {"records": len(prepared), "sentences": int(len(y)),
                           "target": "{:g} ROUGE-1 + {:g} ROUGE-2 + {:g} ROUGE-L F1 of the sentence alone vs the reference"
                           .format(*TARGET_WEIGHTS),
                           **info}
    return model


# --------------------------------------------------------------------------- second stage

def _candidates(doc: dict) -> list[int]:
    n = len(doc["junk"])
    return [i for i in range(n) if not doc["junk"][i]]


def candidate_matrix(doc: dict, scores: Sequence[float], max_words: int = RERANK_MAX_WORDS
                     ) -> tuple[list[tuple[int, ...]], np.ndarray, np.ndarray]:
    """An article's candidate summaries, their feature rows and their targets (mean ROUGE-1/2/L F1)."""
    cand = _candidates(doc)
    if not cand:
        return [], np.zeros((0, len(CANDIDATE_FEATURES))), np.zeros(0)
    combos, rows = candidate_summaries(scores, doc["toks"], doc["nwords"], cand, doc["title"], max_words,
                                       RERANK_TOP_K, rows=doc["rows"])
    targets = []
    for c in combos:
        sc = rouge_tokens([t for j in c for t in doc["toks"][j]], doc["ref"])
        targets.append(sum(v.fmeasure for v in sc.values()) / 3)
    return combos, rows, np.asarray(targets)


def _rerank_choice(rt: Trees, combos, rows, cap: int, nwords) -> tuple[int, ...]:
    keep = [k for k, c in enumerate(combos) if len(c) == 1 or sum(nwords[j] for j in c) <= cap]
    return combos[keep[int(np.argmax(rt.predict(rows[keep])))]]


def tune_rerank_cap(model: dict, valid: Sequence[dict], stage1: Sequence[np.ndarray]) -> tuple[int, list[dict]]:
    """The pair word budget (from ``RERANK_CAPS``) with the best validation mean ROUGE."""
    rt = Trees(model["rerank"]["trees"])
    built = [candidate_matrix(doc, sc) for doc, sc in zip(valid, stage1)]
    table = []
    for cap in RERANK_CAPS:
        tot = 0.0
        for doc, (combos, rows, targets) in zip(valid, built):
            if combos:
                tot += float(targets[combos.index(_rerank_choice(rt, combos, rows, cap, doc["nwords"]))])
        table.append({"max_words": cap, "mean_f": tot / max(1, len(valid))})
    return max(table, key=lambda r: r["mean_f"])["max_words"], table


# --------------------------------------------------------------------------- selection and scores

def _choose(summ: ExtractiveSummarizer, doc: dict, scores=None) -> list[int]:
    """What ``summ.summarize`` returns by default, on a prepared article."""
    if summ.reranks:
        return summ.rerank_prepared(doc["rows"], doc["toks"], doc["sentences"], doc["junk"], doc["nwords"],
                                    doc.get("title"), scores=scores)
    return summ.select_prepared(doc["rows"], doc["toks"], doc["sentences"], doc["junk"], doc["nwords"],
                                scores=scores)


def score_prepared(summ: ExtractiveSummarizer, prepared: Sequence[dict], scores: Sequence | None = None,
                   served: bool = False, choices: Sequence[list[int]] | None = None) -> dict:
    """Mean ROUGE (with bootstrap intervals) and mean words of ``summ``'s summaries of prepared articles: the
    chosen sentences as they are, or (``served``) as the service returns them, through ``as_excerpt``.
    ``choices``: the sentences already chosen for each article (not chosen again)."""
    per: dict[str, list] = {"rouge1": [], "rouge2": [], "rougeL": []}
    words = []
    for k, doc in enumerate(prepared):
        chosen = choices[k] if choices is not None else _choose(summ, doc, None if scores is None else scores[k])
        if served:
            text = " ".join(as_excerpt([doc["sentences"][j] for j in chosen], list(chosen)))
            toks, n = tokenize(text), len(text.split())
        else:
            toks, n = [t for j in chosen for t in doc["toks"][j]], sum(doc["nwords"][j] for j in chosen)
        for m, v in rouge_tokens(toks, doc["ref"]).items():
            per[m].append(v)
        words.append(n)
    out = aggregate_scores(per)
    out["mean_words"] = float(np.mean(words)) if words else 0.0
    return out


def tune_selection(model: dict, prepared: Sequence[dict], grid: dict | None = None) -> tuple[dict, list[dict]]:
    """The selection settings (from ``grid``) with the best mean of ROUGE-1/2/L F1 on ``prepared``."""
    grid = grid or SELECTION_GRID
    base = ExtractiveSummarizer(model)
    scores = [base.score_rows(doc["rows"]) for doc in prepared]
    memo: dict = {}
    table = []
    for mw in grid["max_words"]:
        for ratio in grid["second_ratio"]:
            for lam in grid["mmr_lambda"]:
                summ = ExtractiveSummarizer(dict(model, selection=dict(model["selection"], max_words=mw,
                                                                       second_ratio=ratio, mmr_lambda=lam)))
                tot = 0.0
                for k, doc in enumerate(prepared):
                    chosen = tuple(_choose(summ, doc, scores[k]))
                    key = (k, chosen)
                    if key not in memo:
                        sc = rouge_tokens([t for j in chosen for t in doc["toks"][j]], doc["ref"])
                        memo[key] = sum(s.fmeasure for s in sc.values()) / 3
                    tot += memo[key]
                table.append({"max_words": mw, "second_ratio": ratio, "mmr_lambda": lam,
                              "mean_f": tot / max(1, len(prepared))})
    best = max(table, key=lambda r: r["mean_f"])
    return {k: best[k] for k in ("max_words", "second_ratio", "mmr_lambda")}, table


def evaluate(model: dict | str | Path | None, records: Sequence[dict]) -> dict:
    """ROUGE of a model (default: the shipped one) on VietNews-style records, e.g. the whole dev file: its
    chosen sentences as they are, and as the service returns them (openers that point outside a sentence
    trimmed, ``models/text/openers.py``)."""
    summ, prepared = ExtractiveSummarizer(model), prepare(records)
    choices = [_choose(summ, doc) for doc in prepared]  # once: both renderings score the same choice
    return {"as chosen": score_prepared(summ, prepared, choices=choices),
            "as served": score_prepared(summ, prepared, served=True, choices=choices)}


def cross_validate(records: Sequence[dict], folds: int = 5, learner: str = "linear", seed: int = 0,
                   l2: float = 0.1) -> dict:
    """k-fold (by article) ROUGE: fit on k-1 folds, score the held-out one. For small files only;
    the shipped model is fit on the training sample and evaluated on the whole dev file."""
    import random

    prepared = prepare(records)
    idx = list(range(len(records)))
    random.Random(seed).shuffle(idx)
    fold_of = {i: k % folds for k, i in enumerate(idx)}
    per: dict[str, list] = {"rouge1": [], "rouge2": [], "rougeL": []}
    words = []
    for f in range(folds):
        model = fit([prepared[i] for i in idx if fold_of[i] != f], learner=learner, l2=l2)
        summ = ExtractiveSummarizer(model)
        for i in idx:
            if fold_of[i] != f:
                continue
            doc = prepared[i]
            chosen = _choose(summ, doc)
            for m, v in rouge_tokens([t for j in chosen for t in doc["toks"][j]], doc["ref"]).items():
                per[m].append(v)
            words.append(sum(doc["nwords"][j] for j in chosen))
    out = aggregate_scores(per)
    out["mean_words"] = sum(words) / max(1, len(words))
    out["folds"] = folds
    return out


# --------------------------------------------------------------------------- speed

def thousand_word_docs(records: Sequence[dict], target_words: int = 1000, n: int = 30) -> list[tuple[list[str], str]]:
    """(sentences, title) of ``n`` long articles: consecutive records' sentences concatenated to
    at least ``target_words`` words (the title of the first one)."""
    out, i = [], 0
    while len(out) < n and i < len(records):
        sents, title = [], records[i].get("title") or ""
        while sum(len(s.split()) for s in sents) < target_words and i < len(records):
            sents += article_sentences(records[i])
            i += 1
        out.append((sents, title))
    return out


def latency(summ: ExtractiveSummarizer, docs: Sequence[tuple[list[str], str]], repeats: int = 3) -> dict:
    """p50 / p95 milliseconds of ``summ.summarize`` over ``docs`` (after a warm-up)."""
    for sents, title in docs[:3]:
        summ.summarize(sents, title)
    times = []
    for _ in range(repeats):
        for sents, title in docs:
            t = time.perf_counter()
            summ.summarize(sents, title)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50_ms": float(np.median(times)), "p95_ms": times[int(0.95 * (len(times) - 1))],
            "mean_words": float(np.mean([sum(len(s.split()) for s in d[0]) for d in docs])),
            "mean_sentences": float(np.mean([len(d[0]) for d in docs])), "n": len(times),
            "docs_per_s": 1000.0 / float(np.mean(times))}


# --------------------------------------------------------------------------- the training run

def _cache_key(path: Path) -> str:
    h = hashlib.sha256()
    st = path.stat()
    h.update(f"{path.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    h.update(json.dumps([FEATURES, CANDIDATE_FEATURES, VALID_SHARE, NO_TITLE_SHARE, RERANK_MAX_WORDS, RERANK_TOP_K,
                         TARGET_WEIGHTS, 5]).encode())
    h.update(Path(sentence_features.__code__.co_filename).read_bytes())  # the feature code
    return h.hexdigest()[:16]


def _split(records: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    train, valid = [], []
    for r in records:
        (valid if _bucket(str(r["id"]), "valid") < VALID_SHARE else train).append(r)
    return train, valid


def _featurize(records: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, per-article count of rows) of the selectable sentences, one article at a time."""
    Xs, ys, counts = [], [], []
    for rec in records:
        Xa, ya, _ = training_matrix(prepare([rec], drop_titles=True))
        Xs.append(Xa)
        ys.append(ya)
        counts.append(len(ya))
    return np.vstack(Xs), np.concatenate(ys), np.asarray(counts)


def _out_of_fold_scores(X, y, counts, rounds: int, threads: int) -> np.ndarray:
    """Sentence scores of each training article from a model fit on the other half of the articles,
    so that the second stage learns from scores as unseen articles get them."""
    half = np.repeat(np.arange(len(counts)) % 2, counts)
    out = np.zeros(len(y))
    for h in (0, 1):
        trees, _ = fit_trees(X[half != h], y[half != h], rounds=rounds, threads=threads)
        out[half == h] = Trees(trees).predict(X[half == h])
    return out


def _candidate_set(pairs: Iterable[tuple[dict, np.ndarray]]):
    """Stacked candidate rows, targets and per-article counts of (article, sentence scores) pairs."""
    C, t, groups = [], [], []
    for doc, sc in pairs:
        combos, rows, targets = candidate_matrix(doc, sc)
        if combos:
            C.append(rows)
            t.append(targets)
            groups.append(len(combos))
    return np.vstack(C), np.concatenate(t), np.asarray(groups)


def _full_scores(doc: dict, selectable_scores: np.ndarray) -> np.ndarray:
    sc = np.full(len(doc["junk"]), -1e9)
    sc[~np.asarray(doc["junk"], dtype=bool)] = selectable_scores
    return sc


def _full_rows(doc: dict, selectable_rows: np.ndarray) -> np.ndarray:
    """An article's sentence feature rows from the cached rows of its selectable sentences (junk rows 0:
    junk is never a candidate)."""
    rows = np.zeros((len(doc["junk"]), len(FEATURES)))
    rows[~np.asarray(doc["junk"], dtype=bool)] = selectable_rows
    return rows


def train(data_dir: str | Path, out: str | Path = MODEL_PATH, learner: str = "trees", limit: int | None = None,
          threads: int = 2, cache: bool = True, log=print) -> dict:
    """The whole training run (see the module docstring). Returns the model written to ``out``."""
    t0 = time.time()
    path = Path(data_dir) / TRAIN_FILE
    records = read_records(path)[:limit] if limit else read_records(path)
    train_recs, valid_recs = _split(records)
    log(f"{len(records)} training-sample articles: {len(train_recs)} to fit, {len(valid_recs)} to validate")
    key = _cache_key(path) + (f"-{limit}" if limit else "")
    cache_file = CACHE_DIR / f"train-{key}.npz"
    if cache and cache_file.exists():
        z = np.load(cache_file)
        X, y, counts = z["X"], z["y"], z["counts"]
        log(f"features from cache {cache_file}")
    else:
        X, y, counts = _featurize(train_recs)
        if cache:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            np.savez(cache_file, X=X, y=y, counts=counts)
        log(f"featurized {len(train_recs)} articles ({len(y)} sentences) in {time.time() - t0:.0f} s")
    valid_prep = prepare(valid_recs, drop_titles=True)
    fake = [{"rows": X, "targets": y, "junk": [False] * len(y)}]  # training_matrix of the cached rows
    model = fit(fake, learner=learner, valid=valid_prep, threads=threads)
    model["trained_on"]["records"] = len(train_recs)
    log(f"fit {model['trained_on']['learner']} in {time.time() - t0:.0f} s so far")
    best, _ = tune_selection(model, valid_prep)
    model["selection"].update(best)
    held = score_prepared(ExtractiveSummarizer(model), valid_prep)
    report = {"sentence model + MMR selection": {m: round(100 * held[m]["f"], 2) for m in ("rouge1", "rouge2", "rougeL")}
              | {"mean_words": round(held["mean_words"], 1)}}
    log(f"stage 1: selection {best}; validation ROUGE-1/2/L {held['rouge1']['f'] * 100:.2f} / "
        f"{held['rouge2']['f'] * 100:.2f} / {held['rougeL']['f'] * 100:.2f}, {held['mean_words']:.1f} words")
    if learner == "trees":
        cand_file = CACHE_DIR / f"candidates-{key}.npz"
        if cache and cand_file.exists():
            z = np.load(cand_file)
            C, t = z["C"], z["t"]
        else:
            oof = _out_of_fold_scores(X, y, counts, model["trained_on"]["rounds"], threads)
            log(f"out-of-fold sentence scores in {time.time() - t0:.0f} s so far")

            def pairs():
                for rec, c, e in zip(train_recs, counts, np.cumsum(counts)):
                    doc = prepare([rec], drop_titles=True, features=False)[0]
                    doc["rows"] = _full_rows(doc, X[e - c:e])
                    yield doc, _full_scores(doc, oof[e - c:e])

            C, t, _ = _candidate_set(pairs())
            if cache:
                np.savez(cand_file, C=C, t=t)
        log(f"second-stage candidates: {len(t)} in {time.time() - t0:.0f} s so far")
        stage1 = ExtractiveSummarizer(model)
        vscores = [stage1.score_rows(doc["rows"]) for doc in valid_prep]
        Cv, tv, _ = _candidate_set(zip(valid_prep, vscores))
        rtrees, rinfo = fit_trees(C, t, Cv, tv, params=RERANK_PARAMS, threads=threads, features=CANDIDATE_FEATURES)
        model["rerank"] = {"features": CANDIDATE_FEATURES, "trees": rtrees, "top_k": RERANK_TOP_K,
                           "target": "mean(ROUGE-1, ROUGE-2, ROUGE-L F1) of the candidate summary",
                           "candidates": f"each of the {RERANK_TOP_K} best-scored sentences alone, and pairs of them",
                           "trained_on": {"candidates": int(len(t)), **rinfo}}
        cap, _ = tune_rerank_cap(model, valid_prep, vscores)
        model["selection"]["max_words"] = cap
        held = score_prepared(ExtractiveSummarizer(model), valid_prep)
        report["two stages (sentence model, then candidate summaries scored whole)"] = \
            {m: round(100 * held[m]["f"], 2) for m in ("rouge1", "rouge2", "rougeL")} | \
            {"mean_words": round(held["mean_words"], 1)}
        log(f"stage 2: pairs within {cap} words; validation ROUGE-1/2/L {held['rouge1']['f'] * 100:.2f} / "
            f"{held['rouge2']['f'] * 100:.2f} / {held['rougeL']['f'] * 100:.2f}, {held['mean_words']:.1f} words")
    model["trained_on"].update({
        "data": f"{TRAIN_FILE} ({len(records)} VietNews train-split articles; "
                f"{len(valid_recs)} held out by id hash for early stopping and selection)",
        "titles_dropped_share": NO_TITLE_SHARE,
        "validation": report,
        "command": "python -m models.evaluation.extractive_fit train --data-dir ../shared/data",
        "seconds": round(time.time() - t0),
    })
    Path(out).write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    log(f"wrote {out} ({Path(out).stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f} s")
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.evaluation.extractive_fit")
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="fit the shipped model on the VietNews training sample")
    tr.add_argument("--data-dir", default=str(REPO_ROOT.parent / "shared" / "data"))
    tr.add_argument("--out", default=str(MODEL_PATH))
    tr.add_argument("--learner", choices=["trees", "linear"], default="trees")
    tr.add_argument("--limit", type=int, help="only the first N records (a quick try)")
    tr.add_argument("--threads", type=int, default=2)
    tr.add_argument("--no-cache", action="store_true")
    ev = sub.add_parser("evaluate", help="ROUGE of a model on a VietNews-style JSONL (e.g. the whole dev file)")
    ev.add_argument("--data", help="a VietNews-style JSONL (e.g. the dev file)")
    ev.add_argument("--held-out", action="store_true",
                    help="the held-out part of the training sample in --data-dir instead (where choices are made)")
    ev.add_argument("--data-dir", default=str(REPO_ROOT.parent / "shared" / "data"))
    ev.add_argument("--model", default=str(MODEL_PATH))
    cv = sub.add_parser("cv", help="k-fold cross-validated ROUGE by article on a small file")
    cv.add_argument("--data", required=True)
    cv.add_argument("--folds", type=int, default=5)
    cv.add_argument("--learner", choices=["trees", "linear"], default="linear")
    args = ap.parse_args(argv)
    if args.cmd == "train":
        train(args.data_dir, args.out, args.learner, args.limit, args.threads, cache=not args.no_cache)
        return 0
    if args.cmd == "cv":
        res = cross_validate(read_records(args.data), args.folds, args.learner)
        print(json.dumps({m: res[m] if not isinstance(res[m], dict) else
                          {k: v for k, v in res[m].items() if k != "f_ci95"} for m in res}, indent=1))
        return 0
    if bool(args.data) == args.held_out:
        ap.error("evaluate: give --data FILE or --held-out")
    recs = _split(read_records(Path(args.data_dir) / TRAIN_FILE))[1] if args.held_out else read_records(args.data)
    for what, res in evaluate(args.model, recs).items():
        print(f"{what}: " + " / ".join(f"{100 * res[m]['f']:.2f}" for m in ("rouge1", "rouge2", "rougeL"))
              + f" (ROUGE-1/2/L F1, {len(recs)} articles, {res['mean_words']:.1f} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
