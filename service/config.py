"""All configuration, in one place: environment variables named ``TOMTAT_*``.

Each field of ``Settings`` declares its variable, default and meaning once;
``Settings.from_env`` reads them and the README's table is generated from them
(``tomtat config``), so code and documentation cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from limits import parse_many

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


def _duration(value: str) -> float:
    """``604800``, ``90s``, ``30m``, ``12h`` or ``7d`` → seconds."""
    text = value.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    scale = units.get(text[-1:], None)
    try:
        number = float(text[:-1] if scale else text)
    except ValueError:
        raise ValueError(f"expected a duration such as 7d, 12h, 30m, 90s or seconds, got {value!r}") from None
    if number < 0 or number != number or number == float("inf"):
        raise ValueError(f"expected a duration of 0 or more, got {value!r}")
    return number * (scale or 1)


PORTS = (1, 65535)

# the most one limit may count, and its longest window: what Redis (and its Lua numbers) count exactly
MAX_LIMIT_AMOUNT = 2**53
MAX_LIMIT_WINDOW_S = 100 * 366 * 86400
LIMIT_PERIODS = "second, minute, hour, day, month or year"


def check_limit(value: str | None, what: str, example: str) -> str:
    """A request rate or character quota as Flask-Limiter counts it (``60/minute``, ``1000 per day``, several
    with ``;``) → itself, stripped ("" for none); else a ValueError that says what is wrong and how to write
    it. Checked at load, so that a bad limit never reaches the limiter, which would count nothing."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items:
        raise ValueError(f"{value!r} is no {what}; write it like {example} (N per {LIMIT_PERIODS}; several "
                         f"separated by ';')")
    for item in items:
        if item.amount > MAX_LIMIT_AMOUNT:
            raise ValueError(f"{value!r}: {item.amount} is more than a {what} can count (at most "
                             f"{MAX_LIMIT_AMOUNT}); leave it empty for no {what}")
        if item.get_expiry() > MAX_LIMIT_WINDOW_S:
            raise ValueError(f"{value!r}: a window of {item.multiples} {item.GRANULARITY.name}s is longer than "
                             "100 years; write it like " + example)
    return text


def _limit(what: str, example: str, empty: str | None):
    """The parser of a rate or quota setting; ``empty`` is what an empty value means (no limit)."""
    def parse(value: str) -> str | None:
        return check_limit(value, what, example) or empty
    parse.limit = (what, example)
    return parse


def _env(env: str, default: Any, doc: str, parse: Any = None):
    """A setting: its environment variable, default and meaning, declared once."""
    return field(default=default, metadata={"env": env, "doc": doc, "parse": parse})


@dataclass(frozen=True)
class Settings:
    host: str = _env("TOMTAT_HOST", "127.0.0.1", "Address `tomtat serve` binds.")
    port: int = _env("TOMTAT_PORT", 8080, "Port `tomtat serve` listens on (1 to 65535).")
    allow_open: bool = _env(
        "TOMTAT_ALLOW_OPEN", False,
        "Serve without API keys on an address other than loopback (else `tomtat serve` and the image refuse to "
        "start with TOMTAT_AUTH off and a non-loopback TOMTAT_HOST).", _bool)
    summary_model: str = _env(
        "TOMTAT_SUMMARY_MODEL", default_profile("summarization").id,
        "Summarization model: a profile name (HF id, see `tomtat models list`) or a local directory.")
    summary_profile: str | None = _env(
        "TOMTAT_SUMMARY_PROFILE", None,
        "Profile whose conventions apply when TOMTAT_SUMMARY_MODEL is a directory "
        "(inferred from its config.json when unambiguous).", _optional_str)
    translation_model: str = _env(
        "TOMTAT_TRANSLATION_MODEL", default_profile("translation").id,
        "Translation model, for every direction it serves (the default EnViT5: vi→en and en→vi): a profile name "
        "or a local directory.")
    translation_profile: str | None = _env(
        "TOMTAT_TRANSLATION_PROFILE", None,
        "Profile whose conventions apply when TOMTAT_TRANSLATION_MODEL is a directory.", _optional_str)
    load_models: bool = _env(
        "TOMTAT_LOAD_MODELS", True,
        "Load the neural models at start-up (0: extractive summaries only, translation answers 503).", _bool)
    device: str = _env("TOMTAT_DEVICE", "auto", "`auto`, `cpu` or `cuda`.")
    backend: str = _env(
        "TOMTAT_BACKEND", "auto",
        "Inference backend: `auto` (CTranslate2 when installed and the model converts, else torch), "
        "`torch` or `ctranslate2`.")
    threads: int = _env(
        "TOMTAT_THREADS", 0,
        "CPU threads per inference batch (0: automatic — every core for the torch backend; one for CTranslate2, "
        "which then runs one batch per core).")
    batch_size: int = _env("TOMTAT_BATCH_SIZE", 16, "Most sentences or sections sent to a model in one call.")
    max_chars: int = _env("TOMTAT_MAX_CHARS", 100_000, "Most characters in one text; longer texts get 413.")
    max_texts: int = _env("TOMTAT_MAX_TEXTS", 64, "Most texts in one /v1/translate call.")
    max_body_bytes: int = _env("TOMTAT_MAX_BODY_BYTES", 4 * 1024 * 1024, "Largest request body in bytes (413 above).")
    max_new_tokens: int = _env("TOMTAT_MAX_NEW_TOKENS", 512, "Largest `max_new_tokens` a request may ask for.")
    max_beams: int = _env("TOMTAT_MAX_BEAMS", 8, "Largest `num_beams` a request may ask for.")
    server_threads: int = _env("TOMTAT_SERVER_THREADS", 8, "Request threads of the gunicorn worker (`tomtat serve`).")
    max_in_flight: int = _env(
        "TOMTAT_MAX_IN_FLIGHT", 0,
        "Most interactive /v1 requests in flight at once; one more is a 503 with Retry-After at once, so that "
        "request threads stay free for /healthz and refusals (0: TOMTAT_SERVER_THREADS - 2).")
    timeout: int = _env("TOMTAT_TIMEOUT", 300, "Seconds a request may run before gunicorn restarts the worker.")
    log_level: str = _env("TOMTAT_LOG_LEVEL", "INFO", "Logging level.")
    # -- performance: batching, backends, cache --
    batching: bool = _env(
        "TOMTAT_BATCHING", True,
        "Cross-request micro-batching: one inference thread per model serves the units of all callers.", _bool)
    max_batch_size: int = _env(
        "TOMTAT_MAX_BATCH_SIZE", 0,
        "Most units (sentences, sections) in one batched model call (0: TOMTAT_BATCH_SIZE).")
    max_batch_tokens: int = _env(
        "TOMTAT_MAX_BATCH_TOKENS", 8192, "Most padded input tokens (units x longest unit) in one batched call.")
    max_wait_ms: float = _env(
        "TOMTAT_MAX_WAIT_MS", 5.0, "Longest a unit waits for company before its batch runs, in milliseconds.")
    announced_wait_ms: float = _env(
        "TOMTAT_ANNOUNCED_WAIT_MS", 100.0,
        "Longest a unit waits, in milliseconds, for requests already being prepared for the same model (cleaned, "
        "checked) to join its batch; a lone request waits only TOMTAT_MAX_WAIT_MS (0: never wait for them).")
    max_queue: int = _env("TOMTAT_MAX_QUEUE", 4096, "Most units queued per model; beyond it requests get 503.")
    queue_timeout: float = _env(
        "TOMTAT_QUEUE_TIMEOUT", 120.0,
        "Seconds an interactive unit may wait in the queue before it fails with 503 (0: no limit; "
        "background job units have none).")
    request_deadline: float = _env(
        "TOMTAT_REQUEST_DEADLINE", 0.0,
        "Seconds all of one interactive request's model work may take, from its arrival; a unit that cannot start "
        "in time is refused at once with 503 and Retry-After (0: TOMTAT_QUEUE_TIMEOUT).")
    caller_share: int = _env(
        "TOMTAT_CALLER_SHARE", 0,
        "Most units of one caller (API key or client address) queued per model at once; the rest of a large "
        "request waits its turn and is fed in as earlier units start (0: TOMTAT_MAX_QUEUE / 4).")
    max_request_units: int = _env(
        "TOMTAT_MAX_REQUEST_UNITS", 16384,
        "Most model units (sentences, sections) one request may need; above it a 422 asks to split the text.")
    text_budget_s: float = _env(
        "TOMTAT_TEXT_BUDGET", 2.0,
        "Wall-clock seconds one request's text work (HTML to text, cleaning, sentences, language check) may take; "
        "past it the request is a 422 text-too-complex (0: no limit). A last line of defence: that work is linear.")
    cancel_on_disconnect: bool = _env(
        "TOMTAT_CANCEL_ON_DISCONNECT", True,
        "Drop the queued model work of a client that closed its connection.", _bool)
    ct2_quantization: str = _env(
        "TOMTAT_CT2_QUANTIZATION", "auto",
        "CTranslate2 compute type: `auto` (int8 on CPU, float16 on CUDA), `int8`, `int8_float16`, `float16`, "
        "`float32`…")
    inter_threads: int = _env(
        "TOMTAT_INTER_THREADS", 0,
        "CTranslate2 batches run in parallel per model; a batch is split across them (0: automatic, see "
        "TOMTAT_THREADS).")
    torch_dtype: str = _env(
        "TOMTAT_TORCH_DTYPE", "auto",
        "torch backend precision: `auto` (fp16 on CUDA, bf16 on CPUs with AMX, fp32 on other CPUs), `fp32`, `fp16`, `bf16` (refused on CPUs "
        "without bf16 hardware) or `int8` (dynamic int8 on CPU).")
    cache: str = _env(
        "TOMTAT_CACHE", "auto",
        "Result cache: `auto` (`redis` when TOMTAT_REDIS_URL is set, else `memory`), `memory` (LRU per process), "
        "`database` (persistent, in TOMTAT_DATABASE_URL; `sqlite` is its old name), `redis` (shared by replicas) "
        "or `off`.")
    cache_size: int = _env("TOMTAT_CACHE_SIZE", 1024, "Most cached results (entries; rows for `database`).")
    cache_ttl: float = _env(
        "TOMTAT_CACHE_TTL", 7 * 86400.0,
        "How long a result stays in the `redis` cache after its last use, in seconds or as `7d`, `12h`.", _duration)
    # -- jobs and batch --
    jobs: bool = _env(
        "TOMTAT_JOBS", True,
        "Serve /v1/jobs (async batch jobs stored in TOMTAT_DATABASE_URL, by default TOMTAT_DB) and run job "
        "workers in this process.", _bool)
    job_workers: int = _env(
        "TOMTAT_JOB_WORKERS", 1,
        "Job worker threads in this process (0: accept jobs but leave the work to another process).")
    max_job_articles: int = _env("TOMTAT_MAX_JOB_ARTICLES", 100_000, "Most articles in one POST /v1/jobs (413 above).")
    max_job_bytes: int = _env(
        "TOMTAT_MAX_JOB_BYTES", 256 * 1024 * 1024, "Largest POST /v1/jobs body in bytes (413 above).")
    max_document_bytes: int = _env(
        "TOMTAT_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024,
        "Largest file for POST /v1/documents and /translate_file, in bytes (413 above). Files are kept in the "
        "database until their job's retention (TOMTAT_JOB_RETENTION) passes.")
    max_job_article_bytes: int = _env(
        "TOMTAT_MAX_JOB_ARTICLE_BYTES", 1024 * 1024,
        "Largest article of a job body in bytes (one JSON array element: 413; one JSONL line: an error row).")
    job_retention: float = _env(
        "TOMTAT_JOB_RETENTION", 7 * 86400.0,
        "How long finished jobs and their results are kept, in seconds or as `7d`, `12h`, `30m` (0: forever).",
        _duration)
    job_lease_s: float = _env(
        "TOMTAT_JOB_LEASE_S", 60.0,
        "Seconds a job item stays claimed without a heartbeat; then a crashed worker's items are redone.")
    job_max_yield_s: float = _env(
        "TOMTAT_JOB_MAX_YIELD_S", 30.0,
        "Longest a job worker waits for in-flight interactive requests to finish before taking one item anyway.")
    # -- access control, limits, observability --
    db_path: str = _env("TOMTAT_DB", "var/tomtat.sqlite3",
                        "SQLite file of the service's data (see TOMTAT_DATABASE_URL) when that is unset.")
    database_url: str = _env(
        "TOMTAT_DATABASE_URL", "",
        "Database of jobs, API keys, glossaries, document files and the `database` cache: `sqlite:///path` "
        "(empty: TOMTAT_DB) or `postgresql://user@host:5432/db`, which replicas share. Migrated at start-up "
        "(`tomtat db upgrade`).")
    redis_url: str | None = _env(
        "TOMTAT_REDIS_URL", None,
        "Redis shared by replicas, e.g. `redis://127.0.0.1:6379/0`: rate limits and quotas (unless "
        "TOMTAT_LIMITS_STORAGE says otherwise) and the result cache (TOMTAT_CACHE=auto).", _optional_str)
    auth: bool = _env(
        "TOMTAT_AUTH", False,
        "Require an API key on /v1 routes and apply per-key limits (`tomtat keys create`).", _bool)
    rate_limit: str = _env(
        "TOMTAT_RATE_LIMIT", "60/minute",
        "Default request rate of an API key (a key may carry its own), e.g. `60/minute;1000/day`.",
        _limit("rate", "60/minute", ""))
    char_quota: str = _env(
        "TOMTAT_CHAR_QUOTA", "2000000/day",
        "Default character quota of an API key: characters of text sent per period, e.g. `2000000/day`.",
        _limit("character quota", "2000000/day", ""))
    anon_rate_limit: str | None = _env(
        "TOMTAT_ANON_RATE_LIMIT", None,
        "Request rate per client address when TOMTAT_AUTH is off, e.g. `30/minute` (empty: no limit).",
        _limit("rate", "30/minute", None))
    anon_char_quota: str | None = _env(
        "TOMTAT_ANON_CHAR_QUOTA", None,
        "Character quota per client address when TOMTAT_AUTH is off, e.g. `500000/day` (empty: no quota).",
        _limit("character quota", "500000/day", None))
    limits_storage: str = _env(
        "TOMTAT_LIMITS_STORAGE", "",
        "Where rate-limit counters live: `memory://` (one process) or `redis://host:6379/0` (shared by replicas); "
        "empty: TOMTAT_REDIS_URL if set, else `memory://`.")
    limits_prefix: str = _env(
        "TOMTAT_LIMITS_PREFIX", "tomtat",
        "Prefix of tomtat's keys in storage: the rate-limit and wrong-key counters and the `redis` result cache.")
    trusted_proxies: int = _env(
        "TOMTAT_TRUSTED_PROXIES", 0,
        "Reverse proxies in front of the service whose X-Forwarded-For is trusted for client addresses.")
    metrics_token: str | None = _env(
        "TOMTAT_METRICS_TOKEN", None, "Bearer token required by /metrics (empty: /metrics is open).", _optional_str)
    log_json: bool = _env("TOMTAT_LOG_JSON", True, "Structured JSON logs, one object a line (0: plain text).", _bool)
    log_text: bool = _env(
        "TOMTAT_LOG_TEXT", False,
        "Debug switch: include request bodies (article text) in the logs. Never on in production.", _bool)

    def __post_init__(self) -> None:
        if not PORTS[0] <= self.port <= PORTS[1]:  # gunicorn's bind would end in an OverflowError traceback
            raise ValueError(f"TOMTAT_PORT: must be from {PORTS[0]} to {PORTS[1]}, got {self.port}")
        # a rate or quota given in code (tests, overrides of from_env) is checked as the environment's are
        for f in fields(self):
            limit = getattr(f.metadata["parse"], "limit", None)
            value = getattr(self, f.name)
            if limit is not None and value:
                try:
                    check_limit(value, *limit)
                except ValueError as exc:
                    raise ValueError(f"{f.metadata['env']}: {exc}") from None

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
            batch_size=self.max_batch_size or self.batch_size,
            load_summary=self.load_models,
            load_translation=self.load_models,
            batching=self.batching,
            max_batch_tokens=self.max_batch_tokens,
            max_wait_ms=self.max_wait_ms,
            announced_wait_ms=self.announced_wait_ms,
            max_queue=self.max_queue,
            queue_timeout=self.queue_timeout or None,
            caller_share=self.caller_share,
            text_budget_s=self.text_budget_s or None,
            max_request_units=self.max_request_units,
            quantization=self.ct2_quantization,
            inter_threads=self.inter_threads or None,
            torch_dtype=self.torch_dtype,
            cache=self.cache_mode if self.cache_mode in ("memory", "off") else "off",  # shared: service/app.py
            cache_size=self.cache_size,
        )

    @property
    def database(self) -> str:
        """The database URL: TOMTAT_DATABASE_URL, else the SQLite file TOMTAT_DB."""
        return self.database_url or f"sqlite:///{self.db_path}"

    @property
    def limits_uri(self) -> str:
        return self.limits_storage or self.redis_url or "memory://"

    @property
    def cache_mode(self) -> str:
        """``memory``, ``database``, ``redis`` or ``off`` (``auto`` and ``sqlite`` resolved)."""
        mode = (self.cache or "auto").lower()
        if mode == "auto":
            return "redis" if self.redis_url else "memory"
        return "database" if mode == "sqlite" else mode


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    import ipaddress

    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost, or 0.0.0.0-style wildcards written oddly


def open_bind_problem(settings: "Settings") -> str | None:
    """Why ``settings`` must not be served (keys off on a non-loopback address without TOMTAT_ALLOW_OPEN=1)."""
    if settings.auth or settings.allow_open or is_loopback(settings.host):
        return None
    return (f"refusing to serve on {settings.host} without API keys: anyone who reaches that address could use "
            "the service. Set TOMTAT_AUTH=1 (and create a key with `tomtat keys create`), bind 127.0.0.1 "
            "(TOMTAT_HOST), or set TOMTAT_ALLOW_OPEN=1 to serve without keys on purpose.")


def settings_markdown() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        default = "" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.metadata['env']}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)
