"""The Ray Data engine on a local Ray instance gives the same rows as the local engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ray  # noqa: E402  - in the dev extra that `make test` installs

from models import pipeline  # noqa: E402
from models.runtime import Runtime, RuntimeConfig  # noqa: E402
from service.batch import ray_engine  # noqa: E402
from service.batch.records import read_records  # noqa: E402
from service.batch.runner import ArticleOptions, process_record, run_local  # noqa: E402
from service.batch.writer import ResultWriter  # noqa: E402

# hand-written scraped-style articles (captions, bylines, HTML, repeated sapo): no dataset needed
RAW = Path(__file__).resolve().parent / "fixtures" / "scraped_articles.jsonl"


@pytest.fixture(scope="module")
def local_ray():
    ray_engine.init_local(num_cpus=2, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_the_local_ray_instance_listens_on_loopback_only(local_ray):
    """Ray would otherwise put its GCS, raylet and workers on the machine's routed address."""
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")

    @ray.remote
    def node_ip() -> str:
        return ray.util.get_node_ip_address()

    assert ray.get(node_ip.remote()) == "127.0.0.1"
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


def rows(path: Path) -> list[dict]:
    return sorted((json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()), key=lambda r: r["id"])


@pytest.mark.slow
def test_ray_output_equals_local_output(tmp_path, local_ray, seed_article):
    src = tmp_path / "archive.jsonl"
    with open(src, "wb") as handle:
        for line in RAW.read_bytes().splitlines():
            handle.write(line + b"\n")
        handle.write(b'{"id": "bad"\n{"id": "empty", "text": ""}\n{"id": "bytes", "text": "\xff"}\n')
        handle.write(json.dumps({"id": "seed", "title": "Hội nghị", "text": seed_article}).encode() + b"\n")
    config = RuntimeConfig(load_summary=False, load_translation=False, device="cpu", threads=1)
    options = ArticleOptions(summary=pipeline.SummaryOptions(method="extractive", max_sentences=3), translate="none")

    local_out = tmp_path / "local.jsonl"
    runtime = Runtime(config).load()
    with ResultWriter(str(local_out)) as writer:
        stats = run_local(read_records(str(src), max_chars=20_000), lambda r: process_record(runtime, r, options),
                          writer.write, workers=2)
    assert stats.done == 9 and stats.failed == 3

    ray_out = tmp_path / "ray.jsonl"
    ray_stats = ray_engine.run(str(src), str(ray_out), config, options, max_chars=20_000, actors=1, batch_size=4)
    assert rows(ray_out) == rows(local_out)
    assert (ray_stats.done, ray_stats.failed) == (9, 3)

    pq = tmp_path / "parquet"
    ray_engine.run(str(src), str(pq), config, options, max_chars=20_000, actors=1, output_format="parquet")
    table = ray.data.read_parquet(str(pq)).to_pandas()
    assert sorted(table["id"]) == [r["id"] for r in rows(local_out)]
