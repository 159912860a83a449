"""One job's throughput with one replica vs two, sharing one PostgreSQL (and Redis).

Each configuration gets a fresh PostgreSQL database; the replicas are real `tomtat serve` processes on
loopback ports; one job of N copies of an article is posted to the first and timed from the POST until
its status is done. Extractive summaries (no model weights here): the work is the text pipeline and
the store's claims, so the ratio shows what sharing costs and what a second process buys on this machine.

    .venv/bin/python bench/replicas.py --articles 400 --runs 3   # writes bench/RESULTS-replicas.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import machine  # noqa: E402
from tests.helpers import free_port, wait_healthy  # noqa: E402  (pytest.fail outside pytest: it raises)
from tests.servers import REDIS, fresh_postgres, redis_prefix  # noqa: E402

BIN = Path(sys.executable).parent


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def run_once(replicas: int, workers: int, article: str, n: int) -> float:
    with fresh_postgres() as pg, redis_prefix() as prefix:
        env = os.environ | {"TOMTAT_DATABASE_URL": pg, "TOMTAT_REDIS_URL": REDIS, "TOMTAT_LIMITS_PREFIX": prefix,
                            "TOMTAT_LOAD_MODELS": "0", "TOMTAT_HOST": "127.0.0.1", "TOMTAT_JOB_WORKERS": str(workers),
                            "TOMTAT_LOG_LEVEL": "WARNING", "TOMTAT_LOG_JSON": "0"}
        subprocess.run([str(BIN / "tomtat"), "db", "upgrade"], env=env, check=True, capture_output=True)
        procs, bases = [], []
        try:
            for _ in range(replicas):
                port = free_port()
                procs.append(subprocess.Popen([str(BIN / "tomtat"), "serve"], env=env | {"TOMTAT_PORT": str(port)},
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT))
                bases.append(f"http://127.0.0.1:{port}")
            for base, proc in zip(bases, procs):
                wait_healthy(base, proc)
            body = json.dumps({"articles": [{"id": f"a{i}", "text": article} for i in range(n)],
                               "summary": {"method": "extractive", "max_sentences": 3}, "translate": "none"}).encode()
            start = time.perf_counter()
            req = urllib.request.Request(bases[0] + "/v1/jobs", data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                job_id = json.loads(resp.read())["job_id"]
            while get(f"{bases[0]}/v1/jobs/{job_id}")["status"] != "done":
                time.sleep(0.05)
            return time.perf_counter() - start
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS-replicas.md"))
    args = parser.parse_args()
    article = (ROOT / "tests" / "fixtures" / "seed_article.txt").read_text(encoding="utf-8")
    configs = [("1 replica, 1 job worker", 1, 1), ("2 replicas, 1 job worker each", 2, 1),
               ("1 replica, 2 job workers", 1, 2)]
    rows = []
    base_rate = None
    load_before = Path("/proc/loadavg").read_text().split()[0]
    for label, replicas, workers in configs:
        times = [run_once(replicas, workers, article, args.articles) for _ in range(args.runs)]
        median = statistics.median(times)
        rate = args.articles / median
        base_rate = base_rate or rate
        rows.append(f"| {label} | {', '.join(f'{t:.2f}' for t in times)} | {rate:.1f} | {rate / base_rate:.2f}× |")
        print(rows[-1], flush=True)
    load_after = Path("/proc/loadavg").read_text().split()[0]
    info = machine("cpu")
    described = f"{info.get('cpu', 'unknown CPU')} ({info.get('simd', '')}), {info['cores']} cores, " \
                f"{info.get('memory_gib', '?')} GiB, Python {info['python']}"
    text = f"""# One job, one replica vs two (PostgreSQL {pg_version()}, Redis, loopback)

Command: `.venv/bin/python bench/replicas.py --articles {args.articles} --runs {args.runs}`
Machine: {described}; run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.

One job of {args.articles} copies of tests/fixtures/seed_article.txt (extractive summary, 3 sentences, no
translation), posted to the first replica, timed from the POST to status `done`. Each run starts fresh
replicas on a fresh database. Compare only the ratios of this table: they were measured in one run.
Load average (1 min) before / after: {load_before} / {load_after} — the server processes share the machine's
cores with PostgreSQL, the poller and anything else running; on 2 cores the ceiling for two replicas is 2×.

| configuration | seconds (runs) | articles/s (median) | vs 1 replica |
|---|---|---|---|
""" + "\n".join(rows) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


def pg_version() -> str:
    import psycopg

    from tests.servers import POSTGRES

    with psycopg.connect(POSTGRES) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


if __name__ == "__main__":
    main()
