"""Token-aware packing of sentences into model-sized chunks.

Tokenizer-agnostic: every function takes ``count_tokens(text) -> int`` (for
a Hugging Face tokenizer, e.g. ``lambda s: len(tok(s).input_ids)``).

Vietnamese news sentences can be very long (legal or administrative
enumerations run to 150+ syllables separated by ``;`` and ``,``), so a
sentence over the window is split at clause boundaries first, in order of
strength: ``;``, ``:``, ``,``, dashes used as separators (`` – ``, `` - ``),
then before the conjunctions *nhưng* (but), *và* (and), *còn* (whereas),
*hoặc* (or), *nên* (so), *để* (in order to); only as a last resort between
words.  No text is ever dropped: the pieces, joined with spaces, equal the
input sentence modulo whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import budget

__all__ = ["split_long_sentence", "chunk_sentences"]

CountTokens = Callable[[str], int]

# Clause separators, strongest first.  Punctuation separators stay at the
# end of the left piece; conjunctions start the right piece.
_CLAUSE_SPLITTERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<=;)\s+"),
    re.compile(r"(?<=:)\s+"),
    re.compile(r"(?<=,)\s+"),
    # (?<!\s): a match starts only at the first blank of a run (no rescan of the run: linear)
    re.compile(r"(?<!\s)\s+(?=[–—-]\s)"),
    re.compile(r"(?<!\s)\s+(?=(?:nhưng|và|còn|hoặc|nên|để)\s)"),
)


def split_long_sentence(sentence: str, count_tokens: CountTokens, window: int) -> list[str]:
    """Split ``sentence`` into pieces of at most ``window`` tokens each.

    Tries the clause separators strongest-first, packing the resulting
    clauses greedily and recursing into any clause still too long; falls back
    to word boundaries.  A single word longer than the window is returned as
    is (it cannot be split without breaking a syllable).
    """
    if window < 1:
        raise ValueError("window must be >= 1")
    sentence = sentence.strip()
    if not sentence:
        return []
    return _split(sentence, count_tokens, window, 0)


def chunk_sentences(
    sentences: list[str], count_tokens: CountTokens, window: int
) -> list[list[str]]:
    """Greedily pack consecutive sentences into chunks of ≤ ``window`` tokens.

    Sentences longer than the window are split first with
    :func:`split_long_sentence`.  Order is kept and nothing is dropped.  The
    budget is measured on the chunk text joined with spaces.
    """
    pieces = [p for s in sentences for p in split_long_sentence(s, count_tokens, window)]
    return _pack(pieces, count_tokens, window)


def _split(text: str, count_tokens: CountTokens, window: int, level: int) -> list[str]:
    budget.check()
    if count_tokens(text) <= window:
        return [text]
    for depth in range(level, len(_CLAUSE_SPLITTERS)):
        parts = [p for p in _CLAUSE_SPLITTERS[depth].split(text) if p.strip()]
        if len(parts) > 1:
            out: list[str] = []
            for part in parts:
                out.extend(_split(part.strip(), count_tokens, window, depth + 1))
            return [" ".join(c) for c in _pack(out, count_tokens, window)]
    return [" ".join(c) for c in _pack(text.split(), count_tokens, window)]


def _pack(pieces: list[str], count_tokens: CountTokens, window: int) -> list[list[str]]:
    """Greedy packing: each chunk takes as many of the next pieces as fit (at least one).

    The longest fitting run is found by galloping then bisection (token counts grow
    with the text), so a chunk of k pieces costs O(log k) counts of its text instead of
    k: O(n log window) overall, where piece-by-piece growth was O(n · window).
    """
    chunks: list[list[str]] = []
    i, n = 0, len(pieces)

    def fits(k: int) -> bool:
        budget.check()
        return count_tokens(" ".join(pieces[i:i + k])) <= window

    while i < n:
        good, bad, step = 1, None, 1  # a chunk always takes its first piece
        while i + good < n:
            k = min(good + step, n - i)
            if fits(k):
                good, step = k, step * 2
            else:
                bad = k
                break
        if bad is not None:
            while bad - good > 1:
                mid = (good + bad) // 2
                if fits(mid):
                    good = mid
                else:
                    bad = mid
        chunks.append(pieces[i:i + good])
        i += good
    return chunks
