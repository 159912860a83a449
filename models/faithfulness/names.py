"""Name facts: sentence-initial common words (``VI_COMMON``), titles, Vietnamese family names and place
classifiers, the exonyms whose English form is other letters (``EXONYMS``), the runs of capitalized words
(``_runs``) and ``_name_facts``, which keeps the runs that are names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.tone import normalize_tone
from ._result import Fact
from ._text import _split_sentences, fold, looks_vietnamese

# -- names ----------------------------------------------------------------------------------------

# Sentence-initial words that are not names (their capital is the sentence's), compared with their diacritics
# ("Bộ Quốc phòng" opens with no "bố"); VI_COMMON, folded, for words written without them
VI_COMMON_WORDS = frozenset(normalize_tone(w, "new") for w in """
theo những các trong ngoài sau đây hiện ông bà anh chị em khi với do vì nhưng còn đó được để cũng nếu từ đến
về cùng dù không có một trước lúc riêng ngày tối sáng chiều trưa đêm năm tháng báo thế mặc bên qua chính đặc
tuy vậy song nhờ bởi hôm tại ở là và hay hoặc thì mà này kia ngay tờ trang phía tất mọi nhiều ai gì sao bao
hai ba bốn sáu bảy tám chín mười chúng tôi ta họ nó mình người đội tỉnh thành huyện xã phường quận
lực giới thầy cô cháu con vợ chồng mẹ cha bố cụ vị vừa đang sẽ đã chỉ rất khá quá
cho nên thậm ngoài mới lại vẫn đều luôn liệu điều việc vụ chuyện hàng cuộc nhà lần đợt tuần mùa đầu cuối giữa
dịp
""".split())
VI_COMMON = frozenset(fold(w) for w in VI_COMMON_WORDS)
TITLES = frozenset("Mr Mrs Ms Miss Dr Prof St Jr Sr Sir Lord Lady Rev Gen Col Lt Sgt Capt".split())
# family names: a name that starts with one is a Vietnamese personal name, romanized without diacritics
VI_SURNAMES = frozenset("""
nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh trịnh đào lương lưu
tạ châu lâm tô tôn vương kiều quách phùng triệu đàm khổng lạc mạc thân
""".split())  # compared in lower case with diacritics: "Đảng" is no "Đặng", "Lễ" no "Lê"
# classifiers before a Vietnamese place name, which English writes without diacritics
VI_PLACE_CLASSIFIERS = ("tỉnh", "thành phố", "tp", "tp.", "huyện", "quận", "phường", "xã", "thị xã", "thị trấn",
                        "sông", "núi", "đường", "phố", "đảo", "vịnh", "hồ", "đèo", "chùa", "làng", "ấp", "bản")
# Vietnamese forms of names whose English form is not the same letters
EXONYMS = {
    "viet nam": ("vietnam", "viet nam", "vietnamese"), "trung quoc": ("china", "chinese"),
    "hoa ky": ("us", "u.s", "united states", "america", "american"), "my": ("us", "u.s", "america", "american"),
    "nhat ban": ("japan", "japanese"), "han quoc": ("korea", "korean"), "trieu tien": ("korea", "korean"),
    "bac trieu tien": ("north korea", "korean", "pyongyang"), "nga": ("russia", "russian"),
    "anh": ("britain", "uk", "u.k", "england", "english", "british"), "phap": ("france", "french"),
    "duc": ("germany", "german"), "an do": ("india", "indian"), "thai lan": ("thailand", "thai"),
    "ha noi": ("hanoi", "ha noi"), "tp.hcm": ("ho chi minh", "hcmc", "saigon"), "tphcm": ("ho chi minh", "hcmc"),
    "sai gon": ("saigon", "sai gon"), "hue": ("hue",), "da nang": ("da nang", "danang"),
    "lien hop quoc": ("united nations", "un", "u.n"), "chau au": ("europe", "european"),
    "lao": ("laos", "lao"), "campuchia": ("cambodia", "cambodian"), "uc": ("australia", "australian"),
    "ba lan": ("poland", "polish"), "tay ban nha": ("spain", "spanish"), "y": ("italy", "italian"),
    "binh nhuong": ("pyongyang",), "bac kinh": ("beijing",), "van nam": ("yunnan",), "dai loan": ("taiwan",),
    "hong kong": ("hong kong",), "singapore": ("singapore",), "dong nam a": ("southeast asia",),
    "bien dong": ("east sea", "south china sea"), "trung dong": ("middle east",),
    "ai cap": ("egypt",), "tho nhi ky": ("turkey", "turkish", "turk"), "thuy dien": ("sweden", "swedish"),
    "thuy si": ("switzerland", "swiss"), "ha lan": ("netherlands", "dutch", "holland"),
    "bo dao nha": ("portugal", "portuguese"), "hy lap": ("greece", "greek"), "ca-na-da": ("canada",),
    "nam phi": ("south africa",), "chau phi": ("africa", "african"), "chau a": ("asia", "asian"),
    "nha trang": ("nha trang", "white house"),  # the city, and "Nhà Trắng" folded
    "scotland": ("scotland", "scottish", "scots"), "wales": ("wales", "welsh"), "ireland": ("ireland", "irish"),
    "twitter": ("twitter", "tweet"),  # "đăng trên Twitter" is "tweeted"
}


# provinces a paper names by their best-known part: "Ngư dân Huế" are fishermen of Thừa Thiên Huế (folded)
PROVINCE_SHORT_FORMS = {"thua thien hue": ("hue",), "thua thien": ("hue",), "ba ria": ("vung tau",),
                        "ba ria vung tau": ("vung tau", "ba ria"), "dak lak": ("buon ma thuot",),
                        "ho chi minh": ("tphcm", "hcm", "sai gon")}


_TOKEN_RE = re.compile(r"[^\W_]+(?:[.'’\-][^\W_]+)*\.?", re.UNICODE)
_RUN_BREAK = re.compile(r"^[ \u00a0]+$")


@dataclass
class _Run:
    tokens: list[str]
    start: int
    initial: bool  # the first token starts a sentence (or a quotation)


def _capitalized(token: str) -> bool:
    return token[:1].isupper() and not token[:1].isdigit()


def _is_acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _runs(text: str) -> list[_Run]:
    runs: list[_Run] = []
    for a, b in _split_sentences(text):
        sentence = text[a:b]
        current: _Run | None = None
        last_end = 0
        first = True
        for m in _TOKEN_RE.finditer(sentence):
            tok = m.group().rstrip(".") if not re.fullmatch(r"(?:[A-ZĐ]\.)+", m.group()) else m.group()
            gap = sentence[last_end:m.start()]
            initial = first or bool(re.search(r"[:;“\"«(\-–—]\s*$", gap)) and not current
            first = False
            last_end = m.end()
            if not tok or tok[0].isdigit() or not _capitalized(tok):
                current = None
                continue
            if current is not None and _RUN_BREAK.match(gap or " ") and not gap == "":
                current.tokens.append(tok)
            else:
                current = _Run([tok], a + m.start(), initial)
                runs.append(current)
            if m.group().endswith(".") and not re.fullmatch(r"(?:[A-ZĐ]\.)+|[A-ZĐ][a-z]?\.", m.group()):
                current = None
    return runs


def _name_facts(text: str) -> list[Fact]:
    lowered = set(w for w in re.findall(r"[^\W\d_]+", text) if w[:1].islower())
    lowered = {fold(w) for w in lowered}
    facts = []
    for run in _runs(text):
        tokens = list(run.tokens)
        start_is_initial = run.initial
        while tokens and start_is_initial and (normalize_tone(tokens[0].lower(), "new") in VI_COMMON_WORDS or
                                               (fold(tokens[0]) in lowered and looks_vietnamese(tokens[0]))):
            tokens = tokens[1:]
            start_is_initial = False
        while tokens and (_is_acronym(tokens[0]) or tokens[0] in ("TP", "Tp")) and len(tokens) > 1:
            tokens = tokens[1:]  # "UBND TP Nha Trang" → "Nha Trang"
        if not tokens:
            continue
        if all(_is_acronym(t) for t in tokens):
            continue
        if len(tokens) == 1 and (looks_vietnamese(tokens[0]) or tokens[0] in TITLES or len(tokens[0]) < 2):
            continue
        name = " ".join(tokens)
        facts.append(Fact("name", name, frozenset({fold(name)}), start=run.start))
    return facts


# the first word of an organization's or a holiday's name, which Vietnamese writes with its first syllables
# capitalized and the rest of each word not: "Sở Y tế", "Đảng Cộng sản", "Tết Nguyên đán" (folded)
_NAME_HEADS = frozenset(fold(w) for w in """sở bộ ban phòng cục viện trường đảng hội tổng ủy uỷ tòa toà ngân
tập công liên trung quân tết học đại khu nhà""".split())
_NOT_IN_A_NAME = frozenset(fold(w) for w in """và của cho với đã đang sẽ là thì mà được bị có không cũng vừa
mới này đó khi tại ở về theo từ đến trong ngoài cùng các những một để do vì nên""".split())
_LOWER_WORD_RE = re.compile(r"[ \u00a0]+([^\W\d_]+)")


def shown(text: str, fact: Fact, most: int = 3) -> str:
    """The name as an editor looks for it: an organization's name with the lower-case syllables that end its
    words ("Sở Y" → "Sở Y tế", "Đảng Cộng" → "Đảng Cộng sản"); any other name as it was found."""
    words = fact.text.split()
    if len(words) < 2 or fold(words[0]) not in _NAME_HEADS:
        return fact.text
    at = text.find(fact.text, fact.start)
    if at < 0:
        return fact.text
    end, added = at + len(fact.text), 0
    while added < most:
        m = _LOWER_WORD_RE.match(text, end)
        if not m or not m.group(1)[:1].islower() or fold(m.group(1)) in _NOT_IN_A_NAME:
            break
        end, added = m.end(), added + 1
    return text[at:end]

