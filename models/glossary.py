"""Glossaries: terms a translation must render one way, every time (no HTTP here).

A newsroom wants "UBND" as "People's Committee", "Quận 3" as "District 3" and a minister's
name spelled one way. A :class:`Glossary` maps source terms to target terms; a term mapped to
itself is *do not translate*.

Matching is Vietnamese-aware and deliberately not fuzzy: both sides are NFC, tone marks are
compared in one placement style (``hòa`` = ``hoà``), case is ignored, and a term matches whole
syllables / words only (``Quận 3`` is not in ``Quận 30``; diacritics count, so ``quan`` is not
``quận``). Where terms overlap, the longest wins.

The guarantee, kept by :func:`apply` whatever the model does: in every unit (sentence) whose
source holds a term, the translation holds its target term.

1. The unit goes to the model with each matched term already replaced by its target term
   (models fed a foreign term in a sentence copy it through; this keeps the sentence whole).
2. Where a target term is still missing from the output, the unit is translated again in
   pieces: the text between the terms goes to the model, the target terms are set between the
   translated pieces as written. The term is then there by construction, so the guarantee does
   not rest on the model cooperating (the tiny random-weight test models never do).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from .cache import Lru
from .errors import InputError
from .text.tone import normalize_tone

__all__ = ["Glossary", "GlossaryLimits", "apply", "built", "fold", "from_dict", "parse_table"]

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_HAS_WORD_RE = re.compile(r"\w")


@dataclass(frozen=True)
class GlossaryLimits:
    max_entries: int = 5000
    max_term_chars: int = 200


LIMITS = GlossaryLimits()


def fold(text: str, case: bool = True) -> str:
    """``text`` compared the glossary's way: NFC, tone marks in the new placement, lowercase (``case``).
    Same length as the NFC text, character for character, so a match in the fold is a span of the text."""
    nfc = unicodedata.normalize("NFC", text)
    toned = normalize_tone(nfc, "new")
    if len(toned) != len(nfc):  # never for Vietnamese; safety for exotic input
        toned = nfc
    if not case:
        return toned
    lowered = toned.lower()
    # whole-string lower() is the per-character rule below unless a character lowers to several (İ) or by
    # its context (Greek final sigma)
    if len(lowered) == len(toned) and "Σ" not in toned:
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in toned)


def _tokens(folded: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(folded)]


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    source: str  # the term as the glossary has it
    target: str


class Glossary:
    """Source term → target term, for one direction (``source``→``target`` languages)."""

    def __init__(self, entries: Mapping[str, str], source: str = "vi", target: str = "en",
                 limits: GlossaryLimits = LIMITS, field: str = "glossary"):
        if not isinstance(entries, Mapping):
            raise InputError("a glossary is an object of source term → target term", field=field,
                             code="bad-glossary")
        if len(entries) > limits.max_entries:
            raise InputError(f"the glossary has {len(entries)} entries; at most {limits.max_entries} are allowed "
                             "(split it, or keep the terms this text needs)", field=field, code="bad-glossary",
                             limit=limits.max_entries)
        self.source, self.target = source, target
        self.entries: dict[str, str] = {}
        self._first: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        seen: dict[tuple[str, ...], tuple[str, str]] = {}  # matching key -> (term, rendering) first given
        for raw_source, raw_target in entries.items():
            where = f"{field}[{raw_source!r}]" if isinstance(raw_source, str) else field
            if not isinstance(raw_source, str) or not isinstance(raw_target, str):
                raise InputError("glossary terms are strings", field=where, code="bad-glossary")
            term = " ".join(unicodedata.normalize("NFC", raw_source).split())
            rendering = " ".join(unicodedata.normalize("NFC", raw_target).split())
            for side, value in (("source term", term), ("target term", rendering)):
                if not _HAS_WORD_RE.search(value):
                    raise InputError(f"the {side} {value!r} has no letter or digit; a term is a word or words",
                                     field=where, code="bad-glossary")
                if len(value) > limits.max_term_chars:
                    raise InputError(f"the {side} has {len(value)} characters; at most {limits.max_term_chars}",
                                     field=where, code="bad-glossary", limit=limits.max_term_chars)
            key = tuple(tok for tok, _, _ in _tokens(fold(term)))
            if key in seen and seen[key][1] != rendering:
                first, first_rendering = seen[key]
                raise InputError(f"{first!r} ({first_rendering!r}) and {raw_source!r} ({rendering!r}) are the "
                                 "same term (case and tone-mark placement do not count) with different target "
                                 "terms; keep one", field=where, code="bad-glossary")
            seen.setdefault(key, (term, rendering))
            self.entries[term] = rendering
            self._first.setdefault(key[0], []).append((key, term, rendering))
        for candidates in self._first.values():
            candidates.sort(key=lambda c: -len(c[0]))  # longest first
        self.digest = hashlib.sha256(json.dumps([source, target, sorted(self.entries.items())],
                                                ensure_ascii=False).encode()).hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def matches(self, text: str) -> list[Match]:
        """The terms in ``text`` (NFC), left to right, longest first where they overlap, none overlapping."""
        tokens = _tokens(fold(text))
        out: list[Match] = []
        i = 0
        while i < len(tokens):
            for key, term, rendering in self._first.get(tokens[i][0], ()):
                n = len(key)
                if tuple(t for t, _, _ in tokens[i:i + n]) == key:
                    out.append(Match(tokens[i][1], tokens[i + n - 1][2], term, rendering))
                    i += n
                    break
            else:
                i += 1
        return out

    def renders(self, output: str, term_target: str) -> bool:
        """Whether ``output`` holds ``term_target`` as written: whole words, case kept (``People's Committee``,
        not ``people's committee``) but for a capital first letter where a sentence starts with the term
        (``The dairy giant grew``); NFC and tone-mark placement are not told apart."""
        return self._holds(_words(output), term_target)

    @staticmethod
    def _holds(have: list[str], term_target: str) -> bool:
        """:meth:`renders` on the output's words (``_words``), read once for every term."""
        want = _words(term_target)
        n = len(want)
        if not n:
            return False
        capital = [want[0][:1].upper() + want[0][1:]] + want[1:]
        return any(have[i:i + n] in (want, capital) for i in range(len(have) - n + 1))

    def vouches(self, problem: dict, source: str, output: str) -> bool:
        """Whether a fact-check ``problem`` of ``output`` (a translation of ``source``) is the glossary's own
        doing: the fact is (part of) a term of the source, or of a target term, that ``output`` renders as the
        glossary says (``"Vinamilk": "the dairy giant"`` loses the name on purpose; ``"phở bò": "phở bò"``
        leaves Vietnamese untranslated on purpose)."""
        return self.vouching(source, output)(problem)

    def vouching(self, source: str, output: str) -> Callable[[dict], bool]:
        """:meth:`vouches` for every problem of one output: the source's terms and the output's words read
        once, not once per problem."""
        have = _words(output)
        rendered = [(fold(m.source), fold(m.target)) for m in self.matches(source) if self._holds(have, m.target)]

        def vouches(problem: dict) -> bool:
            fact = fold(problem.get("text") or "").strip()
            changed = problem.get("issue") in ("missing", "changed")
            return bool(fact) and any(fact in target or (changed and fact in source) for source, target in rendered)

        return vouches

    def as_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "entries": dict(self.entries)}


def _words(text: str) -> list[str]:
    """The words of ``text`` as terms are compared: folded (case kept), in order."""
    return [t for t, _, _ in _tokens(fold(text, case=False))]


def _renders_all(glossary: Glossary, output: str, matches: Sequence[Match]) -> bool:
    have = _words(output)  # once for all the terms of the sentence
    return all(glossary._holds(have, m.target) for m in matches)


# what a process keeps built, in characters of terms: four of the largest glossaries a request may send
# (5,000 terms of 200 characters a side, some 25 MB each once built), or thousands of a newsroom's usual size
MOST_BUILT_CHARS = 8_000_000


def built_chars(glossary: "Glossary") -> int:
    """What a built glossary weighs in a cache of built glossaries: the characters of its terms."""
    return sum(len(a) + len(b) for a, b in glossary.entries.items())


_BUILT = Lru(MOST_BUILT_CHARS, weigh=built_chars)


def built(entries: Mapping[str, str], source: str | None = "vi", target: str | None = "en",
          field: str = "glossary") -> Glossary:
    """``Glossary(entries, source, target)``, built once per process for the same terms: a 5,000-term
    glossary takes tens of milliseconds to build and a couple to recognise, and the same one comes back with
    every request of a newsroom that sends it inline, and with every item of a job. A glossary is never
    changed once built, so one is shared by every thread; the least recently used go past
    ``MOST_BUILT_CHARS``."""
    try:
        key = hashlib.sha256(json.dumps([source, target, entries], sort_keys=True, ensure_ascii=False)
                             .encode()).hexdigest()
    except (TypeError, ValueError):  # not JSON-like: not one a request sends; Glossary says what is wrong
        return Glossary(entries, source, target, field=field)
    found = _BUILT.get(key)
    if found is None:
        found = Glossary(entries, source, target, field=field)  # an error is raised, never kept
        _BUILT.put(key, found)
    return found


def from_dict(data: Mapping | None) -> Glossary | None:
    """A glossary from its :meth:`Glossary.as_dict` (job options, batch runs), through :func:`built`."""
    if not data:
        return None
    return built(data.get("entries") or {}, data.get("source"), data.get("target"))


def apply(glossary: Glossary | None, units: Sequence[str],
          generate: Callable[[list[str]], list[str]]) -> list[str]:
    """Translate ``units`` with ``generate`` (a list of texts → as many translations), keeping the glossary.

    Units without a term are translated as they are. See the module's docstring for the two steps."""
    if not glossary:
        return generate(list(units))
    found = [glossary.matches(u) for u in units]
    inputs = [_with_targets(u, ms) if ms else u for u, ms in zip(units, found)]
    out = generate(inputs)
    retry = [i for i, ms in enumerate(found) if ms and not _renders_all(glossary, out[i], ms)]
    if not retry:
        return out
    pieces_of = {i: _pieces(units[i], found[i]) for i in retry}
    wanted = [p for i in retry for p in pieces_of[i][0] if _HAS_WORD_RE.search(p)]
    translated = iter(generate(wanted) if wanted else [])
    for i in retry:
        texts, targets = pieces_of[i]
        parts: list[str] = []
        for k, piece in enumerate(texts):
            if piece:
                parts.append(next(translated).strip() if _HAS_WORD_RE.search(piece) else piece)
            if k < len(targets):
                parts.append(targets[k])
        out[i] = _join(parts)
    return out


def _with_targets(unit: str, matches: Iterable[Match]) -> str:
    parts, at = [], 0
    for m in matches:
        parts += [unit[at:m.start], m.target]
        at = m.end
    parts.append(unit[at:])
    return "".join(parts)


def _pieces(unit: str, matches: Sequence[Match]) -> tuple[list[str], list[str]]:
    """The text around the terms (len(targets) + 1 pieces, stripped; "" where two terms touch) and the
    target terms between them."""
    texts, at = [], 0
    for m in matches:
        texts.append(unit[at:m.start].strip())
        at = m.end
    texts.append(unit[at:].strip())
    return texts, [m.target for m in matches]


_NO_SPACE_BEFORE = re.compile(r"^[,.;:!?%)\]}»”’]")


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not _NO_SPACE_BEFORE.match(part) and not out.endswith(("(", "[", "“", "«")):
            out += " "
        out += part
    return out


# -- tables: CSV / TSV import -------------------------------------------------------------------------------

def parse_table(data: str, delimiter: str, field: str = "glossary") -> dict[str, str]:
    """Two columns, source term and target term, one entry per line (CSV quoting understood; a first line
    ``source,target`` or ``vi,en`` is a header). An :class:`InputError` names the bad line."""
    import csv
    import io

    entries: dict[str, str] = {}
    reader = csv.reader(io.StringIO(data), delimiter=delimiter)
    try:
        for n, row in enumerate(reader, start=1):
            cells = [c.strip() for c in row]
            if not any(cells) or (cells and cells[0].startswith("#")):
                continue
            if len(cells) != 2:
                raise InputError(f"line {n} has {len(cells)} columns; each line is `source term"
                                 f"{'<TAB>' if delimiter == chr(9) else delimiter}target term`",
                                 field=field, code="bad-glossary", line=n)
            if n == 1 and [c.lower() for c in cells] in (["source", "target"], ["vi", "en"], ["en", "vi"],
                                                          ["term", "translation"]):
                continue
            if cells[0] in entries and entries[cells[0]] != cells[1]:
                raise InputError(f"line {n}: {cells[0]!r} is already mapped to {entries[cells[0]]!r}",
                                 field=field, code="bad-glossary", line=n)
            entries[cells[0]] = cells[1]
    except csv.Error as exc:
        raise InputError(f"not a readable table: {exc}", field=field, code="bad-glossary") from None
    return entries


def read_file(path, source: str = "vi", target: str = "en") -> Glossary:
    """A glossary file: ``.csv``, ``.tsv``/``.tab`` (two columns) or ``.json`` (an object of terms, or
    ``{"source", "target", "entries"}`` as ``GET /v1/glossaries/<name>`` gives). An :class:`InputError` says
    what is wrong with it."""
    from pathlib import Path

    path = Path(path)
    try:
        data = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the glossary {path}: {exc.strerror}", field="glossary",
                         code="bad-glossary") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"the glossary {path} is not UTF-8 (byte {exc.start})", field="glossary",
                         code="bad-glossary") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise InputError(f"the glossary {path} is not JSON: {exc}", field="glossary", code="bad-glossary") from None
        if isinstance(value, dict) and isinstance(value.get("entries"), dict):
            return Glossary(value["entries"], value.get("source", source), value.get("target", target))
        return Glossary(value, source, target)
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        return Glossary(parse_table(data, "," if suffix == ".csv" else "\t"), source, target)
    raise InputError(f"the glossary {path}: name it .csv, .tsv or .json", field="glossary", code="bad-glossary")
