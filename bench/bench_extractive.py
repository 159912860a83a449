"""Latency and throughput of ExtractiveSummarizer.summarize on ~1,000-word articles.

Uses VietNews dev articles (consecutive ones concatenated to >= 1,000 words) when the shared
data is present (``TOMTAT_DATA_DIR``, default ../shared/data), otherwise a synthetic
Vietnamese-like article. Also measures articles/s on the plain dev articles (a batch job's
input). Appends a result line to bench/RESULTS-extractive.md.
Run: python bench/bench_extractive.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from models.evaluation.extractive_fit import article_sentences, latency, thousand_word_docs  # noqa: E402
from models.extractive import ExtractiveSummarizer  # noqa: E402

DATA = Path(os.environ.get("TOMTAT_DATA_DIR", ROOT.parent / "shared" / "data")) / "summarization_vietnews.jsonl"


def synthetic(n: int = 30) -> list[tuple[list[str], str]]:
    import random

    rng = random.Random(0)
    vocab = ("công an quận tổ chức hội nghị ngày tháng năm người dân thành phố chính quyền kinh tế xã hội "
             "phát triển đầu tư dự án giao thông tai nạn điều tra khởi tố bị can").split()
    return [([" ".join(rng.choice(vocab) for _ in range(25)) + " ." for _ in range(40)],
             " ".join(rng.choice(vocab) for _ in range(10))) for _ in range(n)]


def machine() -> str:
    from run import machine as describe  # bench/run.py: the one place that reads the machine's facts

    m = describe("cpu")
    return f"{m.get('cpu')}, {m['cores']} cores, Python {m['python']}"


def main() -> int:
    summ = ExtractiveSummarizer()
    if DATA.exists():
        recs = [json.loads(line) for line in DATA.open(encoding="utf-8")]
        docs, what = thousand_word_docs(recs), "VietNews dev articles concatenated to >=1,000 words"
    else:
        recs, docs, what = [], synthetic(), "synthetic 1,000-word articles"
    lat = latency(summ, docs)
    rate = ""
    if recs:
        t = time.perf_counter()
        for r in recs:
            summ.summarize(article_sentences(r), r.get("title"))
        rate = f"; {len(recs) / (time.perf_counter() - t):.0f} dev articles/s (one core)"
    model = "two-stage trees (extractive_model.json)" if summ.reranks else f"{summ.source} weights"
    line = (f"| {time.strftime('%Y-%m-%d')} | {machine()} | {model} "
            f"| {what}: {len(docs)} docs x3, mean {lat['mean_words']:.0f} words / {lat['mean_sentences']:.0f} sentences "
            f"| p50 {lat['p50_ms']:.1f} ms | p95 {lat['p95_ms']:.1f} ms "
            f"| {lat['docs_per_s']:.0f} 1,000-word docs/s{rate}; load avg {os.getloadavg()[0]:.1f} |")
    print(line)
    from run import append_result

    append_result("RESULTS-extractive.md", "# Extractive summarizer latency\n\n| date | machine | model | input | p50 "
                  "| p95 | note |\n|---|---|---|---|---:|---:|---|\n", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
