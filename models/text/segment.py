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

from . import budget
from .openers import trim_opener

__all__ = ["Paragraph", "as_excerpt", "join_sentences", "leading_headline", "split_paragraphs", "split_sentences",
           "split_text", "worth_translating"]

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
        "Corp", "Ltd", "Inc", "tr", "Tr", "Cty", "CTy",
    }
)

_TERMINAL_RE = re.compile(r"(?:\.{2,}|…|[.!?])+")
# characters that close a quotation/bracket and stay with the sentence before
_CLOSERS = "”’»)]"
# what may close a line after its last mark: closing quotes (straight ones too) and brackets
TRAILING_CLOSERS = "[" + re.escape("\"'" + _CLOSERS) + "]*$"
# a line that ends like a sentence: its stop, then any closers
ENDS_SENTENCE_RE = re.compile("[.!?…]" + TRAILING_CLOSERS)
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
SENTENCE_OPENERS = frozenset(
    "Theo Những Các Trong Ngoài Sau Đây Hiện Ông Anh Chị Khi Với Do Vì Nhưng Còn Đó "
    "Được Để Cũng Nếu Từ Đến Về Cùng Dù Không Có Một Trước Lúc Riêng Ngày Tối Sáng "
    "Chiều Trưa Đêm Năm Tháng Báo Thế Mặc Bên Qua Chính Đặc Tuy Vậy Song Nhờ Bởi Hôm".split()
)
# degrees and "Cty." end sentences the same way ("Ông có bằng TS. Năm 2010 ông về nước."), before the openers
# that are no surname: a title before a name meets "Từ" or "Ông" ("TS. Từ Minh Thiện", "PGS.TS. Ông Văn Năm")
_DEGREE_OPENERS = SENTENCE_OPENERS - {"Từ", "Ông"}
# an abbreviation whose period ends the sentence when one of these words follows it
_ENDS_BEFORE = {**{t: SENTENCE_OPENERS for t in _CITY_ABBREVIATIONS},
                **{t: _DEGREE_OPENERS for t in ("TS", "ThS", "Ths", "Th.S", "TSKH", "PGS.TS", "GS.TS", "Cty", "CTy")}}


def split_paragraphs(text: str) -> list[str]:
    """Split on blank lines; return stripped, non-empty paragraphs."""
    return [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


class Paragraph(list):
    """A paragraph's sentences (a list, and used as one everywhere), and where its lines end: ``line_ends``
    holds the index of each sentence a single line break follows ("Giá vàng tăng mạnh\nGiá vàng SJC sáng
    nay…": a headline over its lead, the lines of a list or a poem). A translation joins those with a line
    break, the others with a space (:func:`join_sentences`), so that it keeps the lines of its source."""

    def __init__(self, sentences=(), line_ends=frozenset()):
        super().__init__(sentences)
        self.line_ends = frozenset(line_ends)


def join_sentences(paragraph: list[str], texts: list[str]) -> str:
    """``texts`` (one per sentence of ``paragraph``: its translation) as one paragraph: a line break where a
    line of the source ended between two of them, a space elsewhere; empty texts dropped."""
    ends = getattr(paragraph, "line_ends", frozenset())
    out, last = "", None
    for i, text in enumerate(texts):
        if not text:
            continue
        if last is not None:
            out += "\n" if any(j in ends for j in range(last, i)) else " "
        out += text
        last = i
    return out


def split_text(text: str, split_line=None) -> list[list[str]]:
    """Paragraphs → sentences (empty paragraphs are dropped); ``split_line``: another language's line splitter.
    Each paragraph is a :class:`Paragraph`: it knows which of its sentences end a line."""
    split_line = split_line or _split_line
    out = []
    for paragraph in split_paragraphs(text):
        sentences, ends = [], []
        for line in paragraph.split("\n"):
            found = split_line(line)
            if found:
                sentences.extend(found)
                ends.append(len(sentences) - 1)
        if sentences:
            out.append(Paragraph(sentences, ends[:-1]))
    return out


def split_sentences(text: str, split_line=None) -> list[str]:
    """Split a paragraph (or whole text) into sentences, line by line; see module docstring."""
    split_line = split_line or _split_line
    return [sentence for line in text.split("\n") for sentence in split_line(line)]


# --------------------------------------------------------------------------
# internals


class _Line:
    """One line and what the boundary rules ask about it, precomputed in linear time:
    which positions lie inside parentheses or inside a quotation the sentence continues
    after, which straight quotes close a quotation."""

    def __init__(self, line: str):
        self.text = line
        n = len(line)
        quotes = _quote_spans(line)
        self.closing_straight = {close for _, close in quotes if line[close] == _STRAIGHT_QUOTE}
        self.in_parens = _coverage(n, _bracket_spans(line))
        # after each position, the first one not a space or closer (for "continued quote")
        skip = " " + _CLOSERS
        after = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            after[i] = after[i + 1] if line[i] in skip else i
        continued = []
        for a, b in quotes:
            j = after[b + 1] if b + 1 <= n else n
            if j < n and (line[j].islower() or line[j] in ",;:"):
                continued.append((a, b))
        self.in_continued_quote = _coverage(n, continued)
        self.first_nonspace = {}  # sentence start -> its first non-space index


def _coverage(n: int, spans: list[tuple[int, int]]) -> list[bool]:
    """``cover[p]``: some span (a, b) has a < p < b (a difference array: linear)."""
    delta = [0] * (n + 2)
    for a, b in spans:
        if b - a > 1:
            delta[a + 1] += 1
            delta[b] -= 1
    cover, depth = [False] * (n + 1), 0
    for i in range(n + 1):
        depth += delta[i]
        cover[i] = depth > 0
    return cover


def _split_line(line: str) -> list[str]:
    if not line.strip():
        return []
    if not _TERMINAL_RE.search(line):
        return [line.strip()]  # no candidate boundary: skip the precomputation
    info = _Line(line)
    cuts: list[int] = []
    start = 0
    for k, m in enumerate(_TERMINAL_RE.finditer(line)):
        if not k & 1023:
            budget.check()
        end = _extend_over_closers(line, m.end(), info)
        if end <= m.start() or not _is_boundary(line, m, end, start, info):
            continue
        cuts.append(end)
        start = end
    pieces = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)])]
    return [p for p in pieces if p]


def _extend_over_closers(line: str, pos: int, info: _Line) -> int:
    """Advance over closing quotes/brackets that belong to the sentence.

    In tokenized text the closer is separated by a space (``đi . ” rồi``), so
    spaces are skipped too, but only when a closer follows them.
    """
    closing_straight = info.closing_straight
    i = pos
    while True:
        j = i
        while j < len(line) and line[j] == " ":
            j += 1
        if j < len(line) and (line[j] in _CLOSERS or j in closing_straight):
            i = j + 1
            continue
        return i


_NONSPACE_RE = re.compile(r"\S")


def _is_boundary(line, m: re.Match, end: int, sent_start: int, info: _Line) -> bool:
    if end < len(line) and not line[end].isspace():
        return False  # "TP.HCM", "1.500", "22/7", URLs, "U.23", "9.30"
    found = _NONSPACE_RE.search(line, end)  # scans only the blanks after this boundary
    if not found:
        return True
    nxt = found.start()
    closers = line[m.end():end].strip()
    if not _can_start_sentence(line, nxt, after_quote=bool(closers) and closers[-1] in "”\""):
        return False  # lower-case continuation: "… rồi", "v.v. và", "..., "
    if m.group() == "." and _is_abbreviation_period(line, m.start(), sent_start, info):
        return False
    if info.in_parens[m.start()]:
        return False
    return not info.in_continued_quote[m.start()]


def _can_start_sentence(line: str, pos: int, after_quote: bool) -> bool:
    """Upper-case, digit, opening quote/bracket, bullet; a dash starts a
    dialogue turn or list item ("? - Ngay trong phiên toà…") except right
    after a closing quote, where it introduces the speaker ("…” - Linh nói")."""
    first = line[pos]
    if first in _DASHES:
        return not after_quote and pos + 1 < len(line) and line[pos + 1].isspace()
    if first.islower() and pos + 1 < len(line) and line[pos + 1].isupper():
        return True  # a brand written lower-case first: "iPhone", "eBay", "iOS"
    return first.isupper() or first.isdigit() or first in _STARTERS


_TOKEN_SCAN = 64  # a token longer than this is no abbreviation, list marker or initial


def _token_before(line: str, pos: int, limit: int = _TOKEN_SCAN) -> str:
    """The non-space run ending at ``pos`` (its last ``limit`` characters: bounded work)."""
    i = pos
    stop = max(0, pos - limit)
    while i > stop and not line[i - 1].isspace():
        i -= 1
    return line[i:pos]


def _sentence_first(line: str, sent_start: int, info: _Line) -> int:
    first = info.first_nonspace.get(sent_start)
    if first is None:
        found = _NONSPACE_RE.search(line, sent_start)
        first = info.first_nonspace[sent_start] = found.start() if found else len(line)
    return first


def _is_abbreviation_period(line: str, dot: int, sent_start: int, info: _Line) -> bool:
    raw = _token_before(line, dot)
    if len(raw) == _TOKEN_SCAN:  # a long run without spaces ("a.b.c…"): only its last dotted part counts
        return "." in raw and raw.rsplit(".", 1)[-1] in ABBREVIATIONS
    token = raw.lstrip("(“\"'")
    if not token:
        return False  # tokenized " . " — a real sentence end
    last = token.rsplit(".", 1)[-1]
    if token in _ENDS_BEFORE and _next_word(line, dot + 1) in _ENDS_BEFORE[token]:
        return False
    if token in ABBREVIATIONS or last in ABBREVIATIONS:
        return True
    if _sentence_first(line, sent_start, info) >= dot - len(token) and _LIST_MARKER_RE.fullmatch(token):
        return True  # list marker at the start of a sentence: "1. ", "a. "
    return _is_name_initial(line, dot, token)


_NEXT_WORD_RE = re.compile(r"\s*+(\S{0,64})")


def _next_word(line: str, pos: int) -> str:
    """The word after ``pos`` (its first 64 characters: compared with short words only)."""
    return _NEXT_WORD_RE.match(line, pos).group(1)


def _is_name_initial(line: str, dot: int, token: str) -> bool:
    """``Trần Đức L.`` — one capital letter after a capitalised word, or
    a run of initials ``H. Q. T.``."""
    if not (len(token) == 1 and token.isupper()):
        return False
    if _INITIAL_RE.match(_next_word(line, dot + 1)):
        return True
    i = dot - 1  # skip the blanks before the initial without copying the line
    while i > 0 and line[i - 1].isspace():
        i -= 1
    prev = _token_before(line, i)
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



_HEADLINE_MAX_WORDS = 30
# a headline ends on a word, a number, a quote, "?" or "!": never on a full stop, an ellipsis, a colon or a comma
_HEADLINE_END_RE = re.compile("[.…:;,]" + TRAILING_CLOSERS)


def leading_headline(paragraphs: list[list[str]]) -> str | None:
    """The headline a pasted or scraped article opens with, or None: a first line of 3 to 30 words that does
    not end like a sentence of the body (full stop, ellipsis, colon, comma; a sentence without its stop ends
    only at a line break), with at least two sentences after it ("Giá vàng kéo dài đà tăng lên đỉnh 3 tháng"
    above the article; 187 of the 203 raw baomoi articles open so)."""
    if not paragraphs or not paragraphs[0] or sum(len(p) for p in paragraphs) < 3:
        return None
    line = paragraphs[0][0].strip()
    if "\n" in line or not 3 <= len(line.split()) <= _HEADLINE_MAX_WORDS or _HEADLINE_END_RE.search(line):
        return None
    return line


_OPENING_MARKER_RE = re.compile(rf"^(?:{_LIST_MARKER_RE.pattern}[.)]|[-–—•*+])\s+(?=\S)")


def as_excerpt(sentences: list[str], positions: list[int] | None = None) -> list[str]:
    """Sentences picked out of an article, made to read as one text: a list marker opening one ("2. ", "b) ",
    "• ") goes (it numbered the article's list, not the excerpt), so does an opener that pointed outside the
    sentence ("Tuy nhiên,", "Chiều 16-5,": :func:`models.text.openers.trim_opener`), and one that ended at a
    line break without its stop (a subheading, a caption: "…tỉnh Bình Thuận") gets a full stop, so that it
    does not run into the next one. The words are the article's own. ``positions``: the sentences' places in
    the article; a sentence right after its article predecessor keeps the connective that answers it."""
    out = []
    for i, sentence in enumerate(sentences):
        follows = positions is not None and i > 0 and positions[i] == positions[i - 1] + 1
        sentence = trim_opener(_OPENING_MARKER_RE.sub("", sentence.strip()), follows=follows)
        if i < len(sentences) - 1 and sentence and not ENDS_SENTENCE_RE.search(sentence):
            sentence += "."
        out.append(sentence)
    return out


_LETTER_RE = re.compile(r"[^\W\d_]")
_BARE_LINK_RE = re.compile(r"^(?:https?://|www\.|mailto:)\S+$", re.IGNORECASE)


def worth_translating(text: str) -> bool:
    """Whether a unit of a document (a paragraph, an HTML text node, a cue) goes to the translator: it has a
    letter and is not a bare link. ``2024``, ``♪``, ``https://…``, ``mailto:…`` are kept as they are."""
    core = " ".join(text.split())
    return bool(_LETTER_RE.search(core)) and not _BARE_LINK_RE.match(core)
