"""The ``tomtat`` command line, run as a user runs it (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from service.db import LATEST
from tests.conftest import SUMMARY_PROFILE, TRANSLATION_PROFILE
from tests.helpers import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]


def tomtat(*args, env=None, stdin=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
        text=True, env={**os.environ, **(env or {})}, timeout=timeout,
    )


def tiny_env(replica) -> dict:
    return {
        "TOMTAT_SUMMARY_MODEL": str(replica(SUMMARY_PROFILE)), "TOMTAT_SUMMARY_PROFILE": SUMMARY_PROFILE,
        "TOMTAT_TRANSLATION_MODEL": str(replica(TRANSLATION_PROFILE)), "TOMTAT_TRANSLATION_PROFILE": TRANSLATION_PROFILE,
        "TOMTAT_DEVICE": "cpu", "TOMTAT_THREADS": "1",
    }


def test_summarize_file_extractive(tmp_path, seed_article):
    path = tmp_path / "a.txt"
    path.write_text(seed_article, encoding="utf-8")
    result = tomtat("summarize", str(path), "--method", "extractive", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["method"] == "extractive" and "leftcenterrightdel" not in body["summary"]


def test_summarize_stdin_and_missing_file():
    ok = tomtat("summarize", "-", "--method", "extractive", stdin="Hà Nội mưa to. Đường ngập sâu.")
    assert ok.returncode == 0 and "Hà Nội mưa to." in ok.stdout
    missing = tomtat("summarize", "/no/such/file.txt", "--method", "extractive")
    assert missing.returncode == 1 and "No such file" in missing.stderr and "Traceback" not in missing.stderr


def test_translate_without_model_exits_3_with_fix():
    result = tomtat("translate", "-", stdin="Xin chào.")
    assert result.returncode == 3
    assert "tomtat models pull" in result.stderr and "Traceback" not in result.stderr


def test_eval_without_its_model_is_one_line_and_exit_3(tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"id": "1", "vi": "Xin chào.", "en": "Hello.", "source": "ntrex-128"}) + "\n"
                    + json.dumps({"id": "2", "article": "Hà Nội mưa to.", "summary": "Mưa."}) + "\n", encoding="utf-8")
    for args in (["translate"], ["summarize", "--method", "abstractive"]):
        result = tomtat("eval", *args, "--data", str(data), "--out", str(tmp_path / "out"))
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr and "tomtat models pull" in result.stderr
        assert not (tmp_path / "out").exists()  # refused before any record


def test_translate_with_tiny_model(replica):
    result = tomtat("translate", "-", env=tiny_env(replica), stdin="Hà Nội mưa to.\n\nGiá xăng giảm.")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().count("\n\n") == 1


def test_translate_a_document_with_a_glossary(replica, tmp_path):
    import docx

    source = tmp_path / "bao-cao.docx"
    document = docx.Document()
    document.add_heading("UBND Quận 3 họp", 1)
    document.add_paragraph("Chiều nay UBND quận họp bàn về giao thông.")
    document.save(source)
    (tmp_path / "desk.csv").write_text("UBND,People's Committee\n", encoding="utf-8")
    done = tomtat("translate", source, "--glossary", tmp_path / "desk.csv", env=tiny_env(replica))
    assert done.returncode == 0, done.stderr
    out = docx.Document(tmp_path / "bao-cao.en.docx")  # beside the input, named for the target
    assert [p.style.name for p in out.paragraphs] == ["Heading 1", "Normal"]
    assert all("People's Committee" in p.text for p in out.paragraphs)
    english = tmp_path / "notes.txt"
    english.write_text("The committee met today.\n\nTraffic was heavy.", encoding="utf-8")
    back = tomtat("translate", english, "--source", "en", "-o", tmp_path / "ghi-chu.txt", "--json",
                  env=tiny_env(replica))
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["target"] == "vi"
    assert (tmp_path / "ghi-chu.txt").read_text(encoding="utf-8").count("\n\n") == 1
    corrupt = tmp_path / "hong.docx"
    corrupt.write_bytes(b"PK not a zip")
    bad = tomtat("translate", corrupt, env=tiny_env(replica))
    assert bad.returncode == 1 and "corrupt" in bad.stderr and "Traceback" not in bad.stderr


def test_models_list_shows_licenses():
    result = tomtat("models", "list")
    assert result.returncode == 0
    for needle in ("VietAI/envit5-translation", "AGPL-3.0", "CC-BY-NC-4.0", "OpenRAIL"):
        assert needle in result.stdout


def test_models_pull_offline_explains(tmp_path):
    result = tomtat("models", "pull", "--to", str(tmp_path))
    assert result.returncode == 1 and "cannot be reached" in result.stderr
    assert tomtat("models", "pull", "--if-online").returncode == 0
    assert tomtat("models", "pull", "no/such").returncode == 2


@pytest.mark.slow
def test_serve_with_gunicorn_answers_articles(replica, seed_article):
    port = free_port()
    env = {**os.environ, **tiny_env(replica), "TOMTAT_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc)
        payload = {"text": seed_article, "translate": "both", "summary": {"method": "extractive"},
                   "translation": {"max_new_tokens": 4, "num_beams": 1}}
        req = urllib.request.Request(base + "/v1/articles", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
        body = json.loads(urllib.request.urlopen(req, timeout=60).read())
        assert {"id", "summary_vi", "summary_en", "translation_en", "models", "timings"} <= set(body)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_models_tokenize_shows_the_exact_input_and_real_ids(replica):
    import sentencepiece as spm

    path = replica(TRANSLATION_PROFILE)
    lines = "Chiều 22/7, “UBND” TP.HCM họp.\nĐội tuyển thắng 😀 trước 北京.\n"
    result = tomtat("models", "tokenize", "--model", str(path), "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    sp = spm.SentencePieceProcessor(model_file=str(path / "spiece.model"))
    assert first["text"] == "vi: Chiều 22/7, “UBND” TP.HCM họp."
    assert first["ids"] == sp.encode(first["text"]) + [1] and first["unk"] == 0
    assert first["pieces"][:2] == ["▁vi", ":"] and first["pieces"][-1] == "</s>"
    assert second["unk"] == 2 and second["protected"]["carried"] == ["北京", "😀"]
    assert all(2 not in ids for ids in second["protected"]["inputs"])


def test_models_tokenize_needs_a_profile_for_an_ambiguous_directory(replica, tmp_path):
    import shutil

    plain = shutil.copytree(replica(SUMMARY_PROFILE), tmp_path / "my-t5")  # a T5 fits three profiles
    result = tomtat("models", "tokenize", "--model", str(plain), "-", stdin="Giá vàng.\n")
    assert result.returncode == 1 and "--profile" in result.stderr
    result = tomtat("models", "tokenize", "--model", str(plain), "--profile", SUMMARY_PROFILE,
                    "-", stdin="Giá vàng.\n")
    assert result.returncode == 0 and json.loads(result.stdout)["text"] == "Giá vàng."


def test_models_check_passes_a_good_model_and_fails_a_bad_one(replica, tmp_path):
    import shutil

    good = tomtat("models", "check", str(replica(TRANSLATION_PROFILE)), "--json", env={"TOMTAT_BACKEND": "torch"})
    assert good.returncode == 0, good.stdout + good.stderr
    report = json.loads(good.stdout)
    checks = {c["check"]: c for c in report["checks"]}
    assert report["ok"] and {"architecture", "vocabulary", "parity", "unknown", "weights", "generation"} <= set(checks)
    assert "8/8" in checks["parity"]["detail"]
    bad = shutil.copytree(replica(TRANSLATION_PROFILE), tmp_path / "bad")
    config = json.loads((bad / "config.json").read_text())
    config["vocab_size"] = 1000
    (bad / "config.json").write_text(json.dumps(config))
    result = tomtat("models", "check", str(bad), "--profile", TRANSLATION_PROFILE)
    assert result.returncode == 1 and "FAIL tokenizer" in result.stdout and "embedding rows" in result.stdout


def test_serve_refuses_an_open_address_without_keys_also_in_dev_mode():
    for extra in ([], ["--dev"]):
        result = tomtat("serve", "--host", "0.0.0.0", *extra, env={"TOMTAT_AUTH": "0", "TOMTAT_ALLOW_OPEN": "0"},
                        timeout=60)
        assert result.returncode == 2 and "TOMTAT_ALLOW_OPEN=1" in result.stderr, result.stderr


def test_db_status_and_upgrade_on_sqlite_and_postgresql(tmp_path):
    from tests.servers import fresh_postgres

    with fresh_postgres() as pg:
        for url in (f"sqlite:///{tmp_path / 'cli.sqlite3'}", pg):
            env = {"TOMTAT_DATABASE_URL": url}
            before = json.loads(tomtat("db", "status", "--json", env=env).stdout)
            assert before["version"] == 0 and before["pending"] == list(range(1, LATEST + 1))
            done = tomtat("db", "upgrade", env=env)
            assert done.returncode == 0 and f"migrated to schema version {LATEST}" in done.stdout
            assert "nothing to do" in tomtat("db", "upgrade", env=env).stdout
            assert "up to date" in tomtat("db", "status", env=env).stdout
            assert tomtat("keys", "create", "--name", "desk", env=env).returncode == 0
            listed = json.loads(tomtat("keys", "list", "--json", env=env).stdout)
            assert [k["name"] for k in listed] == ["desk"]


def test_a_database_that_does_not_answer_is_one_line_not_a_traceback():
    from tests.helpers import free_port

    out = tomtat("keys", "list", env={"TOMTAT_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/none"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("tomtat: the database cannot be used:") and "TOMTAT_DATABASE_URL" in out.stderr
    bad = tomtat("db", "status", env={"TOMTAT_DATABASE_URL": "mysql://x/y"})
    assert bad.returncode != 0 and "unsupported database 'mysql'" in bad.stderr and "Traceback" not in bad.stderr



def _one_line(result, code: int = 2) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("tomtat: ")
    return result.stderr


def test_models_check_of_a_missing_directory_says_why_once(tmp_path):
    missing = tmp_path / "no-such-model"
    for command in (["check", str(missing)], ["tokenize", "--model", str(missing), "-"]):
        result = tomtat("models", *command, stdin="")
        err = _one_line(result, 1)
        assert err.count("is neither a known profile") == 1, err
        assert "VietAI/envit5-translation" in err and "VietAI/vit5-base-vietnews-summarization" in err


# summary options outside the HTTP API's bounds (service/schemas.py): (arguments, option, the bound said)
SUMMARY_OUT_OF_BOUNDS = [
    (["--max-sentences", "0"], "--max-sentences", "from 1 to 50"),
    (["--max-sentences", "-2"], "--max-sentences", "from 1 to 50"),
    (["--max-sentences", "51"], "--max-sentences", "from 1 to 50"),
    (["--max-words", "1"], "--max-words", "from 5 to 2000"),
    (["--max-words", "2001"], "--max-words", "from 5 to 2000"),
]


@pytest.mark.parametrize("args, option, bound", SUMMARY_OUT_OF_BOUNDS)
def test_summarize_options_have_the_http_apis_bounds(args, option, bound):
    result = tomtat("summarize", "-", "--method", "extractive", *args, stdin="Hà Nội mưa to. Đường ngập sâu.")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("usage: tomtat summarize")
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("tomtat summarize: error: argument " + option) and bound in last and args[-1] in last


def test_summarize_bounds_are_read_from_the_request_schema():
    from service.commands.text import schema_bounds
    from service.schemas import Generation, SummarySpec

    assert schema_bounds(SummarySpec, "max_sentences") == (1, 50)
    assert schema_bounds(SummarySpec, "max_words") == (5, 2000)
    assert schema_bounds(Generation, "num_beams") == (1, None)  # the upper bound is TOMTAT_MAX_BEAMS
    ok = tomtat("summarize", "-", "--method", "extractive", "--max-sentences", "50", "--max-words", "5",
                stdin="Hà Nội mưa to. Đường ngập sâu.")
    assert ok.returncode == 0 and ok.stdout.strip(), ok.stderr


@pytest.mark.parametrize("command", [["summarize", "-", "--method", "extractive"], ["translate", "-"], ["serve"],
                                     ["serve", "--dev"], ["models", "check", "VietAI/envit5-translation"]])
def test_a_bad_setting_is_one_line_and_exit_2(command):
    err = _one_line(tomtat(*command, env={"TOMTAT_MAX_CHARS": "abc"}, stdin="Xin chào.", timeout=60))
    assert "TOMTAT_MAX_CHARS" in err and "'abc'" in err
    err = _one_line(tomtat(*command, env={"TOMTAT_LOAD_MODELS": "maybe"}, stdin="Xin chào.", timeout=60))
    assert "TOMTAT_LOAD_MODELS" in err and "'maybe'" in err


def test_commands_that_read_no_setting_still_run_with_a_bad_one():
    env = {"TOMTAT_MAX_CHARS": "abc"}
    assert tomtat("models", "list", env=env).returncode == 0
    assert "TOMTAT_MAX_CHARS" in tomtat("config", env=env).stdout


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1"])
def test_serve_port_out_of_range_is_a_usage_error(port):
    flag = tomtat("serve", "--port", port, timeout=60)
    assert flag.returncode == 2 and "Traceback" not in flag.stderr and "OverflowError" not in flag.stderr
    last = flag.stderr.strip().splitlines()[-1]
    assert last.startswith("tomtat serve: error: argument --port") and "1 to 65535" in last and port in last
    err = _one_line(tomtat("serve", env={"TOMTAT_PORT": port}, timeout=60))
    assert "TOMTAT_PORT" in err and "1 to 65535" in err and port in err