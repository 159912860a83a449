"""Summarization evaluation: ROUGE-1/2/L (Vietnamese tokenizer) with LEAD-k baselines.

``evaluate_summarization(records, summarize_fn)``: ``summarize_fn(record) -> str`` gets a whole
record (``article`` with one sentence per line for VietNews, ``title``...) and returns the
summary text. Per-record results are appended to ``<out_dir>/<name>.records.jsonl``; a rerun
skips ids already there (resumable). Writes ``<name>.json`` and ``<name>.md``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable, Sequence

from ._io import resumable_rows, write_json
from .rouge import Score, aggregate_scores, rouge_tokens, tokenize

METRICS = ("rouge1", "rouge2", "rougeL")


def article_sentences(record: dict) -> list[str]:
    """Sentences of ``record["article"]``: one per line when the text has several lines,
    otherwise split with ``models.text.segment.split_sentences`` (or a regex fallback)."""
    article = record.get("article") or ""
    lines = [s.strip() for s in article.split("\n") if s.strip()]
    if len(lines) > 1:
        return lines
    try:
        from models.text.segment import split_sentences
    except ImportError:  # pragma: no cover - sibling module not available
        import re

        return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ\"“])", article) if s.strip()]
    return [s for s in split_sentences(article) if s.strip()]


def lead_fn(k: int) -> Callable[[dict], str]:
    def fn(record: dict) -> str:
        return " ".join(article_sentences(record)[:k])
    fn.__name__ = f"lead_{k}"
    return fn


def extractive_fn(summarizer=None, use_title: bool = True, **kwargs) -> Callable[[dict], str]:
    if summarizer is None:
        from models.extractive import ExtractiveSummarizer

        summarizer = ExtractiveSummarizer()

    def fn(record: dict) -> str:
        sents = article_sentences(record)
        idx = summarizer.summarize(sents, record.get("title") if use_title else None, **kwargs)
        return " ".join(sents[i] for i in idx)
    return fn


def _scores(summary: str, reference: str) -> dict[str, Score]:
    return rouge_tokens(tokenize(summary), tokenize(reference))


def _summary_block(rows: Sequence[dict], n_resamples: int) -> dict:
    per = {m: [Score(r[m]["p"], r[m]["r"], r[m]["f"]) for r in rows] for m in METRICS}
    out = aggregate_scores(per, n_resamples=n_resamples)
    words = [r["words"] for r in rows]
    out["mean_words"] = statistics.mean(words) if words else 0.0
    out["n"] = len(rows)
    return out


def evaluate_summarization(records: Sequence[dict], summarize_fn: Callable[[dict], str] | None = None,
                           limit: int | None = None, out_dir: str | Path | None = None,
                           name: str = "extractive", baselines: Sequence[int] = (1, 2, 3),
                           n_resamples: int = 1000, progress_bar: bool | None = None,
                           extra: dict | None = None) -> dict:
    """ROUGE of ``summarize_fn`` (default: extractive) and LEAD-k baselines on ``records``."""
    if summarize_fn is None:
        summarize_fn = extractive_fn()
    recs = list(records)[:limit] if limit is not None else list(records)
    out_path = Path(out_dir) if out_dir else None
    t0 = time.perf_counter()

    def compute(rec: dict) -> dict:
        t = time.perf_counter()
        summary = summarize_fn(rec)
        ms = (time.perf_counter() - t) * 1000
        sc = _scores(summary, rec["summary"])
        return {"summary": summary, "words": len(summary.split()), "ms": round(ms, 2),
                **{m: sc[m].as_dict() for m in METRICS}}

    rows, n_new = resumable_rows(recs, compute, out_path, name, f"eval {name}", progress_bar)
    result = {"name": name, "n_records": len(recs), "n_computed_now": n_new,
              "seconds": round(time.perf_counter() - t0, 2), "system": _summary_block(rows, n_resamples),
              "reference_mean_words": statistics.mean(len(r["summary"].split()) for r in recs) if recs else 0.0,
              "baselines": {}}
    for k in baselines:
        fn = lead_fn(k)
        brows = []
        for rec in recs:
            s = fn(rec)
            sc = _scores(s, rec["summary"])
            brows.append({"words": len(s.split()), **{m: sc[m].as_dict() for m in METRICS}})
        result["baselines"][f"lead-{k}"] = _summary_block(brows, n_resamples)
    if extra:
        result.update(extra)
    if out_path:
        write_json(out_path / f"{name}.json", result)
        (out_path / f"{name}.md").write_text(markdown_table(result), encoding="utf-8")
    return result


def _fmt(block: dict, m: str) -> str:
    lo, hi = block[m]["f_ci95"]
    return f"{100 * block[m]['f']:.2f} ({100 * lo:.1f}–{100 * hi:.1f})"


def markdown_table(result: dict) -> str:
    lines = ["| method | ROUGE-1 F1 (95% CI) | ROUGE-2 F1 (95% CI) | ROUGE-L F1 (95% CI) | mean words | n |",
             "|---|---:|---:|---:|---:|---:|"]
    rows = [(result["name"], result["system"])] + list(result.get("baselines", {}).items())
    for name, block in rows:
        lines.append(f"| {name} | {_fmt(block, 'rouge1')} | {_fmt(block, 'rouge2')} | {_fmt(block, 'rougeL')} "
                     f"| {block['mean_words']:.1f} | {block['n']} |")
    lines.append(f"\nReference (publisher lead) mean length: {result.get('reference_mean_words', 0):.1f} words.\n")
    return "\n".join(lines) + "\n"
