"""Cross-request micro-batching: one inference thread per model, many waiting callers.

Every caller (HTTP request threads, job workers, the CLI) hands its work units —
sentences to translate, sections to summarize — to the model's
:class:`MicroBatcher` and waits on futures. The inference thread takes a unit of
the most urgent priority as the *seed* of a batch (the oldest unit of the caller
served least recently), waits at most ``max_wait_ms`` (counted from the seed's
arrival) for company, then fills the batch with compatible units (same generation
options), preferring the seed's priority, then taking the callers' units in turns
(round robin: each caller's unit closest in length to the seed, then each one's
next closest...), within ``max_batch_size`` units and ``max_batch_tokens`` padded
input tokens. The batch runs as one backend call; each output goes back to its own
caller.

Callers on their way: a caller that will soon submit (a request still being cleaned and checked)
can say so with ``with batcher.announce():`` around that work. While announced callers have not
submitted yet, a seed waits for them beyond ``max_wait_ms``, up to ``announced_wait_ms`` (default
100 ms): eight concurrent articles then run as one batch of eight instead of one alone and seven
after it (bench: +30% articles/s at concurrency 8), and a lone request, announcing nobody else,
waits no longer than before. Submitting ends the caller's announcement; leaving the block does
too (a caller that ends up not submitting, e.g. a cache hit).

Fairness and bounded work per request:

* **Callers.** ``with batcher.caller(identity):`` names who submits (the service uses the API key,
  or the client address); without one, each submission is its own caller. Batches take the
  callers' units in turns, so a one-sentence request behind a 4,000-sentence translation runs in
  the next batch, not after the 4,000 sentences.
* **Slices.** One caller holds at most ``caller_share`` units of the queue (default a quarter of
  ``max_queue``); the rest of its work waits in its own backlog and enters the queue as its
  earlier units start, so a huge request still completes without filling the queue. A submission
  of more than ``max_request_units`` units is refused with :class:`~models.errors.InputError`
  (422: split the text).
* **Admission by time.** The batcher keeps a moving average of its throughput (seconds per input
  token, over recent batches). A submission whose last unit, by that estimate, cannot start before
  its deadline is refused at once with :class:`DeadlineExceeded`; a queue full by count refuses
  with :class:`Overloaded`. Both carry ``retry_after`` (seconds, or ``None`` when there is no
  estimate yet). The estimate for a unit counts, of every other caller, the units that run before
  it in the round robin, and for interactive units only interactive ones.
* **Background work never pushes interactive work out.** Background units (job items) are only
  admitted into the queue while it has room (they wait in their backlog otherwise, without an
  error: backpressure on the job workers), interactive admission ignores them, and interactive
  units always run first.
* **Cancellation.** ``with batcher.cancellation(token):`` ties the units submitted inside to a
  :class:`CancelToken`; ``token.cancel()`` (the client went away) drops its queued and backlogged
  units at once, failing them with :class:`Cancelled`. ``batcher.cancelled()`` tells code between
  model calls that its caller is gone.

Guarantees: a caller's results come back in its order; greedy outputs are the
same as unbatched ones (each sequence is attended only to itself; tests check
it); a failing batch fails only its own units; the queue is bounded (a full
queue refuses new work with :class:`Overloaded`, a 503); a unit that cannot
*start* before its deadline fails with :class:`DeadlineExceeded` (503), at
submission when the estimate already says so.

Priorities (lower runs first)::

    from models import batcher
    with batcher.priority("background"):      # job workers: yield to interactive requests
        pipeline.process_article(runtime, text)

``INTERACTIVE`` (0) is the default. ``deadline(seconds)`` sets the latest start
time of the units submitted inside it (``None``: no deadline); without it,
interactive units get the batcher's ``default_timeout_s`` and background units
none.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterator, Sequence

from . import observe
from .errors import CapabilityUnavailable, InputError

log = logging.getLogger(__name__)

INTERACTIVE = 0
BACKGROUND = 1
_LEVELS = {"interactive": INTERACTIVE, "background": BACKGROUND}
_UNSET = object()
RATE_DECAY = 0.8  # weight of the past in the throughput average, per batch (about the last 5 batches count)

_priority: ContextVar[int] = ContextVar("tomtat_batch_priority", default=INTERACTIVE)
_deadline: ContextVar[Any] = ContextVar("tomtat_batch_deadline", default=_UNSET)
# the batchers this context has announced itself to and not submitted to yet: id(batcher) -> _Announcement
_announced: ContextVar[dict | None] = ContextVar("tomtat_batch_announced", default=None)
_caller: ContextVar[Hashable | None] = ContextVar("tomtat_batch_caller", default=None)
_cancel: ContextVar["CancelToken | None"] = ContextVar("tomtat_batch_cancel", default=None)


class _Announcement:
    __slots__ = ("open",)

    def __init__(self):
        self.open = True


@contextmanager
def priority(level: int | str) -> Iterator[int]:
    """Run the model calls inside at ``level`` (``"interactive"``/0, ``"background"``/1, or any int)."""
    value = _LEVELS[level] if isinstance(level, str) else int(level)
    token = _priority.set(value)
    try:
        yield value
    finally:
        _priority.reset(token)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Units submitted inside must start within ``seconds`` (``None``: wait as long as it takes)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def current_priority() -> int:
    return _priority.get()


def current_deadline() -> float | None:
    """The ``time.monotonic()`` by which units submitted here must start (``None``: none set)."""
    value = _deadline.get()
    return None if value is _UNSET else value


@contextmanager
def caller(identity: Hashable | None) -> Iterator[None]:
    """Units submitted inside belong to ``identity`` (an API key id, a client address) for fair
    scheduling and the per-caller share of the queue; ``None``: each submission is its own caller."""
    token = _caller.set(identity)
    try:
        yield
    finally:
        _caller.reset(token)


def current_caller() -> Hashable | None:
    return _caller.get()


class CancelToken:
    """Set once the work it covers is no longer wanted (the client disconnected)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._listeners: dict[int, Callable[[], None]] = {}

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        """Drop every queued unit submitted under this token (their callers get :class:`Cancelled`)."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            listeners = list(self._listeners.values())
        for listener in listeners:
            try:
                listener()
            except Exception:  # noqa: BLE001 - one batcher's failure must not stop the others' cleanup
                log.exception("cancellation listener failed")

    def _listen(self, key: int, listener: Callable[[], None]) -> None:
        with self._lock:
            if not self._event.is_set():
                self._listeners.setdefault(key, listener)
                return
        listener()


@contextmanager
def cancellation(token: CancelToken | None = None) -> Iterator[CancelToken]:
    """Tie the units submitted inside to ``token`` (a new one if not given); yields the token."""
    token = token or CancelToken()
    handle = _cancel.set(token)
    try:
        yield token
    finally:
        _cancel.reset(handle)


def current_cancel_token() -> CancelToken | None:
    return _cancel.get()


def cancelled() -> bool:
    """Whether the current caller's work has been cancelled (its client went away)."""
    token = _cancel.get()
    return token is not None and token.cancelled


def bind_request(identity: Hashable | None = None, token: CancelToken | None = None,
                 seconds: float | None = None) -> Callable[[], None]:
    """Set the caller, cancel token and (when ``seconds``) deadline for the rest of this context —
    for frameworks whose request hooks cannot wrap the handler in ``with`` blocks. Returns the
    function that restores the previous values (call it when the request ends)."""
    handles = [(_caller, _caller.set(identity)), (_cancel, _cancel.set(token))]
    if seconds is not None:
        handles.append((_deadline, _deadline.set(time.monotonic() + seconds)))

    def restore() -> None:
        for var, handle in reversed(handles):
            try:
                var.reset(handle)
            except ValueError:  # ended in another context than it began: clear instead
                var.set(_UNSET if var is _deadline else None)

    return restore


class _Retryable(CapabilityUnavailable):
    def __init__(self, capability: str, reason: str, how_to_fix: str, retry_after: float | None = None):
        super().__init__(capability, reason, how_to_fix)
        self.retry_after = retry_after  # seconds after which a retry may be admitted; None: no estimate


class Overloaded(_Retryable):
    """The model's queue is full: the service is saturated; retry later (``retry_after`` seconds)."""


class DeadlineExceeded(_Retryable):
    """A unit cannot start, or waited in the queue past its deadline without starting."""


class Cancelled(CapabilityUnavailable):
    """The caller's work was cancelled (its client went away): its queued units were dropped."""


@dataclass(eq=False)
class _Unit:
    text: Any
    tokens: int
    options: Hashable
    priority: int
    seq: int
    enqueued: float
    deadline: float | None
    caller: "_Caller | None" = None
    cancel: CancelToken | None = None
    future: Future = field(default_factory=Future)


class _Caller:
    """One caller's units: how many are in the queue, the rest waiting in its backlog, and its
    pending units and tokens by priority (queue and backlog together)."""

    __slots__ = ("key", "queued", "backlog", "served", "units", "tokens")

    def __init__(self, key: Hashable | None):
        self.key = key if key is not None else self  # anonymous: the submission itself
        self.queued = 0
        self.backlog: deque[_Unit] = deque()
        self.served = -1  # the batch number that last took one of its units
        self.units: dict[int, int] = {}
        self.tokens: dict[int, int] = {}

    def add(self, unit: _Unit) -> None:
        self.units[unit.priority] = self.units.get(unit.priority, 0) + 1
        self.tokens[unit.priority] = self.tokens.get(unit.priority, 0) + unit.tokens

    def remove(self, unit: _Unit) -> None:
        self.units[unit.priority] -= 1
        self.tokens[unit.priority] -= unit.tokens

    def pending(self, level: int) -> tuple[int, int]:
        """Units and tokens pending at ``level`` or more urgent."""
        units = sum(n for p, n in self.units.items() if p <= level)
        return units, sum(n for p, n in self.tokens.items() if p <= level)

    @property
    def empty(self) -> bool:
        return not self.backlog and self.queued == 0 and not any(self.units.values())


# units (Seq2SeqModel: tuples of input ids) and the options in; outputs (output ids) and tokens generated out
RunFn = Callable[[list[Any], Any], "tuple[list[Any], int | None] | list[Any]"]


class MicroBatcher:
    """Queue + one inference thread for one model (see the module docstring)."""

    def __init__(
        self,
        name: str,
        run: RunFn,
        *,
        max_batch_size: int = 16,
        max_batch_tokens: int = 8192,
        max_wait_ms: float = 5.0,
        announced_wait_ms: float = 100.0,
        max_queue: int = 4096,
        default_timeout_s: float | None = None,
        batch_limit: Callable[[Any, int], int] | None = None,
        capability: str = "model",
        caller_share: int | None = None,
        max_request_units: int | None = None,
    ):
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        self.name = name
        self._run = run
        self.max_batch_size = max_batch_size
        self.max_batch_tokens = max(1, max_batch_tokens)
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self.announced_wait = max(0.0, announced_wait_ms) / 1000.0
        self.announced = 0  # callers announced and not submitted yet (guarded by _cond)
        self.max_queue = max_queue
        self.caller_share = max(1, caller_share or max_queue // 4)
        self.max_request_units = max_request_units or 4 * max_queue
        self.default_timeout_s = default_timeout_s
        self._batch_limit = batch_limit
        self.capability = capability
        self._queue: list[_Unit] = []
        self._callers: dict[Hashable, _Caller] = {}
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.batches = 0  # batches run (for tests and /metrics)
        self._formed = 0  # batches formed: the stamp of the callers they served
        # throughput: decayed sums of input tokens and seconds of recent batches
        self._rate_tokens = 0.0
        self._rate_seconds = 0.0
        self._running_tokens = 0  # input tokens of the batch running now

    # -- callers ----------------------------------------------------------------
    @contextmanager
    def announce(self) -> Iterator[None]:
        """Tell the batcher this caller will submit soon (see the module docstring)."""
        mark = _Announcement()
        with self._cond:
            self.announced += 1
        token = _announced.set({**(_announced.get() or {}), id(self): mark})
        try:
            yield
        finally:
            _announced.reset(token)
            self._settle(mark)

    def _settle(self, mark: _Announcement) -> None:
        with self._cond:
            if mark.open:
                mark.open = False
                self.announced -= 1
                self._cond.notify_all()

    def submit(self, texts: Sequence[Any], tokens: Sequence[int], options: Hashable | list) -> list[Future]:
        """Queue ``texts`` (with their token counts) as units; one future per text, in order.

        ``options``: the generation options of every unit, or a list with one per unit (units
        only share a batch with units of equal options)."""
        if len(texts) != len(tokens):
            raise ValueError("one token count per text")
        per_unit = options if isinstance(options, list) else [options] * len(texts)
        if len(per_unit) != len(texts):
            raise ValueError("one options value per text")
        if not texts:
            return []
        if len(texts) > self.max_request_units:
            observe.emit("rejected", model=self.name, count=len(texts))
            raise InputError(
                f"this request needs {len(texts)} {self.name} model calls (sentences or sections), more than the "
                f"limit of {self.max_request_units} per request (TOMTAT_MAX_REQUEST_UNITS); split the text into "
                f"parts of at most {self.max_request_units} sentences and send each as its own request",
                code="too-many-units", units=len(texts), limit=self.max_request_units,
            )
        level = _priority.get()
        now = time.monotonic()
        limit = _deadline.get()
        if limit is _UNSET:
            limit = now + self.default_timeout_s if (self.default_timeout_s and level == INTERACTIVE) else None
        cancel = _cancel.get()
        if cancel is not None and cancel.cancelled:
            raise self._cancelled_error()
        identity = _caller.get()
        with self._cond:
            if self._closed:
                raise Overloaded(self.capability, f"the {self.name} batcher is shut down", "restart the service")
            caller = self._callers.get(identity) if identity is not None else None
            if caller is None:
                caller = _Caller(identity)
            units = [
                _Unit(t, max(1, int(n)), o, level, next(self._seq), now, limit, caller, cancel)
                for t, n, o in zip(texts, tokens, per_unit)
            ]
            self._admit(caller, units, level, limit, now)  # raises when refused
            self._callers[caller.key] = caller
            for unit in units:
                caller.add(unit)
            caller.backlog.extend(units)
            self._refill(caller)
            mark = (_announced.get() or {}).get(id(self))
            if mark is not None and mark.open:  # this caller has arrived
                mark.open = False
                self.announced -= 1
            depth = len(self._queue)
            self._ensure_thread()
            self._cond.notify_all()
        if cancel is not None:
            cancel._listen(id(self), self._drop_cancelled)
        observe.emit("queue_depth", model=self.name, depth=depth)
        return [u.future for u in units]

    def run(self, texts: Sequence[Any], tokens: Sequence[int], options: Hashable | list) -> list[Any]:
        """Submit and wait: the outputs of ``texts`` in order (raises the first unit's error)."""
        futures = self.submit(texts, tokens, options)
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:  # give up the units that have not started
                f.cancel()
            raise

    def depth(self) -> int:
        """Units in the queue (backlogs not counted)."""
        with self._cond:
            return len(self._queue)

    def pending(self) -> int:
        """Units not started yet: the queue and every caller's backlog."""
        with self._cond:
            return len(self._queue) + sum(len(c.backlog) for c in self._callers.values())

    def held(self) -> dict[Hashable, int]:
        """Units in the queue per caller (anonymous callers are keyed by an internal object)."""
        with self._cond:
            return {key: c.queued for key, c in self._callers.items() if c.queued}

    def seconds_per_token(self) -> float | None:
        """The moving average of model time per input token (``None`` before the first batch)."""
        with self._cond:
            return self._rate()

    def close(self, timeout: float | None = 5.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- admission (called with the lock held) ------------------------------------------
    def _rate(self) -> float | None:
        return self._rate_seconds / self._rate_tokens if self._rate_tokens > 0 else None

    def _admit(self, caller: _Caller, units: list[_Unit], level: int, limit: float | None, now: float) -> None:
        """Refuse ``units`` (raise) when they cannot all get in by count or start in time."""
        rate = self._rate()
        first = min(len(units), max(0, self.caller_share - caller.queued))  # what enters the queue now
        if level == INTERACTIVE and first:
            ahead = sum(1 for u in self._queue if u.priority <= level)  # background units do not count
            if ahead + first > self.max_queue:
                excess = ahead + first - self.max_queue
                mean = sum(u.tokens for u in self._queue) / max(1, len(self._queue))
                retry = None if rate is None else max(0.1, excess * mean * rate)
                observe.emit("rejected", model=self.name, count=len(units))
                raise Overloaded(
                    self.capability,
                    f"{self.name} has {ahead} units queued (limit {self.max_queue})",
                    "retry later, send less at once, or raise TOMTAT_MAX_QUEUE", retry_after=retry,
                )
        if limit is None or rate is None:
            return
        wait = self._estimate_tokens(caller, units, level) * rate
        if now + wait <= limit:
            return
        observe.emit("rejected", model=self.name, count=len(units))
        own = sum(u.tokens for u in units[:-1]) * rate  # its own work before its last unit starts
        if own > limit - now:
            reason = (f"this request needs about {own:.1f} s of {self.name} time, more than the "
                      f"{max(0.0, limit - now):.1f} s it may wait")
            fix = "split the text into smaller requests, or raise the request's deadline (TOMTAT_QUEUE_TIMEOUT)"
        else:
            reason = (f"its last unit would start in about {wait:.1f} s, after its deadline in "
                      f"{max(0.0, limit - now):.1f} s (queue of {self.name} busy)")
            fix = "retry after the Retry-After delay; the service is saturated (TOMTAT_QUEUE_TIMEOUT)"
        raise DeadlineExceeded(self.capability, reason, fix, retry_after=max(0.1, now + wait - limit))

    def _estimate_tokens(self, caller: _Caller, units: list[_Unit], level: int) -> float:
        """Input tokens that run before the last of ``units`` starts: the running batch, the caller's
        own pending units and those of ``units`` before it, and of every other caller the units the
        round robin takes first (as many as ``units``), all at ``level`` or more urgent."""
        n = len(units)
        ahead = float(self._running_tokens)
        for other in self._callers.values():
            count, tokens = other.pending(level)
            if not count:
                continue
            ahead += tokens if other is caller else tokens * min(1.0, n / count)
        return ahead + sum(u.tokens for u in units[:-1])

    def _refill(self, caller: _Caller) -> None:
        """Move the caller's backlog into the queue, up to its share (background: while there is room)."""
        backlog = caller.backlog
        while backlog and caller.queued < self.caller_share:
            unit = backlog[0]
            if unit.priority > INTERACTIVE and len(self._queue) >= self.max_queue:
                break
            backlog.popleft()
            self._queue.append(unit)
            caller.queued += 1

    def _refill_all(self) -> None:
        for caller in list(self._callers.values()):
            if caller.backlog:
                self._refill(caller)

    def _leave(self, unit: _Unit, queued: bool) -> None:
        """``unit`` is no longer pending (started, dropped or failed)."""
        caller = unit.caller
        caller.remove(unit)
        if queued:
            caller.queued -= 1
        if caller.empty and self._callers.get(caller.key) is caller:
            del self._callers[caller.key]

    def _cancelled_error(self) -> Cancelled:
        return Cancelled(self.capability, "the request was cancelled (its client went away)",
                         "nothing to fix; the client closed the connection before the answer")

    def _drop_cancelled(self) -> None:
        """A cancel token fired: drop its units now, even while a batch runs."""
        with self._cond:
            self._drop_dead(time.monotonic())
            self._cond.notify_all()

    # -- inference thread -----------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name=f"tomtat-batcher-{self.name}", daemon=True)
            self._thread.start()

    def _limit(self, options: Hashable) -> int:
        limit = self.max_batch_size
        if self._batch_limit is not None:
            limit = max(1, min(limit, self._batch_limit(options, limit)))
        return limit

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._execute(batch)

    @staticmethod
    def _fate(unit: _Unit, now: float) -> str | None:
        if unit.future.cancelled():
            return "gone"
        if unit.cancel is not None and unit.cancel.cancelled:
            return "cancelled"
        if unit.deadline is not None and now > unit.deadline:
            return "expired"
        return None

    def _sort_out(self, units, now: float) -> tuple[list[_Unit], list[tuple[_Unit, str]]]:
        """``units`` split into those still wanted and the others with their fate."""
        alive, gone = [], []
        for unit in units:
            fate = self._fate(unit, now)
            if fate is None:
                alive.append(unit)
            else:
                gone.append((unit, fate))
        return alive, gone

    def _drop_dead(self, now: float) -> None:
        """Remove cancelled units and fail expired ones, in the queue and the backlogs (lock held)."""
        dead: list[tuple[_Unit, str]] = []
        self._queue, gone = self._sort_out(self._queue, now)
        for unit, fate in gone:
            dead.append((unit, fate))
            self._leave(unit, queued=True)
        for caller in list(self._callers.values()):
            if not caller.backlog:
                continue
            alive, gone = self._sort_out(caller.backlog, now)
            if gone:
                caller.backlog = deque(alive)
                for unit, fate in gone:
                    dead.append((unit, fate))
                    self._leave(unit, queued=False)
        expired = cancelled = 0
        for unit, fate in dead:
            if fate == "gone" or not unit.future.set_running_or_notify_cancel():
                continue
            if fate == "cancelled":
                cancelled += 1
                unit.future.set_exception(self._cancelled_error())
            else:
                expired += 1
                unit.future.set_exception(DeadlineExceeded(
                    self.capability,
                    f"the request waited {now - unit.enqueued:.1f} s in the {self.name} queue past its deadline",
                    "retry later; the service is saturated (TOMTAT_QUEUE_TIMEOUT)",
                ))
        if expired:
            observe.emit("expired", model=self.name, count=expired)
        if cancelled:
            observe.emit("cancelled", model=self.name, count=cancelled)
        self._refill_all()

    def _pick_seed(self) -> _Unit:
        """The oldest unit, at the most urgent priority, of the caller served least recently."""
        top = min(u.priority for u in self._queue)
        return min((u for u in self._queue if u.priority == top), key=lambda u: (u.caller.served, u.seq))

    def _next_batch(self) -> list[_Unit] | None:
        with self._cond:
            while True:
                self._drop_dead(time.monotonic())
                if self._queue:
                    break
                if self._closed:
                    return None
                self._cond.wait(1.0)
            seed = self._pick_seed()
            limit = self._limit(seed.options)
            while not self._closed:
                compatible = sum(1 for u in self._queue if u.options == seed.options)
                now = time.monotonic()
                remaining = seed.enqueued + self.max_wait - now
                if remaining <= 0 and self.announced > 0:  # callers on their way: wait for them a little longer
                    remaining = seed.enqueued + self.announced_wait - now
                if compatible >= limit or remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._drop_dead(time.monotonic())
            if seed not in self._queue:  # expired or cancelled while we waited
                return []
            batch = self._select(seed, limit)
            chosen = set(map(id, batch))
            self._queue = [u for u in self._queue if id(u) not in chosen]
            self._formed += 1
            for unit in batch:
                unit.caller.served = self._formed
                self._leave(unit, queued=True)
            self._refill_all()
            started = [u for u in batch if u.future.set_running_or_notify_cancel()]
            self._running_tokens = sum(u.tokens for u in started)
            depth = len(self._queue)
        observe.emit("queue_depth", model=self.name, depth=depth)
        return started

    def _select(self, seed: _Unit, limit: int) -> list[_Unit]:
        """The seed and its company: compatible units by priority, then the callers in turns (each
        caller's unit closest in length to the seed first), within the size and token bounds."""
        by_caller: dict[int, list[_Unit]] = {}
        for unit in self._queue:
            if unit is not seed and unit.options == seed.options:
                by_caller.setdefault(id(unit.caller), []).append(unit)
        ranked = []
        for units in by_caller.values():
            units.sort(key=lambda u: (u.priority, abs(u.tokens - seed.tokens), u.seq))
            offset = 1 if units[0].caller is seed.caller else 0  # the seed took this caller's first turn
            ranked.extend(((u.priority, turn + offset, abs(u.tokens - seed.tokens), u.seq), u)
                          for turn, u in enumerate(units))
        ranked.sort(key=lambda pair: pair[0])
        batch, longest = [seed], seed.tokens
        for _, unit in ranked:
            if len(batch) >= limit:
                break
            widest = max(longest, unit.tokens)
            if widest * (len(batch) + 1) > self.max_batch_tokens:
                continue
            batch.append(unit)
            longest = widest
        return batch

    def _execute(self, batch: list[_Unit]) -> None:
        if not batch:
            return
        batch.sort(key=lambda u: u.tokens)
        options = batch[0].options
        started = time.monotonic()
        tokens_in = sum(u.tokens for u in batch)
        try:
            result = self._run([u.text for u in batch], options)
            outputs, tokens_out = result if isinstance(result, tuple) else (result, None)
            if len(outputs) != len(batch):
                raise RuntimeError(f"backend returned {len(outputs)} outputs for {len(batch)} inputs")
        except BaseException as exc:  # noqa: BLE001 - fail this batch's units, keep serving
            with self._cond:
                self._running_tokens = 0
            log.exception("%s: batch of %d failed", self.name, len(batch))
            observe.emit("batch_error", model=self.name, size=len(batch), error=type(exc).__name__)
            for unit in batch:
                unit.future.set_exception(exc)
            return
        seconds = time.monotonic() - started
        with self._cond:
            self._running_tokens = 0
            self._rate_tokens = self._rate_tokens * RATE_DECAY + tokens_in
            self._rate_seconds = self._rate_seconds * RATE_DECAY + seconds
        self.batches += 1
        for unit, out in zip(batch, outputs):
            unit.future.set_result(out)
        observe.emit(
            "batch", model=self.name, size=len(batch), tokens_in=tokens_in,
            tokens_out=int(tokens_out or 0), seconds=seconds, wait_seconds=started - min(u.enqueued for u in batch),
            priority=min(u.priority for u in batch),
        )
