"""The ``tomtat`` command line, run as a user runs it (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

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


def test_translate_with_tiny_model(replica):
    result = tomtat("translate", "-", env=tiny_env(replica), stdin="Hà Nội mưa to.\n\nGiá xăng giảm.")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().count("\n\n") == 1


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
