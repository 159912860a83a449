"""``.docx`` through python-docx: paragraphs, headings, list items, table cells (nested tables too), text
boxes, headers and footers; runs keep their formatting, hyperlinks their targets.

Each paragraph is translated as one text (never run by run: that would cut sentences apart), then the
translation is spread over the paragraph's runs in order, each run getting a share sized like its source
text and cut at word edges (``_common.distribute``). So every run keeps its own properties (bold, italics,
underline, colour, font, character style), a hyperlink's runs stay inside the hyperlink with its target,
and a translation as long as its source keeps each word in its run. Word order changes between languages,
so after a real translation the formatting covers the same share of the sentence, not necessarily the
same words. Runs that hold more than text (images, fields, page breaks, footnote marks) are not touched
and their text is not translated; line breaks and tabs inside a translated run become spaces. Footnotes,
endnotes and comments are not translated (python-docx does not reach them).
"""

from __future__ import annotations

import io

from ._common import Document, fail, open_zip, runs_document

_TEXT_CHILDREN = {"t", "tab", "br", "cr", "noBreakHyphen", "softHyphen", "ptab", "lastRenderedPageBreak", "rPr"}


def open_docx(data: bytes, max_unpacked: int) -> Document:
    open_zip(data, ".docx", ("[Content_Types].xml", "word/document.xml"), max_unpacked)
    import docx
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, PackageNotFoundError...
        raise fail(f"the .docx file cannot be opened as a Word document ({type(exc).__name__}: {exc})",
                   code="corrupt") from None

    roots = [document.element.body]
    seen_parts = set()
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.even_page_header,
                     section.footer, section.first_page_footer, section.even_page_footer):
            if part.is_linked_to_previous:
                continue
            element = part._element  # the header/footer part's root (python-docx's own proxy)
            if id(element) not in seen_parts:
                seen_parts.add(id(element))
                roots.append(element)

    w_p, w_r = qn("w:p"), qn("w:r")
    paragraphs: list[list] = []  # per paragraph: its rewritable runs
    headings = cells = 0
    for root in roots:
        for p in root.iter(w_p):
            paragraph = Paragraph(p, document)
            runs = []
            for r in p.iter(w_r):
                if next(r.iterancestors(w_p), None) is not p:
                    continue  # a run of a paragraph nested in a text box: handled with that paragraph
                if not _text_only(r, qn):
                    continue
                run = Run(r, paragraph)
                if run.text:
                    runs.append(run)
            if runs:
                paragraphs.append(runs)
    for table in document.element.body.iter(qn("w:tbl")):
        cells += sum(1 for _ in table.iter(qn("w:tc")))
    for p in document.element.body.iter(w_p):
        style = Paragraph(p, document).style
        if style is not None and (style.name or "").lower().startswith(("heading", "title")):
            headings += 1
    return runs_document(paragraphs, lambda run: run.text, lambda run, text: setattr(run, "text", text),
                         document.save, {"paragraphs": len(paragraphs), "headings": headings, "table_cells": cells,
                                         "runs": sum(map(len, paragraphs))})


def _text_only(r, qn) -> bool:
    """A run holding only text (and line breaks, tabs): safe to rewrite with ``run.text``."""
    for child in r:
        tag = child.tag
        local = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if local not in _TEXT_CHILDREN:
            return False
        if local == "br" and child.get(qn("w:type")) not in (None, "textWrapping"):
            return False  # a page or column break: "\n" would turn it into a line break
    return True
