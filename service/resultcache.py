"""Result caches shared by replicas: in the service's database or in Redis.

``models/cache.py`` defines the cache the pipeline asks (``get``/``put`` of a result by its key) and the
in-process LRU; these two put the same LRU in front of a store every replica sees:

* :class:`DatabaseCache` (``TOMTAT_CACHE=database``): the ``result_cache`` table of TOMTAT_DATABASE_URL,
  kept to ``size`` rows by last use; it survives restarts.
* :class:`RedisCache` (``TOMTAT_CACHE=redis``, the default when TOMTAT_REDIS_URL is set): one Redis string
  per result, expiring ``ttl_s`` after its last use, so Redis's own memory bound decides the size.

A cache is a shortcut, never a dependency: when its store fails, ``get`` is a miss and ``put`` is dropped
(the answer is computed as if nothing were cached), :attr:`error` says why for ``/readyz``, and the next
call tries the store again, so it comes back on its own.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text

from models.cache import MemoryCache

from .db import Database, describe

log = logging.getLogger(__name__)
TOUCH_EVERY_S = 60.0  # a database cache hit records its use at most this often (a write per hit would serialize them)


class _SharedCache(MemoryCache):
    def __init__(self, memory_size: int):
        super().__init__(memory_size)
        self.error: str | None = None  # why the store failed last, until a call succeeds

    def _failed(self, exc: Exception) -> None:
        if self.error is None:
            log.warning("result cache (%s) unavailable: %s; answering without it until it returns", self.store,
                        describe(exc))
        self.error = describe(exc)

    def _get(self, key: str) -> str | None:
        value = super()._get(key)
        if value is not None:
            return value
        try:
            value = self._load(key)
            self.error = None
        except Exception as exc:  # noqa: BLE001 - a cache outage is a miss
            self._failed(exc)
            return None
        if value is not None:
            super()._put(key, value)
        return value

    def _put(self, key: str, value: str) -> None:
        super()._put(key, value)
        try:
            self._store(key, value)
            self.error = None
        except Exception as exc:  # noqa: BLE001 - the result is still answered
            self._failed(exc)

    def clear(self) -> None:
        super().clear()
        self._clear()

    def _load(self, key: str) -> str | None:
        raise NotImplementedError

    def _store(self, key: str, value: str) -> None:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError


class DatabaseCache(_SharedCache):
    store = "database"

    def __init__(self, database: str | Database, size: int = 10_000, memory_size: int = 256):
        super().__init__(memory_size)
        self.db = database if isinstance(database, Database) else Database.shared(database)
        self.rows = max(1, size)
        self._writes = 0

    def _load(self, key: str) -> str | None:
        with self.db.read() as conn:  # a read: a hit takes no write lock, unless its last use is stale
            row = conn.execute(text("SELECT value, used FROM result_cache WHERE key = :key"), {"key": key}).first()
        if row is None:
            return None
        now = time.time()
        if now - row[1] > TOUCH_EVERY_S:  # the pruning order needs the last use only this precisely
            with self.db.tx() as conn:
                conn.execute(text("UPDATE result_cache SET used = :now WHERE key = :key"), {"now": now, "key": key})
        return row[0]

    def _store(self, key: str, value: str) -> None:
        self._writes += 1
        with self.db.tx() as conn:
            conn.execute(text("INSERT INTO result_cache (key, value, used) VALUES (:key, :value, :now) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value, used = excluded.used"),
                         {"key": key, "value": value, "now": time.time()})
            if self.rows < 1024 or self._writes % 64 == 0:  # prune now and then: the bound is kept within 64 rows
                conn.execute(text("DELETE FROM result_cache WHERE key IN (SELECT key FROM result_cache "
                                  "ORDER BY used DESC LIMIT :all OFFSET :keep)"), {"all": 2 ** 62, "keep": self.rows})

    def __len__(self) -> int:
        return self.db.scalar("SELECT COUNT(*) FROM result_cache")

    def _clear(self) -> None:
        with self.db.tx() as conn:
            conn.execute(text("DELETE FROM result_cache"))


class RedisCache(_SharedCache):
    store = "redis"

    def __init__(self, url: str, *, prefix: str = "tomtat", ttl_s: float = 7 * 86400, memory_size: int = 256,
                 client=None):
        """``client``: a Redis client of ``url`` to share (the app's), else one of its own."""
        import redis

        super().__init__(memory_size)
        self.client = client or redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = f"{prefix}:cache:"
        self.ttl_ms = max(1000, int(ttl_s * 1000))

    def _load(self, key: str) -> str | None:
        raw = self.client.getex(self.prefix + key, px=self.ttl_ms)  # a hit keeps the entry alive
        return None if raw is None else raw.decode("utf-8")

    def _store(self, key: str, value: str) -> None:
        self.client.set(self.prefix + key, value.encode("utf-8"), px=self.ttl_ms)

    def __len__(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=self.prefix + "*", count=1000))

    def _clear(self) -> None:
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.client.delete(*keys)
