"""``.md`` through markdown-it-py (CommonMark, plus GFM tables) and mdformat's renderer.

The file is parsed into markdown-it tokens; each inline block (a paragraph, heading, list item's
paragraph, table cell) is one segment: the text of its ``text`` tokens, translated as one text and spread
back over those tokens in order (sized like the source, cut at word edges), so emphasis, strong, links
(their targets and titles), images and inline code stay where the token structure puts them. Inline
code, code blocks, fenced code, HTML blocks, autolinks and link/image targets are never translated.
mdformat renders the tokens back to Markdown: the structure is the same (same headings, lists, tables,
code), the spelling may be normalised (``*`` bullets become ``-``, ``__x__`` becomes ``**x**``, setext
headings become ATX).
"""

from __future__ import annotations

from ._common import Document, decode_text, distribute, encode_text, fail

_STRUCTURE = {"heading_open": "headings", "paragraph_open": "paragraphs", "list_item_open": "list_items",
              "fence": "code_blocks", "code_block": "code_blocks", "td_open": "table_cells",
              "th_open": "table_cells", "link_open": "links", "em_open": "emphasis", "strong_open": "strong"}


def _parser():
    from markdown_it import MarkdownIt
    from mdformat.plugins import PARSER_EXTENSIONS
    from mdformat.renderer import MDRenderer

    mdit = MarkdownIt(renderer_cls=MDRenderer)
    mdit.options["mdformat"] = {"wrap": "keep", "number": False}
    mdit.options["store_labels"] = True
    mdit.options["parser_extension"] = []
    mdit.options["codeformatters"] = {}
    tables = PARSER_EXTENSIONS.get("tables")
    if tables is not None:
        mdit.options["parser_extension"].append(tables)
        tables.update_mdit(mdit)
    return mdit


def count_structure(tokens) -> dict[str, int]:
    counts = dict.fromkeys(sorted(set(_STRUCTURE.values())), 0)
    for token in tokens:
        for tok in [token, *(token.children or [])]:
            if tok.type in _STRUCTURE:
                counts[_STRUCTURE[tok.type]] += 1
    return counts


def parse(text: str):
    mdit = _parser()
    env: dict = {}
    return mdit, mdit.parse(text, env), env


def open_md(data: bytes) -> Document:
    text = decode_text(data, ".md")
    crlf = "\r\n" in text
    try:
        mdit, tokens, env = parse(text.replace("\r\n", "\n"))
    except Exception as exc:  # markdown-it accepts any text; this is a bug guard, not a user error
        raise fail(f"the .md file cannot be parsed as Markdown ({exc})", code="corrupt") from None
    groups: list[tuple[list, list]] = []  # per inline block: its text/softbreak tokens, all its children
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        runs, skip = [], 0
        for child in token.children:
            if child.type == "link_open" and child.markup in ("autolink", "linkify"):
                skip += 1
            elif child.type == "link_close" and skip:
                skip -= 1
            elif child.type == "text" and not skip and child.content:
                runs.append(child)
            elif child.type == "softbreak":
                runs.append(child)  # a space in the segment; stays a line break in the output
        if any(r.type == "text" for r in runs):
            groups.append((runs, token.children))
    segments = [" ".join("".join(r.content if r.type == "text" else " " for r in runs).split())
                for runs, _ in groups]
    structure = count_structure(tokens)

    def render(translations: list[str]) -> bytes:
        for (runs, children), source, translation in zip(groups, segments, translations):
            if translation == source:
                continue
            weights = [max(1, len(r.content)) if r.type == "text" else 1 for r in runs]
            carry = ""  # what falls on a soft break goes to the text token before it
            for r, piece in reversed(list(zip(runs, distribute(translation.strip(), weights)))):
                if r.type == "text":
                    r.content, carry = piece + carry, ""
                else:
                    carry = piece + carry
            if carry:
                first = next(r for r in runs if r.type == "text")
                first.content = carry + first.content
            _tidy_edges(children)
        out = mdit.renderer.render(tokens, mdit.options, env)
        return encode_text(out, crlf)

    return Document(segments, render, structure)


_OPENERS = {"em_open", "strong_open", "link_open", "s_open"}
_CLOSERS = {"em_close", "strong_close", "link_close", "s_close"}


def _tidy_edges(children) -> None:
    """Spaces out of emphasis and link edges (``*x *`` is not emphasis), none next to a soft break."""
    texts = [i for i, c in enumerate(children) if c.type == "text"]
    for i in texts:
        child = children[i]
        before = children[i - 1].type if i > 0 else None
        after = children[i + 1].type if i + 1 < len(children) else None
        if before in _OPENERS and child.content[:1].isspace():
            child.content = child.content.lstrip()
            _give(children, i, -1, " ")
        if after in _CLOSERS and child.content[-1:].isspace():
            child.content = child.content.rstrip()
            _give(children, i, +1, " ")
        if before in ("softbreak", "hardbreak"):
            child.content = child.content.lstrip()
        if after in ("softbreak", "hardbreak"):
            child.content = child.content.rstrip()


def _give(children, i: int, step: int, space: str) -> None:
    """Put ``space`` on the near edge of the closest text token outside the delimiter (if any)."""
    j = i + step
    while 0 <= j < len(children) and children[j].type in _OPENERS | _CLOSERS:
        j += step
    if 0 <= j < len(children) and children[j].type == "text":
        other = children[j]
        if step < 0 and not other.content[-1:].isspace():
            other.content += space
        elif step > 0 and not other.content[:1].isspace():
            other.content = space + other.content
