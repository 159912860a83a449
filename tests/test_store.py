"""The store suite, on SQLite and on this machine's PostgreSQL: the same store interface, two real servers.

Jobs (claims, leases, exactly-once results, idempotency, retention), API keys and the persistent result
cache, plus the migrations that create them and the pool's reconnection after the server drops it.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from service.db import LATEST, Database
from service.keys import KeyStore
from service.resultcache import DatabaseCache
from service.store import IdempotencyConflict, JobStore
from tests.servers import POSTGRES, Cut, fresh_postgres, host_port


@pytest.fixture
def url(database):
    """Each test twice: SQLite and PostgreSQL (tests/conftest.py)."""
    return database


def count_transactions(db: Database) -> list[int]:
    """A list that grows by one at each ``db.tx()`` from now on."""
    opened: list[int] = []
    real_tx = db.tx

    def counted():
        opened.append(1)
        return real_tx()

    db.tx = counted
    return opened


def records(n: int, prefix: str = "a") -> list[tuple[str, str]]:
    return [(f"{prefix}{i}", json.dumps({"id": f"{prefix}{i}", "text": f"Bài {i}."})) for i in range(n)]


def store(url: str, **kw) -> JobStore:
    """A store with its own pool, as another replica would have."""
    return JobStore(Database(url), **kw)


def test_migrations_create_the_schema_once_and_record_it(url):
    db = Database(url, migrate=False)
    assert db.version() == 0
    assert db.upgrade() == [1, 2, 3, 4] and db.version() == LATEST == 4
    assert Database(url, migrate=False).upgrade() == []  # another process: nothing to do
    with db.read() as conn:
        assert [r[0] for r in conn.execute(text("SELECT version FROM schema_migrations ORDER BY version"))] == list(range(1, LATEST + 1))
        for table in ("jobs", "job_items", "api_keys", "result_cache", "glossaries", "documents"):
            assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0


def test_replicas_starting_together_migrate_once(url):
    applied, errors = [], []

    def start():
        try:
            applied.extend(Database(url, migrate=False).upgrade())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(applied) == list(range(1, LATEST + 1))  # each migration applied once, by one or another


def test_a_database_from_a_newer_release_is_refused(url):
    db = Database(url)
    with db.tx() as conn:
        conn.execute(text("INSERT INTO schema_migrations VALUES (:v, 'from the future', 'now')"), {"v": LATEST + 1})
    from service.db import SchemaTooNew

    with pytest.raises(SchemaTooNew, match="newer than this tomtat"):
        Database(url, migrate=False).upgrade()


def test_an_item_is_claimed_once_and_its_result_written_once(url):
    s = store(url)
    job_id, created = s.create_job(records(3), {"translate": "none"})
    assert created and s.get_job(job_id)["status"] == "queued"
    claims = [s.claim("w1") for _ in range(3)]
    assert [c.seq for c in claims] == [0, 1, 2] and s.claim("w1") is None
    assert s.get_job(job_id)["status"] == "running"
    assert s.complete(claims[1], "w1", {"id": "a1", "summary_vi": "b"})
    assert not s.complete(claims[1], "w1", {"id": "a1", "summary_vi": "again"})  # a second write is refused
    assert not s.complete(claims[0], "someone-else", {"id": "a0"})  # not the owner: discarded
    for claim in (claims[0], claims[2]):
        assert s.complete(claim, "w1", {"id": claim.record["id"]})
    job = s.get_job(job_id)
    assert job["status"] == "done" and job["counts"]["done"] == 3
    rows = [json.loads(r) for r in s.iter_results(job_id, 0, s.results_bound(job_id, 0, None))]
    assert [r["id"] for r in rows] == ["a1", "a0", "a2"]  # completion order
    assert rows[0]["summary_vi"] == "b"
    assert s.results_bound(job_id, 1, 1) == 2


def test_concurrent_replicas_claim_disjoint_items_and_every_result_is_stored_once(url):
    s = store(url)
    job_id, _ = s.create_job(records(120), {"translate": "none"})
    replicas = [store(url) for _ in range(4)]  # four pools, as four processes would have
    done: dict[str, list[int]] = {}
    errors: list[Exception] = []
    together = threading.Barrier(len(replicas))  # each holds a claim at once before any completes

    def work(name: str, replica: JobStore):
        try:
            first = True
            while (claim := replica.claim(name)) is not None:
                if first:
                    together.wait(timeout=60)
                    first = False
                assert replica.complete(claim, name, {"id": claim.record["id"]})
                done.setdefault(name, []).append(claim.seq)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"r{i}", r)) for i, r in enumerate(replicas)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(seq for got in done.values() for seq in got)
    assert seqs == list(range(120))  # each item by exactly one replica
    assert len(done) == len(replicas)  # the work was shared (without the barrier one thread may take it all)
    rows = [json.loads(r)["id"] for r in s.iter_results(job_id, 0, s.results_bound(job_id, 0, None))]
    assert sorted(rows) == sorted(f"a{i}" for i in range(120)) and len(set(rows)) == 120
    with s.db.read() as conn:
        orders = [r[0] for r in conn.execute(text("SELECT done_order FROM job_items WHERE job_id = :j "
                                                  "ORDER BY done_order"), {"j": job_id})]
        owners = {r[0] for r in conn.execute(text("SELECT DISTINCT owner FROM job_items WHERE job_id = :j"),
                                             {"j": job_id})}
    assert orders == list(range(1, 121)) and owners == set(done)  # who did each item is kept
    assert s.get_job(job_id)["status"] == "done"


def test_an_expired_lease_is_claimed_again_and_the_late_owner_is_refused(url):
    s = store(url, lease_s=0.2)
    job_id, _ = s.create_job(records(1), {})
    dead = s.claim("dead-replica")
    assert s.claim("live-replica") is None  # leased
    time.sleep(0.3)
    assert s.requeue_expired() == 1
    other = store(url, lease_s=30).claim("live-replica")
    assert other.item_id == dead.item_id and other.attempts == 2
    assert not s.complete(dead, "dead-replica", {"id": "a0", "by": "dead"})
    assert s.complete(other, "live-replica", {"id": "a0", "by": "live"})
    rows = [json.loads(r) for r in s.iter_results(job_id, 0, 10)]
    assert rows == [{"id": "a0", "by": "live"}]


def test_an_item_that_kills_every_worker_fails_after_max_attempts(url):
    s = store(url, lease_s=0.05, max_attempts=2)
    job_id, _ = s.create_job(records(1), {})
    for _ in range(2):
        assert s.claim("w") is not None
        time.sleep(0.1)
        s.requeue_expired()
    assert s.claim("w") is None
    job = s.get_job(job_id)
    assert job["status"] == "done" and job["counts"]["failed"] == 1
    assert json.loads(next(s.iter_results(job_id, 0, 1)))["error"] == "gave_up"


def test_a_running_item_s_progress_counts_until_it_ends_and_a_redo_starts_from_0(url):
    s = store(url, lease_s=0.2)
    job_id, _ = s.create_job(records(2), {})
    first = s.claim("w")
    assert s.report_progress(first, "w", 0.5) and s.get_job(job_id)["progress"] == 0.25
    assert not s.report_progress(first, "another-replica", 0.9)  # not its item
    time.sleep(0.3)
    assert s.requeue_expired() == 1
    redo = s.claim("w")  # the same owner (another thread of the process) takes it again
    assert redo.item_id == first.item_id and s.get_job(job_id)["progress"] == 0.0  # starts again from 0
    assert not s.report_progress(first, "w", 0.9)  # the first claim's late report is not the redo's
    assert s.report_progress(redo, "w", 0.6) and s.get_job(job_id)["progress"] == 0.3
    assert s.complete(redo, "w", {"id": "a0"}) and s.get_job(job_id)["progress"] == 0.5
    last = store(url).claim("w")
    assert s.report_progress(last, "w", 0.99999) and s.get_job(job_id)["progress"] == 0.9999  # never 1.0 unfinished
    assert s.complete(last, "w", {"id": "a1"}) and s.get_job(job_id)["progress"] == 1.0


def test_progress_reports_are_clamped_and_running_items_add_up(url):
    s = store(url)
    job_id, _ = s.create_job(records(2), {})
    one, two = s.claim("w"), s.claim("w")
    assert s.report_progress(one, "w", 0.5) and s.report_progress(two, "w", 0.3)
    assert s.get_job(job_id)["progress"] == 0.4  # (0.5 + 0.3) / 2: every running item counts
    assert s.report_progress(one, "w", 7) and s.report_progress(two, "w", -3)
    assert s.get_job(job_id)["progress"] == 0.5  # clamped to 1 and 0


def test_a_job_s_options_are_read_once_and_each_job_keeps_its_own(url, monkeypatch):
    import service.store as store_module

    monkeypatch.setattr(store_module, "OPTIONS_KEPT", 2)
    s = store(url)
    big = {"translate": "full", "glossary": {"source": "vi", "target": "en",
                                            "entries": {f"Thuật ngữ {i}": f"Term {i}" for i in range(3000)}}}
    jobs = [s.create_job(records(2, prefix=f"j{n}-"), big if n == 0 else {"translate": "none", "n": n})[0]
            for n in range(4)]
    claims = [s.claim("w") for _ in range(8)]  # two of each job, the jobs in turn
    by_job = {}
    for claim in claims:
        by_job.setdefault(claim.job_id, []).append(claim)
    assert set(by_job) == set(jobs) and all(len(c) == 2 for c in by_job.values())
    assert by_job[jobs[0]][0].options == big and by_job[jobs[0]][0].options is by_job[jobs[0]][1].options
    assert [by_job[j][0].options.get("n") for j in jobs[1:]] == [1, 2, 3]  # past the kept ones: read again, right
    assert len(s._options) == 2
    # a status shows the options whether the store keeps them (a job being claimed) or reads them
    assert [s.get_job(j)["options"].get("n") for j in jobs] == [None, 1, 2, 3] and s.get_job(jobs[0])["options"] == big
    polls = [s.get_job(jobs[1])["options"] for _ in range(3)]  # one that no claim keeps now
    assert polls[0] is polls[2] and polls[0]["n"] == 1  # a polled job's options are parsed once, then kept


def test_release_gives_the_item_back(url):
    s = store(url)
    s.create_job(records(1), {})
    claim = s.claim("w")
    s.release(claim, "w")
    again = s.claim("w2")
    assert again.item_id == claim.item_id and again.attempts == 1


def test_idempotency_keys_replay_conflict_and_race(url):
    s = store(url)
    first, created = s.create_job(records(2), {}, tenant="key:a", idempotency_key="K", req_hash="h1")
    assert created
    assert s.create_job(records(2), {}, tenant="key:a", idempotency_key="K", req_hash="h1") == (first, False)
    with pytest.raises(IdempotencyConflict):
        s.create_job(records(3), {}, tenant="key:a", idempotency_key="K", req_hash="h2")
    other, created = s.create_job(records(2), {}, tenant="key:b", idempotency_key="K", req_hash="h1")
    assert created and other != first  # keys are per tenant
    results: list[tuple[str, bool]] = []
    replicas = [store(url) for _ in range(4)]
    barrier = threading.Barrier(4)

    def post(replica: JobStore):
        barrier.wait()
        results.append(replica.create_job(records(2), {}, tenant="key:c", idempotency_key="race", req_hash="h"))

    threads = [threading.Thread(target=post, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({job for job, _ in results}) == 1 and sum(created for _, created in results) == 1


def test_jobs_are_scoped_to_their_tenant(url):
    s = store(url)
    job_id, _ = s.create_job(records(1), {}, tenant="key:a")
    assert s.get_job(job_id, "key:a") is not None
    assert s.get_job(job_id, "key:b") is None and not s.owns(job_id, "key:b")
    assert not s.cancel_job(job_id, "key:b") and s.cancel_job(job_id, "key:a")
    assert s.get_job(job_id, "key:a")["status"] == "cancelled" and s.claim("w") is None


def test_fail_job_fails_every_unfinished_item_in_order(url):
    s = store(url)
    job_id, _ = s.create_job(records(3), {})
    first = s.claim("w")
    assert s.complete(first, "w", {"id": "a0"})
    s.fail_job(job_id, "no model")
    job = s.get_job(job_id)
    assert job["status"] == "failed" and job["counts"] == {"total": 3, "queued": 0, "running": 0, "done": 1,
                                                            "failed": 2, "cancelled": 0}
    rows = [json.loads(r) for r in s.iter_results(job_id, 0, 10)]
    assert [r["id"] for r in rows] == ["a0", "a1", "a2"] and rows[2]["reason"] == "no model"


def test_finished_jobs_are_purged_after_their_retention(url):
    s = store(url, retention_s=0.2)
    job_id, _ = s.create_job(records(1), {}, idempotency_key="K")
    assert s.complete(s.claim("w"), "w", {"id": "a0"})
    assert s.get_job(job_id) is not None
    time.sleep(0.3)
    assert s.get_job(job_id) is None  # hidden at once …
    assert s.purge_expired() == 1  # … deleted by the next purge, items and idempotency key with it
    assert s.create_job(records(1), {}, idempotency_key="K")[1] is True


def test_a_job_that_goes_takes_its_document_files_with_it(url):
    """Purged, or replaced when its expired idempotency key is posted again: the job's files go in the same
    transaction (no orphan left for the next scan)."""
    from service.documents import DocumentStore

    s, files = store(url, retention_s=0.2), DocumentStore(url)

    def finished_job_with_a_file(key: str) -> tuple[str, str]:
        job_id, _ = s.create_job(records(1, key), {}, idempotency_key=key)
        file_id = files.save("anonymous", "source", "bai.txt", "text/plain", b"Bai bao.", job_id=job_id)
        assert s.complete(s.claim("w"), "w", {"id": f"{key}0"})
        return job_id, file_id

    purged, purged_file = finished_job_with_a_file("P")
    replaced, replaced_file = finished_job_with_a_file("R")
    time.sleep(0.3)
    assert s.create_job(records(1), {}, idempotency_key="R")[1] is True  # the expired key's job is replaced
    assert files.get(replaced_file) is None and files.get(purged_file) is not None
    assert s.purge_expired() == 1
    assert files.get(purged_file) is None and files.purge() == 0


def test_a_purge_deletes_a_bounded_size_of_files_per_transaction(url):
    """Document jobs hold megabytes each: one purge transaction takes as many jobs as fit the byte budget
    (one job at least, however large), so the writers it holds up wait for a bounded delete."""
    from service.documents import DocumentStore

    s, files = store(url, retention_s=0.2), DocumentStore(url)
    sizes = [3000, 500, 500, 2500, 100]
    for n, size in enumerate(sizes):
        job_id, _ = s.create_job(records(1, f"d{n}"), {})
        files.save("anonymous", "source", "bai.txt", "text/plain", b"x" * size, job_id=job_id)
        assert s.complete(s.claim("w"), "w", {"id": f"d{n}0"})
    time.sleep(0.3)
    transactions = count_transactions(s.db)
    assert s.purge_expired(most_bytes=1000) == len(sizes)  # every job purged …
    # … in whatever order the SELECT gives: 3000 and 2500 each alone, the three small ones (1100) in two,
    # and one that finds nothing left; without the budget it is one and the empty one
    assert 5 <= len(transactions) <= 6
    with s.db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM documents")).scalar() == 0
    for n in range(5):  # jobs without files: one transaction for all, and the one that finds nothing left
        s.create_job(records(1, f"e{n}"), {})
        assert s.complete(s.claim("w"), "w", {"id": f"e{n}0"})
    time.sleep(0.3)
    transactions.clear()
    assert s.purge_expired(most_bytes=1000) == 5 and len(transactions) == 2


def test_expired_and_orphaned_files_are_removed_a_few_per_transaction(url):
    from service.documents import DocumentStore

    files = DocumentStore(url)
    past = time.time() - 1
    expired = [files.save("anonymous", "translation", f"b{n}.txt", "text/plain", b"x", expires_at=past)
               for n in range(5)]
    kept = files.save("anonymous", "translation", "new.txt", "text/plain", b"x", expires_at=time.time() + 3600)
    orphans = [files.save("anonymous", "source", f"o{n}.txt", "text/plain", b"x", job_id=f"gone-{n}")
               for n in range(3)]
    transactions = count_transactions(files.db)
    assert files.purge(batch=2) == 8
    assert len(transactions) == 5  # 2 + 2 + 1 expired, 2 + 1 orphans: never all eight at once
    assert all(files.get(f) is None for f in expired + orphans) and files.get(kept) is not None


def test_tenants_take_turns(url):
    s = store(url)
    s.create_job(records(5, "big"), {}, tenant="key:big")
    time.sleep(0.01)
    s.create_job(records(1, "small"), {}, tenant="key:small")
    order = [s.claim("w").tenant for _ in range(3)]
    assert order[:2] == ["key:big", "key:small"]


def test_api_keys_are_seen_and_revoked_across_replicas(url):
    a, b = KeyStore(Database(url)), KeyStore(Database(url))
    record, key = a.create("desk", rate_limit="5/minute")
    assert b.verify(key).id == record.id and b.verify(key + "x") is None
    b.revoke(record.id)
    assert a.verify(key).revoked and [k.name for k in a.list()] == ["desk"]
    assert a.get(record.id).revoked_at is not None


def test_the_result_cache_persists_and_is_bounded(url):
    cache = DatabaseCache(Database(url), size=3, memory_size=1)
    for i in range(5):
        cache.put(f"article:{i}", {"summary": f"tóm tắt {i}"})
    assert len(cache) == 3
    other = DatabaseCache(Database(url), size=3)  # another replica, or a restart
    assert other.get("article:4") == {"summary": "tóm tắt 4"} and other.get("article:0") is None
    assert other.error is None


def test_postgres_connections_dropped_by_the_server_are_replaced():
    """pool_pre_ping: after PostgreSQL closes every connection (a restart, a failover), the next call works."""
    with fresh_postgres() as pg:
        s = JobStore(Database(pg))
        job_id, _ = s.create_job(records(1), {})
        import psycopg

        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                   (pg.rsplit("/", 1)[1],)).fetchall()
        assert killed  # the pool had connections open
        assert s.get_job(job_id)["status"] == "queued"


def _at_version_3(pg: str) -> None:
    """The database as the release before migration 4 left it."""
    db = Database(pg)
    with db.tx() as conn:
        conn.execute(text("ALTER TABLE job_items DROP COLUMN progress"))
        conn.execute(text("DELETE FROM schema_migrations WHERE version = 4"))
    db.engine.dispose()


def test_a_postgres_migration_behind_a_long_transaction_gives_up_without_stalling_the_table(monkeypatch):
    """ALTER TABLE waits for every open transaction on the table, and every later query waits behind it. A
    migration that cannot have the lock soon gives up (lock_timeout), so a replica's SELECT is not stalled
    for long, and the next try, once the transaction ends, migrates."""
    import psycopg

    import service.db as dbmod

    monkeypatch.setattr(dbmod, "MIGRATION_LOCK_TIMEOUT_S", 0.3)
    monkeypatch.setattr(dbmod, "MIGRATION_LOCK_TRIES", 2)
    with fresh_postgres() as pg:
        _at_version_3(pg)
        with psycopg.connect(pg) as holder:  # a long transaction that has read job_items
            holder.execute("SELECT COUNT(*) FROM job_items").fetchone()
            guard = threading.Timer(15, holder.close)  # a migration that would wait for ever fails, not hangs
            guard.start()
            waited, saw_alter_waiting = [], []

            def replica_reads():  # once the migration's ALTER waits for its lock: a query queued behind it
                with psycopg.connect(pg, autocommit=True) as other:
                    deadline = time.monotonic() + 5
                    while time.monotonic() < deadline and not other.execute(
                            "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                            "WHERE c.relname = 'job_items' AND NOT l.granted").fetchone()[0]:
                        time.sleep(0.01)
                    saw_alter_waiting.append(time.monotonic() < deadline)
                    t0 = time.monotonic()
                    other.execute("SELECT COUNT(*) FROM job_items").fetchone()
                    waited.append(time.monotonic() - t0)

            reader = threading.Thread(target=replica_reads)
            reader.start()
            t0 = time.monotonic()
            with pytest.raises(OperationalError, match="lock timeout"):
                Database(pg, migrate=False).upgrade()
            gave_up_after = time.monotonic() - t0
            reader.join()
            assert gave_up_after < 5  # two tries of 0.3 s and a pause, not the transaction's length
            assert saw_alter_waiting == [True] and waited[0] < 1.5  # queued behind the ALTER, not for long
            assert Database(pg, migrate=False).version() == 3  # nothing half done
            guard.cancel()
        assert Database(pg, migrate=False).upgrade() == [4]  # the transaction ended: the next try migrates


def test_a_call_that_finds_the_migration_blocked_fails_fast_and_a_later_one_migrates(monkeypatch):
    """At the first use (the service started without its database) a blocked migration is tried once: the
    call fails (503 upstream), the calls right behind it fail at once instead of each waiting for the lock,
    the pause doubles with each timeout in a row, and once the transaction ends and the pause is over a call
    migrates and is served."""
    import psycopg

    import service.db as dbmod

    monkeypatch.setattr(dbmod, "MIGRATION_LOCK_TIMEOUT_S", 0.3)
    with fresh_postgres() as pg:
        _at_version_3(pg)
        db = Database(pg)  # migrates before its first statement
        with psycopg.connect(pg) as holder:
            holder.execute("SELECT COUNT(*) FROM job_items").fetchone()
            guard = threading.Timer(15, holder.close)
            guard.start()
            def timed_failure() -> tuple[float, BaseException]:
                t0 = time.monotonic()
                with pytest.raises(OperationalError, match="lock timeout") as failed:
                    db.scalar("SELECT COUNT(*) FROM jobs")
                return time.monotonic() - t0, failed.value

            def pause_left() -> float:
                return db._blocked[0] - time.monotonic()

            def end_pause():  # as if the pause had passed, without sleeping through it
                db._blocked = (time.monotonic(), *db._blocked[1:])

            first, error = timed_failure()
            assert 0.25 < first < 1.2 and 0 < pause_left() <= 0.3  # one try (two: 0.6 s + a 1 s pause)
            fast, again = timed_failure()
            assert fast < 0.25 and again is not error  # at once, and its own error (no traceback grown by all)
            end_pause()
            assert timed_failure()[0] > 0.25  # the pause over, the next call tries …
            assert 0.3 < pause_left() <= 0.6  # … and the pause after a second timeout in a row is twice as long
            guard.cancel()
        end_pause()
        assert db.scalar("SELECT COUNT(*) FROM jobs") == 0 and db.version() == LATEST


def test_a_postgres_migration_waits_out_a_short_transaction(monkeypatch):
    import psycopg

    import service.db as dbmod

    monkeypatch.setattr(dbmod, "MIGRATION_LOCK_TIMEOUT_S", 0.3)
    monkeypatch.setattr(dbmod, "MIGRATION_LOCK_TRIES", 6)
    with fresh_postgres() as pg:
        _at_version_3(pg)
        holder = psycopg.connect(pg)
        holder.execute("SELECT COUNT(*) FROM job_items").fetchone()
        threading.Timer(0.8, holder.close).start()  # the transaction ends while the migration retries
        assert Database(pg, migrate=False).upgrade() == [4]


def test_a_database_that_goes_away_fails_calls_and_comes_back_by_itself():
    with fresh_postgres() as pg:
        cut = Cut(*host_port(pg, 5432))
        try:
            s = JobStore(Database(cut.url(pg)))
            job_id, _ = s.create_job(records(1), {})
            cut.down()
            with pytest.raises(OperationalError):
                s.get_job(job_id)
            cache = DatabaseCache(s.db, size=10)
            cache.put("k", {"v": 1})  # a cache outage is dropped, not raised …
            assert cache.error and cache.get("other") is None  # … and a miss
            cut.up()
            assert s.get_job(job_id)["status"] == "queued"
            assert cache.get("other") is None and cache.error is None
        finally:
            cut.close()
