"""Profiles resolution and the TOMTAT_* configuration table."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from models.profiles import PROFILES, ProfileError, default_profile, resolve_profile
from service.config import Settings, settings_markdown

ROOT = Path(__file__).resolve().parents[1]


def model_dir(tmp_path: Path, model_type: str) -> str:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    return str(tmp_path)


def test_defaults_are_the_issue_defaults():
    assert default_profile("summarization").id == "VietAI/vit5-base-vietnews-summarization"
    assert default_profile("translation").id == "VietAI/envit5-translation"


def test_profiles_declare_their_conventions():
    envit5 = PROFILES["VietAI/envit5-translation"]
    assert (envit5.input_prefix, envit5.output_prefix, envit5.window) == ("vi: ", "en: ", 128)
    assert PROFILES["VietAI/vit5-large-vietnews-summarization"].input_prefix == "vietnews: "
    vinai = PROFILES["vinai/vinai-translate-vi2en-v2"]
    assert (vinai.src_lang, vinai.tgt_lang, vinai.tone_style, vinai.target_token) == ("vi_VN", "en_XX", "new", "decoder_start")
    nllb = PROFILES["facebook/nllb-200-distilled-600M"]
    assert (nllb.src_lang, nllb.tgt_lang, nllb.target_token) == ("vie_Latn", "eng_Latn", "forced_bos")
    assert {p.license for p in PROFILES.values()} >= {"AGPL-3.0", "CC-BY-NC-4.0"}


def test_directory_profile_inferred_when_unambiguous(tmp_path):
    assert resolve_profile(model_dir(tmp_path, "marian"), "translation").id == "Helsinki-NLP/opus-mt-vi-en"


def test_ambiguous_directory_names_the_choices(tmp_path):
    with pytest.raises(ProfileError) as err:
        resolve_profile(model_dir(tmp_path, "t5"), "summarization")
    assert "TOMTAT_SUMMARY_PROFILE" in str(err.value) and "vit5-large" in str(err.value)


def test_explicit_profile_and_task_mismatch(tmp_path):
    path = model_dir(tmp_path, "t5")
    assert resolve_profile(path, "translation", "VietAI/envit5-translation").input_prefix == "vi: "
    with pytest.raises(ProfileError):
        resolve_profile(path, "summarization", "VietAI/envit5-translation")
    with pytest.raises(ProfileError):
        resolve_profile("no/such-model", "translation")


def test_settings_from_env_parses_and_reports_bad_values():
    s = Settings.from_env({"TOMTAT_MAX_CHARS": "500", "TOMTAT_LOAD_MODELS": "0", "TOMTAT_DEVICE": "cpu"})
    assert (s.max_chars, s.load_models, s.device) == (500, False, "cpu")
    assert s.runtime_config().load_translation is False
    with pytest.raises(ValueError, match="TOMTAT_MAX_CHARS"):
        Settings.from_env({"TOMTAT_MAX_CHARS": "many"})


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = settings_markdown()
    for f in fields(Settings):
        assert f"`{f.metadata['env']}`" in table
        assert f.metadata["env"] in readme, f"{f.metadata['env']} missing from README"
    # the README's table is `tomtat config`'s output, as it says: descriptions edited in service/config.py
    assert table in readme, "README's configuration table differs from `tomtat config`: paste its output"


def test_layers_keep_to_themselves():
    """service/ never imports torch (models are loaded lazily by the backends); models/ never imports Flask."""
    import subprocess
    import sys

    code = ("import sys, service.app, service.cli, service.jobs, models.pipeline, models.runtime; "
            "from service.app import create_app; from service.config import Settings; "
            "create_app(Settings(load_models=False)); "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    for path in (ROOT / "models").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+(flask|werkzeug)\b", path.read_text(encoding="utf-8"), re.M), path


LIMIT_SETTINGS = ["TOMTAT_RATE_LIMIT", "TOMTAT_CHAR_QUOTA", "TOMTAT_ANON_RATE_LIMIT", "TOMTAT_ANON_CHAR_QUOTA"]


@pytest.mark.parametrize("env", LIMIT_SETTINGS)
@pytest.mark.parametrize("value", ["garbage", "1/eon", "60/minute;", "2000000", "-5/minute", "1.5/minute",
                                   "10/second;lots", "99999999999999999999/day", "5/1000 years"])
def test_a_bad_rate_or_quota_is_refused_at_load(env, value):
    """Flask-Limiter cannot count such a limit and swallows the error on every request: limiting would be
    off. Refused as other bad settings are, with one line that names the setting, the value and the form."""
    with pytest.raises(ValueError) as err:
        Settings.from_env({env: value})
    message = str(err.value)
    assert message.startswith(f"{env}: {value!r}") and "\n" not in message
    assert re.search(r"write it like \d+/(minute|day)|at most \d+", message), message


def test_the_message_says_how_to_write_a_rate():
    with pytest.raises(ValueError) as err:
        Settings.from_env({"TOMTAT_ANON_RATE_LIMIT": "garbage"})
    assert str(err.value).startswith("TOMTAT_ANON_RATE_LIMIT: 'garbage' is no rate; write it like 30/minute")
    with pytest.raises(ValueError, match=r"TOMTAT_ANON_CHAR_QUOTA: '1/eon' is no character quota; .*day"):
        Settings.from_env({"TOMTAT_ANON_CHAR_QUOTA": "1/eon"})


def test_good_rates_and_quotas_load_and_empty_means_none():
    s = Settings.from_env({"TOMTAT_RATE_LIMIT": "10/second;1000/day", "TOMTAT_CHAR_QUOTA": " 500000 per hour ",
                           "TOMTAT_ANON_RATE_LIMIT": "30/minute", "TOMTAT_ANON_CHAR_QUOTA": "100000/2 days"})
    assert (s.rate_limit, s.char_quota, s.anon_rate_limit, s.anon_char_quota) == (
        "10/second;1000/day", "500000 per hour", "30/minute", "100000/2 days")
    s = Settings.from_env({"TOMTAT_RATE_LIMIT": "", "TOMTAT_ANON_RATE_LIMIT": " ", "TOMTAT_ANON_CHAR_QUOTA": ""})
    assert (s.rate_limit, s.anon_rate_limit, s.anon_char_quota) == ("", None, None)
    assert Settings.from_env({}).char_quota == "2000000/day"


def test_a_bad_rate_given_in_code_is_refused_too():
    with pytest.raises(ValueError, match="TOMTAT_ANON_CHAR_QUOTA: '1/eon'"):
        Settings(anon_char_quota="1/eon")
    with pytest.raises(ValueError, match="TOMTAT_RATE_LIMIT"):
        Settings.from_env({}, rate_limit="garbage")  # `tomtat serve`'s overrides
