"""Translate HTML and keep its markup: tags, attributes, comments and whitespace stay as sent.

The document is cut into markup and text by a small tokenizer written for this module (plain
string scanning, each character looked at a bounded number of times: linear in the input,
never raises). Every construct keeps its exact source text, so markup is never
re-serialized — which is why this is not lxml: libxml2 builds a tree and keeps no source
offsets, so it cannot give the markup back byte for byte. Only the text between tags is
translated:

* text inside ``script``, ``style``, ``code``, ``pre`` and other verbatim elements (``kbd``,
  ``samp``, ``var``, ``textarea``, ``template``, ``svg``, ``math``) is kept;
* so is text under an element marked ``translate="no"`` or ``class="notranslate"``, and
  under fediverse mention/hashtag links (``<a class="mention">@<span>user</span></a>``),
  which must stay as they are to keep working;
* text without letters (numbers, punctuation, ``@``, URLs) is kept;
* leading/trailing whitespace of each text node is kept, its inner whitespace collapsed
  (HTML renders it the same way).

Tokenizing follows HTML's rules where they matter here: ``<`` starts a tag only before an
ASCII letter (``a < b``, ``a< `` are text), ``</x>`` ends one, ``<!--…-->`` is a comment,
``<!…>`` and ``<?…>`` are declarations, ``script``/``style`` content is raw text up to its
end tag, and ``>`` inside a quoted attribute value does not end the tag. A tag or comment
left open at the end of the document is kept as markup to the end (never translated).

All text nodes of all documents go to the translator in **one** call, so a request with
many small nodes is batched like any other translation. No Flask here (models layer).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from . import pipeline
from .pipeline import GenerationOverrides, TranslationResult, translate as pipeline_translate
from .runtime import Runtime
from .text import budget
from .text.segment import worth_translating

__all__ = ["HtmlDocument", "parse_html", "html_text", "translate_html", "translate_html_documents"]

# Elements whose content is never translated.
VERBATIM_TAGS = frozenset("script style code pre kbd samp var textarea template svg math noscript".split())
# Elements without an end tag (never pushed on the open-element stack).
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_NO_TRANSLATE_CLASSES = frozenset({"notranslate", "mention", "hashtag", "u-url", "invisible", "ellipsis"})
_SPACE_RE = re.compile(r"\s+")
_RAW_TEXT_TAGS = frozenset({"script", "style"})  # content is text up to the end tag, never markup
_TAG_NAME_RE = re.compile(r"[^\s/>]*+")
_TAG_STOP_RE = re.compile(r"[>=]")
_BLANKS_RE = re.compile(r"\s*+")
_ATTR_RE = re.compile(r"""([^\s/>"'=]++)(?:\s*+=\s*+("[^"]*+"|'[^']*+'|[^\s>]*+))?""")
_RAW_END_RES = {tag: re.compile(rf"</{tag}[\s/>]", re.IGNORECASE) for tag in _RAW_TEXT_TAGS}


@dataclass
class _Token:
    start: int  # offset in the source
    text: str | None = None  # decoded text for a text node; None for markup
    translate: bool = False
    parts: list[str] | None = None  # raw pieces of a text node while tokenizing
    raw_end: int = 0
    blocked: bool = False  # under an element that blocks translation


@dataclass
class HtmlDocument:
    """A parsed document: the source and its tokens (markup or text nodes)."""

    source: str
    tokens: list[_Token] = field(default_factory=list)

    def _raw(self, i: int) -> str:
        end = self.tokens[i + 1].start if i + 1 < len(self.tokens) else len(self.source)
        return self.source[self.tokens[i].start:end]

    def units(self) -> list[str]:
        """The texts to translate, in document order (whitespace collapsed, edges trimmed)."""
        return [_core(tok.text) for tok in self.tokens if tok.translate]

    def render(self, translations: Iterator[str]) -> str:
        """The document with each translatable node replaced by the next translation."""
        out = []
        for i, tok in enumerate(self.tokens):
            if not tok.translate:
                out.append(self._raw(i))
                continue
            lead, trail = _edges(tok.text)
            translated = _SPACE_RE.sub(" ", next(translations)).strip()
            out.append(lead + html.escape(translated, quote=False) + trail)
        return "".join(out)

    def visible_text(self) -> str:
        return " ".join(_core(tok.text) for tok in self.tokens if tok.translate)


def _edges(text: str) -> tuple[str, str]:
    """The leading and trailing whitespace of ``text``."""
    body = text.strip()
    if not body:
        return text, ""
    lead = len(text) - len(text.lstrip())
    trail = len(text) - len(text.rstrip())
    return text[:lead], text[len(text) - trail:]


def _core(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


class _Tokenizer:
    """One pass over the source; see the module docstring for the rules."""

    def __init__(self, source: str):
        self.source = source
        self.tokens: list[_Token] = []
        # open elements: (tag, blocks translation); per tag the stack indices where it is open
        self.stack: list[tuple[str, bool]] = []
        self.open_at: dict[str, list[int]] = {}
        self.blocking = 0  # open elements that block translation

    def run(self) -> list[_Token]:
        src, n, i = self.source, len(self.source), 0
        steps = 0
        while i < n:
            if not steps & 1023:
                budget.check()
            steps += 1
            lt = src.find("<", i)
            if lt == -1:
                self._text(i, n)
                break
            j = self._markup_end(lt)
            if j is None:  # "<" not starting markup ("a < b", "a< "): text
                self._text(i, lt + 1)
                i = lt + 1
                continue
            if lt > i:
                self._text(i, lt)
            self.tokens.append(_Token(lt))
            tag = self._handle_tag(lt, j)
            i = j
            if tag in _RAW_TEXT_TAGS:
                end = _RAW_END_RES[tag].search(src, i)
                stop = end.start() if end else n
                if stop > i:
                    self.tokens.append(_Token(i, src[i:stop], translate=False))
                i = stop
        return self.tokens

    # -- scanning ------------------------------------------------------------------
    def _markup_end(self, lt: int) -> int | None:
        """End offset of the markup starting at ``src[lt] == "<"``; None if it is text."""
        src, n = self.source, len(self.source)
        nxt = src[lt + 1:lt + 2]
        if src.startswith("<!--", lt):
            end = src.find("-->", lt + 4)
            return n if end == -1 else end + 3
        if nxt in ("!", "?") or (nxt == "/" and not _is_ascii_letter(src[lt + 2:lt + 3])):
            if nxt == "/" and lt + 2 >= n:
                return None  # a lone "</" at the end is text
            end = src.find(">", lt + 2)
            return n if end == -1 else end + 1
        start = lt + 2 if nxt == "/" else lt + 1
        if not _is_ascii_letter(src[start:start + 1]):
            return None
        j = _TAG_NAME_RE.match(src, start).end()
        while True:  # attributes: ">" ends the tag unless inside a quoted value
            m = _TAG_STOP_RE.search(src, j)
            if m is None:
                return n
            if m.group() == ">":
                return m.end()
            k = _BLANKS_RE.match(src, m.end()).end()
            if k < n and src[k] in "\"'":
                close = src.find(src[k], k + 1)
                if close == -1:
                    return n
                j = close + 1
            else:
                j = k

    def _handle_tag(self, lt: int, end: int) -> str | None:
        """Track open elements; returns the start tag's name (for raw-text elements)."""
        src = self.source
        if src.startswith("<!", lt) or src.startswith("<?", lt):
            return None
        closing = src.startswith("</", lt)
        start = lt + 2 if closing else lt + 1
        name_end = _TAG_NAME_RE.match(src, start).end()
        tag = src[start:min(name_end, end)].lower()
        if closing:
            self._close(tag)
            return None
        if tag in VOID_TAGS or src.startswith("/>", end - 2) or not src.startswith(">", end - 1):
            return None  # void, self-closing ("<span/>") or cut off at the end: nothing opens
        attributes: dict[str, str] = {}
        for m in _ATTR_RE.finditer(src, name_end, end - 1):
            value = m.group(2) or ""
            if value[:1] in ("\"", "'"):
                value = value[1:-1]
            attributes.setdefault(m.group(1).lower(), html.unescape(value))
        classes = set(attributes.get("class", "").split())
        blocks = (
            tag in VERBATIM_TAGS
            or attributes.get("translate", "").lower() == "no"
            or bool(classes & _NO_TRANSLATE_CLASSES)
        )
        self.open_at.setdefault(tag, []).append(len(self.stack))
        self.stack.append((tag, blocks))
        self.blocking += blocks
        return tag

    def _close(self, tag: str) -> None:
        """Pop up to the innermost open ``tag`` (each element is popped once: linear)."""
        where = self.open_at.get(tag)
        if not where:
            return
        index = where[-1]
        while len(self.stack) > index:
            name, blocks = self.stack.pop()
            self.open_at[name].pop()
            self.blocking -= blocks

    def _text(self, start: int, end: int) -> None:
        last = self.tokens[-1] if self.tokens else None
        raw = self.source[start:end]
        if last is not None and last.parts is not None and last.raw_end == start:
            last.parts.append(raw)  # adjacent text runs ("a", "< b") are one node
            last.raw_end = end
        else:
            self.tokens.append(_Token(start, "", parts=[raw], raw_end=end, blocked=self.blocking > 0))

    def finish(self) -> list[_Token]:
        for tok in self.tokens:
            if tok.parts is not None:
                tok.text = html.unescape("".join(tok.parts))
                tok.translate = not tok.blocked and worth_translating(tok.text)
                tok.parts = None
        return self.tokens


def _is_ascii_letter(ch: str) -> bool:
    return len(ch) == 1 and ch.isascii() and ch.isalpha()


def parse_html(source: str) -> HtmlDocument:
    parser = _Tokenizer(source)
    parser.run()
    tokens = parser.finish()
    if not tokens or tokens[0].start != 0:  # never lose a leading fragment
        tokens.insert(0, _Token(0))
    return HtmlDocument(source, tokens)


def html_text(source: str) -> str:
    """The translatable text of an HTML fragment (for language detection)."""
    with budget.default_budget(pipeline.TEXT_BUDGET_S):
        return parse_html(source).visible_text()


def translate_html_documents(documents: list[str], translate: Callable[[list[str]], list[str]]) -> list[str]:
    """Translate every document's text nodes with ONE call of ``translate(texts) -> texts``."""
    with budget.default_budget(pipeline.TEXT_BUDGET_S):  # the request's budget when one is open
        parsed = [parse_html(doc) for doc in documents]
    units = [unit for doc in parsed for unit in doc.units()]
    translated = translate(units) if units else []
    if len(translated) != len(units):
        raise RuntimeError(f"translator returned {len(translated)} texts for {len(units)}")
    stream = iter(translated)
    return [doc.render(stream) for doc in parsed]


def translate_html(
    runtime: Runtime, documents: list[str], generation: GenerationOverrides = GenerationOverrides(),
) -> TranslationResult:
    """:func:`models.pipeline.translate` for HTML: the same pipeline, markup kept."""
    translator = runtime.translator()  # no model: fail before parsing anything
    timings: dict[str, float] = {}

    def run(units: list[str]) -> list[str]:
        # text nodes are fragments ("OK", "2024"): the caller checks the document's language
        # the text nodes are decoded already: "plain", so a page showing "&lt;b&gt;" is not decoded twice
        result = pipeline_translate(runtime, units, "plain", generation, allow_other_language=True)
        timings.update(result.timings)
        return result.translations

    # one budget for the request's text work (parsing, then cleaning the text nodes), as pipeline.translate;
    # it is checked only inside text loops, so the model's time does not count against it
    with budget.text_budget(runtime.config.text_budget_s):
        out = translate_html_documents(documents, run)
    return TranslationResult(out, translator.model.name, timings or {"total_ms": 0.0})
