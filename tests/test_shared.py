"""What replicas share, over real servers: the result cache and the limits in Redis, keys and jobs in
PostgreSQL; and what a replica does when one of them goes away (503 for what needs it, the rest serves)
and comes back (it reconnects by itself)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from models.runtime import Runtime, RuntimeConfig
from service.app import create_app
from service.config import Settings
from service.keys import KeyStore
from service.resultcache import RedisCache
from tests.helpers import problem
from tests.servers import REDIS, Cut, fresh_postgres, host_port, redis_prefix

ARTICLE = ("Chiều ngày 22/7, Công an Quận 3 họp báo thông tin về vụ việc. Giá xăng dầu tăng mạnh trong tuần qua.\n\n"
           "Ngân hàng Nhà nước quyết định giữ nguyên lãi suất điều hành. Mưa lớn gây ngập nhiều tuyến đường.")
SUMMARIZE = {"text": ARTICLE, "method": "extractive", "max_sentences": 2}
OFFLINE = RuntimeConfig(load_summary=False, load_translation=False, device="cpu", threads=1)


@pytest.fixture
def prefix():
    with redis_prefix() as p:
        yield p


@pytest.fixture
def pg():
    with fresh_postgres() as url:
        yield url


def test_a_result_computed_by_one_replica_is_a_cache_hit_on_the_other(prefix):
    replicas = [create_app(Settings(jobs=False), Runtime(OFFLINE, cache=RedisCache(REDIS, prefix=prefix)).load())
                .test_client() for _ in range(2)]
    first = replicas[0].post("/v1/summarize", json=SUMMARIZE).get_json()
    second = replicas[1].post("/v1/summarize", json=SUMMARIZE).get_json()
    assert first["timings"]["cache"] == "miss" and second["timings"]["cache"] == "hit"
    assert second["summary"] == first["summary"]


def test_one_redis_connection_pool_serves_readyz_the_cache_and_the_limits(prefix):
    from service.app import shared_cache

    settings = Settings(jobs=False, redis_url=REDIS, cache="redis", limits_prefix=prefix, anon_rate_limit="2/minute")
    app = create_app(settings, Runtime(OFFLINE).load())
    pool = app.extensions["tomtat.redis"].connection_pool
    assert shared_cache(settings, app.extensions["tomtat.redis"]).client.connection_pool is pool
    assert app.extensions["tomtat.limiter"].storage.storage.connection_pool is pool
    client = app.test_client()
    assert [client.post("/v1/summarize", json=SUMMARIZE).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/readyz").get_json()["dependencies"]["redis"]["ready"] is True
    # a limits server other than the cache's keeps its own connections
    other = create_app(Settings(jobs=False, redis_url=REDIS, limits_storage=urlsplit(REDIS)._replace(path="/1").geturl(),
                                limits_prefix=prefix), Runtime(OFFLINE).load())
    assert other.extensions["tomtat.limiter"].storage.storage.connection_pool is not \
        other.extensions["tomtat.redis"].connection_pool


def test_redis_going_away_leaves_summaries_served_and_readyz_says_why(prefix):
    cut = Cut(*host_port(REDIS, 6379))
    try:
        url = cut.url(REDIS)
        settings = Settings(jobs=False, redis_url=url, limits_prefix=prefix, anon_rate_limit="1000/minute")
        client = create_app(settings, Runtime(OFFLINE, cache=RedisCache(url, prefix=prefix)).load()).test_client()
        assert client.get("/readyz").get_json()["dependencies"]["redis"] == {
            "ready": True, "used_for": ["rate limits and quotas", "result cache"]}
        assert client.post("/v1/summarize", json=SUMMARIZE).status_code == 200
        cut.down()
        down = client.post("/v1/summarize", json=SUMMARIZE)
        assert down.status_code == 200 and down.get_json()["timings"]["cache"] == "hit"  # this replica's LRU
        fresh = client.post("/v1/summarize", json=SUMMARIZE | {"max_sentences": 1})
        assert fresh.status_code == 200 and fresh.get_json()["timings"]["cache"] == "miss"
        ready = client.get("/readyz").get_json()
        assert ready["status"] == "degraded"
        redis = ready["dependencies"]["redis"]
        assert not redis["ready"] and "Redis does not answer" in redis["reason"]
        assert "reconnects by itself" in redis["how_to_fix"]
        cut.up()
        assert client.get("/readyz").get_json()["dependencies"]["redis"]["ready"]
        again = client.post("/v1/summarize", json=SUMMARIZE | {"max_sentences": 3})
        assert again.status_code == 200
    finally:
        cut.close()


def test_a_quota_spent_on_one_replica_is_spent_on_both(pg, prefix, offline_runtime):
    settings = Settings(auth=True, database_url=pg, redis_url=REDIS, limits_prefix=prefix, jobs=False)
    _record, key = KeyStore(pg).create("desk", rate_limit="5/minute", char_quota="100000/day")
    one, two = (create_app(settings, offline_runtime).test_client() for _ in range(2))
    headers = {"X-API-Key": key}
    for client in (one, two, one, two, one):
        assert client.get("/v1/models", headers=headers).status_code == 200
    for client in (one, two):
        body = problem(client.get("/v1/models", headers=headers), 429)
        assert "5 per 1 minute" in body["detail"]
    limits = one.get("/v1/limits", headers={"X-API-Key": KeyStore(pg).create("other")[1]}).get_json()
    assert limits["client"]["rate"][0]["remaining"] == 59  # per key: the other key has its own count


def test_a_key_revoked_anywhere_is_refused_by_every_replica(pg, offline_runtime):
    settings = Settings(auth=True, database_url=pg, jobs=False)
    one, two = (create_app(settings, offline_runtime).test_client() for _ in range(2))
    record, key = KeyStore(pg).create("desk")
    assert one.get("/v1/models", headers={"X-API-Key": key}).status_code == 200
    assert two.get("/v1/models", headers={"X-API-Key": key}).status_code == 200
    KeyStore(pg).revoke(record.id)  # `tomtat keys revoke` against the shared database
    for client in (one, two):
        assert problem(client.get("/v1/models", headers={"X-API-Key": key}), 403)["type"].endswith("/key-revoked")


def test_the_database_going_away_is_503_for_what_needs_it_and_comes_back(pg, offline_runtime, seed_article):
    cut = Cut(*host_port(pg, 5432))
    try:
        url = cut.url(pg)
        _record, key = KeyStore(pg).create("desk")
        keyed = create_app(Settings(auth=True, database_url=url, job_workers=0), offline_runtime).test_client()
        open_ = create_app(Settings(database_url=url, job_workers=0), offline_runtime).test_client()
        headers = {"X-API-Key": key}
        job = {"articles": [{"id": "a", "text": seed_article}], "summary": {"method": "extractive"},
               "translate": "none"}
        posted = keyed.post("/v1/jobs", json=job, headers=headers)
        assert posted.status_code == 202
        assert keyed.get("/readyz").get_json()["dependencies"]["database"]["ready"]

        cut.down()
        refused = problem(keyed.post("/v1/summarize", json=SUMMARIZE, headers=headers), 503)
        assert refused["type"].endswith("/database-unavailable") and "API keys cannot be checked" in refused["detail"]
        jobs_down = problem(open_.post("/v1/jobs", json=job), 503)
        assert jobs_down["type"].endswith("/job-store-unavailable") and "keep working" in jobs_down["detail"]
        assert open_.post("/v1/summarize", json=SUMMARIZE).status_code == 200  # no database needed: served
        assert keyed.get("/healthz").status_code == 200
        ready = keyed.get("/readyz")
        assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
        database = ready.get_json()["dependencies"]["database"]
        assert not database["ready"] and database["used_for"] == ["jobs", "api keys"]
        assert "password" not in database["url"] and "503" in database["effect"]
        assert keyed.get("/readyz?require=database").status_code == 503

        cut.up()
        assert keyed.post("/v1/summarize", json=SUMMARIZE, headers=headers).status_code == 200
        job_id = posted.get_json()["job_id"]
        assert keyed.get(f"/v1/jobs/{job_id}", headers=headers).get_json()["status"] == "queued"
        assert keyed.get("/readyz?require=database").status_code == 200
    finally:
        cut.close()


def test_a_service_started_while_its_database_is_down_serves_and_migrates_when_it_returns(pg, offline_runtime):
    cut = Cut(*host_port(pg, 5432))
    try:
        cut.down()
        client = create_app(Settings(database_url=cut.url(pg), job_workers=1), offline_runtime).test_client()
        assert client.post("/v1/summarize", json=SUMMARIZE).status_code == 200
        problem(client.get("/v1/jobs/00000000000000000000000000000000"), 503)
        cut.up()
        assert client.get("/v1/jobs/00000000000000000000000000000000").status_code == 404
    finally:
        from service import jobs

        jobs.shutdown(client.application, timeout=5)
        cut.close()


def test_limits_fall_back_to_each_replica_while_redis_is_away_and_share_again_when_it_returns(prefix, offline_runtime):
    cut = Cut(*host_port(REDIS, 6379))
    try:
        settings = Settings(jobs=False, redis_url=cut.url(REDIS), limits_prefix=prefix, anon_rate_limit="1000/minute")
        one, two = (create_app(settings, offline_runtime).test_client() for _ in range(2))

        def remaining(client) -> int:
            return client.get("/v1/limits").get_json()["client"]["rate"][0]["remaining"]

        one.get("/v1/models")
        assert remaining(two) == remaining(one) + 1 == 998  # one count in Redis: the limits call itself counts
        cut.down()
        for _ in range(3):
            assert one.get("/v1/models").status_code == 200  # served, counted by this replica alone
        cut.up()
        deadline = time.time() + 20  # Flask-Limiter probes the storage again with a back-off (1, 2, 4 … s)
        while True:
            one.get("/v1/models")
            two.get("/v1/models")
            a, b = remaining(one), remaining(two)
            if b == a - 1 and a < 990:  # both count in Redis again: each call seen by the other
                break
            assert time.time() < deadline, (a, b)
            time.sleep(0.5)
    finally:
        cut.close()
