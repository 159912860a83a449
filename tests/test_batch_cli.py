"""``tomtat batch``: readers, bad rows, resume after SIGKILL, progress, the tiny models through the same path.

Run as a user runs it: a subprocess of the CLI (``python -m service.cli batch``).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.test_cli import SUMMARY_OUT_OF_BOUNDS, tiny_env

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--method", "extractive", "--translate", "none"]

ENTRY = ["-m", "service.cli", "batch"]


def batch(*args, env=None, stdin=None, timeout=180):
    return subprocess.run([sys.executable, *ENTRY, *map(str, args)], cwd=ROOT, input=stdin, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def article(i: int, seed: str) -> dict:
    return {"id": f"a{i:05d}", "title": f"Tin số {i}", "text": f"Bản tin số {i}. " + seed[:600], "n": i}


def write_jsonl(path: Path, items) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def test_jsonl_every_bad_row_becomes_an_error_row(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as f:
        f.write(json.dumps({"id": "ok1", "text": seed_article[:2500], "source": "x"}, ensure_ascii=False).encode() + b"\n")
        f.write(b'{"id": "broken", "text": "no closing brace"\n')                      # invalid JSON
        f.write(b'{"id": "notext", "title": "t"}\n')                                     # missing text
        f.write(b'{"id": "empty", "text": "   "}\n')                                     # empty text
        f.write(json.dumps({"id": "long", "text": "Câu dài. " * 400}, ensure_ascii=False).encode() + b"\n")  # too long
        f.write(b'{"id": "bytes", "text": "Xin ch\xe0o"}\n')                             # not UTF-8
        f.write(b'[1, 2]\n')                                                             # not an object
        f.write(b'{"id": "debris", "text": "leftcenterrightdel"}\n')                     # nothing left after cleaning
        f.write(b"\n")                                                                   # blank: ignored
        f.write(json.dumps({"id": "ok1", "text": "Trùng mã. Bài khác."}, ensure_ascii=False).encode() + b"\n")  # dup
        f.write(json.dumps({"id": 7, "text": "Mã là số. Vẫn được."}, ensure_ascii=False).encode() + b"\n")
        f.write(json.dumps({"text": "Không có mã. Dùng số dòng."}, ensure_ascii=False).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    result = batch(src, "-o", out, *FAST, "--max-chars", 3000)
    assert result.returncode == 0, result.stderr
    by_id = {r["id"]: r for r in rows(out)}
    assert len(by_id) == len(rows(out)) == 10
    assert {rid: r.get("error") for rid, r in by_id.items()} == {
        "ok1": None, "in.jsonl:2": "invalid_json", "notext": "missing_text", "empty": "empty_text",
        "long": "too_long", "in.jsonl:6": "undecodable", "in.jsonl:7": "invalid_row", "debris": "invalid_input",
        "7": None, "in.jsonl:12": None,
    }
    assert by_id["in.jsonl:2"]["error"] == "invalid_json" and "line 2" in by_id["in.jsonl:2"]["reason"]
    assert by_id["notext"]["error"] == "missing_text" and by_id["notext"]["reason"]
    assert by_id["empty"]["error"] == "empty_text"
    assert by_id["long"]["error"] == "too_long" and "3000" in by_id["long"]["reason"]
    assert by_id["in.jsonl:6"]["error"] == "undecodable"
    assert by_id["in.jsonl:7"]["error"] == "invalid_row"
    assert by_id["debris"]["error"] == "invalid_input"
    ok = by_id["ok1"]
    assert ok["summary_vi"] and ok["summary_en"] is None and ok["models"] == {"summary": "extractive"}
    assert ok["source"] == "x" and "leftcenterrightdel" not in ok["summary_vi"] and "error" not in ok
    assert by_id["7"]["summary_vi"] and by_id["in.jsonl:12"]["summary_vi"]
    stderr = result.stderr.decode()
    assert "duplicate id 'ok1'" in stderr and "1 duplicate ids" in stderr
    assert "3 done, 7 failed, 0 skipped" in stderr and "articles/s" in stderr


def test_fail_fast_stops_without_writing_the_bad_row(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article), {"id": "bad", "text": ""}, article(3, seed_article)])
    out = tmp_path / "out.jsonl"
    result = batch(src, "-o", out, *FAST, "--fail-fast")
    assert result.returncode == 1 and b"--fail-fast" in result.stderr and b"bad" in result.stderr
    assert [r["id"] for r in rows(out)] == ["a00001"]


def test_csv_directory_and_stdin(tmp_path, seed_article):
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text", "section"])
        writer.writerow(["c1", "Tiêu đề", seed_article, "xã hội"])  # multi-line quoted field
        writer.writerow(["c2", "", "", "x"])
        writer.writerow(["007", "", "Mã giữ nguyên. Không thành số.", "y"])
    out = tmp_path / "csv.jsonl"
    assert batch(src, "-o", out, *FAST).returncode == 0
    got = {r["id"]: r for r in rows(out)}
    assert set(got) == {"c1", "c2", "007"} and got["c1"]["section"] == "xã hội" and got["c2"]["error"] == "empty_text"

    docs = tmp_path / "docs"
    (docs / "2024").mkdir(parents=True)
    (docs / "a.txt").write_text(seed_article, encoding="utf-8")
    (docs / "2024" / "b.html").write_text("<html><body><p>Hà Nội mưa to.</p><p>Đường ngập.</p></body></html>",
                                          encoding="utf-8")
    (docs / "2024" / "c.txt").write_bytes(b"\xff\xfe bad")
    (docs / "notes.md").write_text("ignored", encoding="utf-8")
    out = tmp_path / "dir.jsonl"
    assert batch(docs, "-o", out, *FAST).returncode == 0
    got = {r["id"]: r for r in rows(out)}
    assert set(got) == {"a.txt", "2024/b.html", "2024/c.txt"}
    assert got["2024/c.txt"]["error"] == "undecodable" and "<p>" not in got["2024/b.html"]["summary_vi"]

    stdin = "\n".join(json.dumps(article(i, seed_article), ensure_ascii=False) for i in range(3)).encode()
    result = batch("-", "-o", "-", *FAST, stdin=stdin)
    assert result.returncode == 0
    assert sorted(json.loads(line)["id"] for line in result.stdout.decode().splitlines()) == \
        ["a00000", "a00001", "a00002"]  # order of completion


def test_plain_progress_and_summary_when_not_a_tty(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, (article(i, seed_article) for i in range(40)))
    result = batch(src, "-o", tmp_path / "out.jsonl", *FAST, "--progress-interval", "0", "--workers", "1")
    assert result.returncode == 0
    lines = result.stderr.decode().splitlines()
    assert any(line.startswith("tomtat batch: ") and "/40 (" in line and "ETA" in line for line in lines)
    assert "40 done, 0 failed, 0 skipped" in lines[-1]


def test_resume_skips_done_and_repairs_a_torn_last_line(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    items = [article(i, seed_article) for i in range(30)]
    write_jsonl(src, items[:10])
    out = tmp_path / "out.jsonl"
    assert batch(src, "-o", out, *FAST).returncode == 0
    with open(out, "ab") as handle:
        handle.write(b'{"id": "a00010", "summary_vi": "half wri')  # a crash in the middle of a write
    write_jsonl(src, items)
    result = batch(src, "-o", out, *FAST)
    assert result.returncode == 0
    assert b"half-written last line" in result.stderr and b"10 skipped" in result.stderr
    ids = [r["id"] for r in rows(out)]  # rows() fails on any torn line
    assert sorted(ids) == [it["id"] for it in items] and len(set(ids)) == 30


def test_retry_failed_redoes_error_rows(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article), {"id": "b", "text": "x" * 50 + ". Câu hai."}])
    out = tmp_path / "out.jsonl"
    assert batch(src, "-o", out, *FAST, "--max-chars", 40).returncode == 0
    assert {r["id"]: r.get("error") for r in rows(out)} == {"a00001": "too_long", "b": "too_long"}
    assert batch(src, "-o", out, *FAST, "--retry-failed").returncode == 0
    assert {r["id"]: r.get("error") for r in rows(out)} == {"a00001": None, "b": None}


@pytest.mark.slow
def test_sigkill_then_rerun_gives_every_id_exactly_once(tmp_path, seed_article):
    n = 600
    src = tmp_path / "in.jsonl"
    write_jsonl(src, (article(i, seed_article) for i in range(n)))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, *ENTRY, str(src), "-o", str(out), *FAST, "--workers", "2",
                             "--fsync-interval", "0.2", "--progress", "none"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not (out.exists() and out.read_bytes().count(b"\n") >= 60):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = out.read_bytes().count(b"\n")
    assert 60 <= before < n, "the run should have been killed in the middle"
    with open(out, "ab") as handle:  # what a kill inside write() (or a power cut) leaves behind
        handle.write('{"id": "a00599", "summary_vi": "Bản tin'.encode()[:-1])  # cut inside a UTF-8 sequence
    result = batch(src, "-o", out, *FAST, "--workers", "2", "--progress", "none")
    assert result.returncode == 0, result.stderr
    assert b"half-written last line" in result.stderr
    counts = Counter(r["id"] for r in rows(out))
    assert len(counts) == n and set(counts.values()) == {1}
    stats = json.loads(result.stderr.decode().strip().splitlines()[-1])
    assert stats["skipped"] == before and stats["done"] == n - before


def test_tiny_models_summarize_and_translate_both(tmp_path, replica, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(i, seed_article) for i in range(3)])
    out = tmp_path / "out.jsonl"
    result = batch(src, "-o", out, "--translate", "both", "--method", "abstractive", "--max-new-tokens", 4,
                   "--num-beams", 1, "--batch-size", 4, env=tiny_env(replica))
    assert result.returncode == 0, result.stderr
    got = rows(out)
    assert sorted(r["id"] for r in got) == ["a00000", "a00001", "a00002"]
    for row in got:
        assert "error" not in row and row["summary_vi"] is not None and row["summary_en"] is not None
        assert row["translation_en"] is not None
        assert set(row["models"]) == {"summary", "translation"} and row["models"]["summary"] != "extractive"


def test_missing_translation_model_exits_3_before_work(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article)])
    result = batch(src, "-o", tmp_path / "out.jsonl", "--method", "extractive", env={"TOMTAT_LOAD_MODELS": "0"})
    assert result.returncode == 3 and b"--translate none" in result.stderr and b"Traceback" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
    missing = batch(tmp_path / "nope.jsonl", "-o", tmp_path / "o.jsonl", *FAST)
    assert missing.returncode == 1 and b"no such file" in missing.stderr.lower()


def test_csv_unclosed_quote_fails_one_row_and_the_rest_is_read(tmp_path):
    src = tmp_path / "in.csv"
    rows_after = [f"e{i:04d},Tin số {i}. Mưa to ở Hà Nội." for i in range(3000)]  # ~120,000 characters
    src.write_text("\n".join(["id,text", "a,Một câu. Hai câu.", 'b,"trích dẫn không đóng. Câu hai.',
                              "c,Ba câu. Bốn câu.", *rows_after]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = batch(src, "-o", out, *FAST, "--max-chars", 1000)  # rows are bounded at 2 x 1000 + 65,536
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    got = {r["id"]: r for r in rows(out)}
    assert got["in.csv:3"]["error"] == "invalid_csv" and "line 3" in got["in.csv:3"]["reason"]
    assert "unclosed quote" in got["in.csv:3"]["reason"]
    assert {"a", "c"} <= set(got) and sum(k.startswith("e") for k in got) == 3000  # nothing after it is lost
    assert all(r.get("error") is None for k, r in got.items() if k != "in.csv:3")

    again = batch(src, "-o", out, *FAST, "--max-chars", 1000)  # resumable: the same ids, all done already
    assert again.returncode == 0 and b"3003 skipped" in again.stderr, again.stderr.decode()[-500:]
    assert len(rows(out)) == len(got) == 3003


def test_csv_rows_are_bounded_in_memory():
    import io
    import tracemalloc

    from service.batch.records import iter_csv

    huge = 'x,"' + "không đóng " * 500_000  # one 5.5 M-character physical line, no newline, no closing quote
    data = ("id,text\nfirst,Một. Hai.\n" + huge + "\nlast,Ba. Bốn.\n").encode()
    tracemalloc.start()
    try:
        got = [(r.id, r.error) for r in iter_csv(io.BytesIO(data), "big.csv", 1000, max_row_chars=10_000)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == [("first", None), ("big.csv:3", "invalid_csv"), ("last", None)]
    assert peak < 1_000_000  # the row is cut at 10,000 characters, not read whole


def test_jsonl_lines_are_bounded_in_memory():
    import io
    import tracemalloc

    from service.batch.records import iter_jsonl

    data = b'{"id": "first", "text": "Mot. Hai."}\n{"id": "huge", "text": "' + b"x" * 5_000_000 + \
        b'"}\n{"id": "last", "text": "Ba. Bon."}\n'
    tracemalloc.start()
    try:
        got = [(r.id, r.error) for r in iter_jsonl(io.BytesIO(data), "big.jsonl", 1000)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == [("first", None), ("big.jsonl:2", "too_long"), ("last", None)]
    assert peak < 1_000_000



@pytest.mark.parametrize("args, option, bound", SUMMARY_OUT_OF_BOUNDS + [
    (["--num-beams", "0"], "--num-beams", "at least 1"),
    (["--num-beams", "100"], "--num-beams", "at most 8 (TOMTAT_MAX_BEAMS)"),
    (["--max-new-tokens", "-5"], "--max-new-tokens", "at least 1"),
    (["--max-new-tokens", "0"], "--max-new-tokens", "at least 1"),
    (["--max-new-tokens", "513"], "--max-new-tokens", "at most 512 (TOMTAT_MAX_NEW_TOKENS)"),
    (["--workers", "-3"], "--workers", "at least 1"),
    (["--workers", "0"], "--workers", "at least 1"),
    (["--max-chars", "-1"], "--max-chars", "at least 1"),
    (["--max-chars", "0"], "--max-chars", "at least 1"),
    (["--batch-size", "0"], "--batch-size", "at least 1"),
    (["--fsync-interval", "-1"], "--fsync-interval", "at least 0"),
    (["--progress-interval", "nan"], "--progress-interval", "at least 0"),
    (["--ray-actors", "0"], "--ray-actors", "at least 1"),
])
def test_options_outside_the_http_apis_bounds_are_usage_errors(tmp_path, seed_article, args, option, bound):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article)])
    out = tmp_path / "out.jsonl"
    result = batch(src, "-o", out, *FAST, *args)
    err = result.stderr.decode()
    assert result.returncode == 2 and err.startswith("usage: tomtat batch") and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("tomtat batch: error: argument " + option) and bound in last and args[-1] in last, last
    assert not out.exists()  # nothing ran: no row with an empty summary marked done


def test_generation_bounds_follow_the_servers_settings(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article)])
    out = tmp_path / "out.jsonl"
    low = batch(src, "-o", out, *FAST, "--num-beams", 3, "--max-new-tokens", 64,
                env={"TOMTAT_MAX_BEAMS": "2", "TOMTAT_MAX_NEW_TOKENS": "100"})
    assert low.returncode == 2 and b"--num-beams: must be at most 2 (TOMTAT_MAX_BEAMS), got 3" in low.stderr
    assert not out.exists()
    edges = batch(src, "-o", out, *FAST, "--max-sentences", 50, "--max-words", 5, "--num-beams", 8,
                  "--max-new-tokens", 512, "--workers", 1, "--max-chars", 100_000, "--fsync-interval", 0)
    assert edges.returncode == 0, edges.stderr  # the bounds themselves are allowed
    assert rows(out)[0]["summary_vi"]


def test_a_bad_setting_is_one_line_not_a_traceback(tmp_path, seed_article):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article)])
    result = batch(src, "-o", tmp_path / "out.jsonl", *FAST, env={"TOMTAT_MAX_CHARS": "abc"})
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("tomtat: ") and "TOMTAT_MAX_CHARS" in err and "'abc'" in err
    assert not (tmp_path / "out.jsonl").exists()


def _refused_untouched(result, src: Path, before: bytes, tmp_path: Path, listing: set) -> None:
    err = result.stderr.decode() if isinstance(result.stderr, bytes) else result.stderr
    assert result.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err  # one line, nothing else ran
    assert err.startswith("tomtat batch: the output") and "is the input" in err and "another file" in err
    assert src.read_bytes() == before  # byte for byte: no row appended, no torn line cut, no rewrite
    assert set(tmp_path.iterdir()) == listing  # no .retry-tmp, no output created elsewhere


@pytest.mark.parametrize("retry", [[], ["--retry-failed"]])
def test_an_output_that_is_the_input_is_refused_before_either_is_touched(tmp_path, seed_article, retry):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [article(1, seed_article), {"id": "bad", "text": ""}])
    with open(src, "ab") as handle:
        handle.write(b'{"id": "torn", "text": "no newline')  # what scan_output would cut as a torn last line
    before = src.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(src.name)
    os.link(src, tmp_path / "hard.jsonl")
    listing = set(tmp_path.iterdir())
    for output in (src, tmp_path / "link.jsonl", tmp_path / "hard.jsonl", tmp_path / ".." / tmp_path.name / "in.jsonl"):
        _refused_untouched(batch(src, "-o", output, *FAST, *retry), src, before, tmp_path, listing)
    for output in (src, tmp_path / "link.jsonl"):  # the same file reached as stdin
        with open(src, "rb") as stdin:
            result = subprocess.run([sys.executable, *ENTRY, "-", "-o", str(output), *FAST, *retry], cwd=ROOT,
                                    stdin=stdin, capture_output=True)
        _refused_untouched(result, src, before, tmp_path, listing)
    with open(src, "ab") as stdout:  # `tomtat batch in.jsonl -o - >> in.jsonl`
        result = subprocess.run([sys.executable, *ENTRY, str(src), "-o", "-", *FAST], cwd=ROOT, stdout=stdout,
                                stderr=subprocess.PIPE)
    _refused_untouched(result, src, before, tmp_path, listing)


def test_an_output_a_directory_input_would_read_is_refused(tmp_path, seed_article):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(seed_article, encoding="utf-8")
    refused = batch(docs, "-o", docs / "results.txt", *FAST)
    assert refused.returncode == 1 and b"inside the input directory" in refused.stderr
    assert b"Traceback" not in refused.stderr and not (docs / "results.txt").exists()
    beside = batch(docs, "-o", docs / "results.jsonl", *FAST)  # not a file the directory reader reads
    assert beside.returncode == 0, beside.stderr
    assert [r["id"] for r in rows(docs / "results.jsonl")] == ["a.txt"]
    # Ray reads a directory of JSONL shards with --input-format jsonl: a .jsonl output there would be a shard
    shards = batch(docs, "-o", docs / "more.jsonl", "--engine", "ray", "--input-format", "jsonl", *FAST)
    assert shards.returncode == 1 and b"inside the input directory" in shards.stderr