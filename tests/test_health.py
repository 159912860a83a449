"""/readyz?require=: a name it does not know is a 400 problem that lists the names it does, not a 503 a probe
would read as "not ready" forever (service/health.py)."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.config import Settings
from tests.helpers import problem


@pytest.fixture(scope="module")
def client(offline_runtime, tmp_path_factory):
    db = tmp_path_factory.mktemp("health") / "db.sqlite3"
    return create_app(Settings(db_path=str(db)), offline_runtime).test_client()


@pytest.mark.parametrize("query, unknown", [("zzz", "'zzz'"), ("translation,Database", "'Database'"),
                                            ("transalation,zz", "'transalation', 'zz'")])
def test_an_unknown_capability_is_a_400_naming_the_valid_ones(client, query, unknown):
    body = problem(client.get(f"/readyz?require={query}"), 400)
    assert body["type"].endswith("/unknown-capability") and body["errors"][0]["field"] == "require"
    assert f"require names {unknown}, which" in body["detail"]
    assert body["known"] == ["extractive_summary", "abstractive_summary", "translation", "database", "redis"]
    for name in body["known"]:
        assert name in body["detail"]


def test_known_names_still_answer_ready_or_not(client):
    assert client.get("/readyz?require=extractive_summary").status_code == 200
    assert client.get("/readyz?require=extractive_summary,+database").status_code == 200  # spaces are fine
    missing = client.get("/readyz?require=translation,redis")  # no model here, and no Redis configured
    assert missing.status_code == 503 and missing.get_json()["missing"] == ["translation", "redis"]
    assert client.get("/readyz?require=").status_code == 200
