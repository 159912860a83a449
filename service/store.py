"""The job store, in the service's database (``service/db.py``: SQLite by default, PostgreSQL to share
jobs between replicas; ``TOMTAT_DATABASE_URL``).

Tables (this module owns ``jobs`` and ``job_items``; other modules may keep their
own tables in the same file):

* ``jobs``: one row per job — its tenant (``tenant``: the API key that created
  it, ``key:<id>``, or ``anonymous`` when keys are off), status, options,
  timestamps, the idempotency key (unique per tenant) and a hash of the request
  it came with. Every read and write of a job is scoped to its tenant: another
  tenant's job is "not found".
* ``job_items``: one row per article — its input record, its state
  (``queued → running → done|failed``, or ``cancelled``), its result, and
  ``done_order``: the job's completion sequence, the cursor of ``/results``;
  a finished item keeps its ``owner``, the worker (host:pid:id) that did it.

Exactly-once: a worker *claims* an item (``queued → running``, with its owner
id and a lease; on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``, so replicas
claiming at once take different items and never wait for each other), and
completing it is a conditional update that only succeeds while that worker
still owns the item; anything else is discarded. Owners renew
their leases while they live; after a crash the leases run out and the items go
back to ``queued`` (``requeue_expired``), so unfinished work resumes on the next
start and every item gets exactly one stored result. An item that has been
claimed ``max_attempts`` times without completing (an article that crashes the
process) is failed instead of retried forever.

Retention: finished jobs (done, failed, cancelled) and their items are deleted
``retention_s`` after they finish (``purge_expired``; the job workers'
heartbeat calls it, not the requests); until then an expired job is already
hidden from reads, and its idempotency key is free.

Schema: ``service/db.py``'s migrations (``tomtat db upgrade``, or on open).

Locks on PostgreSQL are always taken job row first, then its items (claims lock only
the one item they take), so concurrent replicas cannot deadlock; completion order
numbers (``done_order``) are drawn under the job row's lock.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from models.cache import Lru

from .db import Database

ANONYMOUS = "anonymous"
JOB_COLUMNS = ("id", "status", "options", "total", "idempotency_key", "request_hash", "error", "created_at",
               "started_at", "finished_at", "updated_at")

ACTIVE = ("queued", "running")
ANALYZE_AFTER = 5000  # items in one new job that make PostgreSQL re-read job_items' statistics
# the next completion number of job :job (drawn under the job row's lock; the partial index job_items_done)
NEXT_ORDER = ("SELECT COALESCE(MAX(done_order), 0) + 1 FROM job_items WHERE job_id = :job "
              "AND done_order IS NOT NULL")
FINAL = ("done", "failed", "cancelled")
OPTIONS_KEPT = 16  # jobs whose parsed options a store keeps (``JobStore._job_options``; a few MB each at most)
PURGE_MOST_BYTES = 64 * 2**20  # document files one purge transaction deletes at most (beyond one job's own)


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


def holds_nul(value: str) -> bool:
    """A NUL in a value to look up: no stored row holds one, and PostgreSQL refuses it (a DataError)."""
    return "\x00" in value


def _in(values, prefix: str = "v") -> tuple[str, dict]:
    """``IN (…)``'s placeholders for ``values`` and their parameters: ``(":v0, :v1", {"v0": …, "v1": …})``."""
    params = {f"{prefix}{n}": value for n, value in enumerate(values)}
    return ", ".join(f":{name}" for name in params), params


class JobStore:
    """Jobs and items in ``database`` (a URL, a SQLite path, or an open :class:`Database`)."""

    def __init__(self, database: str | Database, lease_s: float = 60.0, max_attempts: int = 3,
                 retention_s: float = 0.0):
        self.db = database if isinstance(database, Database) else Database.shared(database)
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.retention_s = retention_s  # 0: finished jobs are kept until deleted by hand
        self._served: dict[str, float] = {}  # tenant -> when this store last gave it an item (turns)
        # job id -> its options, parsed (a job's options never change; with an inline glossary they are up to
        # a few MB, read once per job instead of once per item and per live job at every claim)
        self._options = Lru(OPTIONS_KEPT)

    def _lock_job(self, conn: Connection, job_id: str) -> None:
        """Take the job row's lock (PostgreSQL; SQLite's writers are serialized already)."""
        if self.db.for_update:
            conn.execute(text(f"SELECT id FROM jobs WHERE id = :job{self.db.for_update}"), {"job": job_id})

    def _no_flush(self, conn: Connection) -> None:
        """PostgreSQL: this transaction's commit does not wait for its WAL flush (about half an item's
        store time). Only for writes whose loss in a database crash is harmless: a lost claim or lease renewal
        leaves the item queued or its lease shorter, so it is claimed and done again; results always flush."""
        if self.db.dialect == "postgresql":
            conn.execute(text("SET LOCAL synchronous_commit TO OFF"))

    @staticmethod
    def _next_order(conn: Connection, job_id: str) -> int:
        return conn.execute(text(NEXT_ORDER), {"job": job_id}).scalar()

    # -- jobs -------------------------------------------------------------------------
    def create_job(self, records: Iterable[tuple[str, str | bytes]], options: dict, *, tenant: str = ANONYMOUS,
                   idempotency_key: str | None = None, req_hash: str | None = None) -> tuple[str, bool]:
        """Store a job of ``tenant`` and its items, given as ``(article id, record JSON)``, in one transaction
        → (job id, created). A replay of the tenant's idempotency key returns (its job id, False), also when
        another replica stores the same key at the same moment (the unique constraint decides). Expired jobs
        are purged by the workers' heartbeat, not here (they are hidden from every read until then)."""
        if idempotency_key:
            found = self.replay(tenant, idempotency_key, req_hash)
            if found is not None:
                return found, False
        try:
            job_id = self._insert_job(records, options, tenant, idempotency_key, req_hash)
        except IntegrityError:
            if not idempotency_key:
                raise
            found = self.replay(tenant, idempotency_key, req_hash)  # the other writer won: its job is ours
            if found is None:
                raise
            return found, False
        return job_id, True

    def replay(self, tenant: str, idempotency_key: str, req_hash: str | None) -> str | None:
        """The job the tenant's idempotency key already names (``IdempotencyConflict`` when it was stored for
        another request), or None: the key is free. A caller with costly work before ``create_job`` (a file to
        store) asks first; ``create_job`` still settles two writers racing."""
        with self.db.tx() as db:
            row = db.execute(text("SELECT id, request_hash FROM jobs WHERE tenant = :tenant AND idempotency_key = :key"),
                             {"tenant": tenant, "key": idempotency_key}).mappings().first()
            if row is None:
                return None
            visible, params = self._visible()
            if self.retention_s > 0 and db.execute(text(f"SELECT 1 FROM jobs WHERE id = :id AND {visible}"),
                                             {"id": row["id"], **params}).first() is None:
                # the key's job is past its retention, purged or not yet: it is gone, the key is free again
                self._delete_jobs(db, [row["id"]])
                return None
            if req_hash and row["request_hash"] and row["request_hash"] != req_hash:
                raise IdempotencyConflict(row["id"])
            return row["id"]

    def _insert_job(self, records, options, tenant, idempotency_key, req_hash) -> str:
        now = time.time()
        job_id = uuid.uuid4().hex
        insert = text("INSERT INTO job_items (job_id, seq, article_id, record, status) "
                      "VALUES (:job, :seq, :article, :record, 'queued')")
        with self.db.tx() as db:
            db.execute(text("INSERT INTO jobs (id, tenant, status, options, total, idempotency_key, request_hash, "
                            "created_at, updated_at) VALUES (:id, :tenant, 'queued', :options, 0, :key, :hash, "
                            ":now, :now)"),
                       {"id": job_id, "tenant": tenant, "options": json.dumps(options), "key": idempotency_key,
                        "hash": req_hash, "now": now})
            total = 0
            rows = []
            for seq, (article_id, record) in enumerate(records):
                rows.append({"job": job_id, "seq": seq, "article": article_id,
                             "record": record.decode() if isinstance(record, bytes) else record})
                total += 1
                if len(rows) >= 1000:
                    db.execute(insert, rows)
                    rows.clear()
            if rows:
                db.execute(insert, rows)
            db.execute(text("UPDATE jobs SET total = :total WHERE id = :id"), {"total": total, "id": job_id})
            if total == 0:
                db.execute(text("UPDATE jobs SET status = 'done', finished_at = :now WHERE id = :id"),
                           {"now": now, "id": job_id})
        if total >= ANALYZE_AFTER and self.db.dialect == "postgresql":
            # fresh statistics at once, not at autovacuum's next round: without them the planner finds the next
            # queued item by scanning the job's whole status index instead of the queued-items index
            with self.db.tx() as db:
                db.execute(text("ANALYZE job_items"))
        return job_id

    def jobs_by_state(self) -> dict[str, int]:
        """How many jobs are in each state (for metrics)."""
        with self.db.read() as db:
            return {row[0]: row[1] for row in db.execute(text("SELECT status, COUNT(*) FROM jobs GROUP BY status"))}

    def queued_items(self) -> int:
        """Articles waiting for a worker, over all jobs (for metrics)."""
        return self.db.scalar("SELECT COUNT(*) FROM job_items WHERE status = 'queued'")

    def _visible(self) -> tuple[str, dict]:
        """SQL (and its parameters) that hides the jobs past their retention, purged or not yet."""
        if self.retention_s <= 0:
            return "1 = 1", {}
        return "(finished_at IS NULL OR finished_at >= :since)", {"since": time.time() - self.retention_s}

    def owns(self, job_id: str, tenant: str) -> bool:
        """Whether ``job_id`` is a (live) job of ``tenant``."""
        visible, params = self._visible()
        with self.db.read() as db:
            return db.execute(text(f"SELECT 1 FROM jobs WHERE id = :id AND tenant = :tenant AND {visible}"),
                              {"id": job_id, "tenant": tenant, **params}).first() is not None

    def get_job(self, job_id: str, tenant: str = ANONYMOUS) -> dict | None:
        """The job ``job_id`` of ``tenant`` (None for another tenant's job: the same as no job, and for an id
        with a NUL, which no job has and PostgreSQL would refuse to compare)."""
        if holds_nul(job_id):
            return None
        visible, params = self._visible()
        with self.db.read() as db:
            kept = self._options.get(job_id)  # a job's options never change: read and parsed once
            job = db.execute(text("SELECT id, status, total, error, created_at, started_at, finished_at, updated_at"
                                  f"{'' if kept is not None else ', options'} FROM jobs "
                                  f"WHERE id = :id AND tenant = :tenant AND {visible}"),
                             {"id": job_id, "tenant": tenant, **params}).mappings().first()
            if job is None:
                return None
            options = kept
            if options is None:  # kept from now on: a status polled every second parses it once
                options = json.loads(job["options"])
                self._options.put(job_id, options)
            counts = {status: 0 for status in ("queued", "running", "done", "failed", "cancelled")}
            partial = 0.0  # how far the running items are, where they say (report_progress)
            for status, n, part in db.execute(text("SELECT status, COUNT(*), SUM(progress) FROM job_items "
                                                    "WHERE job_id = :id GROUP BY status"), {"id": job_id}):
                counts[status] = n
                if status == "running":
                    partial = float(part or 0.0)
        finished = counts["done"] + counts["failed"] + counts["cancelled"]
        total = job["total"]
        progress = round(finished / total, 4) if total else 1.0
        if partial and finished < total:  # an unfinished job never shows 1.0
            progress = min(round((finished + partial) / total, 4), 0.9999)
        return {
            "job_id": job["id"],
            "status": job["status"],
            "counts": {"total": total, **counts},
            "progress": progress,
            "options": options,
            "error": job["error"],
            "created_at": iso(job["created_at"]),
            "started_at": iso(job["started_at"]),
            "finished_at": iso(job["finished_at"]),
            "updated_at": iso(job["updated_at"]),
        }

    def cancel_job(self, job_id: str, tenant: str = ANONYMOUS) -> bool:
        """Cancel queued items (running ones finish); False if ``tenant`` has no such job."""
        now = time.time()
        with self.db.tx() as db:
            job = db.execute(text(f"SELECT status FROM jobs WHERE id = :id AND tenant = :tenant{self.db.for_update}"),
                             {"id": job_id, "tenant": tenant}).first()
            if job is None:
                return False
            if job[0] in ACTIVE:
                db.execute(text("UPDATE job_items SET status = 'cancelled', finished_at = :now "
                                "WHERE job_id = :id AND status = 'queued'"), {"now": now, "id": job_id})
                db.execute(text("UPDATE jobs SET status = 'cancelled', finished_at = :now, updated_at = :now "
                                "WHERE id = :id"), {"now": now, "id": job_id})
        return True

    # -- work -----------------------------------------------------------------------------
    def claim(self, owner: str) -> Claim | None:
        """Take a queued item, tenants in turns: the oldest queued item of the oldest live job of the tenant
        this store served least recently (a key's 100,000-article job does not hold up another key's one
        article); within a job, items go in order. An item another replica is claiming at this moment is
        skipped, not waited for. None when nothing is queued. One transaction, locking only the item taken."""
        now = time.time()
        with self.db.tx() as db:
            self._no_flush(db)
            jobs = db.execute(text(
                "SELECT id, tenant, status FROM jobs WHERE finished_at IS NULL AND EXISTS "
                "(SELECT 1 FROM job_items WHERE job_items.job_id = jobs.id AND job_items.status = 'queued') "
                "ORDER BY created_at, id")).all()
            # sorted() is stable: among tenants served equally long ago, the oldest job first
            for job_id, job_tenant, status in sorted(jobs, key=lambda j: self._served.get(j[1], 0.0))[:8]:
                row = db.execute(text(
                    "UPDATE job_items SET status = 'running', owner = :owner, lease_until = :until, "
                    "attempts = attempts + 1, progress = NULL "
                    "WHERE status = 'queued' AND item_id = (SELECT item_id FROM job_items "
                    f"WHERE job_id = :job AND status = 'queued' ORDER BY item_id LIMIT 1{self.db.skip_locked}) "
                    "RETURNING item_id, job_id, seq, record, attempts"),
                    {"owner": owner, "until": now + self.lease_s, "job": job_id}).mappings().first()
                if row is not None:
                    break
            else:
                return None
            options = self._job_options(db, job_id)
        self._served[job_tenant] = time.monotonic()
        if status == "queued":  # its own transaction: a claim holds no lock but its item's (no deadlocks)
            with self.db.tx() as db:
                db.execute(text("UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, :now), "
                                "updated_at = :now WHERE id = :id AND status = 'queued'"), {"now": now, "id": job_id})
        return Claim(row["item_id"], row["job_id"], row["seq"], json.loads(row["record"]), options,
                     row["attempts"], job_tenant)

    def _job_options(self, db: Connection, job_id: str) -> dict:
        """The options of a job being claimed, parsed; read from the database once per job while it is claimed.
        The ``options`` of a job's claims are one dict: read it, do not change it."""
        found = self._options.get(job_id)
        if found is None:
            found = json.loads(db.execute(text("SELECT options FROM jobs WHERE id = :id"), {"id": job_id}).scalar_one())
            self._options.put(job_id, found)
        return found

    def complete(self, claim: Claim, owner: str, result: dict) -> bool:
        """Store the item's result if ``owner`` still holds it → True (exactly once); else discard → False."""
        status = "failed" if result.get("error") else "done"
        with self.db.tx() as db:
            now = time.time()
            self._touch_job(db, claim.job_id, now)  # the job row's lock first (see the module docstring)
            cur = db.execute(text(
                f"UPDATE job_items SET status = :status, result = :result, done_order = ({NEXT_ORDER}), "
                "finished_at = :now, lease_until = NULL WHERE item_id = :item AND status = 'running' AND owner = :owner"),
                {"status": status, "result": _dumps(result), "job": claim.job_id, "now": now, "item": claim.item_id,
                 "owner": owner})
            if cur.rowcount != 1:
                return False
            self._finish_if_complete(db, claim.job_id, now)
        return True

    @staticmethod
    def _touch_job(db: Connection, job_id: str, now: float) -> None:
        """``updated_at`` of the job; on PostgreSQL this takes the job row's lock until the transaction ends."""
        db.execute(text("UPDATE jobs SET updated_at = :now WHERE id = :id"), {"now": now, "id": job_id})

    @staticmethod
    def _finish_if_complete(db: Connection, job_id: str, now: float) -> None:
        db.execute(text("UPDATE jobs SET status = 'done', finished_at = :now WHERE id = :id AND status = 'running' "
                        "AND NOT EXISTS (SELECT 1 FROM job_items WHERE job_id = :id AND status IN ('queued', 'running'))"),
                   {"now": now, "id": job_id})

    def report_progress(self, claim: Claim, owner: str, fraction: float) -> bool:
        """How far ``owner`` is with its item (0..1), shown in the job's ``progress`` until the item ends; a
        claim starts again at 0. False when the item is no longer ``owner``'s (nothing written)."""
        fraction = min(1.0, max(0.0, float(fraction)))
        with self.db.tx() as db:
            self._no_flush(db)  # lost in a crash, the item is redone from 0 anyway
            if self.db.dialect == "postgresql":  # advisory: never keep a worker waiting on a lock
                db.execute(text("SET LOCAL lock_timeout = '1s'"))
            # attempts: a claim of this item made after this one's lease ran out is another claim, even by
            # another thread of the same process (same owner)
            return db.execute(text("UPDATE job_items SET progress = :p WHERE item_id = :item AND status = 'running' "
                                   "AND owner = :owner AND attempts = :attempts"),
                              {"p": fraction, "item": claim.item_id, "owner": owner, "attempts": claim.attempts}
                              ).rowcount == 1

    def release(self, claim: Claim, owner: str) -> None:
        """Give an item back to the queue (a worker stopping before it finished)."""
        with self.db.tx() as db:
            db.execute(text("UPDATE job_items SET status = 'queued', owner = NULL, lease_until = NULL, "
                            "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END "
                            "WHERE item_id = :item AND status = 'running' AND owner = :owner"),
                       {"item": claim.item_id, "owner": owner})

    def fail_job(self, job_id: str, reason: str) -> None:
        """A job that cannot run (a model it needs is missing): every unfinished item fails with ``reason``."""
        now = time.time()
        with self.db.tx() as db:
            self._lock_job(db, job_id)
            order = self._next_order(db, job_id)
            for item_id, article_id in db.execute(text(
                    "SELECT item_id, article_id FROM job_items WHERE job_id = :id AND status IN "
                    f"('queued', 'running') ORDER BY item_id{self.db.for_update}"), {"id": job_id}).all():
                result = {"id": article_id, "error": "capability_unavailable", "reason": reason}
                db.execute(text("UPDATE job_items SET status = 'failed', result = :result, done_order = :order, "
                                "finished_at = :now, owner = NULL WHERE item_id = :item"),
                           {"result": _dumps(result), "order": order, "now": now, "item": item_id})
                order += 1
            db.execute(text("UPDATE jobs SET status = 'failed', error = :reason, finished_at = :now, updated_at = :now "
                            "WHERE id = :id AND status IN ('queued', 'running')"),
                       {"reason": reason, "now": now, "id": job_id})

    def renew(self, owner: str, item_ids: list[int] | None = None) -> int:
        """Extend the leases of the items ``owner`` is working on (a heartbeat); with ``item_ids``, only
        those: an item its worker gave up on (an error while writing its result) runs out and is redone."""
        until = time.time() + self.lease_s
        sql = "UPDATE job_items SET lease_until = :until WHERE status = 'running' AND owner = :owner"
        params: dict = {"until": until, "owner": owner}
        if item_ids is not None:
            if not item_ids:
                return 0
            marks, ids = _in(item_ids, "i")
            sql += f" AND item_id IN ({marks})"
            params |= ids
        with self.db.tx() as db:
            self._no_flush(db)
            return db.execute(text(sql), params).rowcount

    def requeue_expired(self) -> int:
        """Items whose owner died (lease run out) go back to the queue, or fail after max_attempts → how many.
        Any replica may run it; each item is moved by one of them (the update checks the lease again)."""
        now = time.time()
        with self.db.read() as db:
            expired = db.execute(text("SELECT item_id, job_id, article_id, attempts FROM job_items "
                                      "WHERE status = 'running' AND lease_until < :now"), {"now": now}).all()
        moved = 0
        still = "item_id = :item AND status = 'running' AND lease_until < :now"
        for item_id, job_id, article_id, attempts in expired:
            with self.db.tx() as db:
                if attempts >= self.max_attempts:
                    self._touch_job(db, job_id, now)
                    result = {"id": article_id, "error": "gave_up",
                              "reason": f"processing did not finish in {attempts} attempts "
                                        "(the worker died each time)"}
                    cur = db.execute(text(f"UPDATE job_items SET status = 'failed', result = :result, "
                                          f"done_order = :order, finished_at = :now, owner = NULL WHERE {still}"),
                                     {"result": _dumps(result), "order": self._next_order(db, job_id), "now": now,
                                      "item": item_id})
                    if cur.rowcount:
                        self._finish_if_complete(db, job_id, now)
                else:
                    cur = db.execute(text(f"UPDATE job_items SET status = 'queued', owner = NULL, lease_until = NULL "
                                          f"WHERE {still}"), {"now": now, "item": item_id})
                moved += cur.rowcount
        return moved

    def purge_expired(self, batch: int = 50, most_bytes: int = PURGE_MOST_BYTES) -> int:
        """Delete the finished jobs (and their items, results, idempotency keys and document files) older than
        the retention → how many jobs; a few jobs per transaction, and files of at most ``most_bytes`` (one
        job's, however large, at least), so that workers and writers are not held up. (``DocumentStore.purge``
        still removes a file whose job went some other way.)"""
        if self.retention_s <= 0:
            return 0
        cutoff = time.time() - self.retention_s
        purged = 0
        while True:
            with self.db.tx() as db:
                ids = [row[0] for row in db.execute(text(
                    "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < :cutoff AND status IN "
                    "('done', 'failed', 'cancelled') LIMIT :n"), {"cutoff": cutoff, "n": batch})]
                if not ids:
                    return purged
                ids = self._within_bytes(db, ids, most_bytes)
                self._delete_jobs(db, ids)
            purged += len(ids)

    @staticmethod
    def _delete_jobs(db: Connection, ids: list[str]) -> None:
        """Jobs and all that is theirs: items (with their results and progress), document files, the row
        (and with it the idempotency key)."""
        marks, params = _in(ids, "j")
        db.execute(text(f"DELETE FROM job_items WHERE job_id IN ({marks})"), params)
        db.execute(text(f"DELETE FROM documents WHERE job_id IN ({marks})"), params)
        db.execute(text(f"DELETE FROM jobs WHERE id IN ({marks})"), params)

    @staticmethod
    def _within_bytes(db: Connection, ids: list[str], most_bytes: int) -> list[str]:
        """The first of ``ids`` whose document files add up to at most ``most_bytes`` (the first job always)."""
        marks, params = _in(ids, "j")
        sizes = dict(db.execute(text(f"SELECT job_id, SUM(size) FROM documents WHERE job_id IN ({marks}) "
                                     "GROUP BY job_id"), params).all())
        kept, total = [], 0
        for job_id in ids:
            total += int(sizes.get(job_id) or 0)
            if kept and total > most_bytes:
                break
            kept.append(job_id)
        return kept

    def has_work(self) -> bool:
        with self.db.read() as db:
            return db.execute(text("SELECT 1 FROM job_items WHERE status IN ('queued', 'running') LIMIT 1")) \
                .first() is not None

    # -- results ----------------------------------------------------------------------------
    def results_bound(self, job_id: str, cursor: int, limit: int | None) -> int:
        """The done_order of the last result a page from ``cursor`` holds (== cursor when none)."""
        params = {"id": job_id, "cursor": cursor}
        if limit is None:
            sql = "SELECT MAX(done_order) FROM job_items WHERE job_id = :id AND done_order > :cursor"
        else:
            sql = ("SELECT MAX(done_order) FROM (SELECT done_order FROM job_items WHERE job_id = :id AND "
                   "done_order > :cursor ORDER BY done_order LIMIT :limit) AS page")
            params["limit"] = limit
        value = self.db.scalar(sql, **params)
        return value if value is not None else cursor

    def iter_results(self, job_id: str, after: int, upto: int, chunk: int = 500) -> Iterator[str]:
        """The stored result rows (JSON text) with ``after < done_order <= upto``, in completion order."""
        while after < upto:
            with self.db.read() as db:
                rows = db.execute(text("SELECT done_order, result FROM job_items WHERE job_id = :id AND "
                                       "done_order > :after AND done_order <= :upto ORDER BY done_order LIMIT :n"),
                                  {"id": job_id, "after": after, "upto": upto, "n": chunk}).all()
            if not rows:
                return
            for _order, result in rows:
                yield result
            after = rows[-1][0]
