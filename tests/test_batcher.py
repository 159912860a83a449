"""The cross-request micro-batcher: grouping, bounds, ordering, priorities, deadlines, failures."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from models import batcher as batching
from models import observe
from models.backends import GenerationOptions, load_backend
from models.batcher import DeadlineExceeded, MicroBatcher, Overloaded
from models.profiles import PROFILES
from models.seq2seq import Seq2SeqModel

GREEDY = GenerationOptions(num_beams=1, max_new_tokens=6, min_new_tokens=2)
SENTENCES = [
    "Chiều ngày 22/7, Công an Quận 3 họp báo thông tin về vụ việc.",
    "Giá vàng tăng.",
    "Mưa lớn kéo dài gây ngập úng nhiều tuyến đường ở Thành phố Hồ Chí Minh trong chiều nay.",
    "Hà Nội sẽ mở rộng tuyến đường sắt đô thị.",
    "Đội tuyển bóng đá Việt Nam giành chiến thắng 2-0 trước Thái Lan.",
    "Bộ Y tế khuyến cáo người dân tiêm vắc xin.",
    "Xuất khẩu gạo đạt kỷ lục.",
    "Quốc hội thảo luận về dự án luật đất đai sửa đổi tại phiên họp chiều nay với nhiều ý kiến.",
]


class Recorder:
    """A fake model call: records each batch, echoes the texts upper-cased."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None):
        self.batches: list[list[str]] = []
        self.delay = delay
        self.fail_on = fail_on
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, texts, options):
        self.gate.wait(5)
        self.batches.append(list(texts))
        if self.delay:
            time.sleep(self.delay)
        if self.fail_on and any(self.fail_on in t for t in texts):
            raise RuntimeError("model exploded")
        return [t.upper() for t in texts], sum(len(t) for t in texts)


def make(run, **kw) -> MicroBatcher:
    kw.setdefault("max_wait_ms", 20)
    return MicroBatcher("test", run, **kw)


def test_concurrent_callers_share_batches_and_keep_their_order():
    run = Recorder(delay=0.02)
    b = make(run, max_batch_size=64)
    callers = [[f"c{c} s{i} " + "x" * (i * 3) for i in range(5)] for c in range(8)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda texts: b.run(texts, [len(t) for t in texts], "opts"), callers))
    assert results == [[t.upper() for t in texts] for texts in callers]
    assert len(run.batches) < len(callers)  # units of different callers ran together
    b.close()


def test_batches_respect_size_and_token_bounds_and_group_by_length():
    run = Recorder()
    run.gate.clear()  # hold the inference thread so that everything is queued first
    b = make(run, max_batch_size=4, max_batch_tokens=100, max_wait_ms=0)
    blocker = b.submit(["first"], [1], "o")
    time.sleep(0.05)
    lengths = [5, 50, 6, 48, 7, 45, 8, 40, 9, 30]
    futures = b.submit([f"u{n}" for n in lengths], lengths, "o")
    run.gate.set()
    assert [f.result(5) for f in futures] == [f"U{n}" for n in lengths]
    blocker[0].result(5)
    for batch in run.batches[1:]:
        sizes = [int(t[1:]) for t in batch]
        assert len(batch) <= 4 and max(sizes) * len(batch) <= 100
    # short units went together, long ones together (less padding than arrival order)
    short = {f"u{n}" for n in (5, 6, 7, 8, 9)}
    assert any(set(batch) <= short and len(batch) == 4 for batch in run.batches)
    b.close()


def test_units_with_different_options_never_share_a_batch():
    run = Recorder()
    run.gate.clear()
    b = make(run, max_batch_size=8)
    f1 = b.submit(["a", "b"], [1, 1], "greedy")
    f2 = b.submit(["c", "d"], [1, 1], "beam4")
    run.gate.set()
    assert [f.result(5) for f in f1 + f2] == ["A", "B", "C", "D"]
    assert sorted(map(sorted, run.batches)) == [["a", "b"], ["c", "d"]]
    b.close()


def test_a_failing_batch_fails_only_its_own_units():
    run = Recorder(fail_on="boom")
    run.gate.clear()
    b = make(run, max_batch_size=8)
    bad = b.submit(["boom", "fine too"], [1, 1], "bad-options")
    good = b.submit(["ok 1", "ok 2"], [1, 1], "good-options")
    run.gate.set()
    assert [f.result(5) for f in good] == ["OK 1", "OK 2"]
    for f in bad:
        with pytest.raises(RuntimeError, match="exploded"):
            f.result(5)
    assert b.run(["after"], [1], "good-options") == ["AFTER"]  # the thread survived
    b.close()


def test_interactive_units_overtake_queued_background_units():
    run = Recorder()
    run.gate.clear()
    b = make(run, max_batch_size=2, max_wait_ms=0)
    first = b.submit(["running"], [1], "o")
    time.sleep(0.05)  # the inference thread now holds "running"
    with batching.priority("background"):
        assert batching.current_priority() == batching.BACKGROUND
        background = b.submit(["bg1", "bg2", "bg3", "bg4"], [1] * 4, "o")
    interactive = b.submit(["int1", "int2"], [1, 1], "o")
    run.gate.set()
    for f in first + background + interactive:
        f.result(5)
    order = [t for batch in run.batches for t in batch]
    assert order.index("int1") < order.index("bg1") and order.index("int2") < order.index("bg1")
    assert batching.current_priority() == batching.INTERACTIVE
    b.close()


def test_deadline_and_bounded_queue():
    run = Recorder()
    run.gate.clear()
    b = make(run, max_queue=3, caller_share=3, max_wait_ms=0)  # a caller may fill it (slicing: tests/test_admission.py)
    b.submit(["running"], [1], "o")
    time.sleep(0.05)
    with batching.deadline(0.01):
        late = b.submit(["late"], [1], "o")
    with pytest.raises(Overloaded):
        b.submit(["a", "b", "c"], [1, 1, 1], "o")  # 1 queued + 3 > 3
    time.sleep(0.05)
    run.gate.set()
    with pytest.raises(DeadlineExceeded):
        late[0].result(5)
    b.close()


def test_observers_see_batches_and_queue_depth():
    events = []
    observer = observe.add_observer(lambda event, fields: events.append((event, fields)))
    try:
        b = make(Recorder(), max_batch_size=8)
        b.run(["a", "bb"], [1, 2], "o")
        b.close()
    finally:
        observe.remove_observer(observer)
    batches = [f for e, f in events if e == "batch"]
    assert batches and batches[0]["model"] == "test" and batches[0]["size"] == 2
    assert batches[0]["tokens_in"] == 3 and batches[0]["tokens_out"] == 3 and batches[0]["seconds"] >= 0
    assert any(e == "queue_depth" for e, _ in events)


def test_an_observer_that_raises_does_not_break_inference():
    def bad(event, fields):
        raise ValueError("observer bug")

    observe.add_observer(bad)
    try:
        b = make(Recorder())
        assert b.run(["x"], [1], "o") == ["X"]
        b.close()
    finally:
        observe.remove_observer(bad)


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_greedy_results_identical_with_and_without_batching(replica, backend):
    profile_id = "VietAI/envit5-translation"
    profile = PROFILES[profile_id]
    # fp32: in bf16 (the torch default on AMX CPUs) padding can move logits by a rounding step
    loaded = load_backend(backend, str(replica(profile_id)), profile, device="cpu", threads=1, torch_dtype="fp32")
    one_by_one = Seq2SeqModel(profile_id, profile, loaded, batch_size=1)
    expected = [one_by_one.generate([s], GREEDY)[0] for s in SENTENCES]

    batched = Seq2SeqModel(profile_id, profile, loaded)
    batched.make_batcher(max_batch_size=16, max_wait_ms=30)
    halves = [SENTENCES[:5], SENTENCES[3:]]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda texts: batched.generate(texts, GREEDY), halves))
    assert results == [expected[:5], expected[3:]]
    assert batched.batcher.batches < len(SENTENCES)
    batched.batcher.close()


def test_runtime_models_are_batched(tiny_runtime):
    for model in (tiny_runtime.summary_model, tiny_runtime.translation_model):
        assert model.batcher is not None
        assert model.describe()["batching"] is True


def test_torch_beam_batches_are_capped(replica):
    from models.backends.torch_backend import MAX_BEAM_BATCH

    profile = PROFILES["VietAI/vit5-base-vietnews-summarization"]
    torch_backend = load_backend("torch", str(replica(profile.id)), profile, device="cpu", threads=1)
    assert torch_backend.max_batch(GenerationOptions(num_beams=4), 16) == MAX_BEAM_BATCH
    assert torch_backend.max_batch(GenerationOptions(num_beams=1), 16) == 16


def _announced_then_submits(b: MicroBatcher, text: str, prepare_s: float, submit: bool = True):
    with b.announce():
        time.sleep(prepare_s)  # cleaning, the language check... before the model call
        return b.run([text], [1], "o") if submit else None


def test_a_batch_waits_for_announced_callers_beyond_max_wait():
    run = Recorder()
    b = make(run, max_wait_ms=0, announced_wait_ms=3000)
    with ThreadPoolExecutor(2) as pool:
        late = pool.submit(_announced_then_submits, b, "late", 0.3)
        time.sleep(0.05)  # the other caller is announced before this one submits
        started = time.monotonic()
        assert b.run(["early"], [1], "o") == ["EARLY"]
        waited = time.monotonic() - started
        assert late.result() == ["LATE"]
    assert run.batches == [["early", "late"]]  # one batch, not "early" alone and then "late"
    assert 0.2 < waited < 2.5  # it waited for the announced caller, and only until it arrived
    assert b.announced == 0
    b.close()


def test_a_lone_caller_does_not_wait_for_announcements():
    run = Recorder()
    b = make(run, max_wait_ms=0, announced_wait_ms=3000)
    started = time.monotonic()
    assert _announced_then_submits(b, "alone", 0.0) == ["ALONE"]  # its own announcement ends as it submits
    assert time.monotonic() - started < 1.0
    b.close()


def test_an_announced_caller_that_does_not_submit_stops_the_wait_when_it_leaves():
    run = Recorder()
    b = make(run, max_wait_ms=0, announced_wait_ms=3000)
    with ThreadPoolExecutor(1) as pool:
        gone = pool.submit(_announced_then_submits, b, "never", 0.3, False)  # e.g. a cache hit
        time.sleep(0.05)
        started = time.monotonic()
        assert b.run(["early"], [1], "o") == ["EARLY"]
        assert time.monotonic() - started < 2.0  # released when the caller left, not after 3 s
        gone.result()
    assert b.announced == 0 and run.batches == [["early"]]
    b.close()


def test_the_pipeline_announces_and_leaves_no_announcement_behind(tiny_runtime, monkeypatch):
    from models import pipeline

    seen = []  # (model, callers announced) at each submission: the submitting caller counts itself
    for model in (tiny_runtime.summary_model, tiny_runtime.translation_model):
        original = model.batcher.submit
        monkeypatch.setattr(model.batcher, "submit", lambda *a, _b=model.batcher, _o=original, **kw: (
            seen.append((_b.name, _b.announced)), _o(*a, **kw))[1])
    text = " ".join(SENTENCES)
    fast = pipeline.GenerationOverrides(max_new_tokens=4, num_beams=1)
    summary = pipeline.SummaryOptions(method="abstractive", generation=fast)
    pipeline.process_article(tiny_runtime, text + " Bài một.", summary=summary, translation=fast)
    pipeline.translate(tiny_runtime, [text + " Bài hai."], generation=fast)
    summarizer, translator = tiny_runtime.summary_model.batcher.name, tiny_runtime.translation_model.batcher.name
    assert (summarizer, 1) in seen  # process_article announced itself to the summarizer
    assert seen[-1] == (translator, 1)  # translate announced itself to the translator
    pipeline.process_article(tiny_runtime, text, summary=pipeline.SummaryOptions(method="extractive"),
                             translation=fast)  # announces nothing to the summarizer it does not call
    pipeline.process_article(tiny_runtime, text + " Bài một.", summary=summary, translation=fast)  # cache hit
    assert tiny_runtime.summary_model.batcher.announced == 0
    assert tiny_runtime.translation_model.batcher.announced == 0
