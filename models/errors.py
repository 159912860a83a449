"""Errors the model layer raises for the layers above to translate (HTTP, CLI, jobs)."""

from __future__ import annotations


class TomtatError(Exception):
    """Base class of errors that carry a message meant for the user."""


class InputError(TomtatError):
    """The input cannot be processed as given (empty after cleaning, too long, wrong language)."""

    def __init__(self, message: str, field: str = "text", code: str = "invalid_input", **extra):
        super().__init__(message)
        self.field = field
        self.code = code
        self.extra = extra


class CapabilityUnavailable(TomtatError):
    """A capability (abstractive summaries, translation) has no loaded model."""

    def __init__(self, capability: str, reason: str, how_to_fix: str):
        super().__init__(f"{capability} is not available: {reason}")
        self.capability = capability
        self.reason = reason
        self.how_to_fix = how_to_fix
