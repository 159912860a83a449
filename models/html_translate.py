"""Translate HTML and keep its markup: tags, attributes, comments and whitespace stay as sent.

The document is tokenized with :mod:`html.parser`; every construct keeps its exact source
text (sliced by the parser's positions), so markup is never re-serialized. Only the text
between tags is translated:

* text inside ``script``, ``style``, ``code``, ``pre`` and other verbatim elements (``kbd``,
  ``samp``, ``var``, ``textarea``, ``template``, ``svg``, ``math``) is kept;
* so is text under an element marked ``translate="no"`` or ``class="notranslate"``, and
  under fediverse mention/hashtag links (``<a class="mention">@<span>user</span></a>``),
  which must stay as they are to keep working;
* text without letters (numbers, punctuation, ``@``, URLs) is kept;
* leading/trailing whitespace of each text node is kept, its inner whitespace collapsed
  (HTML renders it the same way).

All text nodes of all documents go to the translator in **one** call, so a request with
many small nodes is batched like any other translation. No Flask here (models layer).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Callable, Iterator

from .pipeline import GenerationOverrides, TranslationResult, translate as pipeline_translate
from .runtime import Runtime

__all__ = ["HtmlDocument", "parse_html", "html_text", "translate_html", "translate_html_documents"]

# Elements whose content is never translated.
VERBATIM_TAGS = frozenset("script style code pre kbd samp var textarea template svg math noscript".split())
# Elements without an end tag (never pushed on the open-element stack).
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_NO_TRANSLATE_CLASSES = frozenset({"notranslate", "mention", "hashtag", "u-url", "invisible", "ellipsis"})
_LETTER_RE = re.compile(r"[^\W\d_]")
_URL_RE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")
_EDGE_RE = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


@dataclass
class _Token:
    start: int  # offset in the source
    text: str | None = None  # decoded text for a text node; None for markup
    translate: bool = False


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
            lead, _, trail = _EDGE_RE.match(tok.text).groups()
            translated = _SPACE_RE.sub(" ", next(translations)).strip()
            out.append(lead + html.escape(translated, quote=False) + trail)
        return "".join(out)

    def visible_text(self) -> str:
        return " ".join(_core(tok.text) for tok in self.tokens if tok.translate)


def _core(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _translatable(text: str) -> bool:
    core = _core(text)
    return bool(_LETTER_RE.search(core)) and not _URL_RE.match(core)


class _Tokenizer(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.tokens: list[_Token] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, this element blocks translation)

    # -- positions ------------------------------------------------------------
    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _markup(self) -> None:
        self.tokens.append(_Token(self._offset()))

    def _blocked(self) -> bool:
        return any(blocks for _, blocks in self.stack)

    # -- handlers ---------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        self._markup()
        if tag in VOID_TAGS:
            return
        attributes = {k.lower(): (v or "") for k, v in attrs}
        classes = set(attributes.get("class", "").split())
        blocks = (
            tag in VERBATIM_TAGS
            or attributes.get("translate", "").lower() == "no"
            or bool(classes & _NO_TRANSLATE_CLASSES)
        )
        self.stack.append((tag, blocks))

    def handle_startendtag(self, tag, attrs):
        self._markup()

    def handle_endtag(self, tag):
        self._markup()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        start = self._offset()
        last = self.tokens[-1] if self.tokens else None
        if last is not None and last.text is not None:  # the parser may split one text run
            last.text += data
        else:
            self.tokens.append(_Token(start, data))
        tok = self.tokens[-1]
        tok.translate = not self._blocked() and _translatable(tok.text)

    def handle_comment(self, data):
        self._markup()

    def handle_decl(self, decl):
        self._markup()

    def handle_pi(self, data):
        self._markup()

    def unknown_decl(self, data):
        self._markup()


def parse_html(source: str) -> HtmlDocument:
    parser = _Tokenizer(source)
    parser.feed(source)
    parser.close()
    tokens = parser.tokens
    if not tokens or tokens[0].start != 0:  # never lose a leading fragment
        tokens.insert(0, _Token(0))
    return HtmlDocument(source, tokens)


def html_text(source: str) -> str:
    """The translatable text of an HTML fragment (for language detection)."""
    return parse_html(source).visible_text()


def translate_html_documents(documents: list[str], translate: Callable[[list[str]], list[str]]) -> list[str]:
    """Translate every document's text nodes with ONE call of ``translate(texts) -> texts``."""
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
        result = pipeline_translate(runtime, units, "text", generation, allow_other_language=True)
        timings.update(result.timings)
        return result.translations

    out = translate_html_documents(documents, run)
    return TranslationResult(out, translator.model.name, timings or {"total_ms": 0.0})
