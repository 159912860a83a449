"""HTML-preserving translation (models/html_translate.py): markup kept byte for byte, text nodes
translated, everything batched in one translator call."""

from __future__ import annotations

import re

import pytest

from models import html_translate
from models.html_translate import html_text, parse_html, translate_html, translate_html_documents

TAG_RE = re.compile(r"<[^>]*>")


class Recorder:
    """A fake translator: upper-cases, remembers each call."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        return [f"[{t.upper()}]" for t in texts]


def test_tags_and_attributes_are_kept_byte_for_byte():
    src = ('<p class="lead" data-x=\'a > b\' title="Hà Nội">Xin chào <b>thế giới</b>!</p>\n'
           '<img src="a.png" alt="ảnh"/><br>\n<a href="/x?a=1&amp;b=2">Đọc thêm</a>')
    fake = Recorder()
    [out] = translate_html_documents([src], fake)
    assert fake.calls == [["Xin chào", "thế giới", "Đọc thêm"]]  # "!" alone has no letters: kept
    assert TAG_RE.findall(out) == TAG_RE.findall(src)
    assert "[XIN CHÀO] <b>[THẾ GIỚI]</b>!</p>" in out
    assert '<a href="/x?a=1&amp;b=2">[ĐỌC THÊM]</a>' in out


def test_whitespace_around_nodes_is_kept_and_inner_whitespace_collapsed():
    src = "<div>\n  <p>  Một   hai\n ba  </p>\n</div>"
    [out] = translate_html_documents([src], Recorder())
    assert out == "<div>\n  <p>  [MỘT HAI BA]  </p>\n</div>"


@pytest.mark.parametrize("verbatim", [
    "<script>var s = 'Xin chào';</script>",
    "<style>p:before { content: 'chào' }</style>",
    "<code>xin_chao()</code>",
    "<pre>giữ nguyên\n  dòng</pre>",
    '<span translate="no">Tên riêng</span>',
    '<span class="notranslate">Tên riêng</span>',
])
def test_script_style_code_and_no_translate_are_untouched(verbatim):
    src = f"<p>Trước</p>{verbatim}<p>Sau</p>"
    fake = Recorder()
    [out] = translate_html_documents([src], fake)
    assert verbatim in out
    assert fake.calls == [["Trước", "Sau"]]


def test_mastodon_mentions_hashtags_and_links_are_kept():
    src = ('<p><span class="h-card"><a href="https://m.social/@an" class="u-url mention">@<span>an</span></a></span> '
           'Chào bạn <a href="https://m.social/tags/hanoi" class="mention hashtag" rel="tag">#<span>hanoi</span></a> '
           '<a href="https://vnexpress.net/tin-tuc-123" rel="nofollow noopener"><span class="invisible">https://</span>'
           '<span class="ellipsis">vnexpress.net/tin-tu</span><span class="invisible">c-123</span></a></p>')
    fake = Recorder()
    [out] = translate_html_documents([src], fake)
    assert fake.calls == [["Chào bạn"]]
    assert out == src.replace(" Chào bạn ", " [CHÀO BẠN] ")


def test_entities_are_decoded_for_the_model_and_output_is_escaped():
    src = "<p>Giá &lt; 5 &amp; tăng&nbsp;nhẹ</p>"
    fake = Recorder()
    [out] = translate_html_documents([src], fake)
    assert fake.calls == [["Giá < 5 & tăng nhẹ"]]
    assert out.startswith("<p>[GIÁ &lt; 5 &amp; TĂNG") and out.endswith("</p>")


def test_text_without_letters_is_not_sent():
    src = "<ul><li>2025</li><li>  —  </li><li>https://example.com/a</li><li>Năm</li></ul>"
    fake = Recorder()
    [out] = translate_html_documents([src], fake)
    assert fake.calls == [["Năm"]]
    assert "<li>2025</li><li>  —  </li><li>https://example.com/a</li><li>[NĂM]</li>" in out


def test_comments_doctype_and_broken_markup_survive():
    src = "<!DOCTYPE html><!-- chú thích --><p>Một <b>hai</p> ba <i>bốn"
    [out] = translate_html_documents([src], Recorder())
    assert out == "<!DOCTYPE html><!-- chú thích --><p>[MỘT] <b>[HAI]</p> [BA] <i>[BỐN]"


def test_plain_text_and_empty_documents():
    fake = Recorder()
    assert translate_html_documents(["Chỉ là chữ", "", "   "], fake) == ["[CHỈ LÀ CHỮ]", "", "   "]
    assert fake.calls == [["Chỉ là chữ"]]
    fake = Recorder()
    assert translate_html_documents(["<br/>", "<p></p>"], fake) == ["<br/>", "<p></p>"]
    assert fake.calls == []  # nothing to translate: the translator is not called


def test_every_document_is_batched_in_one_call():
    fake = Recorder()
    docs = [f"<p>Câu {i}</p><p>Đoạn <em>{i}</em></p>" for i in range(5)]
    out = translate_html_documents(docs, fake)
    assert len(fake.calls) == 1 and len(fake.calls[0]) == 10
    assert out[3] == "<p>[CÂU 3]</p><p>[ĐOẠN] <em>3</em></p>"


def test_translator_returning_the_wrong_count_is_an_error():
    with pytest.raises(RuntimeError):
        translate_html_documents(["<p>Một</p><p>Hai</p>"], lambda texts: texts[:1])


def test_html_text_is_the_visible_text():
    assert html_text("<p>Xin <b>chào</b></p><script>x()</script>") == "Xin chào"
    assert parse_html("<p>a</p>").units() == ["a"]


def test_translate_html_uses_the_pipeline_once(tiny_runtime, monkeypatch):
    calls = []
    original = html_translate.pipeline_translate

    def spy(runtime, texts, format=None, generation=html_translate.GenerationOverrides(), allow_other_language=False):
        calls.append((list(texts), format, allow_other_language))
        return original(runtime, texts, format, html_translate.GenerationOverrides(max_new_tokens=4, num_beams=1),
                        allow_other_language)

    monkeypatch.setattr(html_translate, "pipeline_translate", spy)
    docs = ["<p>Hà Nội <b>mùa thu</b>.</p>", "<div><span>Chào buổi sáng</span></div>"]
    result = translate_html(tiny_runtime, docs)
    # fragments skip the language check; their entities were decoded by the HTML parser ("plain")
    assert calls == [(["Hà Nội", "mùa thu", "Chào buổi sáng"], "plain", True)]
    assert [TAG_RE.findall(o) for o in result.translations] == [TAG_RE.findall(d) for d in docs]
    assert result.model.endswith("(VietAI/envit5-translation)")
    assert "total_ms" in result.timings


def test_translate_html_without_model_raises_capability_unavailable(offline_runtime):
    from models.errors import CapabilityUnavailable

    with pytest.raises(CapabilityUnavailable):
        translate_html(offline_runtime, ["<p>Xin chào</p>"])


def test_entities_in_an_html_page_are_decoded_once(tiny_runtime, monkeypatch):
    """A page that shows '&lt;b&gt;' (source '&amp;lt;b&amp;gt;') must not come back showing '<b>'."""
    import models.html_translate as module
    from models.text import prepare_text

    seen = {}
    original = module.pipeline_translate

    def spy(runtime, units, format, *args, **kwargs):
        seen["units"], seen["format"] = list(units), format
        return original(runtime, units, format, *args, **kwargs)

    monkeypatch.setattr(module, "pipeline_translate", spy)
    module.translate_html(tiny_runtime, ["<p>Dùng thẻ &amp;lt;b&amp;gt; để in đậm chữ.</p>"])
    (unit,) = seen["units"]
    assert "&lt;b&gt;" in unit
    assert "&lt;b&gt;" in prepare_text(unit, seen["format"])  # decoded once, by the HTML parser only
