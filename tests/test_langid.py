import pytest

from models.langid import detect_language, is_vietnamese

VI = [
    "Chiều ngày 22/7, Công an quận 3 đã tổ chức hội nghị sơ kết 6 tháng đầu năm.",
    "Hai đối tượng bị bắt giữ khi đang vận chuyển ma tuý trên đường Phú Lợi.",
    "Thời tiết hôm nay ở Hà Nội có mưa rào và dông vài nơi.",
    "Giá vàng trong nước tăng mạnh sau khi thế giới biến động.",
    "Cảm ơn các bạn.",
    "Bộ Giáo dục và Đào tạo công bố phương án thi tốt nghiệp năm nay.",
    "Người dân phấn khởi khi con đường mới được khánh thành.",
    "Đội tuyển Việt Nam giành chiến thắng thuyết phục trước đối thủ.",
    "Ủy ban nhân dân thành phố yêu cầu các sở ngành khẩn trương thực hiện.",
    "Tôi rất vui được gặp bạn ở đây hôm nay.",
    "Bệnh viện đã tiếp nhận hơn 200 ca sốt xuất huyết trong tuần qua.",
]
VI_NO_DIACRITICS = [
    "Chieu ngay 22/7, cong an quan 3 da to chuc hoi nghi",
    "Hai doi tuong bi bat giu khi dang van chuyen ma tuy",
    "Thoi tiet hom nay o Ha Noi co mua rao va dong vai noi",
    "Gia vang trong nuoc tang manh sau khi the gioi bien dong",
    "Cam on cac ban rat nhieu",
    "Bo Giao duc va Dao tao cong bo phuong an thi tot nghiep",
    "Nguoi dan phan khoi khi con duong moi duoc khanh thanh",
    "Toi rat vui duoc gap ban o day hom nay",
    "Benh vien da tiep nhan hon 200 ca sot xuat huyet trong tuan qua",
    "Uy ban nhan dan thanh pho yeu cau cac so nganh thuc hien ngay",
    "Xin chao, ban khoe khong?",
]
EN = [
    "The bells of St. Martin's fall silent as churches in Harlem struggle.",
    "Police arrested two suspects who were transporting drugs on Phu Loi street.",
    "The weather in Hanoi today is rainy with scattered thunderstorms.",
    "Gold prices rose sharply after the world market fluctuated.",
    "Thank you very much for coming today.",
    "The Ministry of Education announced the plan for this year's graduation exam.",
    "How can I speak in ten minutes about the bonds of women over three generations?",
    "Residents were delighted when the new road was opened to traffic.",
    "The hospital has received more than 200 dengue cases in the past week.",
    "I am very happy to meet you here today.",
    "Scientists say the new vaccine is safe and effective for children.",
]
ZH = [
    "今天河内的天气有阵雨和雷暴。",
    "警方逮捕了两名运输毒品的嫌疑人。",
    "国内金价在世界市场波动后大幅上涨。",
    "谢谢大家。",
    "教育部公布了今年的毕业考试方案。",
    "新道路通车后居民们非常高兴。",
    "医院在过去一周接收了两百多例登革热病例。",
    "我很高兴在这里见到你。",
    "越南队取得了令人信服的胜利。",
    "科学家说新疫苗对儿童安全有效。",
]
GARBAGE = [
    "",
    "   \n\t ",
    "@@@ ### $$$ %%% ^^^ &&& *** ((( )))",
    "Tiáº¿ng Viá»‡t lÃ  ngÃ´n ngá»¯ cá»§a ngÆ°á»i Viá»‡t",
    "\ufffd\ufffd\ufffd\ufffdabc\ufffd\ufffd\ufffd",
    "xkcd qwrtz pfffft brrrzt mnbvcx",
    "1234 5678 9012 3456 7890 !!!! ????",
    "\x00\x01\x02\x03\x04abc\x05\x06\x07",
    "┌─┬─┐│░▒▓│└─┴─┘ ■□▪▫",
    "Ã¡Ã Ã¢Ã£Ã¨Ã©Ãª Ã¬Ã­Ã²Ã³Ã´Ãµ",
    bytes(range(33, 127)).decode("ascii")[::3] * 2,
]


@pytest.mark.parametrize("text", VI)
def test_vietnamese(text):
    lang, conf = detect_language(text)
    assert lang == "vi" and conf >= 0.5
    assert is_vietnamese(text)


@pytest.mark.parametrize("text", VI_NO_DIACRITICS)
def test_vietnamese_without_diacritics(text):
    assert detect_language(text)[0] == "vi"


@pytest.mark.parametrize("text", EN)
def test_english(text):
    lang, conf = detect_language(text)
    assert lang == "en" and conf > 0.5
    assert not is_vietnamese(text)


@pytest.mark.parametrize("text", ZH)
def test_chinese(text):
    assert detect_language(text)[0] == "zh"


def test_japanese_korean_by_script():
    assert detect_language("東京は今日、雨が降っています。")[0] == "ja"
    assert detect_language("오늘 서울은 비가 옵니다.")[0] == "ko"
    assert detect_language("Сегодня в Москве идёт дождь.")[0] == "ru"


def test_other_latin_languages():
    assert detect_language("Le gouvernement français a annoncé de nouvelles mesures aujourd'hui.")[0] == "fr"
    assert detect_language("Die Regierung hat heute neue Maßnahmen angekündigt.")[0] == "de"
    assert detect_language("El gobierno anunció hoy nuevas medidas económicas.")[0] == "es"


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_is_undetermined(text):
    assert detect_language(text)[0] == "und"
    assert not is_vietnamese(text)


def test_random_bytes_decoded():
    import random

    rng = random.Random(1)
    for _ in range(10):
        raw = bytes(rng.randrange(256) for _ in range(80))
        assert detect_language(raw.decode("utf-8", errors="replace"))[0] == "und"
        assert detect_language(raw.decode("latin-1"))[0] == "und"
