"""Whole documents (models/documents): every format round-trips with its structure, element by element.

Each document is built here with its own library, translated with (a) ``upper`` — a fake translator
that keeps each word's length, so every word must land in the run it came from — and (b) the tiny
random-weight models through models.pipeline.translate; the output is reopened with the same library.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import pytest
import srt

from models import pipeline
from models.documents import DocumentLimits, document_text, formats_listing, translate_document
from models.errors import InputError


def upper(texts: list[str]) -> list[str]:
    return [t.upper() for t in texts]


@pytest.fixture(scope="module")
def tiny_translate(tiny_runtime):
    def run(texts: list[str]) -> list[str]:
        return pipeline.translate(tiny_runtime, texts, "plain", allow_other_language=True).translations
    return run


def both(request):
    return upper if request.param == "upper" else request.getfixturevalue("tiny_translate")


translators = pytest.mark.parametrize("translator", ["upper", "tiny"], indirect=True)


@pytest.fixture
def translator(request):
    return both(request)


# -- builders ------------------------------------------------------------------------------------------
def build_docx() -> bytes:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_heading("Báo cáo giao thông", level=1)
    p = d.add_paragraph("Chiều nay ")
    p.add_run("UBND thành phố").bold = True
    p.add_run(" họp bàn về ")
    p.add_run("giao thông").italic = True
    p.add_run(" tại ")
    rid = p.part.relate_to("https://example.vn/tin", RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "trang tin"
    r.append(t)
    link.append(r)
    p._p.append(link)
    p.add_run(".")
    d.add_heading("Danh sách", level=2)
    d.add_paragraph("Mục thứ nhất", style="List Bullet")
    d.add_paragraph("Mục thứ hai", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for i, cell in enumerate(table._cells):
        cell.text = f"Ô số {i}"
    d.add_paragraph("2024")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def docx_structure(data: bytes) -> dict:
    import docx
    from docx.text.hyperlink import Hyperlink

    d = docx.Document(io.BytesIO(data))
    paragraphs = []
    for p in d.paragraphs:
        items = []
        for item in p.iter_inner_content():
            if isinstance(item, Hyperlink):
                items.append(("link", item.address, [r.text for r in item.runs]))
            else:
                items.append(("run", bool(item.bold), bool(item.italic), item.text))
        paragraphs.append((p.style.name, items))
    cells = [[c.text for c in row.cells] for t in d.tables for row in t.rows]
    return {"paragraphs": paragraphs, "cells": cells}


def build_odt() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import A, H, List, ListItem, P, Span

    doc = OpenDocumentText()
    bold = Style(name="Bold", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    italic = Style(name="Italic", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    doc.automaticstyles.addElement(bold)
    doc.automaticstyles.addElement(italic)
    doc.text.addElement(H(outlinelevel=1, text="Báo cáo giao thông"))
    p = P(text="Chiều nay ")
    p.addElement(Span(stylename=bold, text="UBND thành phố"))
    p.addText(" họp bàn về ")
    p.addElement(Span(stylename=italic, text="giao thông"))
    p.addText(" tại ")
    p.addElement(A(href="https://example.vn/tin", text="trang tin"))
    p.addText(".")
    doc.text.addElement(p)
    items = List()
    for text in ("Mục thứ nhất", "Mục thứ hai"):
        item = ListItem()
        item.addElement(P(text=text))
        items.addElement(item)
    doc.text.addElement(items)
    table = Table(name="T")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for r in range(2):
        row = TableRow()
        for c in range(2):
            cell = TableCell()
            cell.addElement(P(text=f"Ô số {r * 2 + c}"))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def odt_structure(data: bytes) -> dict:
    from odf import opendocument

    doc = opendocument.load(io.BytesIO(data))

    def shape(node):
        out = []
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                out.append(("text", child.data))
            elif child.nodeType == child.ELEMENT_NODE:
                attrs = {k[1]: v for k, v in child.attributes.items() if k[1] in ("style-name", "href")}
                out.append((child.qname[1], tuple(sorted(attrs.items())), shape(child)))
        return out

    return shape(doc.text)


def build_srt() -> bytes:
    cues = [
        srt.Subtitle(1, datetime.timedelta(seconds=1), datetime.timedelta(seconds=3, milliseconds=500),
                     "Xin chào các bạn\nhôm nay trời đẹp"),
        srt.Subtitle(2, datetime.timedelta(seconds=4), datetime.timedelta(seconds=6), "Chúng ta đi chơi nhé"),
        srt.Subtitle(7, datetime.timedelta(minutes=1, seconds=2), datetime.timedelta(minutes=1, seconds=5),
                     "Tạm biệt\nhẹn gặp lại\nngày mai"),
    ]
    return srt.compose(cues, reindex=False).encode()


MARKDOWN = """# Báo cáo giao thông

Chiều nay **UBND thành phố** họp bàn về *giao thông* tại [trang tin](https://example.vn/tin "Tin").
Dòng thứ hai có `mã_nguồn` ở giữa.

## Danh sách

- Mục thứ nhất
- Mục thứ hai

1. Bước một
2. Bước hai

```python
giữ_nguyên = "không dịch"
```

| Cột một | Cột hai |
| --- | --- |
| Ô số một | Ô số hai |

<https://example.vn/tu-dong>
"""

HTML = ("<html><body><h1>Báo cáo giao thông</h1><p>Chiều nay <b>UBND</b> họp tại "
        "<a href=\"https://example.vn/tin\">trang tin</a>.</p><ul><li>Mục một</li><li>Mục hai</li></ul>"
        "<table><tr><td>Ô một</td><td>Ô hai</td></tr></table><pre>không dịch</pre></body></html>")

TXT = "Chiều nay UBND thành phố họp bàn\nvề giao thông đô thị.\n\n- Mục thứ nhất\n- Mục thứ hai\n\n2024\n"


# -- round trips ---------------------------------------------------------------------------------------
@translators
def test_docx_round_trip(translator):
    source = build_docx()
    result = translate_document(source, "bao-cao.docx", translator)
    assert result.media_type.endswith("wordprocessingml.document")
    assert result.filename == "bao-cao.en.docx"
    before, after = docx_structure(source), docx_structure(result.data)
    assert [s for s, _ in after["paragraphs"]] == [s for s, _ in before["paragraphs"]]  # headings, list items
    assert sum(s.startswith("Heading") for s, _ in after["paragraphs"]) == 2
    assert sum(s == "List Bullet" for s, _ in after["paragraphs"]) == 2
    for (_, items_b), (_, items_a) in zip(before["paragraphs"], after["paragraphs"]):
        assert len(items_a) == len(items_b)
        for b, a in zip(items_b, items_a):
            assert a[0] == b[0]
            if b[0] == "run":
                assert a[1:3] == b[1:3]  # bold, italic per run
            else:
                assert a[1] == "https://example.vn/tin" and len(a[2]) == len(b[2])
    assert len(after["cells"]) == 2 and all(len(row) == 2 for row in after["cells"])
    if translator is upper:  # every word stayed in its own run, link and cell
        for (_, items_b), (_, items_a) in zip(before["paragraphs"], after["paragraphs"]):
            for b, a in zip(items_b, items_a):
                if b[0] == "run":
                    assert a[3].split() == b[3].upper().split()
                else:
                    assert [t.split() for t in a[2]] == [t.upper().split() for t in b[2]]
        assert after["cells"] == [[c.upper() for c in row] for row in before["cells"]]
        assert after["paragraphs"][-1][1][0][3] == "2024"


@translators
def test_odt_round_trip(translator):
    source = build_odt()
    result = translate_document(source, "bao-cao.odt", translator)
    assert result.media_type == "application/vnd.oasis.opendocument.text"
    before, after = odt_structure(source), odt_structure(result.data)

    def skeleton(tree):  # the elements, their styles and link targets; not the text
        return [(n[0], n[1], skeleton(n[2])) for n in tree if n[0] != "text"]

    assert skeleton(after) == skeleton(before)
    stats = result.stats["structure"]
    assert stats["headings"] == 1 and stats["list_items"] == 2 and stats["table_cells"] == 4 and stats["links"] == 1
    if translator is upper:
        def texts(tree):
            return [n[1] if n[0] == "text" else texts(n[2]) for n in tree]
        flat_b, flat_a = texts(before), texts(after)

        def norm(x, up):
            return [norm(i, up) for i in x] if isinstance(x, list) else (x.upper() if up else x).split()
        assert norm(flat_a, False) == norm(flat_b, True)


@translators
def test_srt_round_trip(translator):
    source = build_srt()
    result = translate_document(source, "phim.srt", translator)
    before = list(srt.parse(source.decode()))
    after = list(srt.parse(result.data.decode()))
    assert [(c.index, c.start, c.end) for c in after] == [(c.index, c.start, c.end) for c in before]
    assert [c.index for c in after] == [1, 2, 7]
    for b, a in zip(before, after):
        assert 1 <= len(a.content.split("\n")) <= len(b.content.split("\n"))
    if translator is upper:
        assert [c.content for c in after] == [c.content.upper() for c in before]  # lines cut where they were


def md_shape(text: str):
    from models.documents.markdown import parse

    _, tokens, _ = parse(text)
    shape = []
    for tok in tokens:
        if tok.type == "inline":
            shape.append(tuple((c.type, c.attrs.get("href")) for c in tok.children if c.type != "text"))
        elif tok.type in ("fence", "code_block"):
            shape.append((tok.type, tok.info, tok.content))
        else:
            shape.append((tok.type, tok.tag))
    return shape


@translators
def test_markdown_round_trip(translator):
    result = translate_document(MARKDOWN.encode(), "ghi-chu.md", translator)
    out = result.data.decode()
    assert md_shape(out) == md_shape(MARKDOWN)
    assert 'giữ_nguyên = "không dịch"' in out and "`mã_nguồn`" in out and "<https://example.vn/tu-dong>" in out
    assert "(https://example.vn/tin \"Tin\")" in out
    s = result.stats["structure"]
    assert (s["headings"], s["list_items"], s["table_cells"], s["code_blocks"]) == (2, 4, 4, 1)
    if translator is upper:
        assert "**UBND THÀNH PHỐ**" in out and "*GIAO THÔNG*" in out and "[TRANG TIN](" in out
        assert re.search(r"\| CỘT MỘT +\| CỘT HAI +\|", out) and "- MỤC THỨ NHẤT" in out and "1. BƯỚC MỘT" in out


@translators
def test_html_round_trip(translator):
    result = translate_document(HTML.encode(), "trang.html", translator)
    out = result.data.decode()
    assert result.media_type.startswith("text/html")
    tags = lambda s: re.findall(r"<[^>]+>", s)  # noqa: E731
    assert tags(out) == tags(HTML)  # markup byte for byte
    assert "<pre>không dịch</pre>" in out
    if translator is upper:
        assert "<b>UBND</b>" in out and ">TRANG TIN</a>" in out


@translators
def test_txt_round_trip(translator):
    result = translate_document(TXT.encode(), "bai.txt", translator)
    out = result.data.decode()
    blocks = out.split("\n\n")
    assert len(blocks) == len(TXT.split("\n\n"))
    assert [line[:2] for line in blocks[1].split("\n")] == ["- ", "- "]
    assert blocks[2].strip() == "2024"
    if translator is upper:
        assert out == TXT.upper()  # the wrapped paragraph keeps its two lines


def test_txt_crlf_and_bom_kept_as_utf8():
    data = "\ufeffXin chào.\r\n\r\nTạm biệt.\r\n".encode()
    out = translate_document(data, "a.TXT", upper).data
    assert out == "XIN CHÀO.\r\n\r\nTẠM BIỆT.\r\n".encode()


def test_utf16_text_is_read():
    data = "Xin chào bạn.".encode("utf-16")
    assert translate_document(data, "a.txt", upper).data.decode() == "XIN CHÀO BẠN."


def test_empty_translation_keeps_source():
    result = translate_document(build_srt(), "a.srt", lambda ts: ["" for _ in ts])
    assert [c.content for c in srt.parse(result.data.decode())] == [c.content for c in srt.parse(build_srt().decode())]
    assert result.stats["kept"] == 3


def test_batches_and_progress():
    calls, seen = [], []
    def fake(texts):
        calls.append(len(texts))
        return upper(texts)
    translate_document(MARKDOWN.encode(), "a.md", fake, batch_size=3, progress=lambda d, t: seen.append((d, t)))
    assert max(calls) <= 3 and seen[-1][0] == seen[-1][1] == sum(calls)


def test_document_text_for_summaries():
    text = document_text(build_docx(), "a.docx")
    assert text.split("\n\n")[0] == "Báo cáo giao thông" and "2024" not in text


def test_formats_listing():
    names = {f["format"] for f in formats_listing()}
    assert names == {"txt", "md", "html", "docx", "odt", "srt"}


# -- bad files -----------------------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("data, filename, words", [
    (b"just some text, not a document", "a.docx", ["not a .docx", "text"]),
    (build_docx()[:400], "a.docx", ["corrupt"]),
    (build_docx()[:-200], "a.docx", ["corrupt"]),
    (_zip({"hello.txt": b"x"}), "a.docx", ["not a .docx", "[Content_Types].xml"]),
    (_zip({"[Content_Types].xml": b"<bad", "word/document.xml": b"<bad"}), "a.docx", ["cannot be opened"]),
    (build_docx(), "a.odt", ["not a .odt", "mimetype"]),
    (build_odt()[:300], "a.odt", ["corrupt"]),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}), "a.odt",
     ["spreadsheet", "not a text document"]),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<not xml"}), "a.odt",
     ["cannot be opened"]),
    (b"1\n00:00:01,000 --> later\nXin chao\n\n", "a.srt", ["not valid SubRip"]),
    (b"Xin chao, day khong phai phu de\n", "a.srt", ["not valid SubRip"]),
    (bytes(range(256)) * 4, "a.txt", ["binary"]),
    (b"\x00\x01\x02\x03junk\x00\x00", "a.md", ["binary"]),
    ("Xin chào".encode() + b"\xff" + " tiếp".encode(), "a.txt", ["undecodable", "offset 9"]),
    ("Xin chào".encode("cp1258"), "a.html", ["not valid UTF-8"]),
    (build_docx(), "a.txt", ["ZIP archive"]),
    (b"%PDF-1.7 ...", "a.txt", ["PDF"]),
    (b"", "a.txt", ["empty"]),
    (b"Xin chao", "a.pdf", ["unsupported file type", ".pdf", ".docx"]),
    (b"Xin chao", "no-extension", ["unsupported file type"]),
])
def test_bad_files_are_input_errors(data, filename, words):
    with pytest.raises(InputError) as caught:
        translate_document(data, filename, upper)
    message = str(caught.value)
    assert caught.value.field == "file"
    for word in words:
        assert word in message, message


def test_srt_cue_ending_before_it_starts():
    data = b"1\n00:00:05,000 --> 00:00:01,000\nXin chao\n\n"
    with pytest.raises(InputError, match="ends before it starts"):
        translate_document(data, "a.srt", upper)


def test_limits():
    with pytest.raises(InputError, match="more than the 100 allowed") as caught:
        translate_document(b"x" * 101, "a.txt", upper, limits=DocumentLimits(max_bytes=100))
    assert caught.value.code == "too_large"
    with pytest.raises(InputError, match="text segments"):
        translate_document(TXT.encode(), "a.txt", upper, limits=DocumentLimits(max_segments=2))
    with pytest.raises(InputError, match="characters to translate"):
        translate_document(TXT.encode(), "a.txt", upper, limits=DocumentLimits(max_chars=20))
    bomb = _zip({"[Content_Types].xml": b"<a/>", "word/document.xml": b" " * 5_000_000})
    with pytest.raises(InputError, match="unpacks to"):
        translate_document(bomb, "a.docx", upper, limits=DocumentLimits(max_unpacked_bytes=1_000_000))
