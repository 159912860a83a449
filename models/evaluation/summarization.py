"""Summarization evaluation: ROUGE-1/2/L (Vietnamese tokenizer) with LEAD-k baselines.

``evaluate_summarization(records, summarize_fn)``: ``summarize_fn(record) -> str`` gets a whole
record (``article`` with one sentence per line for VietNews, ``title``...) and returns the
summary text. Per-record results are appended to ``<out_dir>/<name>.records.jsonl``; a rerun
skips ids already there (resumable). Writes ``<name>.json`` and ``<name>.md``.

Two scores per summary:

* the main one, ROUGE on Vietnamese syllables (``rouge.tokenize``);
* ``published``, when the record has ``original_tokenized`` (the VietNews dev file): ROUGE
  computed the way published VietNews numbers are (ViT5: 62.77 / 33.16 / 42.75 for vit5-base),
  the ASCII tokenizer of the ``rouge`` scorer (``rouge.published_tokenize``) against the
  word-segmented reference ``original_tokenized["summary"]``. That tokenizer turns ``_`` and
  punctuation into spaces, so a summary scores the same whether or not it is word-segmented
  (checked: every dev sentence tokenizes identically in both forms), and it drops every letter
  with a diacritic, which is why these numbers run higher than the main ones and should only
  be used to check a model against the paper.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable, Sequence

from ._io import resumable_rows, write_json
from .rouge import Score, aggregate_scores, published_tokenize, rouge_tokens, tokenize

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


def lead_fn(k: int, served: bool = False) -> Callable[[dict], str]:
    """LEAD-k: the first ``k`` sentences as they are (the standard baseline), or (``served``) rendered the
    way the service renders an excerpt (``as_excerpt``: openers trimmed), to show what the rendering alone gives."""
    from models.text.segment import as_excerpt

    def fn(record: dict) -> str:
        lead = article_sentences(record)[:k]
        return " ".join(as_excerpt(lead, list(range(len(lead)))) if served else lead)
    fn.__name__ = f"lead_{k}" + ("_served" if served else "")
    return fn


def extractive_fn(summarizer=None, use_title: bool = True, served: bool = True, **kwargs) -> Callable[[dict], str]:
    """The extractive summary of a record: as the service returns it (``served``: through ``as_excerpt``, as
    ``models.pipeline`` does), or the chosen sentences as they stand in the article."""
    if summarizer is None:
        from models.extractive import ExtractiveSummarizer

        summarizer = ExtractiveSummarizer()

    from models.text.segment import as_excerpt

    def fn(record: dict) -> str:
        sents = article_sentences(record)
        chosen = list(summarizer.summarize(sents, record.get("title") if use_title else None, **kwargs))
        picked = [sents[i] for i in chosen]
        return " ".join(as_excerpt(picked, chosen) if served else picked)
    return fn


def _scores(summary: str, reference: str) -> dict[str, Score]:
    return rouge_tokens(tokenize(summary), tokenize(reference))


def published_reference(record: dict) -> str | None:
    """The word-segmented reference published scores use, when the record has it."""
    return (record.get("original_tokenized") or {}).get("summary")


def published_scores(summary: str, record: dict) -> dict | None:
    """ROUGE the published way (see the module docstring), or None without ``original_tokenized``."""
    ref = published_reference(record)
    if ref is None:
        return None
    sc = rouge_tokens(published_tokenize(summary), published_tokenize(ref))
    return {m: sc[m].as_dict() for m in METRICS}


def _row(summary: str, record: dict) -> dict:
    sc = _scores(summary, record["summary"])
    row = {"words": len(summary.split()), **{m: sc[m].as_dict() for m in METRICS}}
    pub = published_scores(summary, record)
    if pub is not None:
        row["published"] = pub
    return row


def _summary_block(rows: Sequence[dict], n_resamples: int) -> dict:
    per = {m: [Score(r[m]["p"], r[m]["r"], r[m]["f"]) for r in rows] for m in METRICS}
    out = aggregate_scores(per, n_resamples=n_resamples)
    if rows and all("published" in r for r in rows):
        pub = {m: [Score(r["published"][m]["p"], r["published"][m]["r"], r["published"][m]["f"]) for r in rows]
               for m in METRICS}
        out["published"] = aggregate_scores(pub, n_resamples=n_resamples)
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
        return {"summary": summary, "ms": round(ms, 2), **_row(summary, rec)}

    rows, n_new = resumable_rows(recs, compute, out_path, name, f"eval {name}", progress_bar)
    for row, rec in zip(rows, recs):  # rows written by an older version lack the published scores
        if "published" not in row and published_reference(rec) is not None:
            row["published"] = published_scores(row["summary"], rec)
    result = {"name": name, "n_records": len(recs), "n_computed_now": n_new,
              "seconds": round(time.perf_counter() - t0, 2), "system": _summary_block(rows, n_resamples),
              "reference_mean_words": statistics.mean(len(r["summary"].split()) for r in recs) if recs else 0.0,
              "baselines": {}}
    for k in baselines:
        fn = lead_fn(k)
        brows = []
        for rec in recs:
            brows.append(_row(fn(rec), rec))
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


def published_cell(block: dict) -> str:
    """"R1 / R2 / RL" computed the published way, or "—"."""
    pub = block.get("published")
    if not pub:
        return "—"
    return " / ".join(f"{100 * pub[m]['f']:.2f}" for m in METRICS)


def markdown_table(result: dict) -> str:
    rows = [(result["name"], result["system"])] + list(result.get("baselines", {}).items())
    with_pub = any(b.get("published") for _, b in rows)
    lines = ["| method | ROUGE-1 F1 (95% CI) | ROUGE-2 F1 (95% CI) | ROUGE-L F1 (95% CI) | mean words | n |"
             + (" published-style R-1 / R-2 / R-L |" if with_pub else ""),
             "|---|---:|---:|---:|---:|---:|" + ("---:|" if with_pub else "")]
    for name, block in rows:
        lines.append(f"| {name} | {_fmt(block, 'rouge1')} | {_fmt(block, 'rouge2')} | {_fmt(block, 'rougeL')} "
                     f"| {block['mean_words']:.1f} | {block['n']} |" + (f" {published_cell(block)} |" if with_pub else ""))
    lines.append(f"\nReference (publisher lead) mean length: {result.get('reference_mean_words', 0):.1f} words.")
    if with_pub:
        lines.append("Published-style: the `rouge` scorer's ASCII tokenizer (non-ASCII letters deleted) on the "
                     "word-segmented reference, as published VietNews scores are computed (vit5-base: "
                     "62.77 / 33.16 / 42.75); comparable with papers, not a measure of Vietnamese.")
    return "\n".join(lines) + "\n\n"
