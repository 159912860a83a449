"""Ingress cleaning for Vietnamese news text: HTML → text, Unicode
normalization, repair of scraped line breaks, and removal of page debris.

Two levels:

* :func:`prepare_text` — applied to every input (summary *and* translation):
  lossless apart from markup and invisible characters.
* :func:`strip_debris` — applied to the summary input only: drops widget
  text, photo captions, bylines, "related news" lists, promotional lines,
  outlet tags and a sapo repeated at the end.  :func:`find_debris` reports
  exactly what :func:`strip_debris` would remove (same pattern table, same
  scan), so evaluation can measure a debris rate on model outputs.

Everything here runs in time linear in its input, whatever the input: no pattern can
backtrack (possessive quantifiers, bounded repeats, and a ``(?<!\\s)`` in front of a
leading ``\\s*`` so that a blank run is scanned from its first character only), and HTML
is parsed by libxml2 (lxml), not by :mod:`html.parser`, which is quadratic on some
inputs and raises on others (``<![<!``).  tests/test_text_adversarial.py checks it.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from . import budget
from .segment import ENDS_SENTENCE_RE, SENTENCE_OPENERS, TRAILING_CLOSERS, split_paragraphs, split_sentences

__all__ = [
    "detect_format",
    "html_to_text",
    "normalize_unicode",
    "prepare_text",
    "strip_debris",
    "find_debris",
    "DEBRIS_LINE_PATTERNS",
    "DEBRIS_INLINE_PATTERNS",
    "is_related_headline",
]

# ==========================================================================
# HTML

BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 tr table blockquote section article figure "
    "figcaption header main dl dt dd pre hr".split()
)
CELL_TAGS = frozenset({"td", "th"})
DROP_CONTENT_TAGS = frozenset(
    "script style noscript iframe svg figcaption head template nav footer aside form button".split()
)
KNOWN_TAGS = BLOCK_TAGS | DROP_CONTENT_TAGS | frozenset(
    "html body br span a b i u s em strong small sup sub img picture source video audio "
    "td th tbody thead tfoot caption font center label input meta link title time mark "
    "abbr cite code q".split()
)
_TAG_RE = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*+)\b[^<>]*+>")
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,9}|#[0-9]{2,7}|#[xX][0-9a-fA-F]{2,6});")


def detect_format(text: str) -> Literal["text", "html"]:
    """``"html"`` if the text contains a tag with a real HTML name (``<p>``,
    ``<br/>``, ``</div>``…), or entities in a text without line breaks.

    Pseudo-tags found in Vietnamese scraped text (``<số tiền>``, ``<tên>``)
    are not HTML.  Entities alone in multi-line text (``&quot;`` left in
    scraped articles) do not make it HTML: treating it as HTML would collapse
    its line structure; :func:`prepare_text` decodes those entities anyway.
    """
    if any(m.group(1).lower() in KNOWN_TAGS for m in _TAG_RE.finditer(text)):
        return "html"
    if "\n" not in text.strip() and _ENTITY_RE.search(text):
        return "html"
    return "text"


_PARSERS = threading.local()  # an lxml parser serializes its users: one per thread


def _html_parser() -> etree.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(
            encoding="utf-8", recover=True, no_network=True, remove_comments=True, remove_pis=True, huge_tree=True
        )
    return parser


# a tag's opening: "<p", "</div", "<số" ("<số tiền>", "</tên>": a "tag" whose name is not HTML is text)
_TAG_OPEN_RE = re.compile(r"<(/?)([a-zA-Z][^\t\n\r\f />\x00<]*+)")
_WS_RUN_RE = re.compile(r"\s+")
# blanks around a line break; the look-behind makes only the first blank of a run a start (linear)
_LINE_EDGE_RE = re.compile(r"(?<![ \t])[ \t]*\n[ \t]*")
# lxml/libxml2 refuse these code points (NUL, other C0 controls, lone surrogates, U+FFFE/U+FFFF);
# U+E000/U+E001 are this module's break markers
_UNPARSABLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\ue000\ue001]")
_BLOCK_MARK, _BR_MARK = "\ue000", "\ue001"


def _mark_tags(html_text: str) -> str:
    """Escape pseudo-tags; put a break marker before every block tag and ``<br>``.

    Markers rather than the tree's structure: a block's start *and* end tag each break
    the text even when the end tag has no start (``Tiêu đề</h1>Nội dung`` from a cut
    fragment), which a parser drops as an unmatched tag.
    """
    def repl(m: re.Match) -> str:
        name = m.group(2).lower()
        if name not in KNOWN_TAGS:
            return "&lt;" + m.group()[1:]
        if name in BLOCK_TAGS and name not in DROP_CONTENT_TAGS:  # <figcaption> is dropped, no break
            return _BLOCK_MARK + m.group()
        if name == "br" or (name in CELL_TAGS and not m.group(1)):
            return _BR_MARK + m.group()  # a table's cells, one per line: "Hà Nội" | "30°C" never glued
        return m.group()

    return _TAG_OPEN_RE.sub(repl, html_text)


def html_to_text(html_text: str) -> str:
    """Convert HTML to plain text (see module docstring); not normalized.

    Parsed with lxml (libxml2's HTML parser: linear, never raises on broken markup);
    blocks become a blank line, ``<br>`` a newline, inline tags nothing; the content of
    script/style/figcaption/nav… is dropped; unknown "tags" (``<số tiền>``) stay as text.
    """
    source = _UNPARSABLE_RE.sub("", html_text)
    # after the last ">" no tag, comment or declaration can end: its "<" are text ("a <b",
    # "<!…" cut off), as html.parser had them; libxml2 would drop all of it
    end = source.rfind(">") + 1
    source = _mark_tags(source[:end] + source[end:].replace("<", "&lt;"))
    if not source.strip():
        return ""
    root = etree.fromstring(source.encode("utf-8"), _html_parser())
    if root is None:
        return ""
    parts: list[str] = []
    skip = 0  # depth inside elements whose content is dropped
    for n, (event, el) in enumerate(etree.iterwalk(root, events=("start", "end"))):
        if not n & 1023:
            budget.check()
        dropped = isinstance(el.tag, str) and el.tag.lower() in DROP_CONTENT_TAGS
        if event == "start":
            skip += dropped
            if not skip and el.text:
                parts.append(el.text)
        else:
            skip -= dropped
            if not skip and el.tail:
                parts.append(el.tail)
    text = _WS_RUN_RE.sub(" ", "".join(parts)).replace(_BLOCK_MARK, "\n\n").replace(_BR_MARK, "\n")
    text = _LINE_EDGE_RE.sub("\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ==========================================================================
# Unicode and layout

# zero-width characters and the soft hyphen; a joiner between two pictographs stays: it makes one emoji of them
# ("👨‍👩‍👧", a family, not three people)
_INVISIBLE_RE = re.compile("[\u200b\u200c\u2060\ufeff\u00ad]|(?<![\U0001F000-\U0001FAFF\u2190-\u2BFF\uFE0F])\u200d"
                           "|\u200d(?![\U0001F000-\U0001FAFF\u2190-\u2BFF])")
# C0/C1 controls except \t and \n (\r is converted before this runs)
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# NBSP, ideographic and all other Unicode space separators
_SPACE_RE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


# a tone mark typed before the vowel's own mark ("e" + acute + circumflex): NFC leaves the two in that order
# (both combine above), which composes no Vietnamese letter ("é̂" for "ế"); the vowel's mark goes first
_COMBINING_MARK_RE = re.compile("[\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b]")  # either may be loose
_TONE_BEFORE_QUALITY_RE = re.compile("([\u0300\u0301\u0303\u0309\u0323])([\u0302\u0306\u031b])")


def _normalize_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", _TONE_BEFORE_QUALITY_RE.sub(r"\2\1", unicodedata.normalize("NFD", text))
                                 if _COMBINING_MARK_RE.search(text) else text)
    text = _INVISIBLE_RE.sub("", text)
    text = _CONTROL_RE.sub("", text)
    return _SPACE_RE.sub(" ", text)


_BLANKS_RE = re.compile(r"[ \t]+")


def _normalize_layout(text: str) -> str:
    lines = []
    for n, line in enumerate(text.split("\n")):
        if not n & 1023:
            budget.check()
        lines.append(_BLANKS_RE.sub(" ", line).strip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def characters(text: str) -> int:
    """How many characters a text has as the service reads it, in NFC (its ingress form): "Việt" typed with
    combining marks (NFD, 7 code points) is 4, as its writer counts it, and as every limit counts it. ASCII is
    NFC as it is; ``normalize`` quick-checks the rest itself and returns NFC text without a copy (87 µs for
    100,000 characters of NFC news; a separate ``is_normalized`` first took 122 µs, twice that on NFD)."""
    return len(text) if text.isascii() else len(unicodedata.normalize("NFC", text))


def normalize_unicode(text: str) -> str:
    """NFC, drop zero-width/soft-hyphen/control characters, unify line
    breaks and spaces, trim lines, keep paragraphs (max one blank line)."""
    return _normalize_layout(_normalize_chars(text))


# Scraped pages lose inline tags (<a>, <strong>) as line breaks:
# "Viết cho \nCẩm nang tuyển sinh\n của \nThanh Niên\n, ông …"
_SENTENCE_END_RE = re.compile("[.!?…:]" + TRAILING_CLOSERS)
# a line ending inside "(" opened at most this many characters before its end is continued by the next line
# (of at most this many words): a parenthesised credit that a stripped tag broke over lines
_MAX_OPEN_PAREN_CHARS = 40
_MAX_OPEN_PAREN_WORDS = 12
_CLOSING_PUNCT = ",.;:)]!?…”’"
_CREDIT_LABEL_END_RE = re.compile(r"(?:^|[\s(])(?:Ảnh|Nguồn ảnh|Nguồn)\s*:\s*$")


def _starts_continuation(line: str) -> bool:
    """Next line starts lower-case or with closing punctuation, or with a parenthesis that goes on lower-case
    ("Quốc lộ 13\n (đoạn qua quận Thủ Đức), …": a gloss of the word before it, never a sentence's start)."""
    s = line.lstrip()
    if not s:
        return False
    if s[0] == '"':
        return len(s) == 1 or not s[1].isalnum()  # closing straight quote
    if s[0] == "(":
        return s[1:2].islower()
    return s[0].islower() or s[0] in _CLOSING_PUNCT


def _join_broken_lines(text: str) -> str:
    """Join single line breaks that split a sentence (see module docstring).

    A break is joined when the line does not end a sentence and the next line
    starts lower-case or with closing punctuation, and when the line ends inside a
    parenthesis opened near its end (``"(Ảnh: \\navirtualvoyage.net\\n)"``: one credit, which
    the debris rules then remove whole).  A break with a space on
    either side (where an inline tag was stripped) before a capitalised line
    is joined only if that next line is itself a fragment (``"Viết cho \\nCẩm nang tuyển sinh\\n
    của"``) or the line ends with a comma, so captions and subheadings such as
    ``"Hiện trường vụ tai nạn \\nTheo đó, …"`` stay separate.
    """
    lines = text.split("\n")
    n = len(lines)

    def mid_sentence(i: int) -> bool:
        return bool(lines[i].strip()) and bool(lines[i + 1].strip()) and not _SENTENCE_END_RE.search(
            lines[i].rstrip()
        )

    def open_parenthesis(i: int) -> bool:
        # a caption or credit broken inside its parentheses: "(Ảnh: " / "avirtualvoyage.net" / ")"
        line = lines[i]
        j = line.rfind("(")
        return (j >= 0 and ")" not in line[j:] and len(line) - j <= _MAX_OPEN_PAREN_CHARS
                and bool(lines[i + 1].strip()) and len(lines[i + 1].split()) <= _MAX_OPEN_PAREN_WORDS)

    def credit_label(i: int) -> bool:
        # a credit's label at the end of a line, its name on the next: "… béo phì. Ảnh: " / "Entero Medics."
        # (a credit is a few capitalised words: "Bác sĩ khuyên nên ăn ít rau." under a bare label is text)
        words = lines[i + 1].split()
        return (_CREDIT_LABEL_END_RE.search(lines[i]) is not None and 1 <= len(words) <= 4
                and all(w[:1].isupper() or not w[:1].isalpha() for w in words))

    strong = [i < n - 1 and ((mid_sentence(i) and _starts_continuation(lines[i + 1])) or open_parenthesis(i)
                             or credit_label(i))
              for i in range(n)]
    weak = [
        i < n - 1
        and mid_sentence(i)
        and (lines[i][-1:] in " \t" or lines[i + 1][:1] in " \t")
        and (strong[i + 1] or lines[i].rstrip().endswith(","))
        for i in range(n)
    ]
    out: list[str] = []
    current = [lines[0]]  # pieces of the output line being built (joined once: linear)
    for i in range(1, n):
        if not i & 1023:
            budget.check()
        if strong[i - 1] or weak[i - 1]:
            nxt = lines[i].strip()
            sep = "" if nxt[:1] in _CLOSING_PUNCT or nxt[:1] == '"' else " "
            current[-1] = current[-1].rstrip()
            current += [sep, nxt]
        else:
            out.append("".join(current))
            current = [lines[i]]
    out.append("".join(current))
    return "\n".join(out)


# the look-behind lets a match start only at the first blank of a run (linear, same matches)
_BLANK_LINES_RE = re.compile(r"(?<![ \t])[ \t]*\n[ \t]*\n\s*")


def prepare_text(raw: str, format: str | None = None) -> str:
    """Ingress cleaning for any input text.

    ``format``: ``"html"``, ``"text"`` or ``None``/``"auto"`` (detect); ``"plain"`` (internal): text whose
    entities are already decoded.
    HTML is converted with :func:`html_to_text`; plain text has stray
    entities decoded (``&quot;`` in scraped articles).  Then Unicode is
    normalized and lines broken mid-sentence are joined.
    """
    fmt = detect_format(raw) if format in (None, "auto") else format
    if fmt == "html":
        text = html_to_text(raw)
    elif fmt == "text":
        text = _ENTITY_RE.sub(lambda m: html.unescape(m.group()), raw)
    elif fmt == "plain":  # already decoded (an HTML document's text nodes): "&lt;" there is text, not markup
        text = raw
    else:
        raise ValueError(f"unknown format: {format!r}")
    text = _normalize_chars(text)
    text = _BLANK_LINES_RE.sub("\n\n", text)  # whitespace-only lines are blank
    return _normalize_layout(_join_broken_lines(text))


# ==========================================================================
# Debris

# Whole lines that are page furniture, not article text (fullmatch on a
# stripped line).
DEBRIS_LINE_PATTERNS: dict[str, re.Pattern[str]] = {
    # image widgets: "leftcenterrightdel", "(Nhấp chuột để xem kích thước chuẩn)"
    "image_widget": re.compile(
        r"(?i)(?:left|center|right|del|top|bottom){2,}|\(?(?:nhấp chuột|click|bấm) (?:vào |để )?"
        r"(?:ảnh |để )?(?:để )?(?:xem|phóng to)[^()\n]{0,40}\)?|phóng to|thu nhỏ"
    ),
    # "Ảnh minh họa", "Ảnh minh hoạ. Nguồn: internet."
    "illustration": re.compile(r"(?i)\(?ảnh minh h(?:ọa|oạ)\)?(?: *[.:]? *(?:nguồn|ảnh) *:[^\n]{0,40})?\.?"),
    # "Ảnh: Reuters", "(Ảnh: TTXVN)", "Video: …", "Clip: …", "Nguồn ảnh: …", "Photo: Reuters", "Hình: Internet"
    "photo_credit_line": re.compile(r"(?i)\(?(?:ảnh|nguồn ảnh|video|clip|đồ họa|biểu đồ|infographic|photo|hình(?: ảnh)?)"
                                   r" *:.*"),
    # a link to another article (">> Nhật Bản: Vụ phóng tên lửa…"), a bare address
    "link": re.compile(r">>+\s*\S.*|(?:https?://|www\.)\S+"),
    # the page's tags and time stamps: "Từ khóa: …", "Tags: …", "Cập nhật: 08:30 22/07/2024"
    "page_meta": re.compile(r"(?i)(?:từ kh(?:óa|oá)|tags?) *:.*|(?:cập nhật|ngày đăng|đăng lúc) *:? *[\d/:h -]{4,30}"),
    # "Tin liên quan", "Xem thêm: …", "Đọc thêm", "Bài liên quan"
    "related_news": re.compile(r"(?i)(?:tin|bài) liên quan(?: *:.*| *)|(?:xem|đọc) thêm *:.*|(?:xem|đọc) thêm|tin cùng chuyên mục.*"),
    # sharing / print / comments / ads
    "share_print": re.compile(
        r"(?i)(?:chia sẻ|share|tweet|in bài(?: viết)?|bản in|gửi bài|lưu bài|bình luận|"
        r"quảng cáo|advertisement|đăng ký nhận (?:tin|bản tin)|theo dõi [^\n]{0,40} trên (?:facebook|zalo|google news))"
        r"(?: *[:(]?\d*\)?)?"
    ),
    # promotions and newsroom contact lines (searched, not fullmatched)
    "promo": re.compile(
        r"(?i)hotline *:? *[\d(+]|mời (?:quý )?(?:độc giả|bạn đọc)|mọi (?:phản ánh|ý kiến|thông tin).{0,80}gửi"
        r"|liên hệ quảng cáo|email *+: *+[^\s@]{1,64}@"
    ),
    # lottery tables: "XSMB", "Kết quả xổ số …", "Giải ĐB: 12345"
    "lottery": re.compile(
        r"(?i)(?:kết quả xổ số|xs[a-z]{1,4}\b)(?:\S*+\s*+){0,10}"  # ≤ 10 runs; possessive: no backtracking
        r"|g(?:iải|\.) ?(?:đb|đặc biệt|nhất|nhì|ba|tư|năm|sáu|bảy|tám|\d)(?:\s*+:[\d\s|,.–-]++|[\d\s|,.–-]++)"
    ),
    # "Ngọa Long - Thể thao Việt Nam | 09:00 07/02/2017"
    "dated_byline": re.compile(r".{2,80}\| *+\d{1,2}:\d{2} ++\d{1,2}/\d{1,2}/\d{4}"),
}

# the words that open a sentence, as a group (a credit of a few words ends before one), and a photo credit's label
_OPENER = "(?:" + "|".join(sorted(SENTENCE_OPENERS)) + ")"
_CREDIT_LABEL = r"(?:Nguồn ảnh|Ảnh)\s*+:"

# Fragments removed from inside lines.
DEBRIS_INLINE_PATTERNS: dict[str, re.Pattern[str]] = {
    "image_widget": re.compile(r"(?i)(?<!\s)\s*\b(?:left|center|right|del){3,}\b"),
    # "(Ảnh: Facebook nhân vật)", "(Ảnh minh họa)", "(Nguồn: Internet)", "(Video: VTV)"
    "photo_credit": re.compile(r"(?i)(?<!\s)\s*\(\s*+(?:ảnh(?: minh h(?:ọa|oạ))?|nguồn ảnh|video|clip)\s*+(?::[^()\n]{0,80})?\)"),
    # "… Sohae. (Nguồn: Getty Images)": a source in parentheses after the sentence is the photo's; before the
    # stop ("GDP tăng 7% (nguồn: TCTK).") it is the fact's, and stays
    # ("(Nguồn vốn: ODA …)", "(Nguồn tin riêng …)" are the article's: a credit is "Nguồn:" or a capitalised name)
    "source_credit": re.compile(r"(?<=[.!?…”\"])\s*+\(\s*+(?i:nguồn)(?:\s*+:\s*+|\s++(?=[A-ZĐ]))"
                                r"(?:[^()\s]{1,40}\s*+){1,6}\)"),
    # a label left bare at the end of a line: "… béo phì. Ảnh:"
    "bare_credit_label": re.compile(r"(?<=[.!?…”\"])\s*+" + _CREDIT_LABEL + r"\s*+$"),
    # ". Ảnh: Reuters", ". Nguồn ảnh: Sina." at the end of a line (up to 6 words); "Hiện trường - Ảnh: báo VOV"
    # (no word after the first opens a sentence: ". Ảnh: TTXVN Sau đó, ông về." keeps its sentence)
    "photo_credit_tail": re.compile(r"(?:(?:(?<=[.!?…”\"])|^)\s*+|(?<!\s)\s++[-–—]\s*+)" + _CREDIT_LABEL + r"\s*+"
                                   r"\S{1,80}+(?:\s++(?!" + _OPENER + r"\s)\S{1,80}+){0,5}"
                                   r"\s*+$"),  # tokens bounded: a run without spaces is never rescanned whole
    # inside a line: a caption sentence ("Ảnh: Tàu sân bay USS Enterprise …
    # Đại Tây Dương.", the 2nd word is lower-case) or else just the credit
    # token (". Ảnh: RT.com Ông Putin…")
    # (or a credit of a few capitalised words before the next sentence's opener: ". Ảnh: Trí Dũng – TTXVN Ngày …")
    "photo_credit_mid": re.compile(
        r"(?:(?<=[.!?…”\"])|^)\s*+" + _CREDIT_LABEL + r"\s*+(?:[A-ZĐÀ-Ỹ]\w*+\s++[a-zđà-ỹ][^.!?\n]{0,200}[.!?](?=\s|$)"
        r"|[A-ZĐ][^\s\"“]{0,30}(?:\s++(?:[-–—/]\s++)?[A-ZĐ][^\s\"“]{0,30}){0,3}"
        r"(?=\s++" + _OPENER + r"\s)"
        r"|[^\s\"“]{1,80}(?=[\"“]?\s))"  # a credit token is short: bounded, so no rescan of a long run
    ),
    # outlet tag at the start of the article: "TPO –", "(Dân trí) -", "VOV.VN -"
    "outlet_tag": re.compile(
        r"^\( *+[A-ZĐ][^()\s]*+(?: [^()\s]++){0,3} *+\) *+(?:[-–—]|\.(?=\s))\s*"
        r"|^(?:(?:TPO|TTO|ANTĐ|NDĐT|KTĐT|QĐND|PNO|VOV|SGGPO?|HNMO?|NLĐO|PLO|GDVN|ĐSPL|ĐS&PL|CAO|VTC|VNA|TTXVN"
        r"|VTV|NNVN|TBKTSG|ICTnews|VietNamNet|VnExpress|Infonet|Zing|Dân trí)(?: ?Online)?"
        r"|[\w-]+\.(?:vn|VN|net|com)(?:\.vn)?) *[-–—]\s+"
        # the label of an editor's note ("LTS: Trước câu hỏi …", "Lời tòa soạn: …"): the note stays
        r"|^(?:LTS|Lời to[àa] soạn) *+: *+"
    ),
}

_SEARCHED_KINDS = frozenset({"promo"})  # line patterns that may match anywhere
_MAX_CAPTION_WORDS = 30
_MAX_PROMO_LINE_WORDS = 40
_MAX_LINE_WORDS = {"promo": _MAX_PROMO_LINE_WORDS, "photo_credit_line": 15, "page_meta": 25, "link": 40}
_BYLINE_PAREN_RE = re.compile(r"(?<!\s)\s*\((?:[^()\n]{1,60})\)$")
_BYLINE_PREFIX_RE = re.compile(r"^(?:\(?Theo\b|Nguồn *:|Bài(?: và|,)? ảnh *:|Bài *:|Ảnh *:|Thực hiện *:)\s*", re.I)
_DOMAIN_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|info)")
_BYLINE_TOKEN_RE = re.compile(r"[^\s\-–—/,&]+")


@dataclass
class _Scan:
    """Result of one debris scan: kept blocks of lines, removed fragments."""

    blocks: list[list[str]]
    removed: list[str] = field(default_factory=list)

    def text(self) -> str:
        blocks = ["\n".join(ln for ln in b if ln.strip()) for b in self.blocks]
        return "\n\n".join(b for b in blocks if b.strip())


def strip_debris(text: str, title: str | None = None) -> str:
    """Remove page debris from an article's text (what its summary is made of and its full translation
    translates; ``/v1/translate`` translates a text as sent).

    Expects text from :func:`prepare_text`.  Paragraph structure is kept.
    Removed (Vietnamese news specifics): image-widget words
    (``leftcenterrightdel``), "Ảnh minh họa", photo captions (the short line
    under an image widget, lines starting ``Ảnh:``/``(Ảnh: …)``, and the
    credit alone — ``(Ảnh: …)``, trailing ``Ảnh: X`` — when it follows a real
    sentence, since photo-gallery articles are made of captioned sentences), "Tin liên quan"/"Xem thêm" blocks,
    share/print/ads lines, promotional and hotline lines, lottery tables,
    the title repeated as the first line, the outlet tag at the start
    (``TPO –``, ``(Dân trí) -``), a sapo repeated as the last paragraph and
    the trailing byline (``Lê Minh Tuấn``, ``T.N``, ``PV``, ``Theo VnExpress``).
    """
    return _scan(text, title).text()


def find_debris(text: str, title: str | None = None) -> list[str]:
    """The debris fragments :func:`strip_debris` would remove, in scan order.

    An empty list means the text is clean by the same rules.
    """
    return [d for d in _scan(text, title).removed if d.strip()]


def _scan(text: str, title: str | None) -> _Scan:
    scan = _Scan([p.split("\n") for p in split_paragraphs(text)])
    _drop_repeated_title(scan, title)
    listing = False  # in a related-news list whose header ended a block
    for block in scan.blocks:
        if listing and block and all(is_related_headline(line) for line in block):
            scan.removed.extend(block)
            block[:] = []
            continue
        listing = _drop_debris_lines(block, scan.removed) or (listing and not block)
    _drop_repeated_sapo(scan)
    _drop_trailing_bylines(scan)
    _strip_inline(scan)
    return scan


def _words(s: str) -> list[str]:
    return re.findall(r"\w+", s.casefold())


def _drop_repeated_title(scan: _Scan, title: str | None) -> None:
    """The headline repeated in the body is not article text: as the first line, as a
    subheading further down, or glued in front of a paragraph (scrapers do all three)."""
    if not title or not scan.blocks:
        return
    words, head = _words(title), title.strip()
    for block in scan.blocks:
        kept = []
        for line in block:
            if _words(line) == words:
                scan.removed.append(line)
                continue
            if len(words) >= 4 and line.startswith(head) and len(line) > len(head):
                scan.removed.append(head)
                line = line[len(head):].lstrip(" .:-–—")
            kept.append(line)
        block[:] = kept


def _line_debris_kind(line: str) -> str | None:
    for name, pattern in DEBRIS_LINE_PATTERNS.items():
        if (pattern.search if name in _SEARCHED_KINDS else pattern.fullmatch)(line):
            if len(line.split()) > _MAX_LINE_WORDS.get(name, 10**9):
                continue  # real text glued to it: handled per sentence / inline
            return name
    if _is_lottery_table(line):
        return "lottery"
    return None


def _is_lottery_table(line: str) -> bool:
    """Rows of prize numbers: ≥4 numbers and few letters. Prize numbers are bare digits: a line with a number
    written with separators ("1.200", "27,5") or a year after "năm" is a table of figures the article states
    ("Năm 2020: 1.200, năm 2021: 1.350, …", "Điểm chuẩn: 27,5; 28,25; …"), which stays."""
    chars = [c for c in line if not c.isspace()]
    letters = sum(c.isalpha() for c in chars)
    if len(re.findall(r"\d{2,}", line)) < 4 or letters >= 0.3 * len(chars):
        return False
    return not (_FORMATTED_NUMBER_RE.search(line) or _YEAR_RE.search(line))


_FORMATTED_NUMBER_RE = re.compile(r"\d[.,]\d")
_YEAR_RE = re.compile(r"(?i)\bnăm\s+\d{4}\b")


def _drop_debris_lines(block: list[str], removed: list[str]) -> bool:
    """Line-level pass over one paragraph block (in place). True when the block ends inside a related-news
    list: its items may go on in the blocks after it (``<li>``s, blank lines between them)."""
    keep: list[str] = []
    after_widget = False
    listing = False  # under the header of a related-news list
    for line in block:
        if listing:
            if is_related_headline(line):
                removed.append(line)
                continue
            listing = False  # the first line that reads like the article's own text ends the list
        kind = _line_debris_kind(line)
        if kind == "related_news" and not re.search(r":\s*\S", line):
            removed.append(line)  # "Tin liên quan": the headlines under it go
            listing, after_widget = True, False
            continue
        if kind is None and after_widget and len(line.split()) <= _MAX_CAPTION_WORDS // 2:
            kind = "caption"  # the line under an image widget is its caption
        if kind == "image_widget" and keep and _is_short_fragment(keep[-1]):
            removed.append(keep.pop())  # caption written above the widget
        after_widget = kind == "image_widget"
        if kind:
            removed.append(line)
        else:
            keep.append(_strip_promo_sentences(line, removed))
    block[:] = keep
    return listing


def is_related_headline(line: str) -> bool:
    """A line of a related-news list: a headline (no sentence stop at its end, at most 30 words), or one
    marked as a link (">> …", "» …")."""
    line = line.strip()
    if re.match(r"(?:>>+|»)\s*\S", line):
        return True
    # a line ending in ":" introduces the article's own list ("Theo đó, có ba điểm chính:"): no headline
    return bool(line) and len(line.split()) <= _MAX_CAPTION_WORDS and not ENDS_SENTENCE_RE.search(line) \
        and not line.endswith(":")


def _is_short_fragment(line: str) -> bool:
    return len(line.split()) <= 12 and not ENDS_SENTENCE_RE.search(line)


def _strip_promo_sentences(line: str, removed: list[str]) -> str:
    if len(line.split()) <= _MAX_PROMO_LINE_WORDS or not DEBRIS_LINE_PATTERNS["promo"].search(line):
        return line
    kept = []
    for sentence in split_sentences(line):
        if DEBRIS_LINE_PATTERNS["promo"].search(sentence):
            removed.append(sentence)
        else:
            kept.append(sentence)
    return " ".join(kept)


def _drop_repeated_sapo(scan: _Scan) -> None:
    """The crawler appends the sapo (lead) after the body; drop it when its
    content already appears earlier (≥ 80 % of its word trigrams)."""
    nonempty = [b for b in scan.blocks if any(ln.strip() for ln in b)]
    if len(nonempty) < 2:
        return
    last = nonempty[-1]
    if len(last) != 1:
        return
    grams = _trigrams(last[0])
    earlier = set().union(*(_trigrams(ln) for b in nonempty[:-1] for ln in b))
    if grams and len(grams & earlier) >= 0.8 * len(grams):
        scan.removed.append(last.pop())


def _trigrams(s: str) -> set[tuple[str, ...]]:
    w = _words(s)
    return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}


def looks_like_byline(line: str) -> bool:
    """A signature: up to 8 capitalised name tokens or initials, optionally
    after "Theo"/"Nguồn:"/"Bài, ảnh:" and with a trailing parenthetical
    ("(t/h)", "(tổng hợp)", "(theo CNN)", an e-mail); no sentence punctuation.

    Examples: ``Lê Minh Tuấn``, ``T.N``, ``PV``, ``Đức Phạm - Tiến Tuấn``,
    ``Theo VnExpress``, ``Đỗ Tuấn Anh/VOV-Phnom Penh``, ``NGUYỆT PHƯƠNG``.
    """
    s = line.strip()
    if not s or len(s) > 80:
        return False
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1:
        s = s[1:-1].strip()  # the whole line in parentheses: "(Theo TTXVN)", "(nguồn: BNG)"
    s = _BYLINE_PAREN_RE.sub("", s).strip()
    prefix = _BYLINE_PREFIX_RE.match(s)
    body = (s[prefix.end():] if prefix else s).strip(" ()")
    if not body or re.search(r"[!?;:\"“”…]|\d{3,}", body):
        return False
    if body.endswith(".") and not re.search(r"(?:^|[\s.])[A-ZĐ]\.$", body):
        return False  # a sentence, unless it ends with an initial ("T.N.")
    tokens = _BYLINE_TOKEN_RE.findall(body)
    if not 1 <= len(tokens) <= 8:
        return False
    if prefix:
        return len(tokens) <= 6 and (tokens[0][0].isupper() or tokens[0] in ("báo", "tạp", "trang")
                                     or _DOMAIN_RE.fullmatch(tokens[0]) is not None)  # "Theo nhandan.com.vn"
    return all(t[0].isupper() for t in tokens)


def _drop_trailing_bylines(scan: _Scan) -> None:
    """Byline lines at the end of the text, and at the end of the body when a
    paragraph follows it (the crawler appends the sapo after the byline).

    At most two lines per block ("Tên tác giả" + "Theo báo X"), and a second
    one only next to a "Theo …" line, so that a list of short capitalised items
    ("MIUI 6", "MIUI 7", "OxygenOS") is not eaten line by line.
    """
    blocks = [b for b in scan.blocks if b]
    for block in blocks[-2:]:
        for _ in range(2):
            if not (block and looks_like_byline(block[-1])) or sum(len(b) for b in blocks) <= 1:
                break  # never reduce the text to nothing
            line = block.pop()
            scan.removed.append(line)
            if not (_BYLINE_PREFIX_RE.match(line) or (block and _BYLINE_PREFIX_RE.match(block[-1]))):
                break


def _strip_inline(scan: _Scan) -> None:
    """Remove inline fragments; outlet tags only on the first lines."""
    line_no = 0
    for block in scan.blocks:
        for i, line in enumerate(block):
            for name, pattern in DEBRIS_INLINE_PATTERNS.items():
                if name == "outlet_tag" and line_no >= 3:
                    continue
                line = pattern.sub(lambda m: scan.removed.append(m.group().strip()) or "", line)
            block[i] = re.sub(r" {2,}", " ", line).strip()
            line_no += 1
    _strip_inline_byline(scan)


def _strip_inline_byline(scan: _Scan) -> None:
    """One-line articles end with the byline glued on: "…năm tới. Vũ Nam"."""
    blocks = [b for b in scan.blocks if b]
    if not blocks:
        return
    last = blocks[-1]
    m = re.match(r".*[.!?…”\"]\s+(.{2,60})$", last[-1])
    if m and looks_like_byline(m.group(1)) and len(m.group(1).split()) <= 6:
        scan.removed.append(m.group(1))
        last[-1] = last[-1][: m.start(1)].rstrip()
