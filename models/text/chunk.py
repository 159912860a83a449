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

__all__ = ["split_long_sentence", "chunk_sentences"]

CountTokens = Callable[[str], int]

# Clause separators, strongest first.  Punctuation separators stay at the
# end of the left piece; conjunctions start the right piece.
_CLAUSE_SPLITTERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<=;)\s+"),
    re.compile(r"(?<=:)\s+"),
    re.compile(r"(?<=,)\s+"),
    re.compile(r"\s+(?=[–—-]\s)"),
    re.compile(r"\s+(?=(?:nhưng|và|còn|hoặc|nên|để)\s)"),
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
    chunks: list[list[str]] = []
    current: list[str] = []
    for piece in pieces:
        if current and count_tokens(" ".join([*current, piece])) > window:
            chunks.append(current)
            current = []
        current.append(piece)
    if current:
        chunks.append(current)
    return chunks
