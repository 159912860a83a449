"""Vietnamese paragraph and sentence segmentation (pure Python, no models).

Sentence boundaries are found with a small rule system tuned on Vietnamese
news text (both natural text and the space-tokenized VietNews style, where
punctuation is separated by spaces: ``"tù . Sau đó"``).

A candidate boundary is a run of terminal punctuation (``. ! ? …``, ``...``)
plus any closing quotes/brackets, followed by whitespace.  It becomes a split
only if the next character can start a sentence (upper-case letter, digit,
opening quote/bracket, list bullet or dash) and none of these Vietnamese
specific exceptions applies:

* the period belongs to an abbreviation: administrative units ``TP.``,
  ``Tp.``, ``Q.`` (quận), ``P.`` (phường), ``TX.`` (thị xã), ``TT.``;
  academic/professional titles ``TS.``, ``ThS.``, ``Th.S``, ``PGS.TS.``,
  ``GS.TSKH.``, ``BS.``, ``KS.``, ``NXB.``; Latin-script ones ``Mr.``, ``St.``…
  (``"TP. HCM"`` is one sentence, ``"TP.HCM"`` never even has a candidate);
* the period follows a single capital initial after a capitalised word, the
  way Vietnamese news anonymises suspects: ``"ông Trần Đức L. (45 tuổi)"``;
* the period closes a list marker at the start of a sentence (``"1. "``,
  ``"a. "``, ``"II. "``);
* the period sits inside parentheses, or inside a quotation that the
  sentence continues after (``Ông nói: “Tôi sẽ đi. Mai về.” rồi bỏ đi.``).
  A quotation that ends its sentence is split normally and keeps its closing
  quote: ``… “Tôi sẽ đi.`` / ``Mai về.”``.

Periods with no following space (``22/7``, ``1.500.000``, ``12.5``, ``9.30``,
``U.23``, ``v.v.``, URLs, e-mails, domains like ``VnExpress.net``) never split,
and an ellipsis followed by a lower-case word does not split either.
Line breaks are always boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["split_paragraphs", "split_sentences", "split_text"]

# Abbreviations whose trailing period never ends a sentence (case-sensitive,
# compared with the whole token before the period or its last dotted part).
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        # administrative units: thành phố, quận, phường, thị xã, thị trấn
        "TP", "Tp", "tp", "Q", "P", "TX", "TT",
        # academic / professional titles
        "TS", "ThS", "Ths", "Th.S", "PGS", "GS", "TSKH", "BS", "BSCKI", "BSCKII",
        "KS", "CN", "NCS", "NXB", "NSƯT", "NSND", "PGS.TS", "GS.TS", "GS.TSKH",
        # Latin-script abbreviations common in Vietnamese news
        "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "No", "vs", "Co",
        "Corp", "Ltd", "Inc", "tr", "Tr",
    }
)

_TERMINAL_RE = re.compile(r"(?:\.{2,}|…|[.!?])+")
# characters that close a quotation/bracket and stay with the sentence before
_CLOSERS = "”’»)]"
_OPENING_QUOTES = "“‘«\"'"
_STRAIGHT_QUOTE = '"'
# a sentence may start with these (besides upper-case letters and digits)
_STARTERS = _OPENING_QUOTES + "([•*"
_DASHES = "-–—"
_LIST_MARKER_RE = re.compile(r"(?:\d{1,2}|[a-zđ]|[IVX]{1,4})")
_INITIAL_RE = re.compile(r"[A-ZĐ]\.")
# "TP." alone also means "the city" and can end a sentence ("trên địa bàn
# TP. Những đối tượng…"): split when the next word is a common sentence opener
# (none of these is the first syllable of a city name).
_CITY_ABBREVIATIONS = frozenset({"TP", "Tp"})
_SENTENCE_OPENERS = frozenset(
    "Theo Những Các Trong Ngoài Sau Đây Hiện Ông Anh Chị Khi Với Do Vì Nhưng Còn Đó "
    "Được Để Cũng Nếu Từ Đến Về Cùng Dù Không Có Một Trước Lúc Riêng Ngày Tối Sáng "
    "Chiều Trưa Đêm Năm Tháng Báo Thế Mặc Bên Qua Chính Đặc Tuy Vậy Song Nhờ Bởi Hôm".split()
)


def split_paragraphs(text: str) -> list[str]:
    """Split on blank lines; return stripped, non-empty paragraphs."""
    return [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def split_text(text: str) -> list[list[str]]:
    """Paragraphs → sentences (empty paragraphs are dropped)."""
    return [s for s in (split_sentences(p) for p in split_paragraphs(text)) if s]


def split_sentences(text: str) -> list[str]:
    """Split a paragraph (or whole text) into sentences; see module docstring."""
    sentences: list[str] = []
    for line in text.split("\n"):
        sentences.extend(_split_line(line))
    return sentences


# --------------------------------------------------------------------------
# internals


def _split_line(line: str) -> list[str]:
    if not line.strip():
        return []
    quotes = _quote_spans(line)
    parens = _bracket_spans(line)
    cuts: list[int] = []
    start = 0
    for m in _TERMINAL_RE.finditer(line):
        end = _extend_over_closers(line, m.end(), quotes)
        if end <= m.start() or not _is_boundary(line, m, end, start, quotes, parens):
            continue
        cuts.append(end)
        start = end
    pieces = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)])]
    return [p for p in pieces if p]


def _extend_over_closers(line: str, pos: int, quotes: list[tuple[int, int]]) -> int:
    """Advance over closing quotes/brackets that belong to the sentence.

    In tokenized text the closer is separated by a space (``đi . ” rồi``), so
    spaces are skipped too, but only when a closer follows them.
    """
    closing_straight = {close for _, close in quotes if line[close] == _STRAIGHT_QUOTE}
    i = pos
    while True:
        j = i
        while j < len(line) and line[j] == " ":
            j += 1
        if j < len(line) and (line[j] in _CLOSERS or j in closing_straight):
            i = j + 1
            continue
        return i


def _is_boundary(line, m: re.Match, end: int, sent_start: int, quotes, parens) -> bool:
    if end < len(line) and not line[end].isspace():
        return False  # "TP.HCM", "1.500", "22/7", URLs, "U.23", "9.30"
    nxt = line[end:].lstrip()
    if not nxt:
        return True
    closers = line[m.end():end].strip()
    if not _can_start_sentence(nxt, after_quote=bool(closers) and closers[-1] in "”\""):
        return False  # lower-case continuation: "… rồi", "v.v. và", "..., "
    if m.group() == "." and _is_abbreviation_period(line, m.start(), sent_start):
        return False
    if _inside(m.start(), parens):
        return False
    return not _inside_continued_quote(line, m.start(), quotes)


def _can_start_sentence(text: str, after_quote: bool) -> bool:
    """Upper-case, digit, opening quote/bracket, bullet; a dash starts a
    dialogue turn or list item ("? - Ngay trong phiên toà…") except right
    after a closing quote, where it introduces the speaker ("…” - Linh nói")."""
    first = text[0]
    if first in _DASHES:
        return not after_quote and len(text) > 1 and text[1].isspace()
    return first.isupper() or first.isdigit() or first in _STARTERS


def _token_before(line: str, pos: int) -> str:
    i = pos
    while i > 0 and not line[i - 1].isspace():
        i -= 1
    return line[i:pos]


def _is_abbreviation_period(line: str, dot: int, sent_start: int) -> bool:
    token = _token_before(line, dot).lstrip("(“\"'")
    if not token:
        return False  # tokenized " . " — a real sentence end
    last = token.rsplit(".", 1)[-1]
    if token in _CITY_ABBREVIATIONS and _next_word(line, dot + 1) in _SENTENCE_OPENERS:
        return False
    if token in ABBREVIATIONS or last in ABBREVIATIONS:
        return True
    if line[sent_start:dot - len(token)].strip() == "" and _LIST_MARKER_RE.fullmatch(token):
        return True  # list marker at the start of a sentence: "1. ", "a. "
    return _is_name_initial(line, dot, token)


def _next_word(line: str, pos: int) -> str:
    rest = line[pos:].split(maxsplit=1)
    return rest[0] if rest else ""


def _is_name_initial(line: str, dot: int, token: str) -> bool:
    """``Trần Đức L.`` — one capital letter after a capitalised word, or
    a run of initials ``H. Q. T.``."""
    if not (len(token) == 1 and token.isupper()):
        return False
    if _INITIAL_RE.match(_next_word(line, dot + 1)):
        return True
    before = line[: dot - 1].rstrip()
    prev = _token_before(before, len(before))
    return bool(prev) and prev[0].isupper() and prev.isalpha()


def _quote_spans(line: str) -> list[tuple[int, int]]:
    """(open, close) index pairs for “…” and for straight quotes paired in order."""
    spans: list[tuple[int, int]] = []
    spans += _bracket_spans(line, "“", "”")
    straight = [i for i, ch in enumerate(line) if ch == _STRAIGHT_QUOTE]
    spans += list(zip(straight[0::2], straight[1::2]))
    return spans


def _bracket_spans(line: str, opener: str = "(", closer: str = ")") -> list[tuple[int, int]]:
    spans, stack = [], []
    for i, ch in enumerate(line):
        if ch == opener:
            stack.append(i)
        elif ch == closer and stack:
            spans.append((stack.pop(), i))
    return spans


def _inside(pos: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(a < pos < b for a, b in spans)


def _inside_continued_quote(line: str, pos: int, quotes) -> bool:
    """True if ``pos`` is inside a quotation that the sentence continues after."""
    for a, b in quotes:
        if a < pos < b:
            after = line[b + 1:].lstrip(" " + _CLOSERS)
            if after and (after[0].islower() or after[0] in ",;:"):
                return True
    return False
