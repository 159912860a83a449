"""The job store: SQLite in WAL mode, embedded, nothing to install (``TOMTAT_DB``).

Tables (this module owns ``jobs`` and ``job_items``; other modules may keep their
own tables in the same file):

* ``jobs``: one row per job — its tenant (``tenant``: the API key that created
  it, ``key:<id>``, or ``anonymous`` when keys are off), status, options,
  timestamps, the idempotency key (unique per tenant) and a hash of the request
  it came with. Every read and write of a job is scoped to its tenant: another
  tenant's job is "not found".
* ``job_items``: one row per article — its input record, its state
  (``queued → running → done|failed``, or ``cancelled``), its result, and
  ``done_order``: the job's completion sequence, the cursor of ``/results``.

Exactly-once: a worker *claims* an item (``queued → running``, with its owner
id and a lease), and completing it is a conditional update that only succeeds
while that worker still owns the item; anything else is discarded. Owners renew
their leases while they live; after a crash the leases run out and the items go
back to ``queued`` (``requeue_expired``), so unfinished work resumes on the next
start and every item gets exactly one stored result. An item that has been
claimed ``max_attempts`` times without completing (an article that crashes the
process) is failed instead of retried forever.

Retention: finished jobs (done, failed, cancelled) and their items are deleted
``retention_s`` after they finish (``purge_expired``; the job workers call it
periodically and every new job triggers it); until then an expired job is
already hidden from reads.

Migration: a database from before tenants (no ``jobs.tenant``, a global
``UNIQUE`` on ``idempotency_key``) is rebuilt in place on open, in one
transaction, following SQLite's documented procedure (foreign keys off, new
table, copy, drop, rename); its jobs belong to the anonymous tenant.

Every thread uses its own connection; every write is one ``BEGIN IMMEDIATE``
transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

JOBS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL DEFAULT 'anonymous',  -- key:<api key id> | anonymous
    status TEXT NOT NULL,                 -- queued | running | done | failed | cancelled
    options TEXT NOT NULL,                -- JSON: ArticleOptions.to_dict()
    total INTEGER NOT NULL,
    idempotency_key TEXT,
    request_hash TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    updated_at REAL NOT NULL,
    UNIQUE (tenant, idempotency_key)
)"""

SCHEMA = JOBS_TABLE.format(name="jobs") + """;
CREATE TABLE IF NOT EXISTS job_items (
    item_id INTEGER PRIMARY KEY,          -- global FIFO order of work
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,                 -- position in the submitted body
    article_id TEXT NOT NULL,
    record TEXT NOT NULL,                 -- JSON: Record.to_dict()
    status TEXT NOT NULL,                 -- queued | running | done | failed | cancelled
    owner TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT,                          -- JSON: the output row (also for failed items)
    done_order INTEGER,                   -- completion sequence within the job (results cursor)
    finished_at REAL,
    UNIQUE (job_id, seq)
);
CREATE INDEX IF NOT EXISTS job_items_queued ON job_items (item_id) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS job_items_running ON job_items (lease_until) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS job_items_status ON job_items (job_id, status);
CREATE UNIQUE INDEX IF NOT EXISTS job_items_done ON job_items (job_id, done_order) WHERE done_order IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
"""
ANONYMOUS = "anonymous"
JOB_COLUMNS = ("id", "status", "options", "total", "idempotency_key", "request_hash", "error", "created_at",
               "started_at", "finished_at", "updated_at")

ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled")


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request."""

    def __init__(self, job_id: str):
        super().__init__(job_id)
        self.job_id = job_id


@dataclass
class Claim:
    item_id: int
    job_id: str
    seq: int
    record: dict
    options: dict
    attempts: int
    tenant: str = ANONYMOUS


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


class JobStore:
    def __init__(self, path: str, lease_s: float = 60.0, max_attempts: int = 3, retention_s: float = 0.0):
        self.path = path
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.retention_s = retention_s  # 0: finished jobs are kept until deleted by hand
        self._local = threading.local()
        self._served: dict[str, float] = {}  # tenant -> when this store last gave it an item (turns)
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._migrate()
        self._db().executescript(SCHEMA)

    def _migrate(self) -> None:
        """Rebuild a ``jobs`` table from before tenants (see the module docstring); a no-op otherwise."""
        db = self._db()
        if "tenant" in self._job_columns(db) or not self._job_columns(db):
            return
        db.execute("PRAGMA foreign_keys=OFF")  # else DROP TABLE jobs would cascade to every item
        try:
            with self._tx() as tx:
                columns = self._job_columns(tx)
                if "tenant" in columns or not columns:  # another process migrated it meanwhile
                    return
                copied = ", ".join(c for c in JOB_COLUMNS if c in columns)
                tx.execute("DROP TABLE IF EXISTS jobs_migrating")
                tx.execute(JOBS_TABLE.format(name="jobs_migrating"))
                tx.execute(f"INSERT INTO jobs_migrating (tenant, {copied}) SELECT ?, {copied} FROM jobs",
                           (ANONYMOUS,))
                tx.execute("DROP TABLE jobs")
                tx.execute("ALTER TABLE jobs_migrating RENAME TO jobs")
                broken = tx.execute("PRAGMA foreign_key_check(job_items)").fetchall()
                if broken:
                    raise RuntimeError(f"job store migration: {len(broken)} items lost their job; nothing changed")
        finally:
            db.execute("PRAGMA foreign_keys=ON")

    @staticmethod
    def _job_columns(db: sqlite3.Connection) -> set[str]:
        return {row[1] for row in db.execute("PRAGMA table_info(jobs)")}

    # -- connections ------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; WAL + NORMAL on power loss
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite already rolled back on SQLITE_FULL: keep its error, not ROLLBACK's
                db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- jobs -------------------------------------------------------------------------
    def create_job(self, records: Iterable[tuple[str, str | bytes]], options: dict, *, tenant: str = ANONYMOUS,
                   idempotency_key: str | None = None, req_hash: str | None = None) -> tuple[str, bool]:
        """Store a job of ``tenant`` and its items, given as ``(article id, record JSON)``, in one transaction
        → (job id, created). A replay of the tenant's idempotency key returns (its job id, False)."""
        self.purge_expired()
        now = time.time()
        job_id = uuid.uuid4().hex
        with self._tx() as db:
            if idempotency_key:
                row = db.execute("SELECT id, request_hash FROM jobs WHERE tenant = ? AND idempotency_key = ?",
                                 (tenant, idempotency_key)).fetchone()
                visible, since = self._visible()
                if row is not None and visible != "1" and db.execute(
                        f"SELECT 1 FROM jobs WHERE id = ? AND {visible}", (row["id"], since)).fetchone() is None:
                    # the key's job is past its retention, purged or not yet: it is gone, the key is free again
                    db.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))
                    row = None
                if row is not None:
                    if req_hash and row["request_hash"] and row["request_hash"] != req_hash:
                        raise IdempotencyConflict(row["id"])
                    return row["id"], False
            db.execute("INSERT INTO jobs (id, tenant, status, options, total, idempotency_key, request_hash, "
                       "created_at, updated_at) VALUES (?, ?, 'queued', ?, 0, ?, ?, ?, ?)",
                       (job_id, tenant, json.dumps(options), idempotency_key, req_hash, now, now))
            total = 0
            rows = []
            for seq, (article_id, record) in enumerate(records):
                rows.append((job_id, seq, article_id, record.decode() if isinstance(record, bytes) else record))
                total += 1
                if len(rows) >= 1000:
                    db.executemany("INSERT INTO job_items (job_id, seq, article_id, record, status)"
                                   " VALUES (?, ?, ?, ?, 'queued')", rows)
                    rows.clear()
            db.executemany("INSERT INTO job_items (job_id, seq, article_id, record, status)"
                           " VALUES (?, ?, ?, ?, 'queued')", rows)
            db.execute("UPDATE jobs SET total = ? WHERE id = ?", (total, job_id))
            if total == 0:
                db.execute("UPDATE jobs SET status = 'done', finished_at = ? WHERE id = ?", (now, job_id))
        return job_id, True

    def jobs_by_state(self) -> dict[str, int]:
        """How many jobs are in each state (for metrics)."""
        return {row[0]: row[1] for row in self._db().execute("SELECT status, COUNT(*) FROM jobs GROUP BY status")}

    def queued_items(self) -> int:
        """Articles waiting for a worker, over all jobs (for metrics)."""
        return self._db().execute("SELECT COUNT(*) FROM job_items WHERE status = 'queued'").fetchone()[0]

    def _visible(self) -> tuple[str, float]:
        """SQL (and its parameter) that hides the jobs past their retention, purged or not yet."""
        if self.retention_s <= 0:
            return "1", 0.0
        return "(finished_at IS NULL OR finished_at >= ?)", time.time() - self.retention_s

    def owns(self, job_id: str, tenant: str) -> bool:
        """Whether ``job_id`` is a (live) job of ``tenant``."""
        visible, since = self._visible()
        sql = f"SELECT 1 FROM jobs WHERE id = ? AND tenant = ? AND {visible}"
        params = (job_id, tenant) + ((since,) if visible != "1" else ())
        return self._db().execute(sql, params).fetchone() is not None

    def get_job(self, job_id: str, tenant: str = ANONYMOUS) -> dict | None:
        """The job ``job_id`` of ``tenant`` (None for another tenant's job: the same as no job)."""
        db = self._db()
        if not self.owns(job_id, tenant):
            return None
        job = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if job is None:
            return None
        counts = {status: 0 for status in ("queued", "running", "done", "failed", "cancelled")}
        for row in db.execute("SELECT status, COUNT(*) AS n FROM job_items WHERE job_id = ? GROUP BY status",
                              (job_id,)):
            counts[row["status"]] = row["n"]
        finished = counts["done"] + counts["failed"] + counts["cancelled"]
        total = job["total"]
        return {
            "job_id": job["id"],
            "status": job["status"],
            "counts": {"total": total, **counts},
            "progress": round(finished / total, 4) if total else 1.0,
            "options": json.loads(job["options"]),
            "error": job["error"],
            "created_at": iso(job["created_at"]),
            "started_at": iso(job["started_at"]),
            "finished_at": iso(job["finished_at"]),
            "updated_at": iso(job["updated_at"]),
        }

    def cancel_job(self, job_id: str, tenant: str = ANONYMOUS) -> bool:
        """Cancel queued items (running ones finish); False if ``tenant`` has no such job."""
        now = time.time()
        with self._tx() as db:
            job = db.execute("SELECT status FROM jobs WHERE id = ? AND tenant = ?", (job_id, tenant)).fetchone()
            if job is None:
                return False
            if job["status"] in ACTIVE:
                db.execute("UPDATE job_items SET status = 'cancelled', finished_at = ? "
                           "WHERE job_id = ? AND status = 'queued'", (now, job_id))
                db.execute("UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                           (now, now, job_id))
        return True

    # -- work -----------------------------------------------------------------------------
    def claim(self, owner: str) -> Claim | None:
        """Take a queued item, tenants in turns: the oldest queued item of the oldest live job of the tenant
        this store served least recently (a key's 100,000-article job does not hold up another key's one
        article); within a job, items go in order. None when nothing is queued."""
        with self._tx() as db:
            now = time.time()
            jobs = db.execute(
                "SELECT id, tenant FROM jobs WHERE finished_at IS NULL AND EXISTS "
                "(SELECT 1 FROM job_items WHERE job_items.job_id = jobs.id AND job_items.status = 'queued') "
                "ORDER BY created_at, id").fetchall()
            if not jobs:
                return None
            job_id = min(jobs, key=lambda j: self._served.get(j["tenant"], 0.0))["id"]  # min keeps job age order
            row = db.execute(
                "UPDATE job_items SET status = 'running', owner = ?, lease_until = ?, attempts = attempts + 1 "
                "WHERE item_id = (SELECT item_id FROM job_items WHERE job_id = ? AND status = 'queued' "
                "ORDER BY item_id LIMIT 1) RETURNING item_id, job_id, seq, record, attempts",
                (owner, now + self.lease_s, job_id)).fetchone()
            if row is None:
                return None
            self._served[next(j["tenant"] for j in jobs if j["id"] == job_id)] = time.monotonic()
            job = db.execute("SELECT status, options, tenant FROM jobs WHERE id = ?", (row["job_id"],)).fetchone()
            if job["status"] == "queued":
                db.execute("UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), "
                           "updated_at = ? WHERE id = ?", (now, now, row["job_id"]))
        return Claim(row["item_id"], row["job_id"], row["seq"], json.loads(row["record"]),
                     json.loads(job["options"]), row["attempts"], job["tenant"])

    def complete(self, claim: Claim, owner: str, result: dict) -> bool:
        """Store the item's result if ``owner`` still holds it → True (exactly once); else discard → False."""
        status = "failed" if result.get("error") else "done"
        with self._tx() as db:
            now = time.time()
            order = db.execute("SELECT COALESCE(MAX(done_order), 0) + 1 FROM job_items WHERE job_id = ?",
                               (claim.job_id,)).fetchone()[0]
            cur = db.execute(
                "UPDATE job_items SET status = ?, result = ?, done_order = ?, finished_at = ?, owner = NULL, "
                "lease_until = NULL WHERE item_id = ? AND status = 'running' AND owner = ?",
                (status, _dumps(result), order, now, claim.item_id, owner))
            if cur.rowcount != 1:
                return False
            self._finish_if_complete(db, claim.job_id, now)
        return True

    def _finish_if_complete(self, db: sqlite3.Connection, job_id: str, now: float) -> None:
        db.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", (now, job_id))
        left = db.execute("SELECT 1 FROM job_items WHERE job_id = ? AND status IN ('queued', 'running') LIMIT 1",
                          (job_id,)).fetchone()
        if left is None:
            db.execute("UPDATE jobs SET status = 'done', finished_at = ? WHERE id = ? AND status = 'running'",
                       (now, job_id))

    def release(self, claim: Claim, owner: str) -> None:
        """Give an item back to the queue (a worker stopping before it finished)."""
        with self._tx() as db:
            db.execute("UPDATE job_items SET status = 'queued', owner = NULL, lease_until = NULL, "
                       "attempts = MAX(attempts - 1, 0) WHERE item_id = ? AND status = 'running' AND owner = ?",
                       (claim.item_id, owner))

    def fail_job(self, job_id: str, reason: str) -> None:
        """A job that cannot run (a model it needs is missing): every unfinished item fails with ``reason``."""
        now = time.time()
        with self._tx() as db:
            for row in db.execute("SELECT item_id, article_id FROM job_items WHERE job_id = ? AND status IN "
                                  "('queued', 'running')", (job_id,)).fetchall():
                order = db.execute("SELECT COALESCE(MAX(done_order), 0) + 1 FROM job_items WHERE job_id = ?",
                                   (job_id,)).fetchone()[0]
                result = {"id": row["article_id"], "error": "capability_unavailable", "reason": reason}
                db.execute("UPDATE job_items SET status = 'failed', result = ?, done_order = ?, finished_at = ?, "
                           "owner = NULL WHERE item_id = ?", (_dumps(result), order, now, row["item_id"]))
            db.execute("UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, updated_at = ? "
                       "WHERE id = ? AND status IN ('queued', 'running')", (reason, now, now, job_id))

    def renew(self, owner: str, item_ids: list[int] | None = None) -> int:
        """Extend the leases of the items ``owner`` is working on (a heartbeat); with ``item_ids``, only
        those: an item its worker gave up on (an error while writing its result) runs out and is redone."""
        until = time.time() + self.lease_s
        with self._tx() as db:
            if item_ids is None:
                return db.execute("UPDATE job_items SET lease_until = ? WHERE status = 'running' AND owner = ?",
                                  (until, owner)).rowcount
            marks = ",".join("?" * len(item_ids)) or "NULL"
            return db.execute(f"UPDATE job_items SET lease_until = ? WHERE status = 'running' AND owner = ? "
                              f"AND item_id IN ({marks})", (until, owner, *item_ids)).rowcount

    def requeue_expired(self) -> int:
        """Items whose owner died (lease run out) go back to the queue, or fail after max_attempts."""
        now = time.time()
        with self._tx() as db:
            expired = db.execute("SELECT item_id, job_id, article_id, attempts FROM job_items "
                                 "WHERE status = 'running' AND lease_until < ?", (now,)).fetchall()
            for row in expired:
                if row["attempts"] >= self.max_attempts:
                    order = db.execute("SELECT COALESCE(MAX(done_order), 0) + 1 FROM job_items WHERE job_id = ?",
                                       (row["job_id"],)).fetchone()[0]
                    result = {"id": row["article_id"], "error": "gave_up",
                              "reason": f"processing did not finish in {row['attempts']} attempts "
                                        "(the worker died each time)"}
                    db.execute("UPDATE job_items SET status = 'failed', result = ?, done_order = ?, "
                               "finished_at = ?, owner = NULL WHERE item_id = ?",
                               (_dumps(result), order, now, row["item_id"]))
                    self._finish_if_complete(db, row["job_id"], now)
                else:
                    db.execute("UPDATE job_items SET status = 'queued', owner = NULL, lease_until = NULL "
                               "WHERE item_id = ?", (row["item_id"],))
        return len(expired)

    def purge_expired(self, batch: int = 50) -> int:
        """Delete the finished jobs (and their items, results and idempotency keys) older than the retention
        → how many jobs; a few jobs per transaction, so that workers and writers are not held up."""
        if self.retention_s <= 0:
            return 0
        cutoff = time.time() - self.retention_s
        purged = 0
        while True:
            with self._tx() as db:
                ids = [row[0] for row in db.execute(
                    "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? AND status IN "
                    "('done', 'failed', 'cancelled') LIMIT ?", (cutoff, batch))]
                if not ids:
                    return purged
                marks = ", ".join("?" * len(ids))
                db.execute(f"DELETE FROM job_items WHERE job_id IN ({marks})", ids)
                db.execute(f"DELETE FROM jobs WHERE id IN ({marks})", ids)
            purged += len(ids)

    def has_work(self) -> bool:
        db = self._db()
        return db.execute("SELECT 1 FROM job_items WHERE status IN ('queued', 'running') LIMIT 1").fetchone() \
            is not None

    # -- results ----------------------------------------------------------------------------
    def results_bound(self, job_id: str, cursor: int, limit: int | None) -> int:
        """The done_order of the last result a page from ``cursor`` holds (== cursor when none)."""
        db = self._db()
        if limit is None:
            row = db.execute("SELECT MAX(done_order) FROM job_items WHERE job_id = ? AND done_order > ?",
                             (job_id, cursor)).fetchone()
        else:
            row = db.execute("SELECT MAX(done_order) FROM (SELECT done_order FROM job_items WHERE job_id = ? AND "
                             "done_order > ? ORDER BY done_order LIMIT ?)", (job_id, cursor, limit)).fetchone()
        return row[0] if row[0] is not None else cursor

    def iter_results(self, job_id: str, after: int, upto: int, chunk: int = 500) -> Iterator[str]:
        """The stored result rows (JSON text) with ``after < done_order <= upto``, in completion order."""
        db = self._db()
        while after < upto:
            rows = db.execute("SELECT done_order, result FROM job_items WHERE job_id = ? AND done_order > ? AND "
                              "done_order <= ? ORDER BY done_order LIMIT ?", (job_id, after, upto, chunk)).fetchall()
            if not rows:
                return
            for row in rows:
                yield row["result"]
            after = rows[-1]["done_order"]
