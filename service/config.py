"""All configuration, in one place: environment variables named ``TOMTAT_*``.

Each field of ``Settings`` declares its variable, default and meaning once;
``Settings.from_env`` reads them and the README's table is generated from them
(``tomtat config``), so code and documentation cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from models.profiles import default_profile
from models.runtime import RuntimeConfig


def _bool(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean (1/0, true/false), got {value!r}")


def _optional_str(value: str) -> str | None:
    return value or None


def _env(env: str, default: Any, doc: str, parse: Any = None):
    """A setting: its environment variable, default and meaning, declared once."""
    return field(default=default, metadata={"env": env, "doc": doc, "parse": parse})


@dataclass(frozen=True)
class Settings:
    host: str = _env("TOMTAT_HOST", "127.0.0.1", "Address `tomtat serve` binds.")
    port: int = _env("TOMTAT_PORT", 8080, "Port `tomtat serve` listens on.")
    summary_model: str = _env(
        "TOMTAT_SUMMARY_MODEL", default_profile("summarization").id,
        "Summarization model: a profile name (HF id, see `tomtat models list`) or a local directory.")
    summary_profile: str | None = _env(
        "TOMTAT_SUMMARY_PROFILE", None,
        "Profile whose conventions apply when TOMTAT_SUMMARY_MODEL is a directory "
        "(inferred from its config.json when unambiguous).", _optional_str)
    translation_model: str = _env(
        "TOMTAT_TRANSLATION_MODEL", default_profile("translation").id,
        "vi→en translation model: a profile name or a local directory.")
    translation_profile: str | None = _env(
        "TOMTAT_TRANSLATION_PROFILE", None,
        "Profile whose conventions apply when TOMTAT_TRANSLATION_MODEL is a directory.", _optional_str)
    load_models: bool = _env(
        "TOMTAT_LOAD_MODELS", True,
        "Load the neural models at start-up (0: extractive summaries only, translation answers 503).", _bool)
    device: str = _env("TOMTAT_DEVICE", "auto", "`auto`, `cpu` or `cuda`.")
    backend: str = _env("TOMTAT_BACKEND", "auto", "Inference backend: `auto` or `torch`.")
    threads: int = _env("TOMTAT_THREADS", 0, "CPU threads for inference (0: every core this process may use).")
    batch_size: int = _env("TOMTAT_BATCH_SIZE", 16, "Most sentences or sections sent to a model in one call.")
    max_chars: int = _env("TOMTAT_MAX_CHARS", 100_000, "Most characters in one text; longer texts get 413.")
    max_texts: int = _env("TOMTAT_MAX_TEXTS", 64, "Most texts in one /v1/translate call.")
    max_body_bytes: int = _env("TOMTAT_MAX_BODY_BYTES", 4 * 1024 * 1024, "Largest request body in bytes (413 above).")
    max_new_tokens: int = _env("TOMTAT_MAX_NEW_TOKENS", 512, "Largest `max_new_tokens` a request may ask for.")
    max_beams: int = _env("TOMTAT_MAX_BEAMS", 8, "Largest `num_beams` a request may ask for.")
    server_threads: int = _env("TOMTAT_SERVER_THREADS", 8, "Request threads of the gunicorn worker (`tomtat serve`).")
    timeout: int = _env("TOMTAT_TIMEOUT", 300, "Seconds a request may run before gunicorn restarts the worker.")
    log_level: str = _env("TOMTAT_LOG_LEVEL", "INFO", "Logging level.")
    # -- performance: batching, backends, cache --
    # -- jobs and batch --
    # -- access control, limits, observability --

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            env = f.metadata["env"]
            if env in environ:
                parse = f.metadata["parse"] or type(f.default)
                try:
                    values[f.name] = parse(environ[env])
                except ValueError as exc:
                    raise ValueError(f"{env}: {exc}") from exc
        return cls(**(values | overrides))

    def runtime_config(self) -> RuntimeConfig:
        return RuntimeConfig(
            summary_model=self.summary_model,
            summary_profile=self.summary_profile,
            translation_model=self.translation_model,
            translation_profile=self.translation_profile,
            device=self.device,
            backend=self.backend,
            threads=self.threads or None,
            batch_size=self.batch_size,
            load_summary=self.load_models,
            load_translation=self.load_models,
        )


def settings_markdown() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = "" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.metadata['env']}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)
