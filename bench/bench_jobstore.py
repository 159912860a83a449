"""What the job store costs each article of a job, on this machine's PostgreSQL (and SQLite).

Per item: ``claim`` + ``complete`` (what a worker pays around each article), for a job without a glossary,
one with an inline 5,000-term glossary (its copy lives in the job's options), and four such jobs of four
keys live at once (the claims go round them); and the size of the job's status (``GET /v1/jobs/{id}``),
which clients poll.
Appends a result line to bench/RESULTS-jobstore.md. Needs the PostgreSQL server the tests use
(``TOMTAT_TEST_POSTGRES``, default 127.0.0.1:5432, database ``test``): a fresh database is made and dropped.
Run: python bench/bench_jobstore.py [--items N]. The script runs on older checkouts too (copy it into a
``git worktree`` of one): that is how the "before" row of the results was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from models.glossary import Glossary  # noqa: E402
from service.db import Database  # noqa: E402
from service.store import JobStore  # noqa: E402
from tests.servers import fresh_postgres  # noqa: E402

TERMS = 5000


def machine() -> str:
    from run import machine as describe  # bench/run.py: the one place that reads the machine's facts

    m = describe("cpu")
    return f"{m.get('cpu')}, {m['cores']} cores"


def options(glossary: bool) -> dict:
    out = {"translate": "summary", "summary": {"method": "extractive"}}
    if glossary:
        entries = {f"Thuật ngữ số {i} của tòa soạn": f"Newsroom term number {i}" for i in range(TERMS)}
        out["glossary"] = Glossary(entries, "vi", "en").as_dict()
    return out


def per_item_ms(url: str, glossary: bool, others: int, items: int) -> float:
    store = JobStore(Database(url))
    opts = options(glossary)
    records = [(f"a{i}", json.dumps({"id": f"a{i}", "text": "Bài báo."})) for i in range(items)]
    store.create_job(records, opts)
    for n in range(others):  # live jobs of other tenants, as long: the claims go round them all
        store.create_job(records, opts, tenant=f"other-{n}")
    t = time.perf_counter()
    for _ in range(items):
        claim = store.claim("bench")
        store.complete(claim, "bench", {"id": claim.record["id"]})
    return (time.perf_counter() - t) / items * 1000


def status_bytes(url: str) -> int:
    try:
        from service.jobs import _shown_options
    except ImportError:  # a checkout from before the status summarized glossaries (a37975e and older)
        def _shown_options(options: dict) -> dict:
            return options

    store = JobStore(Database(url))
    job_id, _ = store.create_job([("a", json.dumps({"id": "a", "text": "Bài."}))], options(True))
    job = store.get_job(job_id)
    shown = job | {"options": _shown_options(job["options"])}  # as the service sends it, less its links
    return len(json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=300)
    args = ap.parse_args()
    cells = []
    scenarios = ((False, 0), (True, 0), (True, 3))
    row = []
    for glossary, others in scenarios:  # a fresh database each, as for SQLite below
        with fresh_postgres() as pg:
            row.append(f"{per_item_ms(pg, glossary, others, args.items):.2f}")
    cells.append(f"PostgreSQL: {' / '.join(row)} ms")
    with tempfile.TemporaryDirectory() as tmp:
        row = [f"{per_item_ms(f'sqlite:///{tmp}/{k}.sqlite3', glossary, others, args.items):.2f}"
               for k, (glossary, others) in enumerate(scenarios)]
    cells.append(f"SQLite: {' / '.join(row)} ms")
    with fresh_postgres() as pg:
        status = status_bytes(pg)
    line = (f"| {time.strftime('%Y-%m-%d')} | {machine()} | {args.items} items | {'; '.join(cells)} "
            f"| {status:,} bytes | load avg {os.getloadavg()[0]:.1f} |")
    print(line)
    from run import append_result

    append_result("RESULTS-jobstore.md", "# Job store cost per article\n\n`python bench/bench_jobstore.py`. Per item: "
                  f"claim + complete, for a job without a glossary / with an inline {TERMS:,}-term glossary / four "
                  "such jobs of four keys live at once. Status: the JSON of a job with that glossary, as "
                  "`GET /v1/jobs/{id}` shows it.\n\n| date | machine | job | claim + complete per item | status | "
                  "note |\n|---|---|---|---|---:|---|\n", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
