"""A tiny observer registry: the model layer reports what it does, without knowing who listens.

``models`` must not depend on a metrics library. The batcher and the result
cache call :func:`emit`; a metrics module (Prometheus, logs, tests) registers a
callable with :func:`add_observer` and receives every event::

    from models import observe
    observe.add_observer(lambda event, fields: print(event, fields))

Events and their fields (all keyword values are plain ``str``/``int``/``float``):

``batch``        one generate/translate call of the micro-batcher:
                 ``model`` (profile id), ``size`` (units), ``tokens_in`` (input tokens, no padding),
                 ``tokens_out`` (generated tokens), ``seconds`` (inference wall time),
                 ``wait_seconds`` (oldest unit's time in the queue), ``priority`` (0 interactive, 1 background)
``batch_error``  a batch raised: ``model``, ``size``, ``error`` (exception class name)
``queue_depth``  after every enqueue and dequeue: ``model``, ``depth`` (units waiting)
``expired``      units dropped because their deadline passed: ``model``, ``count``
``rejected``     units refused because the queue is full: ``model``, ``count``
``cache``        a result-cache lookup: ``result`` (``"hit"`` or ``"miss"``), ``kind`` (summarize,
                 translate, article), ``store`` (memory or sqlite)

Observers run synchronously on the thread that emits (the inference thread for
batch events): keep them cheap. An observer that raises is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

Observer = Callable[[str, dict[str, Any]], None]

log = logging.getLogger(__name__)
_observers: list[Observer] = []
_lock = threading.Lock()


def add_observer(fn: Observer) -> Observer:
    """Register ``fn(event, fields)``; returns ``fn`` so it can be used as a decorator."""
    with _lock:
        if fn not in _observers:
            _observers.append(fn)
    return fn


def remove_observer(fn: Observer) -> None:
    with _lock:
        if fn in _observers:
            _observers.remove(fn)


def emit(event: str, **fields: Any) -> None:
    for fn in tuple(_observers):
        try:
            fn(event, fields)
        except Exception:  # noqa: BLE001 - an observer must never break inference
            log.exception("observer %r failed on %s", fn, event)
