"""Bounded work per request in the model layer: fair turns between callers, per-caller slices of the
queue, admission by estimated wait (refused at once, with retry_after), background work that never
pushes interactive work out, cancellation of a gone client's units, and generation length that
follows the input."""

from __future__ import annotations

import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from models import batcher as batching
from models.backends import GenerationOptions
from models.batcher import Cancelled, DeadlineExceeded, MicroBatcher, Overloaded
from models.errors import InputError
from models.seq2seq import LENGTH_STEPS, ScaledOptions
from service.priority import DisconnectWatcher


class FakeModel:
    """A fake model call: ``per_batch`` seconds per batch, echoes upper-cased, records batches;
    ``gate`` holds the inference thread (closed: nothing runs)."""

    def __init__(self, per_batch: float = 0.0, probe=None):
        self.per_batch = per_batch
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.probe = probe

    def __call__(self, texts, options):
        assert self.gate.wait(10), "gate never opened"
        self.batches.append(list(texts))
        if self.probe is not None:
            self.probe()
        if self.per_batch:
            time.sleep(self.per_batch)
        return [t.upper() for t in texts], len(texts)


def make(run, **kw) -> MicroBatcher:
    kw.setdefault("max_wait_ms", 0)
    return MicroBatcher("test", run, **kw)


def warm(b: MicroBatcher, run: FakeModel, seconds: float, tokens: int) -> None:
    """Run one batch of ``tokens`` input tokens taking ``seconds``: the batcher's throughput estimate."""
    run.per_batch, before = seconds, b.seconds_per_token()
    with batching.caller("warm-up"):
        b.run(["w"], [tokens], "o")
    run.per_batch = 0.0
    assert before is None and b.seconds_per_token() >= seconds / tokens


def until(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


# -- fairness -----------------------------------------------------------------------------------

def test_a_small_request_after_a_huge_one_finishes_long_before_it():
    run = FakeModel(per_batch=0.005)
    b = make(run, max_batch_size=16, max_queue=4096)
    huge = [f"h{i}" for i in range(4000)]
    with ThreadPoolExecutor(2) as pool:
        with batching.caller("key:big"):
            big = pool.submit(lambda: b.run(huge, [10] * len(huge), "o"))
        until(lambda: len(run.batches) >= 3)  # the huge request is being served
        started = time.monotonic()
        with batching.caller("key:small"):
            assert b.run(["one sentence"], [10], "o") == ["ONE SENTENCE"]
        small_latency = time.monotonic() - started
        done_before_small = sum(len(batch) for batch in run.batches if "one sentence" not in batch)
        assert big.result(60) == [t.upper() for t in huge]  # the huge one still completes, in order
    position = next(i for i, batch in enumerate(run.batches) if "one sentence" in batch)
    assert done_before_small < 200  # it ran within a few batches, not after ~4,000 sentences
    assert position < 20 and small_latency < 5.0
    b.close()


def test_callers_take_turns_within_a_batch():
    run = FakeModel()
    run.gate.clear()
    b = make(run, max_batch_size=4)
    with batching.caller("hold"):
        b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)  # the inference thread holds "hold"
    with batching.caller("key:a"):
        a = b.submit([f"a{i}" for i in range(8)], [5] * 8, "o")
    with batching.caller("key:b"):
        bb = b.submit(["b0", "b1"], [5, 5], "o")
    run.gate.set()
    for f in a + bb:
        f.result(5)
    first = run.batches[1]
    assert {"b0", "b1"} <= set(first)  # b's two units share a's first batch instead of waiting for all 8
    b.close()


def test_a_request_with_other_options_is_not_starved_either():
    run = FakeModel(per_batch=0.002)
    run.gate.clear()
    b = make(run, max_batch_size=4)
    b.submit(["hold"], [1], "greedy")
    until(lambda: b.depth() == 0)
    with batching.caller("key:big"):
        big = b.submit([f"h{i}" for i in range(200)], [5] * 200, "greedy")
    with batching.caller("key:beams"):
        other = b.submit(["beam search"], [5], "beam4")  # can never share the big request's batches
    run.gate.set()
    assert other[0].result(10) == "BEAM SEARCH"
    position = next(i for i, batch in enumerate(run.batches) if "beam search" in batch)
    assert position <= 2  # the next seed after one batch of the big request, not after its 50 batches
    for f in big:
        f.result(10)
    b.close()


def test_the_same_identity_is_one_caller_and_anonymous_submissions_are_separate():
    b = make(FakeModel(), max_queue=40, caller_share=5)
    run = b._run
    run.gate.clear()
    b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)
    with batching.caller("key:x"):
        b.submit(["x"] * 4, [1] * 4, "o")
        b.submit(["y"] * 4, [1] * 4, "o")
    b.submit(["z"] * 4, [1] * 4, "o")
    b.submit(["w"] * 4, [1] * 4, "o")
    held = b.held()
    assert held["key:x"] == 5  # two submissions of one key share its share of the queue
    assert sorted(v for k, v in held.items() if k != "key:x") == [4, 4]
    assert b.pending() == 16
    run.gate.set()
    until(lambda: b.pending() == 0)
    b.close()


# -- per-request slices and the hard cap -----------------------------------------------------------

def test_a_huge_request_is_served_in_slices_and_never_holds_more_than_its_share():
    seen = []
    b = None

    def probe():
        seen.append((b.held().get("key:big", 0), b.depth()))

    run = FakeModel(per_batch=0.002, probe=probe)
    b = make(run, max_batch_size=8, max_queue=64, max_request_units=1000)  # share: 64 // 4 = 16
    assert b.caller_share == 16
    run.gate.clear()
    b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)  # the inference thread holds "hold": nothing else starts yet
    texts = [f"s{i}" for i in range(300)]  # more than the whole queue
    with batching.caller("key:big"):
        futures = b.submit(texts, [3] * len(texts), "o")
    assert b.held()["key:big"] == 16 and b.pending() == 300
    with batching.caller("key:other"):  # the queue still has room for others
        others = b.submit([f"o{i}" for i in range(40)], [3] * 40, "o")
    run.gate.set()
    assert [f.result(30) for f in futures] == [t.upper() for t in texts]
    assert [f.result(30) for f in others] == [f"O{i}" for i in range(40)]
    assert seen and max(held for held, _ in seen) <= 16
    assert max(depth for _, depth in seen) <= 64
    b.close()


def test_more_units_than_the_hard_cap_is_a_clear_input_error():
    b = make(FakeModel(), max_queue=64, max_request_units=100)
    with pytest.raises(InputError, match="split the text") as info:
        b.submit(["x"] * 101, [1] * 101, "o")
    assert info.value.code == "too-many-units" and info.value.extra["limit"] == 100
    assert b.pending() == 0
    assert b.run(["x"] * 100, [1] * 100, "o") == ["X"] * 100  # at the cap: served
    b.close()


# -- admission by time ----------------------------------------------------------------------------

def test_a_unit_that_cannot_start_in_time_is_refused_at_once_with_retry_after():
    run = FakeModel()
    b = make(run, max_batch_size=16, max_queue=100_000, caller_share=100_000)
    warm(b, run, 0.1, 10)  # 0.01 s per token (at least)
    run.gate.clear()
    with batching.caller("hold"):
        b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)
    with batching.deadline(None):  # others' work, waiting for as long as it takes
        for c in range(20):
            with batching.caller(f"key:{c}"):
                b.submit([f"c{c}"] * 50, [10] * 50, "o")  # each caller: 5 s of model time
    queued = b.pending()
    with batching.caller("key:late"), batching.deadline(0.5):
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as info:
            b.submit(["late"] * 5, [10] * 5, "o")  # 5 turns behind 20 callers: ~10 s > 0.5 s
        refused_in = time.monotonic() - started
    assert refused_in < 0.1
    assert info.value.retry_after is not None and info.value.retry_after > 0
    assert "Retry-After" in info.value.how_to_fix or "retry" in info.value.how_to_fix
    assert b.pending() == queued  # nothing of the refused request was queued
    with batching.caller("key:patient"), batching.deadline(3600):
        patient = b.submit(["p"] * 5, [10] * 5, "o")  # the same work with a long enough deadline: admitted
    assert b.pending() == queued + 5
    for f in patient:
        f.cancel()
    run.gate.set()
    b.close()


def test_a_request_too_big_for_its_deadline_even_on_an_idle_model_says_to_split_it():
    run = FakeModel()
    b = make(run, max_queue=100_000, caller_share=100_000)
    warm(b, run, 0.1, 10)
    with batching.deadline(0.5), pytest.raises(DeadlineExceeded) as info:
        b.submit(["x"] * 200, [10] * 200, "o")  # about 20 s of model time alone
    assert "split the text" in info.value.how_to_fix
    assert float(re.search(r"needs about ([\d.]+) s", info.value.reason).group(1)) >= 19
    with batching.deadline(5.0):
        assert b.run(["x"], [10], "o") == ["X"]  # a small one on the idle model is admitted
    b.close()


def test_a_full_queue_refuses_interactive_work_at_once_with_retry_after():
    run = FakeModel()
    b = make(run, max_queue=10, caller_share=10)
    warm(b, run, 0.05, 10)
    run.gate.clear()
    b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)
    b.submit(["a"] * 8, [10] * 8, "o")
    started = time.monotonic()
    with pytest.raises(Overloaded) as info:
        b.submit(["b"] * 3, [10] * 3, "o")
    assert time.monotonic() - started < 0.1
    assert info.value.retry_after is not None and info.value.retry_after > 0
    run.gate.set()
    b.close()


# -- background work --------------------------------------------------------------------------------

def test_background_work_never_pushes_interactive_work_out():
    run = FakeModel()
    b = make(run, max_batch_size=4, max_queue=20, caller_share=20)
    warm(b, run, 0.1, 10)  # 0.01 s per token
    run.gate.clear()
    b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)
    with batching.priority("background"):
        background = [b.submit([f"bg{j}-{i}" for i in range(50)], [10] * 50, "o") for j in range(3)]
    assert b.depth() == 20 and b.pending() == 150  # admitted only while there is room, the rest waits
    with batching.deadline(1.0):  # 150 background units = 15 s of model time; they do not count
        interactive = b.submit([f"int{i}" for i in range(10)], [10] * 10, "o")
    assert b.depth() == 30
    with batching.priority("background"):  # and background work is not refused: it waits its turn
        late_background = b.submit(["bg-late"], [10], "o")
    run.gate.set()
    assert [f.result(10) for f in interactive] == [f"INT{i}" for i in range(10)]
    for futures in background + [late_background]:
        for f in futures:
            f.result(30)
    order = [t for batch in run.batches for t in batch]
    first_background = min(i for i, t in enumerate(order) if t.startswith("bg"))
    assert max(order.index(f"int{i}") for i in range(10)) < first_background
    b.close()


# -- cancellation -------------------------------------------------------------------------------------

def test_cancelling_drops_the_queued_units_of_a_gone_client_at_once():
    run = FakeModel()
    run.gate.clear()
    b = make(run, max_queue=64)  # share 16: the request is partly in its backlog
    b.submit(["hold"], [1], "o")
    until(lambda: b.depth() == 0)
    token = batching.CancelToken()
    errors = []

    def gone_client():
        with batching.cancellation(token):
            try:
                b.run([f"gone{i}" for i in range(40)], [1] * 40, "o")
            except Cancelled as exc:
                errors.append(exc)

    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(gone_client)
        until(lambda: b.pending() == 40)
        kept = b.submit(["kept"], [1], "o")
        started = time.monotonic()
        token.cancel()  # while the model is still busy with "hold"
        waiting.result(5)
        assert time.monotonic() - started < 1.0
    assert len(errors) == 1 and b.pending() == 1  # queue and backlog emptied of the gone client's units
    run.gate.set()
    assert kept[0].result(5) == "KEPT"
    assert not any(t.startswith("gone") for batch in run.batches for t in batch)
    with batching.cancellation(token):
        assert batching.cancelled()
        with pytest.raises(Cancelled):
            b.submit(["after"], [1], "o")  # a cancelled request submits nothing more
    assert not batching.cancelled()
    b.close()


def test_the_disconnect_watcher_fires_when_the_client_closes_and_not_before():
    server, client = socket.socketpair()
    watcher = DisconnectWatcher(interval=0.02)
    token = batching.CancelToken()
    try:
        client.sendall(b"more request bytes")  # readable, but not closed
        assert watcher.watch({"gunicorn.socket": server}, token)
        time.sleep(0.2)
        assert not token.cancelled
        server.recv(100)
        client.close()
        until(lambda: token.cancelled, 5)
        assert watcher.watching() == 0
        assert not watcher.watch({}, batching.CancelToken())  # no socket: nothing to watch
    finally:
        server.close()


def test_requests_bind_caller_deadline_and_cancel_token(tiny_runtime, monkeypatch):
    from service.app import create_app
    from service.config import Settings

    app = create_app(Settings(load_models=False), runtime=tiny_runtime)
    seen = []
    model = tiny_runtime.translation_model
    original = model.batcher.submit
    monkeypatch.setattr(model.batcher, "submit", lambda *a, **kw: (seen.append(
        (batching.current_caller(), batching.current_deadline(), batching.current_cancel_token())), original(*a, **kw))[1])
    started = time.monotonic()
    resp = app.test_client().post("/v1/translate", json={"text": "Giá vàng hôm nay tăng mạnh ở Hà Nội.",
                                                           "max_new_tokens": 4})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert seen, "the model was not called"
    identity, until_, token = seen[0]
    assert identity.startswith(("ip:", "key:"))
    assert until_ is not None and started < until_ <= time.monotonic() + 120.0  # TOMTAT_QUEUE_TIMEOUT from the start
    assert isinstance(token, batching.CancelToken) and not token.cancelled
    assert batching.current_caller() is None and batching.current_deadline() is None  # nothing leaks out


# -- generation length follows the input ----------------------------------------------------------------

def test_scaled_limits_follow_the_input_and_stay_under_the_ceiling():
    options = ScaledOptions(max_new_tokens=256, min_new_tokens=300, ratio=2.0, extra=16)
    assert options.limit(5) == 32 and options.limit(20) == 64 and options.limit(1000) == 256
    plain = options.for_input(5)
    assert type(plain) is GenerationOptions and plain.max_new_tokens == 32 and plain.min_new_tokens == 32
    assert all(options.limit(n) >= min(256, 2 * n + 16) for n in range(1, 300))
    assert options.limit(7) == options.limit(8)  # close lengths share a step (and a batch)
    assert set(options.limit(n) for n in range(1, 300)) <= set(LENGTH_STEPS)


def test_default_max_new_tokens_scales_with_each_units_input(tiny_runtime, monkeypatch):
    model = tiny_runtime.translation_model
    calls = []
    original = model.backend.generate_ids

    def recording(batch, options):
        rows, count = original(batch, options)
        calls.extend((len(ids), options.max_new_tokens, row) for ids, row in zip(batch, rows))
        return rows, count

    monkeypatch.setattr(model.backend, "generate_ids", recording)
    short = "Giá vàng tăng."
    long = " ".join(["Hà Nội sẽ mở rộng tuyến đường sắt đô thị trong năm tới"] * 2) + "."
    options = model.defaults(num_beams=1)
    assert isinstance(options, ScaledOptions) and options.max_new_tokens == model.profile.generation.max_new_tokens
    model.generate([short, long], options)
    limits = {n: limit for n, limit, _ in calls}
    ceiling = model.profile.generation.max_new_tokens
    for n, limit in limits.items():
        assert min(ceiling, 2 * n + 16) <= limit < ceiling  # bounded by the input, not the server maximum
        assert limit <= max(LENGTH_STEPS[0], 3 * n + 24)
    assert len(set(limits.values())) == 2  # the long sentence may generate more than the short one
    for n, limit, row in calls:
        assert len(row) <= limit + 2  # the decoder start (and a forced token) aside, no more than allowed
    calls.clear()
    model.generate([short], model.defaults(num_beams=1, max_new_tokens=200))  # explicit: used as given
    assert [limit for _, limit, _ in calls] == [200]


def test_summaries_of_short_texts_do_not_get_the_full_length(tiny_runtime, monkeypatch):
    model = tiny_runtime.summary_model
    limits = []
    original = model.backend.generate_ids
    monkeypatch.setattr(model.backend, "generate_ids", lambda batch, options: (
        limits.extend((len(ids), options.max_new_tokens) for ids in batch), original(batch, options))[1])
    text = "Giá vàng hôm nay tăng mạnh ở Hà Nội và Thành phố Hồ Chí Minh."
    model.generate([text], model.defaults(num_beams=1))
    (n, limit), = limits
    assert n < 40 and limit <= 64 < model.profile.generation.max_new_tokens  # 1x input + 16, stepped


# -- the watcher under gunicorn's gthread worker, as deployed ----------------------------------------

def make_disconnect_app():
    """An app with the service's request hooks and one route that waits for its request's cancellation
    (``TOMTAT_TEST_RESULT``: where it writes what it saw)."""
    import os

    from flask import Flask

    from service.priority import Priority

    app = Flask(__name__)
    Priority().install(app)

    @app.post("/v1/wait")
    def wait():
        started = time.monotonic()
        while time.monotonic() - started < 5:
            if batching.cancelled():
                break
            time.sleep(0.01)
        seen = "cancelled" if batching.cancelled() else "not cancelled"
        with open(os.environ["TOMTAT_TEST_RESULT"], "w") as out:
            out.write(f"{seen} {time.monotonic() - started:.2f} {batching.current_caller()}")
        return seen

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def test_a_client_that_disconnects_under_gunicorn_cancels_its_request(tmp_path):
    import os
    import subprocess
    import sys

    from tests.helpers import free_port, wait_healthy

    port, result = free_port(), tmp_path / "seen.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "2", "-w", "1", "-b", f"127.0.0.1:{port}",
         "tests.test_admission:make_disconnect_app()"],
        env=os.environ | {"TOMTAT_TEST_RESULT": str(result)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    request = b"POST /v1/wait HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        with socket.create_connection(("127.0.0.1", port)) as client:  # stays: answered, never cancelled
            client.sendall(request)
            client.settimeout(20)
            assert client.recv(100).startswith(b"HTTP/1.1 200")
        until(result.exists, 10)
        assert result.read_text().startswith("not cancelled")
        result.unlink()
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(request)
        time.sleep(0.3)
        client.close()  # gone before the answer
        until(result.exists, 10)
        seen, after, identity = result.read_text().split()
        assert seen == "cancelled" and float(after) < 3.0 and identity == "ip:127.0.0.1"
    finally:
        proc.terminate()
        proc.wait(10)
