"""Language check, offline: ``detect_language(text) -> (iso639_1, confidence)``, ``is_vietnamese``.

Decision order:

1. **Garbage** -> ``"und"``: empty / no letters, U+FFFD replacement characters, control or
   private-use characters, UTF-8 read as Latin-1/CP1252 (mojibake such as ``Viá»‡t``),
   symbol soup (letters under half of the visible characters), or Latin "words" that are
   mostly unpronounceable consonant runs.
2. **Script**: Han/Kana/Hangul/Cyrillic/Greek/Arabic/Hebrew/Thai/Devanagari... decide by
   script (``zh``, ``ja`` when Kana is present, ``ko``, ...). Cyrillic/Arabic text is
   refined by py3langid when available.
3. **Vietnamese** features on Latin text: share of words with letters only Vietnamese uses
   (ă đ ơ ư and vowels with hook-above / dot-below / tilde...), and — for text typed
   without diacritics — share of words that are valid Vietnamese syllables (onset + rhyme
   phonotactics) and share of very common Vietnamese syllables (``cua``, ``duoc``,
   ``nguoi``...).
4. **Other Latin languages**: py3langid (its model ships inside the wheel; nothing is
   downloaded), restricted to a set of Latin-script languages; fallback to an English
   stop-word heuristic if py3langid is missing.

No torch, no network.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from .text import budget

__all__ = ["detect_language", "is_vietnamese", "vietnamese_features"]

_VI_ONLY = set(
    "ăđơư" "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ"
)
_VI_SHARED = set("àáâãèéêìíòóôõùúý")

# Common Vietnamese syllables written without diacritics (function words and very frequent
# news vocabulary). Hand-written list.
_VI_ASCII_COMMON = frozenset(
    """
    cua va la cac nhung duoc co cho voi trong nay da dang se thi ma de mot khong nguoi khi tu
    theo ve nhu cung nhieu den tai vao ra lai rang nen do bi tren duoi sau truoc neu vi hay
    hoac con rat ngay thang nam hom qua toi sang chieu trua dem nha nuoc viet cong an quan
    huyen tinh xa phuong thanh pho ho chi minh ha noi hoi nghi to chuc chu tich uy ban dan
    doi tuong bat giu xe may tien dong ty trieu nghin nhan vien truong hoc sinh gia dinh
    benh vien bac si kinh te xa hoi chinh phu bo phat trien du an dau tu cho biet theo tin
    moi them nua chi van deu cac chung toi ho anh chi em ong ba minh ban gi nao dau sao
    vay the nhe a oi duong cau song bien nuoc lua chay mua gio bao lu lut dat tren ben
    canh canh sat giao thong tai nan hien nay thuc hien kiem tra xu ly phat hien dieu tra
    khoi to vu an toa tuyen phat tu giam doc cong ty kinh doanh thi truong gia ca tang giam
    lam viec cam on xin chao tam biet rat vui duoc gap ban khoe khong
    """.split()
)

_ONSETS = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_RHYME = (
    "(?:uye|uya|uyu|uoi|uou|ieu|yeu|uoc|ươi|oai|oay|oeo|uay|uai|uan|"
    "ia|ie|ua|uo|ai|ao|au|ay|eo|eu|iu|oa|oe|oi|ou|ui|uy|ue|ye|ya|"
    "a|e|i|o|u|y)"
)
_CODA = "(?:ng|nh|ch|[cmnptiyuo])?"
_VI_SYL_RE = re.compile(f"^{_ONSETS}{_RHYME}{_CODA}$")
_WORD_RE = re.compile(r"[^\W\d_]+")
_MOJIBAKE_RE = re.compile(r"[ÃÂÄÅÆ][\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|Ä‘|Æ°|Æ¡|á»|áº")

_SCRIPT_LANG = [
    ("HANGUL", "ko"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("CJK", "zh"), ("CYRILLIC", "ru"),
    ("GREEK", "el"), ("ARABIC", "ar"), ("HEBREW", "he"), ("THAI", "th"), ("DEVANAGARI", "hi"),
    ("BENGALI", "bn"), ("TAMIL", "ta"), ("KHMER", "km"), ("LAO", "lo"), ("GEORGIAN", "ka"),
    ("ARMENIAN", "hy"), ("MYANMAR", "my"),
]
_LATIN_LANGS = ["en", "vi", "fr", "de", "es", "it", "pt", "nl", "id", "ms", "tl", "pl", "cs", "sv", "da",
                "no", "fi", "ro", "hu", "tr", "sk", "hr", "sl", "ca", "et", "lv", "lt", "sq", "sw"]
_EN_STOP = frozenset("the of and to in is that for it with as was on be by this are at from have has not an or".split())


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Remove diacritics (đ -> d) from a lowercase word."""
    w = word.replace("đ", "d").replace("Đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    """The script of one character (cached: ``unicodedata.name`` per character was most of the check's time)."""
    if ch.isascii():
        return "LATIN" if ch.isalpha() else "OTHER"
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "OTHER"
    for key, _ in _SCRIPT_LANG:
        if name.startswith(key) or (key == "CJK" and ("CJK" in name or "IDEOGRAPH" in name)):
            return key
    if "LATIN" in name:
        return "LATIN"
    return "OTHER"


def vietnamese_features(text: str) -> dict:
    """Shares of words: with Vietnamese-only letters, valid Vietnamese syllables, common syllables."""
    words = [w.lower() for w in _WORD_RE.findall(unicodedata.normalize("NFC", text))]
    words = [w for w in words if all(_script(c) == "LATIN" for c in w)]
    n = len(words)
    if not n:
        return {"words": 0, "vi_only": 0.0, "vi_marks": 0.0, "syllable": 0.0, "common": 0.0}
    vi_only = sum(1 for w in words if any(c in _VI_ONLY for c in w)) / n
    vi_marks = sum(1 for w in words if any(c in _VI_ONLY or c in _VI_SHARED for c in w)) / n
    folded = [_fold(w) for w in words]
    syllable = sum(1 for w in folded if _VI_SYL_RE.match(w)) / n
    common = sum(1 for w in folded if w in _VI_ASCII_COMMON) / n
    return {"words": n, "vi_only": vi_only, "vi_marks": vi_marks, "syllable": syllable, "common": common}


def _garbage_reason(text: str) -> tuple[str | None, float]:
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return "empty", 1.0
    nvis = len(visible)
    bad = sum(1 for c in visible if c == "\ufffd" or unicodedata.category(c) in ("Cc", "Co", "Cs", "Cn"))
    if bad / nvis > 0.02:
        return "replacement/control characters", min(1.0, 0.5 + bad / nvis)
    letters = sum(1 for c in visible if c.isalpha())
    if letters / nvis < 0.5:
        return "symbol soup", 1.0 - letters / nvis
    moj = len(_MOJIBAKE_RE.findall(text))
    if moj and moj / max(1, len(text.split())) > 0.1:
        return "mojibake", 0.9
    words = _WORD_RE.findall(text)
    latin_words = [w for w in words if all(_script(c) == "LATIN" for c in w)]
    if latin_words and len(latin_words) >= 0.8 * len(words):
        # "words" without vowels or with long consonant runs are not language
        odd = sum(1 for w in latin_words
                  if len(w) > 1 and (not re.search(r"[aeiouyàáâãèéêìíòóôõùúýăđơưạ-ỹ]", _fold(w.lower()))
                                     or re.search(r"[bcdfghjklmnpqrstvwxz]{5,}", _fold(w.lower()))))
        # mixed case inside words like "xQzLp"
        odd += sum(1 for w in latin_words if len(w) > 3 and sum(c.isupper() for c in w[1:]) >= 2
                   and not w.isupper())
        if len(latin_words) >= 2 and odd / len(latin_words) > 0.4:
            return "not words", min(1.0, odd / len(latin_words))
    return None, 0.0


_ID_LOCK = threading.Lock()
_IDENT: dict = {}


def _identifier():
    with _ID_LOCK:
        if "id" not in _IDENT:
            try:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                _IDENT["id"] = ident
                _IDENT["labels"] = set(ident.labels) if hasattr(ident, "labels") else None
            except Exception:  # pragma: no cover - py3langid missing or broken
                _IDENT["id"] = None
        return _IDENT["id"]


def _py3langid(text: str, langs: list[str]) -> tuple[str, float] | None:
    ident = _identifier()
    if ident is None:
        return None
    try:
        ranked = ident.rank(text)
    except Exception:  # pragma: no cover
        return None
    allowed = set(langs)
    cand = [(lang, float(p)) for lang, p in ranked if lang in allowed]
    if not cand:
        return None
    total = sum(p for _, p in cand) or 1.0
    lang, p = cand[0]
    return lang, p / total


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code (``"und"`` when undetermined / garbage) and a confidence in [0, 1]."""
    if text is None:
        return "und", 1.0
    text = unicodedata.normalize("NFC", str(text))
    reason, conf = _garbage_reason(text)
    if reason:
        return "und", round(conf, 3)
    budget.check()
    # script census over letters
    counts: dict[str, int] = {}
    for c in text:
        if c.isalpha():
            s = _script(c)
            counts[s] = counts.get(s, 0) + 1
    total = sum(counts.values()) or 1
    kana = counts.get("HIRAGANA", 0) + counts.get("KATAKANA", 0)
    if kana / total > 0.05:
        return "ja", round(min(1.0, 0.7 + kana / total), 3)
    nonlatin = {k: v for k, v in counts.items() if k not in ("LATIN", "OTHER")}
    if nonlatin:
        script, cnt = max(nonlatin.items(), key=lambda kv: kv[1])
        if cnt / total >= 0.5:
            lang = dict(_SCRIPT_LANG)[script]
            if script in ("CYRILLIC", "ARABIC"):
                fam = {"CYRILLIC": ["ru", "uk", "bg", "sr", "mk", "be", "kk", "mn", "ky"],
                       "ARABIC": ["ar", "fa", "ur", "ps", "ug"]}[script]
                r = _py3langid(text, fam)
                if r:
                    return r[0], round(cnt / total * r[1], 3)
            return lang, round(cnt / total, 3)
    budget.check()
    f = vietnamese_features(text)
    budget.check()
    n = f["words"]
    if not n:
        return "und", 0.5
    # Vietnamese with diacritics: Vietnamese-only letters are very specific.
    if f["vi_only"] >= 0.15 and f["vi_marks"] >= 0.3:
        return "vi", round(min(1.0, 0.6 + f["vi_marks"] / 2 + f["syllable"] / 4), 3)
    # Vietnamese without diacritics (or with few): phonotactics + common syllables.
    if f["syllable"] >= 0.85 and f["common"] >= 0.25 and n >= 3:
        return "vi", round(min(1.0, 0.4 + f["syllable"] / 4 + f["common"] / 2 + f["vi_marks"] / 4), 3)
    r = _py3langid(text, _LATIN_LANGS)
    if r is None:
        words = [w.lower() for w in _WORD_RE.findall(text)]
        en = sum(1 for w in words if w in _EN_STOP) / max(1, len(words))
        if en >= 0.1:
            return "en", round(min(1.0, 0.5 + en), 3)
        return "und", 0.5
    lang, p = r
    if lang == "vi" and f["syllable"] < 0.6 and f["vi_marks"] < 0.2:
        return "und", round(1 - p, 3)
    return lang, round(p, 3)


def is_vietnamese(text: str, min_confidence: float = 0.5) -> bool:
    lang, conf = detect_language(text)
    return lang == "vi" and conf >= min_confidence
