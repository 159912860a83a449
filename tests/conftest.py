"""Shared fixtures: tiny random-weight replicas of the supported models, built at
test time (sentencepiece tokenizers trained here, saved with save_pretrained) and
loaded through the same profile → backend → pipeline path as real weights.

Nothing here touches the network: the Hugging Face cache points at an empty
temporary directory and the Hub is switched to offline mode before any import.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="tomtat-test-hf-")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

from models.runtime import Runtime, RuntimeConfig  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
SUMMARY_PROFILE = "VietAI/vit5-base-vietnews-summarization"
TRANSLATION_PROFILE = "VietAI/envit5-translation"


@pytest.fixture(scope="session")
def seed_article() -> str:
    return (FIXTURES / "seed_article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def replica(tmp_path_factory):
    """``replica(profile_id)`` → directory of a tiny model of that profile (built once per session)."""
    from tests.replicas import ensure_replica

    root = tmp_path_factory.mktemp("replicas")
    return lambda profile_id: ensure_replica(profile_id, root)


@pytest.fixture(scope="session")
def tiny_config(replica) -> RuntimeConfig:
    return RuntimeConfig(
        summary_model=str(replica(SUMMARY_PROFILE)),
        summary_profile=SUMMARY_PROFILE,
        translation_model=str(replica(TRANSLATION_PROFILE)),
        translation_profile=TRANSLATION_PROFILE,
        device="cpu",
        threads=1,
    )


@pytest.fixture(scope="session")
def tiny_runtime(tiny_config) -> Runtime:
    return Runtime(tiny_config).load()


@pytest.fixture(scope="session")
def offline_runtime() -> Runtime:
    """The default real models, which this machine does not have: the 503 path."""
    return Runtime(RuntimeConfig(device="cpu")).load()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A database URL, once a SQLite file and once a fresh database on this machine's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tomtat.sqlite3'}"
    else:
        from tests.servers import fresh_postgres

        with fresh_postgres() as pg:
            yield pg
