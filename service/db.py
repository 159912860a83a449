"""The service's database: SQLite (embedded, the default) or PostgreSQL (shared by replicas).

``TOMTAT_DATABASE_URL`` names it: ``sqlite:///var/tomtat.sqlite3`` (what ``TOMTAT_DB`` gives when
the URL is unset) or ``postgresql://user@host:5432/db``. Jobs and their items (``service/store.py``),
API keys (``service/keys.py``) and the persistent result cache (``service/resultcache.py``) all live
in it, through one :class:`Database` per URL and process (a connection pool).

SQL is written once, with named parameters, in the dialect both servers speak; the few places where
they differ ask the database: :attr:`Database.for_update` and :attr:`Database.skip_locked` are
``FOR UPDATE [SKIP LOCKED]`` on PostgreSQL and empty on SQLite, whose writers are serialized by
``BEGIN IMMEDIATE`` anyway.

Schema: versioned migrations (:data:`MIGRATIONS`), recorded in ``schema_migrations``. They run when
the service opens the database, or with ``tomtat db upgrade``; on PostgreSQL an advisory lock lets
one replica migrate while the others wait, and each migration commits with its version row.
A database newer than this code is refused with a message saying so.

Connections drop and come back (a restarted PostgreSQL): the pool tests a connection before using
it (``pool_pre_ping``), so the first statement after the server returns opens a fresh one; while the
server is away statements raise :class:`sqlalchemy.exc.OperationalError`, which the HTTP layer turns
into 503 for the features that need the database.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

DEFAULT_SQLITE = "var/tomtat.sqlite3"
_LOCK_ID = 0x746F6D74  # "tomt": the advisory lock migrations hold on PostgreSQL
# on PostgreSQL, how long a migration waits for a table's lock (each wait stalls the table's other queries,
# queued behind it), how many times start-up tries (Database.upgrade), and the longest pause between the
# tries of calls (Database._ensure_migrated)
MIGRATION_LOCK_TIMEOUT_S = 2.0
MIGRATION_LOCK_TRIES = 5
MIGRATION_PAUSE_MAX_S = 60.0


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer tomtat."""


class BadDatabaseURL(ValueError):
    """TOMTAT_DATABASE_URL names no database tomtat can use."""


def normalize_url(url: str) -> str:
    """``sqlite:///path``, a bare path (``TOMTAT_DB``) or ``postgresql://…`` → a SQLAlchemy URL that names
    its driver (psycopg 3 for PostgreSQL)."""
    url = (url or "").strip() or DEFAULT_SQLITE
    if "://" not in url:
        return f"sqlite:///{url}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "postgresql+psycopg"):
        return url
    raise BadDatabaseURL(f"TOMTAT_DATABASE_URL: unsupported database {scheme!r}; use sqlite:///path or "
                     "postgresql://user@host:5432/dbname")


def redact(url: str) -> str:
    """The URL without its password (for logs, /readyz)."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True).replace("+psycopg", "")
    except Exception:  # noqa: BLE001 - a malformed URL is reported by whoever opens it
        return "<unparsable database URL>"


# -- migrations ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]
    before_sqlite: Callable[[Connection], None] | None = None  # Python step ahead of the SQL (table rebuilds)


def _jobs_table(name: str, real: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {name} (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL DEFAULT 'anonymous',
    status TEXT NOT NULL,
    options TEXT NOT NULL,
    total INTEGER NOT NULL,
    idempotency_key TEXT,
    request_hash TEXT,
    error TEXT,
    created_at {real} NOT NULL,
    started_at {real},
    finished_at {real},
    updated_at {real} NOT NULL,
    UNIQUE (tenant, idempotency_key)
)"""


def _items_table(item_id: str, real: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS job_items (
    item_id {item_id},
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    record TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    lease_until {real},
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    done_order INTEGER,
    finished_at {real},
    UNIQUE (job_id, seq)
)"""


_INDEXES = (
    "CREATE INDEX IF NOT EXISTS job_items_queued ON job_items (job_id, item_id) WHERE status = 'queued'",
    "CREATE INDEX IF NOT EXISTS job_items_running ON job_items (lease_until) WHERE status = 'running'",
    "CREATE INDEX IF NOT EXISTS job_items_status ON job_items (job_id, status)",
    "CREATE UNIQUE INDEX IF NOT EXISTS job_items_done ON job_items (job_id, done_order) "
    "WHERE done_order IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL",
)


def _keys_table(real: str) -> str:
    return """CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    rate_limit TEXT,
    char_quota TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
)"""


def _cache_table(real: str) -> tuple[str, str]:
    return (f"CREATE TABLE IF NOT EXISTS result_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, used {real} NOT NULL)",
            "CREATE INDEX IF NOT EXISTS result_cache_used ON result_cache (used)")


def _glossaries_table(real: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS glossaries (
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    entries TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at {real} NOT NULL,
    updated_at {real} NOT NULL,
    PRIMARY KEY (tenant, name)
)"""


def _documents_table(real: str, blob: str) -> str:
    # job_id: the job the file belongs to (removed with it); NULL for a /translate_file result, which
    # expires_at its own time
    return f"""CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    job_id TEXT,
    role TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data {blob} NOT NULL,
    created_at {real} NOT NULL,
    expires_at {real}
)"""


_DOCUMENT_INDEXES = (
    "CREATE INDEX IF NOT EXISTS documents_job ON documents (job_id) WHERE job_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS documents_expiry ON documents (expires_at) WHERE expires_at IS NOT NULL",
)


def _sqlite_tenants(conn: Connection) -> None:
    """A SQLite ``jobs`` table from before tenants (no ``tenant`` column, a global UNIQUE on the idempotency
    key) is rebuilt in place, SQLite's documented way (new table, copy, drop, rename); its jobs belong to the
    anonymous tenant. Foreign keys are off on migrating connections, so dropping ``jobs`` keeps its items."""
    columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(jobs)")}
    if not columns or "tenant" in columns:
        return
    keep = ("id", "status", "options", "total", "idempotency_key", "request_hash", "error", "created_at",
            "started_at", "finished_at", "updated_at")
    copied = ", ".join(c for c in keep if c in columns)
    conn.exec_driver_sql("DROP TABLE IF EXISTS jobs_migrating")
    conn.exec_driver_sql(_jobs_table("jobs_migrating", "REAL"))
    conn.exec_driver_sql(f"INSERT INTO jobs_migrating (tenant, {copied}) SELECT 'anonymous', {copied} FROM jobs")
    conn.exec_driver_sql("DROP TABLE jobs")
    conn.exec_driver_sql("ALTER TABLE jobs_migrating RENAME TO jobs")
    if conn.exec_driver_sql("PRAGMA foreign_key_check(job_items)").fetchall():
        raise RuntimeError("job store migration: items lost their job; nothing changed")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "jobs, job items, API keys and the result cache",
        sqlite=(_jobs_table("jobs", "REAL"), _items_table("INTEGER PRIMARY KEY", "REAL"), *_INDEXES,
                _keys_table("REAL"), *_cache_table("REAL")),
        postgresql=(_jobs_table("jobs", "DOUBLE PRECISION"),
                    _items_table("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "DOUBLE PRECISION"),
                    *_INDEXES, _keys_table("DOUBLE PRECISION"), *_cache_table("DOUBLE PRECISION")),
        before_sqlite=_sqlite_tenants,
    ),
    Migration(
        2, "named glossaries, per tenant",
        sqlite=(_glossaries_table("REAL"),),
        postgresql=(_glossaries_table("DOUBLE PRECISION"),),
    ),
    Migration(
        3, "document files (uploads and translations), per tenant",
        sqlite=(_documents_table("REAL", "BLOB"), *_DOCUMENT_INDEXES),
        postgresql=(_documents_table("DOUBLE PRECISION", "BYTEA"), *_DOCUMENT_INDEXES),
    ),
    Migration(
        4, "how far a running job item is (a document reports it batch by batch)",
        sqlite=("ALTER TABLE job_items ADD COLUMN progress REAL",),
        postgresql=("ALTER TABLE job_items ADD COLUMN IF NOT EXISTS progress DOUBLE PRECISION",),
    ),
)
LATEST = MIGRATIONS[-1].version


# -- the database ----------------------------------------------------------------------------------------

class Database:
    """One pool of connections to ``url``; :meth:`tx` for writes, :meth:`read` for reads."""

    _open: dict[str, "Database"] = {}
    _open_lock = threading.Lock()

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20, migrate: bool = True):
        """``migrate``: apply pending migrations before the first statement (``tomtat db`` passes False)."""
        self.url = normalize_url(url)
        self.engine: Engine = self._engine(self.url, pool_size, max_overflow)
        self.dialect = self.engine.dialect.name  # "sqlite" | "postgresql"
        pg = self.dialect == "postgresql"
        self.for_update = " FOR UPDATE" if pg else ""
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if pg else ""
        self._migrated = not migrate  # else migrated before the first statement (see _ensure_migrated)
        self._migrate_lock = threading.Lock()
        # after a migration's lock timeout: (until when calls fail at once, timeouts in a row, the error)
        self._blocked: tuple[float, int, OperationalError] | None = None

    @classmethod
    def shared(cls, url: str) -> "Database":
        """This process's Database for ``url`` (jobs, keys and the cache share one pool), migrated."""
        key = normalize_url(url)
        with cls._open_lock:
            db = cls._open.get(key)
            if db is None or db._pid != os.getpid():  # a forked worker gets its own pool
                db = cls._open[key] = cls(key)
            return db

    @classmethod
    def forget(cls, url: str) -> None:
        with cls._open_lock:
            db = cls._open.pop(normalize_url(url), None)
        if db is not None:
            db.engine.dispose()

    @property
    def display_url(self) -> str:
        return redact(self.url)

    def _engine(self, url: str, pool_size: int, max_overflow: int) -> Engine:
        self._pid = os.getpid()
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database or ""
            if path and path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
            args = {"timeout": 30, "check_same_thread": False}
            if path in ("", ":memory:"):  # one connection shared by every thread, or each would see its own DB
                engine = create_engine(url, poolclass=StaticPool, connect_args=args)
            else:
                engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, connect_args=args)

            @event.listens_for(engine, "connect")
            def _sqlite_connect(dbapi_conn, _record):
                dbapi_conn.isolation_level = None  # no implicit BEGIN: the "begin" hook below says which
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA busy_timeout=30000")
                _wal(cursor)
                for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
                    cursor.execute(f"PRAGMA {pragma}")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn):
                # writers take the write lock at BEGIN (no lock upgrade deadlocks); readers read a snapshot
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tomtat_write")
                                     else "BEGIN")
            return engine
        return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                             pool_recycle=1800, connect_args={"connect_timeout": 5, "application_name": "tomtat"})

    # -- transactions --------------------------------------------------------------------------------------
    def _ensure_migrated(self) -> None:
        """Migrate before the first use, not when opened: a service whose database is down starts, answers
        503 for what needs the database, and migrates once the server answers (the next call tries again).
        A call is no place to wait out a table lock: it tries once, and after a lock timeout every call fails
        at once (a fresh error each) until a pause is over; each timeout in a row doubles the pause
        (:data:`MIGRATION_LOCK_TIMEOUT_S` up to :data:`MIGRATION_PAUSE_MAX_S`), so a long transaction does not
        have the table stalled behind a queued migration every few seconds."""
        if self._migrated:
            return
        self._raise_if_paused()
        with self._migrate_lock:
            if self._migrated:
                return
            self._raise_if_paused()
            try:
                self.upgrade(tries=1)
            except OperationalError as exc:
                if _lock_timed_out(exc):
                    streak = self._blocked[1] + 1 if self._blocked else 1
                    pause = _backoff(streak, MIGRATION_LOCK_TIMEOUT_S, MIGRATION_PAUSE_MAX_S)
                    self._blocked = (time.monotonic() + pause, streak, exc)
                else:
                    self._blocked = None
                raise
            self._blocked = None

    def _raise_if_paused(self) -> None:
        blocked = self._blocked
        if blocked is not None and time.monotonic() < blocked[0]:
            raise OperationalError(blocked[2].statement, None, blocked[2].orig) from None  # a fresh one each

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        self._ensure_migrated()
        with self.engine.connect() as conn:
            conn.execution_options(tomtat_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads (one snapshot until the block ends)."""
        self._ensure_migrated()
        with self.engine.connect() as conn:
            yield conn

    def scalar(self, sql: str, **params):
        with self.read() as conn:
            return conn.execute(text(sql), params).scalar()

    def ping(self) -> str | None:
        """None when the database answers, else why not (for /readyz)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            self._ensure_migrated()
            return None
        except SQLAlchemyError as exc:
            return describe(exc)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- migrations -------------------------------------------------------------------------------------
    def version(self) -> int:
        """The schema version the database is at (0: never migrated)."""
        with self.engine.connect() as conn:
            if not self._has_table(conn, "schema_migrations"):
                return 0
            return conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")).scalar() or 0

    def _has_table(self, conn: Connection, name: str) -> bool:
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"
        else:
            sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = :name"
        return conn.execute(text(sql), {"name": name}).first() is not None

    def upgrade(self, tries: int | None = None) -> list[int]:
        """Apply the migrations this database lacks, each in its own transaction → the versions applied.

        On PostgreSQL a migration waits at most :data:`MIGRATION_LOCK_TIMEOUT_S` for a table's lock (an
        ``ALTER TABLE`` queued behind a long transaction would otherwise stall every query of that table
        behind it), and is tried ``tries`` times in all (:data:`MIGRATION_LOCK_TRIES`) before the lock error
        is raised: the service then starts without the database and migrates at a later use."""
        most = MIGRATION_LOCK_TRIES if tries is None else tries
        applied: list[int] = []
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection  # PRAGMA foreign_keys is a no-op inside a transaction
            if self.dialect == "sqlite":
                raw.execute("PRAGMA foreign_keys=OFF")  # a table rebuild must not cascade to its rows
            conn.execution_options(tomtat_write=True)
            try:
                failed = 0  # lock timeouts in a row
                while True:
                    try:
                        version = self._apply_next(conn)
                    except OperationalError as exc:
                        failed += 1
                        if not _lock_timed_out(exc) or failed >= most:
                            if _lock_timed_out(exc):
                                log.error("database %s: a migration gave up after %d lock timeout(s) (%s); a "
                                          "long transaction holds the lock (see pg_stat_activity)",
                                          self.display_url, failed, _what_waited(exc))
                            raise
                        log.warning("database %s: a migration's lock wait timed out (%s); trying again (%d of %d)",
                                    self.display_url, _what_waited(exc), failed + 1, most)
                        time.sleep(_backoff(failed, 1.0, 8.0))
                        continue
                    if version is None:
                        break
                    applied.append(version)
                    failed = 0
            finally:
                if self.dialect == "sqlite":
                    raw.execute("PRAGMA foreign_keys=ON")
        self._migrated = True
        return applied

    def _apply_next(self, conn: Connection) -> int | None:
        """The first migration this database lacks, in one transaction with its version row → its version;
        None when there is none."""
        with conn.begin():
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})  # waits for a replica
                conn.execute(text(f"SET LOCAL lock_timeout = '{int(MIGRATION_LOCK_TIMEOUT_S * 1000)}ms'"))
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at TEXT NOT NULL)")
            current = conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")).scalar() or 0
            if current > LATEST:
                raise SchemaTooNew(
                    f"the database {self.display_url} is at schema version {current}, newer than this "
                    f"tomtat knows ({LATEST}); run the tomtat release that migrated it, or a newer one")
            pending = [m for m in MIGRATIONS if m.version > current]
            if not pending:
                return None
            migration = pending[0]
            if self.dialect == "sqlite" and migration.before_sqlite:
                migration.before_sqlite(conn)
            for statement in getattr(migration, self.dialect):
                conn.exec_driver_sql(statement)
            conn.execute(text("INSERT INTO schema_migrations (version, description, applied_at) "
                              "VALUES (:v, :d, :t)"),
                         {"v": migration.version, "d": migration.description,
                          "t": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        log.info("database %s: migrated to schema version %d (%s)", self.display_url, migration.version,
                 migration.description)
        return migration.version


def _backoff(streak: int, first: float, most: float) -> float:
    """The wait after ``streak`` failures in a row: ``first``, doubling, at most ``most``."""
    return min(most, first * 2 ** (streak - 1))


def _lock_timed_out(exc: BaseException) -> bool:
    """PostgreSQL's lock_not_available (55P03): a statement's wait for a lock ran past lock_timeout (the
    database answers; a long transaction holds what a migration needs)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03"


def _what_waited(exc: OperationalError) -> str:
    """Which lock a timed-out migration waited for: another replica's (the advisory lock, under a
    lock_timeout the role or database sets) or a table's (ours: MIGRATION_LOCK_TIMEOUT_S)."""
    if "pg_advisory" in (exc.statement or ""):
        return "for the migration lock another replica holds, under the role's or database's lock_timeout"
    return f"{MIGRATION_LOCK_TIMEOUT_S:.1f} s for a table lock"


def _wal(cursor, seconds: float = 30.0) -> None:
    """Switch a SQLite file to WAL. The switch needs the file to itself and SQLite does not wait for it
    (no busy handler), so processes opening a new file at once retry; once one has switched, it is a no-op."""
    import sqlite3

    deadline = time.monotonic() + seconds
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def describe(exc: BaseException) -> str:
    """One line saying why a database call failed (the driver's message, not SQLAlchemy's wrapping)."""
    orig = getattr(exc, "orig", None) or exc
    message = " ".join(str(orig).split()) or type(orig).__name__
    return message[:300]
