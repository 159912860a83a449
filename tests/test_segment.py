"""Vietnamese sentence segmentation: hand-written expectations."""

import unicodedata

import pytest

from models.text.segment import join_sentences, split_paragraphs, split_sentences, split_text, worth_translating

CASES = [
    # --- plain splits
    ("Trời mưa to. Đường ngập nặng.", ["Trời mưa to.", "Đường ngập nặng."]),
    ("Anh đi đâu? Tôi về nhà!", ["Anh đi đâu?", "Tôi về nhà!"]),
    ("Thật không thể tin được! Đội nhà đã thắng.", ["Thật không thể tin được!", "Đội nhà đã thắng."]),
    ("Ông ấy đến lúc 8 giờ. 10 phút sau, ông rời đi.", ["Ông ấy đến lúc 8 giờ.", "10 phút sau, ông rời đi."]),
    ("Dòng thứ nhất\nDòng thứ hai", ["Dòng thứ nhất", "Dòng thứ hai"]),
    ("Một câu duy nhất không có dấu chấm", ["Một câu duy nhất không có dấu chấm"]),
    ("Giá tăng mạnh. Đặc biệt là xăng.", ["Giá tăng mạnh.", "Đặc biệt là xăng."]),
    ("Câu hỏi đặt ra là gì?! Chưa ai trả lời.", ["Câu hỏi đặt ra là gì?!", "Chưa ai trả lời."]),
    ("Hội nghị kết thúc./. Tin bài liên quan sẽ được cập nhật.",
     ["Hội nghị kết thúc./.", "Tin bài liên quan sẽ được cập nhật."]),
    # --- administrative abbreviations
    ("Ông sống tại TP.HCM. Bà sống ở Hà Nội.", ["Ông sống tại TP.HCM.", "Bà sống ở Hà Nội."]),
    ("Công an TP. HCM đã vào cuộc.", ["Công an TP. HCM đã vào cuộc."]),
    ("Anh ấy ở Tp.HCM từ năm 2010.", ["Anh ấy ở Tp.HCM từ năm 2010."]),
    ("Nhà tôi ở Q.3, gần chợ.", ["Nhà tôi ở Q.3, gần chợ."]),
    ("Trụ sở đặt tại P.5, Q. Bình Thạnh. Công ty có 20 nhân viên.",
     ["Trụ sở đặt tại P.5, Q. Bình Thạnh.", "Công ty có 20 nhân viên."]),
    ("Nhiều vụ xảy ra ở ven TP. Những đối tượng này đã bị bắt.",
     ["Nhiều vụ xảy ra ở ven TP.", "Những đối tượng này đã bị bắt."]),
    # --- titles
    ("TS. Nguyễn Văn An phát biểu.", ["TS. Nguyễn Văn An phát biểu."]),
    ("ThS. Lê Thị Hoa là giảng viên.", ["ThS. Lê Thị Hoa là giảng viên."]),
    ("PGS.TS. Trần Văn Bình cho biết như vậy.", ["PGS.TS. Trần Văn Bình cho biết như vậy."]),
    ("Theo GS.TSKH. Đặng Vũ Minh, kinh tế sẽ phục hồi.", ["Theo GS.TSKH. Đặng Vũ Minh, kinh tế sẽ phục hồi."]),
    ("BS. Phạm Hùng khám cho bệnh nhân. Bệnh nhân đã ổn định.",
     ["BS. Phạm Hùng khám cho bệnh nhân.", "Bệnh nhân đã ổn định."]),
    ("Th.S Nguyễn Mai trình bày báo cáo.", ["Th.S Nguyễn Mai trình bày báo cáo."]),
    ("Sách do NXB. Trẻ phát hành.", ["Sách do NXB. Trẻ phát hành."]),
    ("Nhà thờ St. Paul rất đẹp. Du khách đến đông.", ["Nhà thờ St. Paul rất đẹp.", "Du khách đến đông."]),
    ("Mr. Smith đã tới Hà Nội.", ["Mr. Smith đã tới Hà Nội."]),
    # --- numbers, dates, legal references
    ("Ngày 22/7, hội nghị diễn ra. Có 300 người dự.", ["Ngày 22/7, hội nghị diễn ra.", "Có 300 người dự."]),
    ("Theo Nghị định 03/2019/NĐ-CP, lực lượng được tăng cường.",
     ["Theo Nghị định 03/2019/NĐ-CP, lực lượng được tăng cường."]),
    ("Giá là 1.500.000 đồng. Rẻ hơn năm ngoái.", ["Giá là 1.500.000 đồng.", "Rẻ hơn năm ngoái."]),
    ("Lãi suất tăng 3,5% so với năm trước.", ["Lãi suất tăng 3,5% so với năm trước."]),
    ("Chỉ số đạt 12.5 điểm.", ["Chỉ số đạt 12.5 điểm."]),
    ("Cuộc họp bắt đầu lúc 9.30 sáng nay.", ["Cuộc họp bắt đầu lúc 9.30 sáng nay."]),
    ("Phiên bản 2.1.3 đã ra mắt. Người dùng nên cập nhật.", ["Phiên bản 2.1.3 đã ra mắt.", "Người dùng nên cập nhật."]),
    ("Đội U.23 Việt Nam thắng đậm.", ["Đội U.23 Việt Nam thắng đậm."]),
    # --- initials, enumerations
    ("Ông Trần Đức L. (45 tuổi) bị bắt.", ["Ông Trần Đức L. (45 tuổi) bị bắt."]),
    ("Nạn nhân là chị Nguyễn Thị H. Gia đình đã trình báo.", ["Nạn nhân là chị Nguyễn Thị H. Gia đình đã trình báo."]),
    ("Cả tuần nay, H. Q. T. không ngủ được.", ["Cả tuần nay, H. Q. T. không ngủ được."]),
    ("Có rau, củ, quả v.v. được bày bán.", ["Có rau, củ, quả v.v. được bày bán."]),
    ("1. Tăng cường kiểm tra. 2. Xử lý nghiêm vi phạm.", ["1. Tăng cường kiểm tra.", "2. Xử lý nghiêm vi phạm."]),
    # --- URLs, e-mails, domains
    ("Xem tại https://vnexpress.net/abc.html để biết thêm.", ["Xem tại https://vnexpress.net/abc.html để biết thêm."]),
    ("Liên hệ qua email hotro@tomtat.vn. Chúng tôi sẽ trả lời.",
     ["Liên hệ qua email hotro@tomtat.vn.", "Chúng tôi sẽ trả lời."]),
    ("Theo VnExpress.net, vụ việc đang được điều tra.", ["Theo VnExpress.net, vụ việc đang được điều tra."]),
    # --- ellipses
    ("Anh ấy im lặng... rồi bỏ đi.", ["Anh ấy im lặng... rồi bỏ đi."]),
    ("Chờ mãi… cuối cùng xe cũng tới.", ["Chờ mãi… cuối cùng xe cũng tới."]),
    ("Có rau, thịt, cá... Tất cả đều tươi.", ["Có rau, thịt, cá...", "Tất cả đều tươi."]),
    ("Mọi thứ đã thay đổi… Không ai còn nhớ.", ["Mọi thứ đã thay đổi…", "Không ai còn nhớ."]),
    # --- quotations and parentheses
    ("Ông nói: “Tôi sẽ đi. Mai về.” rồi bỏ đi.", ["Ông nói: “Tôi sẽ đi. Mai về.” rồi bỏ đi."]),
    ("Bà hỏi: “Con đi đâu?” Nó không trả lời.", ["Bà hỏi: “Con đi đâu?”", "Nó không trả lời."]),
    ('Anh kể: "Tôi rất sợ." Sau đó anh khóc.', ['Anh kể: "Tôi rất sợ."', "Sau đó anh khóc."]),
    ("“Chúng tôi sẽ làm rõ. Sai đâu xử đó”, ông Hùng nói.", ["“Chúng tôi sẽ làm rõ. Sai đâu xử đó”, ông Hùng nói."]),
    ("Sản lượng tăng (so với năm 2020. Số liệu sơ bộ) và còn tăng.",
     ["Sản lượng tăng (so với năm 2020. Số liệu sơ bộ) và còn tăng."]),
    ("Kết quả khả quan (tăng 5%). Lãnh đạo tỉnh hài lòng.", ["Kết quả khả quan (tăng 5%).", "Lãnh đạo tỉnh hài lòng."]),
    ("Câu trả lời là “không”. Vậy là xong.", ["Câu trả lời là “không”.", "Vậy là xong."]),
    ("“Xin chào.” – Linh nói.", ["“Xin chào.” – Linh nói."]),
    ("Bà hỏi sao vậy? - Tôi không biết, anh đáp.", ["Bà hỏi sao vậy?", "- Tôi không biết, anh đáp."]),
    # --- space-tokenized VietNews style
    ("Bị cáo lĩnh 12 năm tù . Sau đó , gia đình kháng cáo .",
     ["Bị cáo lĩnh 12 năm tù .", "Sau đó , gia đình kháng cáo ."]),
    ("Công an TP. Thủ Dầu Một ( tỉnh Bình Dương ) cho biết . Hai đối tượng bị bắt .",
     ["Công an TP. Thủ Dầu Một ( tỉnh Bình Dương ) cho biết .", "Hai đối tượng bị bắt ."]),
    ('Ông nói : " Tôi sẽ đi . Mai về . " rồi bỏ đi .', ['Ông nói : " Tôi sẽ đi . Mai về . " rồi bỏ đi .']),
    ('Anh kể : " Tôi sợ . " Sau đó anh khóc .', ['Anh kể : " Tôi sợ . "', "Sau đó anh khóc ."]),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_case_table_is_large():
    assert len(CASES) >= 40


def test_split_paragraphs_and_text():
    text = "Đoạn một. Câu hai.\n\n\n  Đoạn hai.  \n \n"
    assert split_paragraphs(text) == ["Đoạn một. Câu hai.", "Đoạn hai."]
    assert split_text(text) == [["Đoạn một.", "Câu hai."], ["Đoạn hai."]]


def test_paragraphs_know_where_their_lines_end():
    text = "Giá vàng tăng mạnh\nGiá vàng SJC tăng 500.000 đồng. Nhiều người mua.\n- Một;\n- Hai.\n\nĐoạn hai."
    first, second = split_text(text)
    assert first == ["Giá vàng tăng mạnh", "Giá vàng SJC tăng 500.000 đồng.", "Nhiều người mua.", "- Một;", "- Hai."]
    assert first.line_ends == {0, 2, 3} and second.line_ends == set()  # the last line's end is the paragraph's
    assert join_sentences(first, ["H", "A", "B", "C", "D"]) == "H\nA B\nC\nD"
    # a sentence translated to nothing: its line break still separates what is left
    assert join_sentences(first, ["H", "A", "", "C", "D"]) == "H\nA\nC\nD"
    assert join_sentences(first, ["", "A", "B", "", ""]) == "A B"
    assert join_sentences(["x", "y"], ["X", "Y"]) == "X Y"  # a plain list of sentences: one line


def test_empty_input():
    assert split_sentences("") == []
    assert split_text("  \n\n ") == []


def test_nothing_lost():
    text = "Ông A. Nguyễn đến TP. HCM... rồi về! Sau đó “Tôi đi.” Anh nói (xem 1.2). Kết thúc"
    assert "".join(split_sentences(text)).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("text, headline", [
    ("Giá vàng kéo dài đà tăng lên đỉnh 3 tháng\n\nGiá vàng giao tháng Tư tăng 11,3 USD. Giới đầu tư lo ngại.",
     "Giá vàng kéo dài đà tăng lên đỉnh 3 tháng"),
    ("Họ hàng 4 đời có kết hôn được không?\n\nEm tên Hoàng. Người yêu của em tên là Hoài.",
     "Họ hàng 4 đời có kết hôn được không?"),
    ("'Thời khắc Sputnik' cho giáo dục khoa học\n\nCác chuyên gia đã thảo luận.\n\nHọ đưa ra giải pháp.",
     "'Thời khắc Sputnik' cho giáo dục khoa học"),
    # a body that opens with a sentence, a label, a one-word line or a headline with nothing after it: none
    ("Sáng 22/7, Quốc hội khai mạc kỳ họp.\n\nCác đại biểu thảo luận. Kỳ họp kéo dài 20 ngày.", None),
    ("Hà Nội, ngày 22/7:\n\nCác đại biểu thảo luận. Kỳ họp kéo dài 20 ngày.", None),
    ("Hà Nội\n\nCác đại biểu thảo luận. Kỳ họp kéo dài 20 ngày.", None),
    ("Giá vàng kéo dài đà tăng lên đỉnh 3 tháng\n\nGiá vàng giao tháng Tư tăng 11,3 USD.", None),
    ("Giá vàng kéo dài đà tăng\nGiá vàng giao tháng Tư tăng. Giới đầu tư lo ngại.",  # a line break is enough
     "Giá vàng kéo dài đà tăng"),
    ("Giá vàng kéo dài đà tăng. Giá vàng giao tháng Tư tăng. Giới đầu tư lo ngại.", None),
])
def test_leading_headline(text, headline):
    from models.text.segment import leading_headline

    assert leading_headline(split_text(text)) == headline


def test_as_excerpt_reads_as_one_text_in_the_articles_words():
    from models.text.segment import as_excerpt

    picked = ["2. Nội dung giám sát được công khai.", "Lễ khánh thành trường mẫu giáo tại tỉnh Bình Thuận",
              "• Các em học sinh đã có lớp học mới.", "b) Kinh phí do nhãn hàng tài trợ"]
    assert as_excerpt(picked) == ["Nội dung giám sát được công khai.", "Lễ khánh thành trường mẫu giáo tại tỉnh Bình Thuận.",
                                  "Các em học sinh đã có lớp học mới.", "Kinh phí do nhãn hàng tài trợ"]
    kept = ["Ông Hùng nói: “Tôi sẽ về.”", "2.000 người tham dự buổi lễ.", "Q.3 có mưa lớn?", "A. Lincoln từng nói vậy…"]
    assert as_excerpt(kept) == kept  # a closing quote, a number, an abbreviation, an initial: all stay


@pytest.mark.parametrize("sentence, trimmed", [
    # a connective that answered the sentence before, in both the natural and the VietNews token style
    ("Tuy nhiên, giá xăng vẫn giảm mạnh từ chiều nay.", "Giá xăng vẫn giảm mạnh từ chiều nay."),
    ("Trong khi đó , nhiều người dân đổ xô đi mua xăng .", "Nhiều người dân đổ xô đi mua xăng ."),
    ("Chính vì vậy, nhiều hộ dân đã bỏ ruộng đi làm công nhân.", "Nhiều hộ dân đã bỏ ruộng đi làm công nhân."),
    ("Chiều cùng ngày, lực lượng cứu hộ đã tìm thấy thi thể nạn nhân.",
     "Lực lượng cứu hộ đã tìm thấy thi thể nạn nhân."),  # the day of a sentence the excerpt lacks
    # a day and month without a year, with the part of the day and the weekday
    ("Chiều 16-5 , một lãnh đạo Phòng Cảnh sát kinh tế cho biết đã nhận văn bản .",
     "Một lãnh đạo Phòng Cảnh sát kinh tế cho biết đã nhận văn bản ."),
    ("Tối ngày 16/5 , Công an huyện Hải Hà đã bắt giữ hai đối tượng .",
     "Công an huyện Hải Hà đã bắt giữ hai đối tượng ."),
    ("Sáng thứ Hai (6/2), Thủ tướng đã làm việc với lãnh đạo tỉnh Bình Dương.",
     "Thủ tướng đã làm việc với lãnh đạo tỉnh Bình Dương."),
    ("Tối 22/7 (giờ địa phương), Tổng thống Mỹ phát biểu tại Nhà Trắng về thuế.",
     "Tổng thống Mỹ phát biểu tại Nhà Trắng về thuế."),
    ("Hôm 26-12 ( giờ địa phương ) , quân đội Israel không kích dải Gaza .", "Quân đội Israel không kích dải Gaza ."),
    ("Ngày 20 tháng 11, ông Nguyễn Văn A được bổ nhiệm làm giám đốc sở.",
     "Ông Nguyễn Văn A được bổ nhiệm làm giám đốc sở."),
    ("Sáng nay ( 10/12 ) , áp thấp nhiệt đới đã mạnh lên thành bão số 3 .",
     "Áp thấp nhiệt đới đã mạnh lên thành bão số 3 ."),
    ("Mới đây, đội tuyển U23 Việt Nam đã có mặt tại Thường Châu.", "Đội tuyển U23 Việt Nam đã có mặt tại Thường Châu."),
    # one after the other; the first letter after a quotation mark is the one upper-cased, a word cased
    # inside is left as written
    ("Tuy nhiên, sáng 7/8, “chúng tôi không lùi bước”, ông Hùng nói với báo chí.",
     "“Chúng tôi không lùi bước”, ông Hùng nói với báo chí."),
    ("Do đó, iPad 2 được bán với giá thấp hơn nhiều so với trước.", "iPad 2 được bán với giá thấp hơn nhiều so với trước."),
    # a connective goes even before what is to come; the date of it stays
    ("Tuy nhiên, ngày 27-4, hai bên sẽ tổ chức giao lưu.", "Ngày 27-4, hai bên sẽ tổ chức giao lưu."),
])
def test_an_excerpt_drops_openers_that_point_outside_it(sentence, trimmed):
    from models.text.openers import trim_opener
    from models.text.segment import as_excerpt

    assert trim_opener(sentence) == trimmed
    assert as_excerpt(["Giá vàng tăng.", sentence]) == ["Giá vàng tăng.", trimmed]
    assert trim_opener(unicodedata.normalize("NFD", sentence)) == trimmed  # NFC, as past ingress


@pytest.mark.parametrize("sentence", [
    "Ngày 12/3/2019, Bộ Y tế công bố năm ca mắc mới tại Hà Nội.",  # a date with its year is a fact
    "Ngày 20 tháng 11 năm 2018, ông A được bổ nhiệm làm giám đốc sở.",
    "Ngày 16-5-2019 , một lãnh đạo Phòng Cảnh sát kinh tế cho biết đã nhận văn bản .",
    "Khoảng 2h20 ngày 12/1, một xe khách lao xuống vực khiến 3 người chết.",  # the hour of a crash is a fact
    "Ngày 12/3 Bộ Y tế công bố 5 ca mắc mới, nâng tổng số lên 30 ca.",  # no opener: the clause is the sentence
    # what is still to come: when it will happen is the news
    "Ngày 27-4 , hai bên sẽ tổ chức các chương trình giao lưu văn hoá .",
    "Sáng mai, đoàn đại biểu dự kiến đến thăm tỉnh Quảng Bình.",
    "Ngày 1/7 tới, Luật Đất đai sửa đổi chính thức có hiệu lực thi hành.",
    "Ngày mai, Quốc hội thảo luận về dự án Luật Đất đai sửa đổi.",
    "Tối nay, trận chung kết diễn ra trên sân Mỹ Đình.",
    "Ngày nay, với sự tiến bộ của y học, tỷ lệ tử vong đã giảm.",  # nowadays: a stance, not a date
    "Theo Reuters, Mỹ sẽ rút quân khỏi Syria trong tháng tới.",  # an attribution: the claim stays someone's
    "Được biết, nghi phạm từng có hai tiền án về tội trộm cắp.",  # a hedge, likewise
    "Tại Hà Nội, giá xăng giảm mạnh từ chiều nay.",  # a place
    "Tuy nhiên , con số chênh lệch không đáng kể \" – Quốc khai .",  # inside a quotation: someone's words
    "Tuy nhiên, con số chênh lệch không đáng kể” – ông Quốc khai với cơ quan điều tra.",
    # the opener does the sentence's work
    "Ngày 31/10, tiếp tục có thêm nhiều nước tuyên bố ủng hộ nghị quyết.",
    "Ngày 16/5, tức 2 ngày sau vụ cháy, cơ quan điều tra đã khởi tố vụ án.",
    "Ngày 4-3, thượng tá A cho biết vào sáng cùng ngày đã bắt giữ hai đối tượng.",
    # no word says it is a day: a fraction, a score
    "1/3, số người được hỏi cho biết họ không hài lòng với dịch vụ.",
    "2-1, Việt Nam vượt qua Thái Lan để giành quyền vào chung kết.",
    "Tuy nhiên, đây là lần đầu.",  # what would be left is too short to stand alone
    "Tuy nhiên giá xăng vẫn giảm mạnh từ chiều nay.",  # no comma: not an opener
])
def test_an_excerpt_keeps_what_states_a_fact(sentence):
    from models.text.openers import trim_opener

    assert trim_opener(sentence) == sentence


def test_a_connective_stays_when_the_excerpt_holds_the_sentence_it_answers():
    from models.text.segment import as_excerpt

    first = "Trước đây, Tiến Minh đã ba lần thắng tay vợt này."
    second = "Tuy nhiên, trong lần gặp thứ tư, Tiến Minh đã để thua sau ba ván."
    assert as_excerpt([first, second], [3, 4])[1] == second  # its article predecessor is in the excerpt
    assert as_excerpt([first, second], [1, 4])[1] == "Trong lần gặp thứ tư, Tiến Minh đã để thua sau ba ván."
    dated = "Sáng 7/8, Tiến Minh đã để thua tay vợt người Nhật sau ba ván đấu."
    assert as_excerpt([first, dated], [3, 4])[1].startswith("Tiến Minh")  # a date without a year goes either way


@pytest.mark.parametrize("unit, sent", [
    ("Hà Nội", True), ("OK", True), ("Xem thêm tại https://vnexpress.net", True), ("  UBND\n TP.HCM ", True),
    ("2024", False), ("♪ ♪", False), ("1.500.000 – 22/7", False), ("", False), ("https://vnexpress.net/a-b.html", False),
    ("www.baomoi.com", False), ("mailto:toasoan@tuoitre.com.vn", False), ("  HTTPS://X.VN  ", False),
])
def test_what_goes_to_the_translator(unit, sent):
    """One rule for documents and HTML text nodes: a unit with a letter that is not a bare link."""
    assert worth_translating(unit) is sent


@pytest.mark.parametrize("text, expected", [
    ("Ông có bằng TS. Năm 2010 ông về nước.", ["Ông có bằng TS.", "Năm 2010 ông về nước."]),
    ("Anh học lên ThS. Sau đó anh đi làm.", ["Anh học lên ThS.", "Sau đó anh đi làm."]),
    ("TS. Nguyễn Văn A phát biểu.", ["TS. Nguyễn Văn A phát biểu."]),  # a title before a name
    ("Việc làm của Cty. ABC gây bức xúc.", ["Việc làm của Cty. ABC gây bức xúc."]),
    ("Ông là giám đốc Cty. Sau đó ông nghỉ việc.", ["Ông là giám đốc Cty.", "Sau đó ông nghỉ việc."]),
    ("Hội thảo do TS. Từ Minh Thiện chủ trì.", ["Hội thảo do TS. Từ Minh Thiện chủ trì."]),  # "Từ", a surname
    ("Apple ra mắt. iPhone bán chạy.", ["Apple ra mắt.", "iPhone bán chạy."]),
])
def test_degrees_companies_and_brands(text, expected):
    assert split_sentences(text) == expected
