"""Latency of ExtractiveSummarizer.summarize on ~1,000-word articles.

Uses VietNews dev articles (concatenated to >= 1,000 words) when /work/shared is present,
otherwise a synthetic Vietnamese-like article. Appends a result line to
bench/RESULTS-extractive.md.  Run: python bench/bench_extractive.py
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.extractive import ExtractiveSummarizer  # noqa: E402

DATA = Path(os.environ.get("TOMTAT_DATA_DIR", ROOT.parent / "shared" / "data")) / "summarization_vietnews.jsonl"


def articles(target_words: int = 1000, n: int = 30) -> tuple[list[tuple[list[str], str]], str]:
    if DATA.exists():
        recs = [json.loads(line) for line in DATA.open(encoding="utf-8")]
        out, i = [], 0
        while len(out) < n and i < len(recs):
            sents, title = [], recs[i]["title"]
            while sum(len(s.split()) for s in sents) < target_words and i < len(recs):
                sents += [s for s in recs[i]["article"].split("\n") if s.strip()]
                i += 1
            out.append((sents, title))
        return out, "VietNews dev articles concatenated to >=1,000 words"
    import random

    rng = random.Random(0)
    vocab = ("công an quận tổ chức hội nghị ngày tháng năm người dân thành phố chính quyền kinh tế xã hội "
             "phát triển đầu tư dự án giao thông tai nạn điều tra khởi tố bị can").split()
    out = []
    for _ in range(n):
        sents = [" ".join(rng.choice(vocab) for _ in range(25)) + " ." for _ in range(40)]
        out.append((sents, " ".join(rng.choice(vocab) for _ in range(10))))
    return out, "synthetic 1,000-word articles"


def main() -> int:
    docs, what = articles()
    summ = ExtractiveSummarizer()
    for sents, title in docs[:3]:
        summ.summarize(sents, title)
    times = []
    for _ in range(3):
        for sents, title in docs:
            t = time.perf_counter()
            summ.summarize(sents, title)
            times.append((time.perf_counter() - t) * 1000)
    words = statistics.mean(sum(len(s.split()) for s in d[0]) for d in docs)
    sents = statistics.mean(len(d[0]) for d in docs)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    line = (f"| {time.strftime('%Y-%m-%d')} | {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()} "
            f"| {what}: {len(docs)} docs x3, mean {words:.0f} words / {sents:.0f} sentences "
            f"| p50 {p50:.1f} ms | p95 {p95:.1f} ms | load avg {os.getloadavg()[0]:.1f} |")
    print(line)
    res = ROOT / "bench" / "RESULTS-extractive.md"
    if not res.exists():
        res.write_text("# Extractive summarizer latency\n\n| date | machine | input | p50 | p95 | note |\n|---|---|---|---:|---:|---|\n",
                       encoding="utf-8")
    with res.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
