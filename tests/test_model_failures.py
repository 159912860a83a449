"""A model that fails to load degrades only its own capability: a 503 with the reason and the fix,
/readyz says so, and everything else keeps serving — in process and under gunicorn (`tomtat serve`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from models.runtime import Runtime, RuntimeConfig
from service.app import create_app
from service.config import Settings
from tests.helpers import free_port, problem, stop_server, wait_healthy

ROOT = Path(__file__).parents[1]
VIT5 = "VietAI/vit5-base-vietnews-summarization"
ENVIT5 = "VietAI/envit5-translation"
ARTICLE = "Chiều 22/7, UBND TP.HCM họp bàn về giao thông. Dự án hoàn thành năm 2025. Người dân rất vui."


def broken_copy(src: Path, dst: Path, how: str) -> Path:
    shutil.copytree(src, dst)
    if how == "corrupt tokenizer.json":  # a model that ships only tokenizer.json, and a broken one
        (dst / "spiece.model").unlink()
        (dst / "tokenizer.json").write_text('{"model": {"type": "BPE", "vocab": ', encoding="utf-8")
    elif how == "corrupt spiece.model":
        (dst / "spiece.model").write_bytes(b"\x00not a sentencepiece model")
    elif how == "missing weights":
        (dst / "model.safetensors").unlink()
    elif how == "another architecture":
        config = json.loads((dst / "config.json").read_text())
        config["model_type"], config["architectures"] = "bert", ["BertModel"]
        (dst / "config.json").write_text(json.dumps(config))
    elif how == "vocabulary larger than the embedding":
        config = json.loads((dst / "config.json").read_text())
        config["vocab_size"] = 32000  # the tokenizer produces ids up to 49,999
        (dst / "config.json").write_text(json.dumps(config))
    else:  # pragma: no cover
        raise ValueError(how)
    return dst


CASES = {
    "corrupt tokenizer.json": "tokenizer.json",
    "corrupt spiece.model": "spiece.model",
    "missing weights": "no weights file",
    "another architecture": "'bert' model",
    "vocabulary larger than the embedding": "embedding rows",
}


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
@pytest.mark.parametrize("how", list(CASES))
def test_a_broken_translator_degrades_only_translation(replica, tmp_path, how, backend):
    broken = broken_copy(replica(ENVIT5), tmp_path / "envit5", how)
    runtime = Runtime(RuntimeConfig(summary_model=str(replica(VIT5)), summary_profile=VIT5,
                                    translation_model=str(broken), translation_profile=ENVIT5,
                                    device="cpu", threads=1, backend=backend)).load()
    caps = runtime.capabilities()
    assert caps["abstractive_summary"].ready and caps["extractive_summary"].ready
    translation = caps["translation"]
    assert not translation.ready and CASES[how] in translation.reason and translation.how_to_fix
    client = create_app(Settings(), runtime).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    assert ready.get_json()["capabilities"]["translation"]["reason"] == translation.reason
    body = problem(client.post("/v1/translate", json={"text": ARTICLE}), 503)
    assert translation.how_to_fix in json.dumps(body, ensure_ascii=False)
    summary = client.post("/v1/summarize", json={"text": ARTICLE, "method": "abstractive",
                                                 "max_new_tokens": 4, "num_beams": 1})
    assert summary.status_code == 200, summary.get_json()
    runtime.close()


def test_a_loader_crash_is_contained(replica, monkeypatch):
    """Whatever a loader raises (transformers 5 raised TypeError on EnViT5's real tokenizer.json), the
    runtime records it instead of dying."""
    import models.runtime as runtime_module

    def explode(*args, **kwargs):
        raise TypeError("'dict' object is not an instance of 'Sequence'")

    monkeypatch.setattr(runtime_module, "load_backend", explode)
    runtime = Runtime(RuntimeConfig(summary_model=str(replica(VIT5)), summary_profile=VIT5,
                                    translation_model=str(replica(ENVIT5)), translation_profile=ENVIT5,
                                    device="cpu")).load()
    caps = runtime.capabilities()
    assert caps["extractive_summary"].ready
    for name in ("abstractive_summary", "translation"):
        assert not caps[name].ready and "TypeError" in caps[name].reason
        assert "tomtat models check" in caps[name].how_to_fix


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    return _get(request)


@pytest.mark.slow
def test_tomtat_serve_survives_a_broken_translator(replica, tmp_path):
    """The reported failure: `tomtat serve` with a translator that cannot load must keep serving."""
    broken = broken_copy(replica(ENVIT5), tmp_path / "envit5", "corrupt tokenizer.json")
    port = free_port()
    env = os.environ | {
        "TOMTAT_PORT": str(port), "TOMTAT_HOST": "127.0.0.1", "TOMTAT_DB": str(tmp_path / "db.sqlite3"),
        "TOMTAT_SUMMARY_MODEL": str(replica(VIT5)), "TOMTAT_SUMMARY_PROFILE": VIT5,
        "TOMTAT_TRANSLATION_MODEL": str(broken), "TOMTAT_TRANSLATION_PROFILE": ENVIT5,
        "TOMTAT_DEVICE": "cpu", "TOMTAT_WORKERS": "1", "TOMTAT_THREADS": "1",
    }
    tomtat = Path(sys.executable).with_name("tomtat")
    proc = subprocess.Popen([str(tomtat), "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, seconds=90)
        status, ready = _get(base + "/readyz")
        assert status == 200 and not ready["capabilities"]["translation"]["ready"]
        assert ready["capabilities"]["abstractive_summary"]["ready"]
        status, body = _post(base + "/v1/translate", {"text": ARTICLE})
        assert status == 503 and "tokenizer.json" in body["detail"]
        status, body = _post(base + "/v1/summarize", {"text": ARTICLE, "method": "extractive"})
        assert status == 200 and body["summary"]
        assert proc.poll() is None
    finally:
        stop_server(proc)
