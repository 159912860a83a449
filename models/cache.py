"""Result cache: the same article with the same models and options is answered once.

Newsrooms resubmit articles (updates, retries, several desks). A result is
keyed by what determines it: the kind of call, the models' cache keys (profile,
weights revision, backend, device), the generation options and the *cleaned*
text (after markup/debris removal and Unicode normalization, so whitespace or
markup noise does not defeat the cache). Values are the JSON of the result
without its timings, so a cached answer is byte-identical to the fresh one.

``memory``: an in-process LRU bounded by ``size`` entries; ``off``: no cache.
Stores that outlive the process or are shared by replicas (a database table,
Redis) subclass :class:`MemoryCache` (``_get``/``_put``) where they are
configured, in ``service/resultcache.py``, and are handed to the Runtime.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

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


class Lru:
    """A thread-safe map that keeps what was used last, within ``size``: each entry counts ``weigh(value)``
    (1 without ``weigh``), the least recently used go first, and the newest entry stays even alone over
    ``size``. The result cache, the job store's and the workers' options of a job, and built glossaries."""

    def __init__(self, size: int, weigh: Callable[[Any], int] | None = None):
        self.size = max(1, size)
        self._weigh = weigh
        self._data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key) -> Any | None:
        with self._lock:
            found = self._data.get(key)
            if found is None:
                return None
            self._data.move_to_end(key)
            return found[0]

    def put(self, key, value) -> None:
        weight = self._weigh(value) if self._weigh else 1
        with self._lock:
            old = self._data.pop(key, None)
            self._total += weight - (old[1] if old else 0)
            self._data[key] = (value, weight)
            while self._total > self.size and len(self._data) > 1:
                self._total -= self._data.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._total = 0


class MemoryCache:
    store = "memory"

    def __init__(self, size: int = 1024):
        self.size = max(1, size)
        self._entries = Lru(self.size)
        self.hits = self.misses = 0

    def _get(self, key: str) -> str | None:
        return self._entries.get(key)

    def _put(self, key: str, value: str) -> None:
        self._entries.put(key, value)

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
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


ResultCache = MemoryCache


def make_cache(mode: str, size: int) -> MemoryCache | None:
    """``mode``: ``memory`` (default) or ``off``."""
    mode = (mode or "memory").lower()
    if mode == "off" or size <= 0:
        return None
    if mode == "memory":
        return MemoryCache(size)
    raise ValueError(f"unknown cache mode {mode!r}; choose memory or off (the service also offers database "
                     "and redis: TOMTAT_CACHE)")
