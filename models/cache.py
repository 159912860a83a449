"""Result cache: the same article with the same models and options is answered once.

Newsrooms resubmit articles (updates, retries, several desks). A result is
keyed by what determines it: the kind of call, the models' cache keys (profile,
weights revision, backend, device), the generation options and the *cleaned*
text (after markup/debris removal and Unicode normalization, so whitespace or
markup noise does not defeat the cache). Values are the JSON of the result
without its timings, so a cached answer is byte-identical to the fresh one.

``memory``: an in-process LRU bounded by ``size`` entries. ``sqlite``: the same
LRU in front of a SQLite table (``path``) that survives restarts and is pruned
to ``size`` rows by last use. ``off``: no cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator

from . import observe


_SCOPE: ContextVar[str] = ContextVar("tomtat_cache_scope", default="")


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Results cached inside ``with scope(tenant):`` are found only inside the same scope: one tenant's
    cache hit (and its speed) never tells another what it submitted."""
    token = _SCOPE.set(name)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def bind_scope(name: str):
    """Set the scope until the returned function is called (for request hooks)."""
    token = _SCOPE.set(name)
    return lambda: _SCOPE.reset(token)


def current_scope() -> str:
    return _SCOPE.get()


def make_key(kind: str, *parts: Any) -> str:
    blob = json.dumps([kind, *parts], ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return f"{kind}:{hashlib.sha256(blob.encode('utf-8')).hexdigest()}"


class MemoryCache:
    store = "memory"

    def __init__(self, size: int = 1024):
        self.size = max(1, size)
        self._data: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _get(self, key: str) -> str | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def _put(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def get(self, key: str) -> dict | None:
        raw = self._get(key)
        if raw is None:
            self.misses += 1
        else:
            self.hits += 1
        observe.emit("cache", result="miss" if raw is None else "hit", kind=key.split(":", 1)[0], store=self.store)
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: dict) -> None:
        self._put(key, json.dumps(value, ensure_ascii=False))

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class SQLiteCache(MemoryCache):
    store = "sqlite"

    def __init__(self, path: str | Path, size: int = 10_000, memory_size: int = 256):
        super().__init__(memory_size)
        self.rows = max(1, size)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db_lock = threading.Lock()
        with self._db_lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS result_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, used REAL NOT NULL)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS result_cache_used ON result_cache(used)")
        self._writes = 0

    def _get(self, key: str) -> str | None:
        value = super()._get(key)
        if value is not None:
            return value
        with self._db_lock:
            row = self._db.execute("SELECT value FROM result_cache WHERE key = ?", (key,)).fetchone()
            if row is not None:
                self._db.execute("UPDATE result_cache SET used = ? WHERE key = ?", (time.time(), key))
        if row is None:
            return None
        super()._put(key, row[0])
        return row[0]

    def _put(self, key: str, value: str) -> None:
        super()._put(key, value)
        with self._db_lock:
            self._db.execute("INSERT OR REPLACE INTO result_cache (key, value, used) VALUES (?, ?, ?)",
                             (key, value, time.time()))
            self._writes += 1
            if self.rows < 1024 or self._writes % 64 == 0:
                self._db.execute(
                    "DELETE FROM result_cache WHERE key IN (SELECT key FROM result_cache ORDER BY used DESC "
                    "LIMIT -1 OFFSET ?)", (self.rows,))

    def __len__(self) -> int:
        with self._db_lock:
            return self._db.execute("SELECT COUNT(*) FROM result_cache").fetchone()[0]

    def clear(self) -> None:
        super().clear()
        with self._db_lock:
            self._db.execute("DELETE FROM result_cache")


ResultCache = MemoryCache


def make_cache(mode: str, size: int, path: str | Path | None = None) -> MemoryCache | None:
    """``mode``: ``memory`` (default), ``sqlite`` (needs ``path``) or ``off``."""
    mode = (mode or "memory").lower()
    if mode == "off" or size <= 0:
        return None
    if mode == "memory":
        return MemoryCache(size)
    if mode == "sqlite":
        if not path:
            raise ValueError("TOMTAT_CACHE=sqlite needs TOMTAT_CACHE_PATH")
        return SQLiteCache(path, size)
    raise ValueError(f"unknown cache mode {mode!r}; choose memory, sqlite or off")
