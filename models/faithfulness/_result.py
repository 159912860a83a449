"""What every fact check shares and returns: the fact kinds (``KINDS``) and issues (``ISSUES``) a problem
may have, :class:`Fact` (one fact found in a text), and ``_problem`` / ``_result``, which build the
``{"ok", "problems"}`` answer, duplicates dropped and at most ``MAX_PROBLEMS`` kept."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("number", "date", "name", "quote", "negation", "untranslated")
ISSUES = ("missing", "unsupported", "changed")
MAX_PROBLEMS = 20  # per output: enough to act on, bounded for a garbage output


@dataclass(frozen=True)
class Fact:
    """One fact found in a text: its kind, the words it was written with, and what it means."""

    kind: str
    text: str
    values: frozenset = frozenset()  # numbers: candidate values; dates: claims; names: folded forms
    unit: str | None = None  # numbers: "%", "VND", "USD", ...
    support_only: bool = False  # spelled-out numbers: they back a fact, never need backing
    start: int = 0


def _problem(kind: str, text: str, issue: str, found: str | None = None) -> dict:
    out = {"kind": kind, "text": text, "issue": issue}
    if found:
        out["found"] = found
    return out


def _result(problems: list[dict]) -> dict:
    seen, unique = set(), []
    for p in problems:
        key = (p["kind"], p["text"], p["issue"])
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return {"ok": not unique, "problems": unique[:MAX_PROBLEMS]}
