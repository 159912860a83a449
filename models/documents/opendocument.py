"""``.odt`` through odfpy: paragraphs, headings, list items, table cells, frames, notes, headers and footers;
spans keep their styles, links (``text:a``) their targets.

As for .docx, each paragraph or heading is translated as one text, then the translation is spread over
the paragraph's text nodes in order (its own text and its spans' and links' text), each node getting a
share sized like its source text and cut at word edges (``_common.distribute``). Spaces, tabs and line
breaks written as elements (``text:s``, ``text:tab``, ``text:line-break``) stay where they were; fields
(page numbers, dates, note citations, references) are not translated.
"""

from __future__ import annotations

import io

from ._common import Document, fail, open_zip, runs_document

ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
_TEXTNS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLENS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
# text: elements whose text is generated or must stay as is
_SKIP = {"note-citation", "page-number", "page-count", "date", "time", "sequence", "sequence-ref",
         "bookmark-ref", "reference-ref", "note-ref", "chapter", "file-name", "template-name",
         "sheet-name", "word-count", "character-count", "paragraph-count", "tracked-changes"}
_PARAGRAPHS = {(_TEXTNS, "p"), (_TEXTNS, "h")}


def open_odt(data: bytes, max_unpacked: int) -> Document:
    archive = open_zip(data, ".odt", ("mimetype", "content.xml"), max_unpacked)
    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    if mimetype != ODT_MIMETYPE:
        raise fail(f"the file is an OpenDocument of type {mimetype!r}, not a text document (.odt)",
                   code="wrong_format")
    names = set(archive.namelist())
    if "META-INF/manifest.xml" in names and b"encryption-data" in archive.read("META-INF/manifest.xml"):
        raise fail("the .odt file is encrypted (saved with a password); send it without a password",
                   code="encrypted")
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # odfpy lets expat, KeyError, AttributeError... through
        raise fail(f"the .odt file cannot be opened as an OpenDocument text ({type(exc).__name__}: {exc})",
                   code="corrupt") from None

    paragraphs: list[list] = []  # per paragraph: its text nodes
    counts = {"paragraphs": 0, "headings": 0, "list_items": 0, "table_cells": 0, "links": 0}

    def walk(node, nodes: list | None) -> None:
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                if nodes is not None and child.data:
                    nodes.append(child)
                continue
            if child.nodeType != child.ELEMENT_NODE:
                continue
            qname = child.qname
            if qname in _PARAGRAPHS:
                counts["headings" if qname[1] == "h" else "paragraphs"] += 1
                own: list = []
                walk(child, own)
                if own:
                    paragraphs.append(own)
                continue
            if qname == (_TEXTNS, "list-item"):
                counts["list_items"] += 1
            elif qname == (_TABLENS, "table-cell"):
                counts["table_cells"] += 1
            elif qname == (_TEXTNS, "a"):
                counts["links"] += 1
            if qname[0] == _TEXTNS and qname[1] in _SKIP:
                walk(child, None)  # nested paragraphs (a note's body) still count; this text does not
                continue
            walk(child, nodes)

    walk(document.body, None)  # office:body: the text, its tables, lists, frames and notes
    walk(document.masterstyles, None)  # headers and footers of the page styles
    counts["segments"] = len(paragraphs)
    return runs_document(paragraphs, lambda node: node.data, lambda node, text: setattr(node, "data", text),
                         document.write, counts)
