"""The loaded models of one process and what each capability can do.

A ``Runtime`` is built once per process (the HTTP app, a CLI run, a batch
worker) and shared by every thread. A model that cannot be loaded does not stop
the process: its capability is reported as not ready, with the reason and the
fix, and the pipeline answers accordingly (extractive summaries still work).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from .abstractive import AbstractiveSummarizer
from .backends import ModelNotAvailable, load_backend
from .cache import MemoryCache, make_cache
from .errors import CapabilityUnavailable
from .extractive import ExtractiveSummarizer
from .profiles import ProfileError, default_profile, resolve_profile
from .seq2seq import Seq2SeqModel
from .translate import Translator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeConfig:
    summary_model: str = field(default_factory=lambda: default_profile("summarization").id)
    summary_profile: str | None = None
    translation_model: str = field(default_factory=lambda: default_profile("translation").id)
    translation_profile: str | None = None
    device: str = "auto"
    backend: str = "auto"
    threads: int | None = None
    batch_size: int = 16  # most units in one model call (the batcher's max_batch_size)
    load_summary: bool = True
    load_translation: bool = True
    # -- performance (see models/batcher.py, models/cache.py, models/backends/ct2_backend.py)
    batching: bool = True
    max_batch_tokens: int = 8192
    max_wait_ms: float = 5.0
    announced_wait_ms: float = 100.0
    max_queue: int = 4096
    queue_timeout: float | None = 120.0  # interactive units' wait limit when the request sets no deadline
    caller_share: int = 0  # most queued units of one caller (API key / client); 0: max_queue // 4
    # wall-clock seconds one request's text work may take before a 422 "text-too-complex" (None/0: no limit)
    text_budget_s: float | None = 2.0
    max_request_units: int = 16384  # most model units (sentences, sections) one request may need (422 above)
    quantization: str = "auto"  # CTranslate2 compute type
    inter_threads: int | None = None
    torch_dtype: str = "auto"
    cache: str = "memory"  # memory | off (shared stores: Runtime(cache=...))
    cache_size: int = 1024


@dataclass
class Capability:
    name: str
    ready: bool
    model: str | None
    reason: str = ""
    how_to_fix: str = ""

    def as_dict(self) -> dict:
        data = {"ready": self.ready, "model": self.model}
        if not self.ready:
            data |= {"reason": self.reason, "how_to_fix": self.how_to_fix}
        return data


class Runtime:
    def __init__(self, config: RuntimeConfig | None = None, cache: MemoryCache | None = None):
        """``cache``: a result cache to use instead of the one ``config.cache`` names (a shared store)."""
        self.config = config or RuntimeConfig()
        self.extractive = ExtractiveSummarizer()
        self.summary_model: Seq2SeqModel | None = None
        self.translation_model: Seq2SeqModel | None = None
        self._status: dict[str, Capability] = {}
        self._lock = threading.Lock()
        self.cache: MemoryCache | None = cache if cache is not None else make_cache(self.config.cache,
                                                                                   self.config.cache_size)

    # -- loading -----------------------------------------------------------
    def load(self) -> "Runtime":
        """Load every configured model; failures are recorded, not raised."""
        with self._lock:
            cfg = self.config
            self._status["extractive_summary"] = Capability("extractive_summary", True, "extractive")
            self.summary_model = self._load(
                "abstractive_summary", "summarization", cfg.summary_model, cfg.summary_profile, cfg.load_summary,
                "TOMTAT_SUMMARY_MODEL",
            )
            self.translation_model = self._load(
                "translation", "translation", cfg.translation_model, cfg.translation_profile, cfg.load_translation,
                "TOMTAT_TRANSLATION_MODEL",
            )
        return self

    def _load(self, capability, task, ref, profile_name, enabled, env) -> Seq2SeqModel | None:
        if not enabled:
            self._status[capability] = Capability(
                capability, False, None, "model loading is switched off", f"set {env} and TOMTAT_LOAD_MODELS=1"
            )
            return None
        try:
            profile = resolve_profile(ref, task, profile_name)
            cfg = self.config
            backend = load_backend(cfg.backend, ref, profile, cfg.device, cfg.threads, quantization=cfg.quantization,
                                   inter_threads=cfg.inter_threads, torch_dtype=cfg.torch_dtype)
        except ProfileError as exc:
            self._status[capability] = Capability(capability, False, ref, str(exc), f"fix {env} or its _PROFILE")
            log.warning("%s unavailable: %s", capability, exc)
            return None
        except ModelNotAvailable as exc:
            self._status[capability] = Capability(capability, False, ref, str(exc), exc.how_to_fix)
            log.warning("%s unavailable: %s", capability, exc)
            return None
        except Exception as exc:  # noqa: BLE001 - a model that fails to load takes down only its capability
            reason = f"{ref} failed to load: {type(exc).__name__}: {str(exc)[:300]}"
            self._status[capability] = Capability(
                capability, False, ref, reason,
                f"run `tomtat models check {ref}` to see what is wrong, fix {env} or use the model's released files")
            log.exception("%s unavailable", capability)
            return None
        model = Seq2SeqModel(ref, profile, backend, batch_size=self.config.batch_size)
        if self.config.batching:
            cfg = self.config
            model.make_batcher(max_batch_size=cfg.batch_size, max_batch_tokens=cfg.max_batch_tokens,
                               max_wait_ms=cfg.max_wait_ms, announced_wait_ms=cfg.announced_wait_ms,
                               max_queue=cfg.max_queue,
                               default_timeout_s=cfg.queue_timeout or None,
                               caller_share=cfg.caller_share or None,
                               max_request_units=cfg.max_request_units or None)
        self._status[capability] = Capability(capability, True, model.name)
        log.info("%s ready: %s on %s (%s)", capability, model.name, backend.device, backend.name)
        return model

    # -- capabilities ---------------------------------------------------------
    def capabilities(self) -> dict[str, Capability]:
        return dict(self._status)

    def abstractive(self) -> AbstractiveSummarizer:
        if self.summary_model is None:
            raise self._unavailable("abstractive_summary")
        return AbstractiveSummarizer(self.summary_model)

    def translator(self) -> Translator:
        if self.translation_model is None:
            raise self._unavailable("translation")
        return Translator(self.translation_model)

    def _unavailable(self, capability: str) -> CapabilityUnavailable:
        status = self._status.get(capability) or Capability(
            capability, False, None, "models are not loaded", "call Runtime.load()"
        )
        return CapabilityUnavailable(capability, status.reason, status.how_to_fix)

    def close(self) -> None:
        """Stop the models' inference threads (queued units are still served first)."""
        for model in (self.summary_model, self.translation_model):
            if model is not None and model.batcher is not None:
                model.batcher.close()

    def models(self) -> list[dict]:
        loaded = [m.describe() for m in (self.summary_model, self.translation_model) if m is not None]
        return loaded + [{"name": "extractive", "task": "summarization", "backend": "none", "license": "MIT"}]
