"""API keys, stored hashed in the service's database (``service/db.py``: TOMTAT_DATABASE_URL, SQLite or
PostgreSQL; every replica sharing the database sees a key revoked by any of them at once).

A key looks like ``tt_<id>_<secret>``: the id (8 hex digits) finds the row, the
secret is checked against ``HMAC-SHA256(salt, secret)`` with a per-key random
salt. The plain key is shown once, by ``tomtat keys create``, and never stored.
Each key may carry its own request rate and character quota (``None``: the
server defaults, TOMTAT_RATE_LIMIT / TOMTAT_CHAR_QUOTA).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from limits import parse_many

from .db import Database

KEY_RE = re.compile(r"^tt_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
TABLE = "api_keys"  # created by service/db.py's migrations
LAST_USED_EVERY_S = 60  # write last_used_at at most once a minute per key


class KeyError_(ValueError):
    """A key operation the caller can fix (unknown key, bad limit syntax)."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    rate_limit: str | None
    char_quota: str | None
    created_at: str
    revoked_at: str | None
    last_used_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def prefix(self) -> str:
        return f"tt_{self.id}_…"

    def as_dict(self) -> dict:
        return asdict(self) | {"prefix": self.prefix, "revoked": self.revoked}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def check_limit_syntax(value: str | None, what: str) -> str | None:
    """``"60/minute;1000/day"`` → itself, or a ValueError that says what is wrong."""
    if value in (None, ""):
        return None
    try:
        if not parse_many(value):
            raise ValueError(value)
    except ValueError:
        raise KeyError_(f"{what} {value!r} is not a limit like '60/minute' or '1000 per day;10/second'") from None
    return value


class KeyStore:
    def __init__(self, database: str | Path | Database):
        self.db = database if isinstance(database, Database) else Database.shared(str(database))
        self._touched: dict[str, float] = {}

    @staticmethod
    def _record(row: RowMapping) -> ApiKey:
        return ApiKey(row["id"], row["name"], row["rate_limit"], row["char_quota"], row["created_at"],
                      row["revoked_at"], row["last_used_at"])

    def _row(self, conn, key_id: str) -> RowMapping | None:
        return conn.execute(text(f"SELECT * FROM {TABLE} WHERE id = :id"), {"id": key_id}).mappings().first()

    def create(self, name: str, rate_limit: str | None = None, char_quota: str | None = None) -> tuple[ApiKey, str]:
        """A new key: its record and the plain key (show it once; it is not stored)."""
        if not name.strip():
            raise KeyError_("a key needs a --name (who or what uses it)")
        rate_limit = check_limit_syntax(rate_limit, "rate")
        char_quota = check_limit_syntax(char_quota, "character quota")
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        for _ in range(10):
            key_id = secrets.token_hex(4)
            try:
                with self.db.tx() as conn:
                    conn.execute(text(f"INSERT INTO {TABLE} (id, name, salt, hash, rate_limit, char_quota, created_at) "
                                      "VALUES (:id, :name, :salt, :hash, :rate, :quota, :now)"),
                                 {"id": key_id, "name": name.strip(), "salt": salt, "hash": _digest(salt, secret),
                                  "rate": rate_limit, "quota": char_quota, "now": _now()})
                    row = self._row(conn, key_id)
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 10 collisions of 32-bit ids
            raise RuntimeError("could not allocate a key id")
        return self._record(row), f"tt_{key_id}_{secret}"

    def list(self) -> list[ApiKey]:
        with self.db.read() as conn:
            rows = conn.execute(text(f"SELECT * FROM {TABLE} ORDER BY created_at, id")).mappings().all()
        return [self._record(r) for r in rows]

    def get(self, key_id: str) -> ApiKey | None:
        with self.db.read() as conn:
            row = self._row(conn, key_id)
        return self._record(row) if row else None

    def revoke(self, ref: str) -> ApiKey:
        """Revoke by id (``ab12cd34``), full key prefix (``tt_ab12cd34``) or unique name."""
        ref = ref.strip()
        match = re.match(r"^(?:tt_)?([0-9a-f]{8})(?:_.*)?$", ref)
        with self.db.tx() as conn:
            rows = []
            if match:
                rows = conn.execute(text(f"SELECT * FROM {TABLE} WHERE id = :id"),
                                    {"id": match.group(1)}).mappings().all()
            if not rows:
                rows = conn.execute(text(f"SELECT * FROM {TABLE} WHERE name = :name AND revoked_at IS NULL"),
                                    {"name": ref}).mappings().all()
            if not rows:
                raise KeyError_(f"no key {ref!r}; see `tomtat keys list`")
            if len(rows) > 1:
                ids = ", ".join(r["id"] for r in rows)
                raise KeyError_(f"several active keys are named {ref!r} ({ids}); revoke one by its id")
            conn.execute(text(f"UPDATE {TABLE} SET revoked_at = COALESCE(revoked_at, :now) WHERE id = :id"),
                         {"now": _now(), "id": rows[0]["id"]})
            row = self._row(conn, rows[0]["id"])
        return self._record(row)

    def verify(self, token: str) -> ApiKey | None:
        """The key's record when ``token`` is a key of this store (revoked or not), else None. Read from the
        database on every call, so a revocation by any process or replica applies to the next request."""
        match = KEY_RE.match(token.strip())
        if not match:
            return None
        key_id, secret = match.groups()
        with self.db.read() as conn:
            row = self._row(conn, key_id)
        if row is None or not hmac.compare_digest(_digest(row["salt"], secret), row["hash"]):
            return None
        record = self._record(row)
        if not record.revoked:
            self._touch(key_id)
        return record

    def _touch(self, key_id: str) -> None:
        now = time.monotonic()
        if now - self._touched.get(key_id, -LAST_USED_EVERY_S) < LAST_USED_EVERY_S:
            return
        self._touched[key_id] = now
        try:
            with self.db.tx() as conn:
                conn.execute(text(f"UPDATE {TABLE} SET last_used_at = :now WHERE id = :id"), {"now": _now(), "id": key_id})
        except SQLAlchemyError:  # a busy database must not fail the request
            pass
