"""Flat memory and throughput of ``tomtat batch`` (local engine) at 1k, 10k, 100k articles.

    .venv/bin/python bench/bench_batch.py [--sizes 1000,10000,100000] [--method extractive] [--workers 2]

Builds a synthetic archive by cycling the dev split's raw baomoi articles (each cut to ~1,500 characters,
unique ids), runs the CLI as a subprocess, samples its RSS (psutil) and reports peak RSS and articles/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw_articles_baomoi.jsonl"


def make_archive(path: Path, n: int, chars: int) -> None:
    texts = [json.loads(line)["text"][:chars] for line in RAW.read_text(encoding="utf-8").splitlines()]
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(json.dumps({"id": f"bench-{i:07d}", "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")


def run(src: Path, out: Path, args) -> dict:
    cmd = [sys.executable, "-m", "service.cli", "batch", str(src), "-o", str(out), "--method", args.method,
           "--translate", args.translate, "--workers", str(args.workers), "--progress", "none"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.1)
    stats = json.loads(proc.stderr.read().decode().strip().splitlines()[-1])
    return {"articles": stats["done"] + stats["failed"], "seconds": round(time.monotonic() - start, 1),
            "articles_per_s": stats["articles_per_s"], "peak_rss_mib": round(peak / 2**20, 1),
            "input_mib": round(src.stat().st_size / 2**20, 1), "output_mib": round(out.stat().st_size / 2**20, 1)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--chars", type=int, default=1500)
    parser.add_argument("--method", default="extractive")
    parser.add_argument("--translate", default="none")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM; "
          f"method={args.method} translate={args.translate} workers={args.workers}")
    print("| articles | input MiB | output MiB | seconds | articles/s | peak RSS MiB |\n|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            src, out = Path(tmp) / f"in-{n}.jsonl", Path(tmp) / f"out-{n}.jsonl"
            make_archive(src, n, args.chars)
            r = run(src, out, args)
            print(f"| {r['articles']} | {r['input_mib']} | {r['output_mib']} | {r['seconds']} | "
                  f"{r['articles_per_s']} | {r['peak_rss_mib']} |", flush=True)
            src.unlink()
            out.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
