"""Hostile text: every function of the text pipeline runs in time linear in its input,
never raises on any Unicode string, and loses no character of the text it splits.

Timing checks compare ratios (time at 2n over time at n, the minimum of a few runs), not
absolute times, so a machine shared with other test runs does not make them flaky; a
quadratic function doubles its ratio (≈ 4), a backtracking one explodes. Absolute
ceilings are generous (100,000 characters in under 2 s per function). The generators
are built from the trigger of each pattern in models/text/*.py and models/html_translate.py:
repetitions of the trigger and of its near-miss (the prefix that makes a regex start, the
suffix that makes it fail late).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import pipeline
from models.errors import InputError
from models.html_translate import html_text, parse_html, translate_html_documents
from models.langid import detect_language
from models.text import budget
from models.text.chunk import chunk_sentences, split_long_sentence
from models.text.clean import detect_format, find_debris, html_to_text, prepare_text, strip_debris
from models.text.segment import split_sentences, split_text
from models.text.tone import normalize_tone

# -- what is measured ---------------------------------------------------------------

def _words(s: str) -> int:
    return len(s.split())


FUNCTIONS = {
    "detect_format": detect_format,
    "prepare_text": prepare_text,
    "prepare_text_html": lambda x: prepare_text(x, "html"),
    "html_to_text": html_to_text,
    "strip_debris": strip_debris,
    "strip_debris_title": lambda x: strip_debris(x, title="Kết quả xổ số hôm nay"),
    "find_debris": find_debris,
    "split_sentences": split_sentences,
    "split_text": split_text,
    "normalize_tone": lambda x: normalize_tone(x, "new"),
    "split_long_sentence": lambda x: split_long_sentence(x, _words, 64),
    "chunk_sentences": lambda x: chunk_sentences(x.split("\n"), _words, 64),
    "detect_language": detect_language,
    "parse_html": parse_html,
    "html_text": html_text,
    "translate_html": lambda x: translate_html_documents([x], lambda units: units),
}

# Every Unicode space separator, line/paragraph separator and the other characters
# str.isspace() / re's \s accept.
SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u00a0", "\u1680",
          *(chr(c) for c in range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]

# The trigger of each pattern, or its near miss.
TRIGGERS = [
    # sentence boundaries, quotes, brackets (segment.py)
    '."', ".”", '."a', ". ", "...", "…", "? ", "!", "“", "”", '"', "'", "(", ")", "[", "]", "«", "»",
    ". “", "” ", ". A", "TP. ", "Q. ", "A. ", "1. ", "Trần Đức L. ", "TP.HCM ", "1.500.000", "22/7/", "a.",
    "03/2019/NĐ-CP ", "- ", ".. ", "( A. ", "“A. ", '"A. " b',
    # markup (clean.py html_to_text / detect_format, html_translate.py)
    "<a ", "a< ", "<![<!", "<!--", "</", "<p>", "</p>", "<br>", "<script>", '<a b="', "<a b='", "<a b=",
    "&amp;", "&#", "&", "<số ", "</số>", "<?", "<!", "=", "<a>", "<div translate=no>", '<span class="mention">',
    # debris (clean.py line and inline patterns)
    "Kết quả xổ số 12345-67890 ", "XSMB ", "xsmb", "giải 1 ", "g.ĐB: ", "Giải ĐB:  ", "Ảnh: ", ". Ảnh: AFP ",
    ".Ảnh:", "(Ảnh: ", "( ảnh ", "email: a", "email:", "hotline: ", "mọi phản ánh ", "leftcenter", "left ",
    "TPO - ", "( A ", "| 09:00 ", "| ", "Tin liên quan", "Xem thêm: ", "Theo ", "T.N. ", "chia sẻ ",
    "theo dõi ", "nhấp chuột để xem ", "Ảnh minh họa. Nguồn: ", ">> ", ". (Nguồn ", ". (Nguồn: A ", " - Ảnh: ",
    "Nguồn ảnh: ", ". Ảnh:\n", "\n(a", "<td>", "<th>a", "👨\u200d", "\u200d👩", "e\u0301\u0302", "https://",
    "Từ khóa: ", "Cập nhật: 08:30 ", ". Ảnh: Trí Dũng – ", "Tin liên quan\n",
    # clause splitters (chunk.py), tone (tone.py)
    ", ", "; ", ": ", " và ", " – ", "hòa ", "khỏe ", "quý ", "thủy",
    # no-space runs, digits, emoji, right-to-left, mixed scripts
    "a", "x", "1234567890", "😀", "👍🏽", "مرحبا ", "שלום ", "Привет ", "中文", "ا", "\u200f", "\u200b", "\u00ad",
    *SPACES,
]
# What makes a pattern start (prefix) or fail late (suffix).
WRAPS = ["", "Xin chào.", "Kết quả xổ số ", "Ảnh: ", "A", ".", "<p>", "(Ảnh: ", "email: ", " b c d e f g h i j k l"]


def _best_time(fn, x, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - t0)
    return best


def _build(unit: str, n: int, prefix: str = "", suffix: str = "") -> str:
    return prefix + unit * max(1, n // max(1, len(unit))) + suffix


def _growth(fn, unit: str, prefix: str, suffix: str, n: int) -> tuple[float, float]:
    small, large = _build(unit, n, prefix, suffix), _build(unit, 2 * n, prefix, suffix)
    fn(small)  # warm caches (lru caches in langid, compiled patterns)
    return _best_time(fn, small), _best_time(fn, large)


def assert_linear(fn, unit: str, prefix: str = "", suffix: str = "", n: int = 20_000) -> None:
    """time(2n) / time(n) < 3, measured again before failing (noise, not growth, varies)."""
    ratios = []
    for _ in range(3):
        t1, t2 = _growth(fn, unit, prefix, suffix, n)
        if t2 < 0.002:  # under 2 ms at 2n characters: nothing to measure, nothing to fear
            return
        ratios.append(t2 / t1)
        if ratios[-1] < 3:
            return
    raise AssertionError(f"time grows {min(ratios):.1f}x per doubling for {prefix!r} + {unit!r}*k + {suffix!r}")


# -- the findings of the issue, at their size --------------------------------------

def _lottery_line(length: int) -> str:
    line = "Kết quả xổ số"
    while len(line) < length:
        line += " 12345-67890-12345"
    return line[:length]


N = 100_000
FINDINGS = {
    "lottery keyword line, 240 chars": _lottery_line(240),
    "U+2028 run": "Xin chào." + "\u2028" * N + "Tạm biệt.",
    "space run": "Xin chào." + " " * N + "Tạm biệt.",
    '`."` run': '."' * (N // 2),
    "`<a ` run": "<a " * (N // 3),
    "`a< ` run": "a< " * (N // 3),
    "`<![<!`": "<![<!",
    # and the other hostile shapes of the issue
    "100,000-character sentence without punctuation": "chữ " * (N // 4),
    "only emoji": "😀" * N,
    "only digits": "1" * N,
    "right-to-left": "مرحبا " * (N // 6),
    "one word per line": "Một\n" * (N // 4),
    "markup nested 20,000 deep": "<div>" * 20_000 + "Xin chào" + "</div>" * 20_000,
    "unclosed comment": "<!--" + "a" * N,
    "unclosed attribute quote": '<a title="' + "x" * N,
}


@pytest.mark.parametrize("name", FINDINGS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_finding_takes_under_two_seconds_in_every_function(name, function):
    x = FINDINGS[name]
    t0 = time.perf_counter()
    FUNCTIONS[function](x)
    assert time.perf_counter() - t0 < 2.0


def test_lottery_line_no_longer_doubles_every_twenty_characters():
    times = [_best_time(strip_debris, _lottery_line(n)) for n in (200, 220, 240, 2_000)]
    assert max(times) < 0.05  # was 8-16 s each from 200 characters on
    assert strip_debris(_lottery_line(60)) == ""  # still debris when it is short
    assert strip_debris("Kết quả xổ số miền Bắc hôm nay") == ""


def test_broken_markup_is_text_not_an_exception():
    assert html_to_text("<![<!") == "<![<!"  # html.parser raised AssertionError (a 500)
    assert prepare_text("<p>Xin chào</p><![<!") == "Xin chào\n\n<![<!"
    doc = parse_html("<p>Xin chào</p><![<!")
    assert doc.units() == ["Xin chào"]
    assert translate_html_documents(["<![<!", "a< b <a "], lambda u: [t.upper() for t in u]) == ["<![<!", "A&lt; B <a "]


# -- growth per doubling ---------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_is_linear_on_the_findings(function):
    for unit, prefix, suffix in [("\u2028", "Xin chào.", " b"), (" ", "a", "a"), ('."', "", ""),
                                 ("<a ", "", ""), ("a< ", "", ""), (" 12345-67890-12345", "Kết quả xổ số", "")]:
        assert_linear(FUNCTIONS[function], unit, prefix, suffix)


_TRIGGER_UNITS = st.lists(st.sampled_from(TRIGGERS), min_size=1, max_size=3).map("".join)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(unit=_TRIGGER_UNITS, prefix=st.sampled_from(WRAPS), suffix=st.sampled_from(WRAPS),
       function=st.sampled_from(sorted(FUNCTIONS)))
def test_repeated_triggers_grow_linearly(unit, prefix, suffix, function):
    assert_linear(FUNCTIONS[function], unit, prefix, suffix, n=10_000)


@pytest.mark.parametrize("space", SPACES, ids=[f"U+{ord(c):04X}" for c in SPACES])
def test_runs_of_every_space_are_linear_through_the_whole_text_path(space):
    def text_path(x):
        split_text(strip_debris(prepare_text(x)))

    assert_linear(text_path, space, "Xin chào.", " Ảnh: b", n=20_000)


# -- any string: no exception, nothing lost ----------------------------------------

def _visible(s: str) -> str:
    """The non-whitespace characters, in order: what splitting may never drop or move."""
    return "".join(c for c in s if not c.isspace())


def _is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(c in it for c in small)


_ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
_HOSTILE_TEXT = st.lists(st.one_of(st.sampled_from(TRIGGERS + WRAPS), _ANY_TEXT), max_size=12).map("".join)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(text=st.one_of(_ANY_TEXT, _HOSTILE_TEXT))
def test_any_unicode_text_is_processed_and_its_sentences_cover_it(text):
    for fn in FUNCTIONS.values():
        fn(text)  # no exception from any function
    normalized = prepare_text(text)
    sentences = [s for p in split_text(normalized) for s in p]
    # The splitter keeps every non-space character of the text, in order; a sentence is
    # stripped, non-empty and on one line.
    assert _visible("".join(sentences)) == _visible(normalized)
    assert all(s and s == s.strip() and "\n" not in s for s in sentences)
    # debris removal only removes: what is left is a subsequence of what came in
    cleaned = strip_debris(normalized)
    assert _is_subsequence(_visible(cleaned), _visible(normalized))
    # chunking drops nothing either
    chunks = chunk_sentences(sentences, _words, 8)
    assert _visible("".join(s for c in chunks for s in c)) == _visible("".join(sentences))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(source=st.one_of(_ANY_TEXT, _HOSTILE_TEXT))
def test_html_tokenizer_is_lossless_on_any_string(source):
    doc = parse_html(source)
    assert "".join(doc._raw(i) for i in range(len(doc.tokens))) == source
    assert all(unit and unit == unit.strip() for unit in doc.units())
    # translating every node to itself keeps all markup as sent
    [out] = translate_html_documents([source], lambda units: units)
    markup = [doc._raw(i) for i, tok in enumerate(doc.tokens) if tok.text is None]
    assert _is_subsequence("".join(markup), out)


def test_vietnamese_rules_survive_the_rewrite():
    text = ("Chiều 22/7, UBND TP.HCM họp theo Nghị định 03/2019/NĐ-CP. Người dân Q.3 góp 1.500.000 đồng… "
            "Ông Trần Đức L. (45 tuổi) nói: “Tôi sẽ đi. Mai về.” rồi bỏ đi. Hết.")
    assert split_sentences(text) == [
        "Chiều 22/7, UBND TP.HCM họp theo Nghị định 03/2019/NĐ-CP.",
        "Người dân Q.3 góp 1.500.000 đồng…",
        "Ông Trần Đức L. (45 tuổi) nói: “Tôi sẽ đi. Mai về.” rồi bỏ đi.",
        "Hết.",
    ]


# -- the budget: the last line of defence --------------------------------------------

ARTICLE = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Ông Nguyễn Văn A cho biết thành phố sẽ mở rộng đường.\n\n" * 50


def test_text_work_over_budget_is_an_input_error_with_advice(monkeypatch):
    monkeypatch.setattr(pipeline, "TEXT_BUDGET_S", 1e-9)
    with pytest.raises(InputError) as caught:
        pipeline.clean_article(ARTICLE, None, None)
    assert caught.value.code == "text-too-complex"
    assert "split it into smaller texts" in str(caught.value) and "plain text" in str(caught.value)
    monkeypatch.setattr(pipeline, "TEXT_BUDGET_S", None)  # off: the same text goes through
    assert pipeline.clean_article(ARTICLE, None, None)[0][0].startswith("Chiều 22/7")


def test_budget_is_checked_inside_the_loops_not_only_between_stages():
    with budget.text_budget(1e-9):
        time.sleep(0.001)
        for fn in (split_sentences, prepare_text, html_to_text, lambda x: parse_html(x)):
            with pytest.raises(budget.TextBudgetExceeded):
                fn(ARTICLE)
    split_sentences(ARTICLE)  # outside a budget nothing is checked


def test_inner_budget_never_extends_the_outer_one():
    with budget.text_budget(1e-9):
        time.sleep(0.001)
        with budget.text_budget(60):
            with pytest.raises(budget.TextBudgetExceeded):
                budget.check()
    with budget.text_budget(60), budget.text_budget(1e-9):
        time.sleep(0.001)
        with pytest.raises(budget.TextBudgetExceeded):
            budget.check()


def test_over_budget_request_is_a_422_problem(tmp_path):
    """TOMTAT_TEXT_BUDGET reaches each request's text work through the runtime's configuration."""
    from models.runtime import Runtime
    from service.app import create_app
    from service.config import Settings
    from tests.helpers import problem

    def client(budget_s: float):
        settings = Settings.from_env({"TOMTAT_TEXT_BUDGET": str(budget_s), "TOMTAT_LOAD_MODELS": "0",
                                      "TOMTAT_DB": str(tmp_path / "db.sqlite3")})
        return create_app(settings, Runtime(settings.runtime_config()).load()).test_client()

    resp = client(1e-9).post("/v1/summarize", json={"text": ARTICLE, "method": "extractive"})
    body = problem(resp, 422)
    assert body["type"].endswith("text-too-complex")
    assert "split it into smaller texts" in body["detail"]
    assert client(2.0).post("/v1/summarize", json={"text": ARTICLE, "method": "extractive"}).status_code == 200
    assert client(0).post("/v1/summarize", json={"text": ARTICLE, "method": "extractive"}).status_code == 200


def test_the_requests_budget_is_the_one_that_counts_inside_the_text_functions():
    """TOMTAT_TEXT_BUDGET=10 must not be cut to the 2 s default by a text function's own budget, and 0 (off)
    must not be bounded by it either."""
    with budget.text_budget(10.0):
        with budget.default_budget(2.0):
            assert budget._deadline.get()[0] - time.monotonic() > 5
    with budget.text_budget(None):
        with budget.default_budget(2.0):
            assert budget._deadline.get()[0] == float("inf")
            budget.check()
    with budget.default_budget(2.0):  # on its own, a text function is bounded by the default
        assert budget._deadline.get()[0] - time.monotonic() <= 2.0
