"""Cleaning, debris removal and tone normalization (offline, fast)."""

import unicodedata
from pathlib import Path

import pytest

from models.text.clean import (
    detect_format,
    find_debris,
    html_to_text,
    normalize_unicode,
    prepare_text,
    strip_debris,
)
from models.text.tone import normalize_tone

SEED = (Path(__file__).parent / "fixtures" / "seed_article.txt").read_text(encoding="utf-8")


# ---------------------------------------------------------------- HTML

def test_detect_format():
    assert detect_format("<p>Xin chào</p>") == "html"
    assert detect_format("Dòng một<br/>Dòng hai") == "html"
    assert detect_format("Tin &quot;nóng&quot; hôm nay") == "html"
    assert detect_format("Tiền phạt <số tiền> đồng.\nDòng hai") == "text"
    assert detect_format("Giá tăng 5% so với năm 2021 (a < b).") == "text"


def test_html_entities_br_and_paragraphs():
    html = "<p>Ông A nói &quot;xin chào&quot; &amp; đi.<br>Dòng mới</p><p>Đoạn&nbsp;hai</p>"
    assert html_to_text(html) == 'Ông A nói "xin chào" & đi.\nDòng mới\n\nĐoạn hai'
    assert prepare_text(html) == 'Ông A nói "xin chào" & đi.\nDòng mới\n\nĐoạn hai'


def test_html_nested_blocks_and_inline_tags():
    html = "<div><h1>Tiêu đề</h1><div><p>Câu <b>đậm</b> và <a href='x'>liên kết</a>.</p><ul><li>Một</li><li>Hai</li></ul></div></div>"
    assert prepare_text(html, format="html") == "Tiêu đề\n\nCâu đậm và liên kết.\n\nMột\n\nHai"


def test_html_drops_script_style_and_captions():
    html = (
        "<article><script>var x = '<p>no</p>';</script><style>p{color:red}</style>"
        "<p>Nội dung chính.</p><figure><img src='a.jpg'><figcaption>Toàn cảnh Hội nghị.</figcaption></figure>"
        "<noscript>bật JS</noscript><iframe>quảng cáo</iframe><p>Đoạn cuối.</p></article>"
    )
    assert prepare_text(html) == "Nội dung chính.\n\nĐoạn cuối."


def test_html_keeps_pseudo_tags():
    html = "<p>Phạt tiền <số tiền> đồng đối với <tên cá nhân>.</p>"
    assert html_to_text(html) == "Phạt tiền <số tiền> đồng đối với <tên cá nhân>."


def test_text_format_decodes_stray_entities():
    assert prepare_text("Anh nói &quot;không&quot;.\nDòng hai", format="text") == 'Anh nói "không".\nDòng hai'


# ---------------------------------------------------------------- Unicode

def test_normalize_unicode_nfd_to_nfc():
    nfd = unicodedata.normalize("NFD", "Việt Nam vô địch")
    assert nfd != "Việt Nam vô địch"
    assert normalize_unicode(nfd) == "Việt Nam vô địch"


def test_normalize_unicode_invisible_and_spaces():
    raw = "Hà\u200b Nội\u00a0\u00a0mưa\u00ad to\ufeff.\x07\r\nDòng\u2060 hai\u3000 ."
    assert normalize_unicode(raw) == "Hà Nội mưa to.\nDòng hai ."


def test_normalize_unicode_keeps_paragraphs():
    raw = "  Đoạn một.  \r\n\r\n\r\n\r\nĐoạn\thai.\n\n\n"
    assert normalize_unicode(raw) == "Đoạn một.\n\nĐoạn hai."


def test_prepare_text_joins_lines_broken_by_inline_tags():
    raw = "Viết cho \nCẩm nang tuyển sinh\n của \nThanh Niên\n, ông Nguyễn Quốc Lịch nhận định.\nCâu mới."
    assert prepare_text(raw) == "Viết cho Cẩm nang tuyển sinh của Thanh Niên, ông Nguyễn Quốc Lịch nhận định.\nCâu mới."


def test_prepare_text_keeps_real_line_breaks():
    raw = "Cuộc đua đang đến hồi kết\nTrong 11 tháng, doanh thu tăng.\nHiện trường vụ tai nạn \nTheo đó, xe tải lao tới."
    assert prepare_text(raw) == raw.replace(" \n", "\n")


# ---------------------------------------------------------------- debris

def test_seed_article_debris_removed():
    clean = strip_debris(prepare_text(SEED))
    assert "leftcenterrightdel" not in clean
    assert "Toàn cảnh Hội nghị" not in clean
    assert "Lê Minh Tuấn" not in clean
    assert clean.startswith("Chiều ngày 22/7, Công an và Ban Chỉ huy Quân sự Quận 3")
    assert clean.endswith("tăng cường giáo dục chính trị tư tưởng,…")
    assert len(clean.split("\n\n")) == 4


def test_seed_article_find_debris():
    found = find_debris(prepare_text(SEED))
    assert set(found) == {"leftcenterrightdel", "Toàn cảnh Hội nghị.", "Lê Minh Tuấn"}
    assert find_debris(strip_debris(prepare_text(SEED))) == []


SYNTHETIC = """Giá xăng giảm mạnh từ chiều nay

TPO – Chiều 5/2, liên Bộ Công Thương – Tài chính điều chỉnh giá xăng dầu. Xăng RON95 giảm 500 đồng mỗi lít.

Ảnh minh họa

leftcenterrightdel
Người dân đổ xăng tại một cửa hàng ở Hà Nội

Theo cơ quan điều hành, giá thế giới đã giảm liên tục trong kỳ. Ảnh: Reuters
Mức giảm được áp dụng từ 15 giờ cùng ngày (Ảnh: Như Ý), các doanh nghiệp phải niêm yết giá mới.

Xem thêm: Giá vàng hôm nay tăng mạnh
Mời quý độc giả xem video về thị trường xăng dầu.
Hotline: 0914 926 900

Tin liên quan
Giá dầu thế giới lao dốc
Xăng E5 bán chạy kỷ lục

Minh Anh (tổng hợp)

Chiều 5/2, liên Bộ Công Thương – Tài chính điều chỉnh giá xăng dầu. Xăng RON95 giảm 500 đồng mỗi lít."""


def test_synthetic_article_debris():
    clean = strip_debris(prepare_text(SYNTHETIC), title="Giá xăng giảm mạnh từ chiều nay")
    assert clean == (
        "Chiều 5/2, liên Bộ Công Thương – Tài chính điều chỉnh giá xăng dầu. Xăng RON95 giảm 500 đồng mỗi lít."
        "\n\nTheo cơ quan điều hành, giá thế giới đã giảm liên tục trong kỳ."
        "\nMức giảm được áp dụng từ 15 giờ cùng ngày, các doanh nghiệp phải niêm yết giá mới."
    )


def test_synthetic_find_debris_reports_each_kind():
    found = find_debris(prepare_text(SYNTHETIC), title="Giá xăng giảm mạnh từ chiều nay")
    for fragment in ("Giá xăng giảm mạnh từ chiều nay", "TPO – ", "Ảnh minh họa", "leftcenterrightdel",
                     "Người dân đổ xăng tại một cửa hàng ở Hà Nội", "Ảnh: Reuters", "(Ảnh: Như Ý)",
                     "Xem thêm: Giá vàng hôm nay tăng mạnh", "Hotline: 0914 926 900",
                     "Giá dầu thế giới lao dốc", "Minh Anh (tổng hợp)"):
        assert any(fragment.strip() in f for f in found), fragment


@pytest.mark.parametrize("tagged", [
    "(Dân trí) - Sáng nay, Quốc hội khai mạc kỳ họp.",
    "ANTĐ - Sáng nay, Quốc hội khai mạc kỳ họp.",
    "VOV.VN - Sáng nay, Quốc hội khai mạc kỳ họp.",
    "( NLĐO ) - Sáng nay, Quốc hội khai mạc kỳ họp.",
    "LTS: Sáng nay, Quốc hội khai mạc kỳ họp.",  # an editor's note keeps its words, not its label
    "Lời toà soạn : Sáng nay, Quốc hội khai mạc kỳ họp.",
])
def test_outlet_tags(tagged):
    assert strip_debris(tagged) == "Sáng nay, Quốc hội khai mạc kỳ họp."


@pytest.mark.parametrize("byline", ["T.N", "PV", "Theo VnExpress", "Đức Phạm - Tiến Tuấn", "NGUYỆT PHƯƠNG"])
def test_trailing_bylines(byline):
    body = "Cơ quan chức năng đang điều tra vụ việc.\nNgười dân được khuyến cáo cẩn trọng."
    assert strip_debris(body + "\n" + byline) == body
    assert strip_debris(body + " " + byline) == body  # glued on one-line articles


def test_clean_text_untouched():
    assert strip_debris("Ông Hùng nói LTS: lời tòa soạn.\nBài viết dài.") == "Ông Hùng nói LTS: lời tòa soạn.\nBài viết dài."
    text = (
        "Hà Nội – Sáng 5/2, TP.HCM ghi nhận mưa trái mùa.\nÔng Nguyễn Văn A cho biết: “Tôi chưa từng thấy.”\n\n"
        "Theo Trung tâm Dự báo, mưa sẽ kéo dài đến cuối tuần. Người dân cần chú ý."
    )
    assert strip_debris(text) == text
    assert find_debris(text) == []


def test_inline_caption_sentence_and_credit():
    text = ("Chiếc tàu được đưa vào hoạt động năm 1962. Ảnh: Tàu sân bay USS Enterprise trên biển. "
            "Con tàu dài 342 m. Ảnh: RT.com Ông Putin cho biết như vậy.")
    assert strip_debris(text) == "Chiếc tàu được đưa vào hoạt động năm 1962. Con tàu dài 342 m. Ông Putin cho biết như vậy."


def test_caption_broken_over_lines_is_one_credit_and_removed():
    # a scraped caption whose inline tags were stripped: "(Ảnh: " / "avirtualvoyage.net" / ")"
    raw = ("Bali là hòn đảo nổi tiếng của Indonesia với nhiều bãi biển đẹp và đền thờ cổ kính.\n"
           "(Ảnh: \navirtualvoyage.net\n)\n"
           "Du khách có thể thuê xe máy để đi khắp đảo với giá khoảng 100.000 đồng mỗi ngày.")
    text = prepare_text(raw)
    assert "(Ảnh: avirtualvoyage.net)" in text.split("\n")
    clean = strip_debris(text)
    assert "avirtualvoyage" not in clean and "(" not in clean and ")" not in clean
    assert clean.startswith("Bali là hòn đảo") and clean.endswith("mỗi ngày.")
    assert "(Ảnh: avirtualvoyage.net)" in find_debris(text)
    # the same credit inside a sentence's line, and a capitalised credit
    inline = prepare_text("Ngôi đền cổ trên vách đá nhìn ra biển (Ảnh: \navirtualvoyage.net\n)\n\nDu khách đến đông.")
    assert strip_debris(inline) == "Ngôi đền cổ trên vách đá nhìn ra biển\n\nDu khách đến đông."
    assert strip_debris(prepare_text("Đền cổ trên vách đá nhìn ra biển.\n(Ảnh:\nReuters)\nDu khách đến đông.")) == \
        "Đền cổ trên vách đá nhìn ra biển.\nDu khách đến đông."


def test_parenthesis_join_is_bounded():
    # a parenthesis opened long before the line's end, or a long next line, is not a broken credit
    far = "Ông Nguyễn Văn A (Phó Chủ tịch UBND tỉnh, người phụ trách lĩnh vực giao thông và xây dựng cơ bản"
    assert prepare_text(far + "\nHà Nội") == far + "\nHà Nội"
    long_next = "Tiêu đề (ảnh:\n" + " ".join(["Từ"] * 13)
    assert prepare_text(long_next) == long_next
    assert prepare_text("Giá xăng (E5\nRON92) giảm.") == "Giá xăng (E5 RON92) giảm."


def test_vietnews_like_lines_survive():
    text = "Kết quả xét nghiệm cho thấy anh ta dương tính với ma tuý .\nVụ việc đang được điều tra làm rõ ."
    assert strip_debris(text) == text


# ---------------------------------------------------------------- tone

TONE_PAIRS = [
    ("hòa", "hoà"), ("Hòa Bình", "Hoà Bình"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"),
    ("tòa án", "toà án"), ("hóa đơn", "hoá đơn"), ("xõa", "xoã"), ("họa sĩ", "hoạ sĩ"),
    ("xòe", "xoè"), ("ủy ban", "uỷ ban"), ("lũy tre", "luỹ tre"), ("HÒA", "HOÀ"),
    # must not change
    ("hoàng", "hoàng"), ("quý", "quý"), ("quỳnh", "quỳnh"), ("giá", "giá"),
    ("ngoài", "ngoài"), ("khuya", "khuya"), ("thuyết", "thuyết"), ("hoặc", "hoặc"),
    ("thuở", "thuở"), ("Việt Nam", "Việt Nam"), ("hoà", "hoà"),
]


@pytest.mark.parametrize("old,new", TONE_PAIRS)
def test_normalize_tone_new(old, new):
    assert normalize_tone(old, "new") == new
    assert normalize_tone(unicodedata.normalize("NFD", old), "new") == new


def test_normalize_tone_nfc_only():
    assert normalize_tone(unicodedata.normalize("NFD", "hòa thuận"), "nfc") == "hòa thuận"
    assert normalize_tone("hoà thuỷ, hoàng, quý", "old") == "hòa thủy, hoàng, quý"  # the reverse of "new"
    with pytest.raises(ValueError):
        normalize_tone("x", "oldest")


def test_tone_pairs_table_size():
    assert len(TONE_PAIRS) >= 12


def test_title_repeated_as_subheading_or_glued_to_a_paragraph_is_removed():
    title = "Tăng thị phần hàng Việt trong năm 2017"
    text = ("Theo dự báo, thương mại toàn cầu năm 2017 sẽ cải thiện.\n"
            "Tăng thị phần hàng Việt trong năm 2017\n"
            "Bộ Công Thương đặt mục tiêu mới cho hàng Việt.\n\n"
            "Tăng thị phần hàng Việt trong năm 2017 LTS: Bài viết tổng hợp ý kiến chuyên gia.")
    cleaned = strip_debris(text, title)
    assert title not in cleaned
    assert "Bộ Công Thương đặt mục tiêu mới cho hàng Việt." in cleaned
    assert cleaned.endswith("\n\nBài viết tổng hợp ý kiến chuyên gia.")  # the editor's note, without its label
    assert find_debris(text, title) == [title, title, "LTS:"]


def test_html_block_end_tag_without_its_start_still_breaks():
    # a fragment cut from a page: the parser drops the unmatched </h1>, the text keeps the break
    assert html_to_text("Tiêu đề</h1>Nội dung<br>dòng hai") == "Tiêu đề\n\nNội dung\ndòng hai"
    assert html_to_text("Một</p><p>Hai") == "Một\n\nHai"


def test_html_that_breaks_html_parser_is_handled():
    assert html_to_text("<![<!") == "<![<!"  # html.parser raised AssertionError; cut-off markup is text
    assert html_to_text("<p>Xin chào</p><![<!<a ") == "Xin chào\n\n<![<!<a"
    assert html_to_text("<p>A\x00B\ufffe</p>") == "AB"  # characters libxml2 refuses are dropped, not fatal


def test_html_markup_cut_off_at_the_end_is_kept_as_text():
    assert html_to_text("<p>Tin nóng</p> giá <!giảm mạnh") == "Tin nóng\n\ngiá <!giảm mạnh"
    assert html_to_text("<p>a</p><a <a <a ") == "a\n\n<a <a <a"


def test_the_longest_word_that_can_move_its_tone_mark_still_does():
    # a 3-letter onset and "oa" / "oe" / "uy": 5 letters, the most normalize_tone looks at
    assert normalize_tone("NGHÒA nghỏe", "new") == "NGHOÀ nghoẻ" and normalize_tone("nghoà", "old") == "nghòa"


# -- what debris removal must not take with it ------------------------------------------------------------

def test_related_news_list_ends_at_the_articles_own_text():
    # the headlines under "Tin liên quan" go; the sentences after them are the article's and stay
    text = ("Giá vàng hôm nay tăng mạnh.\nTin liên quan\nGiá USD giảm sâu\n>> Vàng SJC lập đỉnh mới.\n"
            "Theo các chuyên gia, giá vàng sẽ còn tăng.\nNgân hàng chưa can thiệp.")
    assert strip_debris(prepare_text(text)) == ("Giá vàng hôm nay tăng mạnh.\nTheo các chuyên gia, giá vàng sẽ còn "
                                                "tăng.\nNgân hàng chưa can thiệp.")
    assert find_debris(prepare_text(text)) == ["Tin liên quan", "Giá USD giảm sâu", ">> Vàng SJC lập đỉnh mới."]


@pytest.mark.parametrize("text", [
    "Giá vàng tăng mạnh.\n\nTin liên quan\n\nGiá USD giảm sâu\n\nVàng SJC lập đỉnh\n\nTheo chuyên gia, giá còn tăng.",
    "<p>Giá vàng tăng mạnh.</p><p>Tin liên quan</p><ul><li>Giá USD giảm sâu</li><li>Vàng SJC lập đỉnh</li></ul>"
    "<p>Theo chuyên gia, giá còn tăng.</p>",
])
def test_related_news_items_in_blocks_of_their_own_go_too(text):
    assert strip_debris(prepare_text(text)) == "Giá vàng tăng mạnh.\n\nTheo chuyên gia, giá còn tăng."


@pytest.mark.parametrize("line", [
    "Năm 2020: 1.200, năm 2021: 1.350, năm 2022: 1.500, năm 2023: 1.700.",
    "Điểm chuẩn: 27,5; 28,25; 26,75; 25,5.",
])
def test_a_line_of_figures_is_no_lottery_table(line):
    assert strip_debris(prepare_text("Số liệu được công bố hôm qua.\n" + line)).endswith(line)


def test_a_lottery_table_still_goes():
    assert strip_debris(prepare_text("Kết quả hôm nay.\n\nG1: 54321 12345 67890 11111\nGiải ĐB: 12345 67890")) \
        == "Kết quả hôm nay."


def test_table_cells_are_not_glued():
    html = "<p>Nhiệt độ hôm nay:</p><table><tr><td>Hà Nội</td><td>30°C</td></tr><tr><th>TP.HCM</th><td>34°C</td></tr></table>"
    assert html_to_text(html) == "Nhiệt độ hôm nay:\n\nHà Nội\n30°C\n\nTP.HCM\n34°C"
    assert "Hà Nội" in strip_debris(prepare_text(html))


# -- credits and bylines in the forms the raw baomoi articles have them -------------------------------------

@pytest.mark.parametrize("text, clean", [
    ("Tàu rời cảng Sohae. (Nguồn: Getty Images)", "Tàu rời cảng Sohae."),
    ("Con cá dài 2 mét. (Nguồn Dailymail)", "Con cá dài 2 mét."),
    ("GDP tăng 7% (nguồn: TCTK). Xuất khẩu tăng.", "GDP tăng 7% (nguồn: TCTK). Xuất khẩu tăng."),  # the fact's source
    ("Tàu được hạ thủy năm 1961. Nguồn ảnh: Sina.", "Tàu được hạ thủy năm 1961."),
    ("Hiện trường vụ cháy - Ảnh: báo VOV", "Hiện trường vụ cháy"),
    ("Ông chỉ đạo Hội nghị. Ảnh: Trí Dũng – TTXVN Ngày 3/6/2017, Tổng Bí thư đã ký quyết định.",
     "Ông chỉ đạo Hội nghị. Ngày 3/6/2017, Tổng Bí thư đã ký quyết định."),
    ("Ông chỉ đạo Hội nghị. Ảnh: TTXVN Sau đó, ông về.", "Ông chỉ đạo Hội nghị. Sau đó, ông về."),  # not a 6-word credit
    ("Giá giảm mạnh. Ảnh: Như Ý", "Giá giảm mạnh."),
    ("Nhiều người bị béo phì. Ảnh: \nEntero Medics.\nBác sĩ khuyên nên ăn ít.",
     "Nhiều người bị béo phì.\nBác sĩ khuyên nên ăn ít."),
])
def test_photo_credits(text, clean):
    assert strip_debris(prepare_text(text)) == clean


@pytest.mark.parametrize("byline", ["(Theo TTXVN)", "(Theo Daily Mail, CNN, NBC News)", "(nguồn: BNG)",
                                    "Theo nhandan.com.vn"])
def test_trailing_bylines_in_parentheses_or_a_domain(byline):
    body = "Giá vàng tăng mạnh trong phiên sáng nay.\n\nNhiều người đổ xô đi mua vàng."
    assert strip_debris(prepare_text(body + "\n" + byline)) == body


def test_a_gloss_in_parentheses_on_its_own_line_joins_its_sentence():
    text = ("Ghi nhận trên \nQuốc lộ 13\n (đoạn qua quận Thủ Đức), xe khách nối đuôi nhau hướng vào \nBến xe Miền Đông\n"
            " (quận Bình Thạnh) để trả khách.")
    assert prepare_text(text) == ("Ghi nhận trên Quốc lộ 13 (đoạn qua quận Thủ Đức), xe khách nối đuôi nhau hướng vào "
                                  "Bến xe Miền Đông (quận Bình Thạnh) để trả khách.")


def test_a_joiner_inside_an_emoji_stays_and_elsewhere_goes():
    assert prepare_text("Gia đình 👨\u200d👩\u200d👧 đi chơi.") == "Gia đình 👨\u200d👩\u200d👧 đi chơi."
    assert prepare_text("Hà\u200dNội và ❤\ufe0f\u200d🔥") == "HàNội và ❤\ufe0f\u200d🔥"


def test_a_tone_mark_typed_before_the_vowels_own_mark_composes():
    assert prepare_text("tie\u0301\u0302ng Vie\u0323\u0302t") == "tiếng Việt"


@pytest.mark.parametrize("line", [
    ">>> Nhật Bản: Vụ phóng tên lửa nhỏ nhất thế giới thất bại", "Photo: Reuters", "Hình: Internet",
    "https://example.com/bai-viet", "Từ khóa: giá vàng, SJC", "Từ khoá: giá vàng",
    "Tags: vàng", "Cập nhật: 08:30 22/07/2024",
])
def test_page_furniture_lines(line):
    body = "Giá vàng tăng mạnh trong phiên sáng.\nNhiều người đổ xô đi mua vàng."
    text = body.replace("\n", "\n" + line + "\n")
    assert strip_debris(prepare_text(text)) == body and find_debris(prepare_text(text)) == [line]


def test_an_image_widgets_hint_goes_with_the_caption_under_it():
    text = "Giá vàng tăng mạnh.\nBấm vào ảnh để xem kích thước đầy đủ\nKhách xếp hàng mua vàng\nNhiều người đổ xô đi mua."
    assert find_debris(prepare_text(text)) == ["Bấm vào ảnh để xem kích thước đầy đủ", "Khách xếp hàng mua vàng"]


def test_a_thuc_hien_byline_goes():
    body = "Giá vàng tăng mạnh trong phiên sáng.\n\nNhiều người đổ xô đi mua vàng."
    assert strip_debris(prepare_text(body + "\nThực hiện: Minh Anh - Hoàng Long")) == body


# -- what the credit, byline and list rules must leave alone ------------------------------------------------

@pytest.mark.parametrize("text, kept", [
    ("Dự án đã được phê duyệt. (Nguồn vốn: ODA Nhật Bản, tổng 5.000 tỷ đồng) Công trình khởi công.",
     ["(Nguồn vốn: ODA Nhật Bản, tổng 5.000 tỷ đồng)"]),
    ("Ông A bị bắt. (Nguồn tin riêng cho biết ông A khai nhận hành vi) Vụ án đang được điều tra.",
     ["(Nguồn tin riêng cho biết ông A khai nhận hành vi)"]),
    ("Tin liên quan đến việc ông A bị bắt lan truyền trên mạng.\nCông an đã vào cuộc.",
     ["Tin liên quan đến việc ông A bị bắt lan truyền trên mạng."]),
    ("Giá vàng tăng.\nTin liên quan\nTheo đó, có ba điểm chính:\n- Giá vàng tăng\nCâu kết.",
     ["Theo đó, có ba điểm chính:", "- Giá vàng tăng"]),
])
def test_article_text_that_looks_like_a_credit_or_a_list_header_stays(text, kept):
    clean = strip_debris(prepare_text(text))
    assert all(part in clean for part in kept), clean


def test_a_bare_credit_label_goes_and_the_sentence_under_it_stays():
    text = "Nhiều người bị béo phì. Ảnh:\nBác sĩ khuyên nên ăn ít rau.\nCâu cuối."
    assert strip_debris(prepare_text(text)) == "Nhiều người bị béo phì.\nBác sĩ khuyên nên ăn ít rau.\nCâu cuối."


def test_a_joiner_in_an_emoji_of_other_blocks_stays():
    assert prepare_text("Con mèo 🐈\u200d⬛ đẹp") == "Con mèo 🐈\u200d⬛ đẹp"


def test_a_loose_circumflex_after_a_composed_tone_composes():
    assert prepare_text("ti\u00e9\u0302ng") == "tiếng"  # "é" precomposed, then the circumflex
