"""Negation facts: the Vietnamese negators and the words where they negate nothing (``VI_NOT_NEGATION``),
the English negation patterns and the cues a Vietnamese word says without a negator (``EN_CUE_COUNTERPARTS``),
``_vi_negations``, ``_en_negation_cues`` / ``_en_negations``, the check of a translation's negations
(``_translation_negations``) and the polar phrases a summary's negations are compared by (``_polar_phrases``)."""

from __future__ import annotations

import re
from typing import NamedTuple

from ..text.tone import normalize_tone
from ._result import _problem
from ._text import _spans_between, _split_sentences

# compiled once: the re module's own cache is churned by the per-name patterns and would recompile them
_WORD_BEFORE_RE = re.compile(r"[^\W\d_]\s*$")
_YET_TO_RE = re.compile(r"\s+to\b", re.I)
_OR_NOT_BEFORE_RE = re.compile(r"\bor\s+$", re.I)
# before a "nor" that carries a negation: the start of its sentence ("Nor did he …"), or a negation earlier in it
_NOR_LEAD_RE = re.compile(r"(?:^|[.!?…]\s*[\"“'‘(]?|\n)\s*$|\b(?:not|never|neither|no|nobody|nothing|none|nowhere|cannot|"
                          r"without)\b[^.!?…\n]*$|n['’]t\b[^.!?…\n]*$", re.I)
_CONDITION_BEFORE_RE = re.compile(r"\bnếu(?: như)?\s+$", re.I)


VI_NEGATORS = ("không", "chưa", "chẳng", "chả", "đừng", "chớ", "chăng")
# "không"/"chưa"/"chẳng" inside words where they negate nothing, and phrases English says without "not"
VI_NOT_NEGATION = tuple(p for p in (
    "không khí", "không gian", "không quân", "không trung", "không lưu", "không kích", "không ảnh", "không tặc",
    "không phận", "không vận", "không cảng", "không đoàn", "hàng không", "phi không", "số không", "con số không",
    "không ngừng", "không ít", "không khỏi", "không lâu", "không bao lâu", "không kém", "không chỉ", "không những",
    "không quá", "không dưới", "chưa đầy", "chưa tới", "chưa đến", "chẳng hạn", "chẳng mấy", "chẳng may",
    "không may", "chả là", "không sao", "chẳng lẽ", "chăng nữa", "hay không", "hay chưa", "có không",
    "không ngờ", "không thua", "chưa từng có", "chưa bao giờ có", "không chừng", "không thôi",
    "không biết bao", "không kể", "không kịp", "không đâu", "chưa kể", "không hẳn", "không phải ai",
    "không riêng", "không ai khác", "không xa", "chưa lâu", "chỉ không", "không nhiều",
    "không chuyên", "không tốt", "không thể tránh", "không tránh khỏi", "không thoải mái", "không đủ khả năng",
    "không sớm thì muộn", "không tồi", "không thể không", "không hề nhỏ", "không nhỏ", "không ổn định",
    "không an toàn", "không chính thức", "không rõ", "không công bằng", "không hợp pháp", "không bình thường",
    "không giống", "một không hai", "không ngon", "không ổn", "không khoan nhượng", "không biết tại sao", "không đều",
    "không biết vì sao", "không hiểu sao", "không phải là không", "trên không", "phòng không", "từ không",
))
EN_NEGATION_RE = re.compile(
    r"\b(?:not|no|never|neither|nor|none|nobody|nothing|nowhere|without|cannot|unable|unknown|unclear|unlikely|"
    r"impossible|illegal|illegally|lack|lacks|lacked|lacking|fail|fails|failed|failing|failure|refuse|refused|"
    r"refuses|deny|denied|denies|absence|absent|hardly|barely|rarely|seldom|unless|unprecedented|unaware|"
    r"unavailable|unsure|unemployed|unfinished|unsolved|unresolved|undecided|unnecessary|irrelevant|inaccurate|"
    r"incomplete|insufficient|invalid|unsafe|unfair|unhappy|uncomfortable|unusual|unable|inevitable|"
    r"incapacitated|amateur|ignorant|harmful|yet|instead|rather|free|zero|less|fewer|little|few|unlike|otherwise|"
    r"unequal|wrong|bad|outside|stop(?:s|ped|ping)?|non-\w+|keep\s+\w+\s+from|speechless|clueless|unfit|hide|hid|hidden|"
    r"un(?!der|til|i(?![nmd])|less|cle|veil|ravel|dergo|rest)[a-z]{4,}|(?!(?:nonethe|neverthe|regard|bless|un)less)[a-z]{3,}less)\b|"
    r"n't\b|n’t\b",
    re.I,
)
EN_STRICT_NEGATION_RE = re.compile(r"\b(?:not|never|neither|nor|nobody|nothing|nowhere|cannot|no)\b|n't\b|n’t\b",
                                   re.I)


_CLAUSE_GAP_RE = re.compile(r"[.!?…;:,\n]+|\s[-–—]\s|\b(?:nhưng|song|tuy nhiên|trong khi|mà còn)\b")


def _clauses(text: str) -> list[tuple[int, int]]:
    return [(a, b) for a, b in _spans_between(_CLAUSE_GAP_RE, text) if text[a:b].strip()]


def _vi_negations(text: str) -> list[tuple[int, str]]:
    """Negations of a Vietnamese text: (position, the words from the negator on). Compared with diacritics:
    "không quá" (at most) is no "không qua" (did not pass)."""
    out = []
    lower = text.lower()
    for m in _VI_NEGATOR_RE.finditer(lower):
        word = m.group()
        if word == "chăng":
            continue
        lo = max(0, m.start() - 12)
        window = lower[lo:m.end() + 24]
        at = m.start() - lo
        if any(p in window and any(i <= at < i + len(p) for i in _find_all(window, p)) for p in VI_NOT_NEGATION):
            continue
        # a question: "… có đi không?", "… đã lập kế hoạch chưa."
        # (a "không" with no word before it, "Không." or "không, không", is the answer "No")
        if word in ("không", "chưa") and re.match(r"\s*(?:[.?!\"”]|$|(?:nhỉ|nhé|ạ|vậy|hả|hở|nữa|thế)\b)",
                                                 lower[m.end():m.end() + 6]) and \
                _WORD_BEFORE_RE.search(lower[max(0, m.start() - 3):m.start()]):
            continue
        out.append((m.start(), text[m.start():m.start() + 40].split(",")[0]))
    return out


def _find_all(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


_VI_NEGATOR_RE = re.compile(r"(?<![^\W\d_])(?:" + "|".join(VI_NEGATORS) + r")(?![^\W\d_])")


def _en_negation_cues(text: str, strict: bool = False) -> list[tuple[int, str]]:
    """Negation cues of an English text: (position, word). "No. 1" is no negation; a "yet" but "yet to"
    ("has not yet" has its "not", "And yet" is a conjunction), "a few", "a little" and "not only" (Vietnamese "không chỉ", no negation) are not counted; a "neither" with no "nor" after it
    ("there's neither") negates two things."""
    pattern = EN_STRICT_NEGATION_RE if strict else EN_NEGATION_RE
    out: list[tuple[int, str]] = []
    for m in pattern.finditer(text):
        word = m.group().lower()
        if word == "no" and re.match(r"\.?\s*\d", text[m.end():m.end() + 3]):  # "No. 1"
            continue
        if word == "not" and re.match(r"\s+(?:only|just|merely)\b", text[m.end():m.end() + 8], re.I):
            continue
        if word in ("few", "little") and re.search(r"\b(?:a|every|quite a)\s+$", text[max(0, m.start() - 9):m.start()], re.I):
            continue  # "a few", "a little": some, no negation
        if word == "not" and _OR_NOT_BEFORE_RE.search(text[max(0, m.start() - 4):m.start()]):
            continue  # "whether or not": no negation (the source's "hay không" is none either)
        if word == "nor" and not _NOR_LEAD_RE.search(text[:m.start()]):
            continue  # a "nor" with no negation before it in its sentence and not leading it ("Nor did he")
            # extends nothing: "I do mean X - nor Y" has lost the negation "nor" continues
        if word == "yet" and not _YET_TO_RE.match(text[m.end():m.end() + 4]):
            continue  # only "has yet to", "is yet to" negate: "not … yet" has its "not", "And yet" is a conjunction,
            # "simple yet strong" a "but", and a "yet" left behind by a dropped "not" ("It was drowned yet") none
        out.append((m.start(), word))
        if word == "neither" and not re.match(r"[^.!?;]*\bnor\b", text[m.end():]):
            out.append((m.start(), word))
    return out


def _en_negations(text: str, strict: bool = False) -> int:
    return len(_en_negation_cues(text, strict))


# English cues a Vietnamese word says without any negator ("thất bại" = "fail", "thay vì" = "rather than"):
# in a sentence whose source has that word, the cue carries no "không" of the source
EN_CUE_COUNTERPARTS = (
    (r"rather|instead", ("thay vì", "thay vào đó", "thay cho", "thà", "hơn là", "chỉ")),
    (r"fail\w*", ("thất bại", "hỏng", "trượt", "thua")),
    (r"refus\w*|den(?:y|ied|ies)", ("từ chối", "khước từ", "phủ nhận", "bác bỏ", "chối")),
    (r"harmful", ("có hại", "gây hại", "độc hại", "tác hại", "nguy hại", "không tốt")),
    (r"inevitable", ("tất yếu", "chắc chắn", "khó tránh", "tránh khỏi", "không thể tránh")),
    (r"lack\w*|without|absen\w*", ("thiếu", "vắng")),
    (r"few|fewer|little|less", ("ít", "chút", "giảm", "kém", "nhỏ", "thấp")),
    (r"bad|wrong", ("xấu", "tệ", "dở", "tồi", "sai", "nhầm", "kém", "không tốt", "không ngon", "không ổn")),
    (r"illegal\w*", ("trái phép", "phi pháp", "bất hợp pháp", "lậu", "vi phạm", "không hợp pháp")),
    (r"free", ("miễn phí", "tự do", "thoát", "giải phóng", "rảnh")),
    (r"stop\w*", ("dừng", "ngừng", "chặn", "ngăn", "thôi")),
    (r"hide|hid|hidden", ("giấu", "ẩn", "che")),
    (r"outside", ("ngoài",)),
    (r"unlike|otherwise", ("khác",)),
    (r"yet", ("nhưng", "tuy", "song", "vậy mà")),
    (r"unprecedented", ("chưa từng có", "chưa bao giờ có", "lần đầu")),
    (r"unemployed", ("thất nghiệp",)),
    (r"amateur", ("nghiệp dư",)),
    (r"un\w+|\w+less|non-\w+|in\w+|ir\w+|impossible", ("bất", "vô", "phi", "mất", "không an toàn", "không chính thức",
                                                     "không hợp pháp", "không công bằng", "không bình thường",
                                                     "không ổn định", "không thoải mái", "không rõ", "không đều",
                                                     "không chuyên", "không khoan nhượng", "không thể tránh",
                                                     "không tránh khỏi", "không đủ khả năng")),
    # a double negation, no negation of a fact, which English says with one: "couldn't help" for "không thể không"
    (r"not|n't|n’t|cannot", ("không thể không",)),
)
_EN_CUE_COUNTERPARTS = [(re.compile(r"(?:" + cue + r")$"),
                         tuple(re.compile(r"(?<![^\W\d_])" + re.escape(w) + r"(?![^\W\d_])") for w in words))
                        for cue, words in EN_CUE_COUNTERPARTS]


def _carried_cues(source: str, cues: list[tuple[int, str]]) -> int:
    """How many English cues may carry a negation of ``source``: a cue that a Vietnamese word without a
    negator says as well is not one, once per occurrence of that word in the source."""
    lower = source.lower()
    left: dict[tuple, int] = {}
    count = 0
    for _, word in cues:
        for pattern, words in _EN_CUE_COUNTERPARTS:
            if pattern.match(word):
                if words not in left:
                    left[words] = sum(len(w.findall(lower)) for w in words)
                if left[words] > 0:
                    left[words] -= 1
                    break
        else:
            count += 1
    return count


def _translation_negations(source: str, translation: str) -> list[dict]:
    """Every negation of the source must be carried: sentence by sentence where source and translation have
    as many sentences (aligned by order), else over the whole text. A sentence with fewer English cues
    than Vietnamese negations, once cues a Vietnamese word says without negator are discounted, has lost one."""
    negations = _vi_negations(source)
    if not negations:
        return []
    src_spans, out_spans = _split_sentences(source), _split_sentences(translation)
    cues = _en_negation_cues(translation)
    if len(src_spans) == len(out_spans) and len(src_spans) > 1:
        pairs = list(zip(src_spans, out_spans))
    else:
        pairs = [((0, len(source)), (0, len(translation)))]
    for (a, b), (c, d) in pairs:
        here = [(pos, w) for pos, w in negations if a <= pos < b]
        if here and len(here) > _carried_cues(source[a:b], [(p, w) for p, w in cues if c <= p < d]):
            return [_problem("negation", here[-1][1].strip(), "missing")]
    return []


_AUXILIARIES = frozenset("hề phải được thể còn có nên cần muốn dám bị".split())  # "không được phép", "chưa hề"


class Polarity(NamedTuple):
    """What :func:`_polar_phrases` tells of a text: the phrases a negation negates, the phrases said with no
    negation before them, the text's phrases in order with their polarity and position, and the word pairs
    further inside a negation's clause ("không đưa ra được bất kỳ bằng chứng nào": "bằng chứng" is said
    of no evidence, not of some)."""
    negated: set
    positive: set
    ordered: list
    scoped: set


# how many words after a negator its clause may still negate ("không để điều đó xảy ra nữa": "xảy ra")
NEGATION_SCOPE = 7
# one verb written two ways, compared as one: "bảo đảm an toàn" is "đảm bảo an toàn" (same length: positions hold)
_SAME_WORDS_RE = re.compile(r"(?<![^\W\d_])bảo đảm(?![^\W\d_])")


def _polar_phrases(text: str) -> Polarity:
    """The polarity of a text's phrases (:class:`Polarity`). A phrase is three words (folded); the one negated
    is the one right after the negator, past auxiliaries ("không được phép đi" negates "phép đi …"); the
    phrases after it up to ``NEGATION_SCOPE`` words and the clause's end count as said neither way, their word
    pairs as ``scoped``. Negators that negate nothing ("không khí", "không ngừng") do not count."""
    # a condition asserts nothing: "nếu không được cứu kịp thời" says no one was left unrescued
    negated_at = {pos for pos, _ in _vi_negations(text) if not _CONDITION_BEFORE_RE.search(text[max(0, pos - 9):pos])}
    # tone marks placed one way ("hoà" = "hòa") so that both sides compare alike
    lowered = _SAME_WORDS_RE.sub("đảm bảo", text.lower())
    tokens = [(m.start(), normalize_tone(m.group(), "new")) for m in re.finditer(r"[^\W\d_]+", lowered)]
    neg_words = set(VI_NEGATORS)
    targets, near, scope = set(), set(), set()
    for i, (pos, _) in enumerate(tokens):
        if pos not in negated_at:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j][1] in _AUXILIARIES and j < i + 3:
            j += 1
        targets.add(j)
        # no phrase that overlaps the negated one counts as said without negation ("không có khả năng thi công
        # hệ thống": "thi công hệ" is inside the negated "khả năng thi")
        near.update(range(i + 1, min(len(tokens), j + 3)))
        gap = _CLAUSE_GAP_RE.search(text, pos + 1)
        end = gap.start() if gap else len(text)
        scope.update(k for k in range(j + 1, min(len(tokens), i + 1 + NEGATION_SCOPE)) if tokens[k][0] < end)
    negated, positive, ordered = set(), set(), []
    for i in range(len(tokens) - 2):
        phrase = tuple(t for _, t in tokens[i:i + 3])
        if any(w in neg_words for w in phrase) or phrase[0] in _AUXILIARIES:
            continue
        if i in targets:
            negated.add(phrase)
            ordered.append((phrase, True, tokens[i][0]))
        elif i not in near and i not in scope:
            positive.add(phrase)
            ordered.append((phrase, False, tokens[i][0]))
    scoped = {(tokens[k][1], tokens[k + 1][1]) for k in scope | targets if k + 1 < len(tokens) and k + 1 in scope}
    return Polarity(negated, positive, ordered, scoped)
