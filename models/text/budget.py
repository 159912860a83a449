"""A wall-clock budget for one request's text work: the last line of defence.

Every function of the text pipeline runs in time linear in its input, but a large input
still costs time, and the regex engine holds the GIL while it runs.  The pipeline opens a
budget around a request's text work (:func:`text_budget`); the loops of the text
functions call :func:`check` every few hundred iterations (a context-variable read and a
clock read), and when the budget is spent the request fails with an
:class:`~models.errors.InputError` (``code="text-too-complex"``, a 422 over HTTP) instead
of holding a worker.  Outside a budget :func:`check` does nothing.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import InputError

__all__ = ["DEFAULT_TEXT_BUDGET_S", "TextBudgetExceeded", "check", "default_budget", "text_budget"]

DEFAULT_TEXT_BUDGET_S = 2.0  # seconds of text work (cleaning, sentences, language id) per request

_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("tomtat_text_deadline",
                                                                                      default=None)


class TextBudgetExceeded(InputError):
    """The text work of one request ran past its wall-clock budget."""

    def __init__(self, seconds: float):
        super().__init__(
            f"the text took longer than {seconds:g} s to clean and split into sentences; split it into "
            "smaller texts, or send plain text (format: text) instead of HTML",
            code="text-too-complex", budget_s=seconds,
        )


@contextmanager
def text_budget(seconds: float | None = DEFAULT_TEXT_BUDGET_S) -> Iterator[None]:
    """Run the block under a budget of ``seconds`` (``None`` or ≤ 0: unbounded, as a request's setting
    may say). Nested budgets keep the earlier deadline (an inner call never extends the request's)."""
    unbounded = seconds is None or seconds <= 0
    at = float("inf") if unbounded else time.monotonic() + seconds
    outer = _deadline.get()
    if outer is not None and outer[0] <= at:
        yield
        return
    token = _deadline.set((at, 0.0 if unbounded else seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def default_budget(seconds: float | None = DEFAULT_TEXT_BUDGET_S) -> Iterator[None]:
    """For a text function called on its own: a budget of ``seconds`` unless the caller (a request, with the
    operator's setting, bounded or not) already opened one, which is then the one that counts."""
    if _deadline.get() is not None:
        yield
        return
    with text_budget(seconds):
        yield


def check() -> None:
    """Raise :class:`TextBudgetExceeded` when the current budget is spent."""
    d = _deadline.get()
    if d is not None and time.monotonic() > d[0]:
        raise TextBudgetExceeded(d[1])
