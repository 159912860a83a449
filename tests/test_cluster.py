"""Two tomtat servers on two ports share one PostgreSQL and one Redis, as replicas behind a load balancer:
a job posted to one is worked by both; SIGKILL one mid-job and the other finishes it, every item's result
exactly once; a key revoked through one is refused by the other; a quota spent on one is spent on both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from service.db import Database
from tests.helpers import free_port, wait_healthy
from tests.servers import REDIS, fresh_postgres, redis_prefix

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


def call(base: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if body is not None else "GET",
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Replica:
    def __init__(self, name: str, env: dict, logs: Path):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = logs / f"{name}.log"
        self.proc = subprocess.Popen([str(BIN / "tomtat"), "serve"], cwd=ROOT, env=env | {"TOMTAT_PORT": str(self.port)},
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self) -> None:
        try:
            wait_healthy(self.base, self.proc, seconds=90)
        except BaseException:
            print(self.log.read_text(errors="replace")[-3000:])
            raise

    def kill(self) -> None:
        """SIGKILL the whole server (gunicorn's arbiter and its worker): no shutdown hook runs."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def tomtat(env: dict, *args: str) -> str:
    out = subprocess.run([str(BIN / "tomtat"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture
def cluster(tmp_path):
    with fresh_postgres() as pg, redis_prefix() as prefix:
        env = os.environ | {
            "TOMTAT_DATABASE_URL": pg, "TOMTAT_REDIS_URL": REDIS, "TOMTAT_LIMITS_PREFIX": prefix,
            "TOMTAT_AUTH": "1", "TOMTAT_LOAD_MODELS": "0", "TOMTAT_HOST": "127.0.0.1", "TOMTAT_JOB_WORKERS": "1",
            "TOMTAT_JOB_LEASE_S": "2", "TOMTAT_SERVER_THREADS": "4", "TOMTAT_LOG_LEVEL": "WARNING",
        }
        tomtat(env, "db", "upgrade")  # as a deployment would, before the replicas roll
        replicas = [Replica(name, env, tmp_path) for name in ("a", "b")]
        try:
            for replica in replicas:
                replica.wait()
            yield env, pg, replicas
        finally:
            for replica in replicas:
                replica.kill()


def new_key(env: dict, name: str, *args: str) -> str:
    return json.loads(tomtat(env, "keys", "create", "--name", name, "--json", *args))["key"]


@pytest.mark.slow
def test_keys_and_quotas_are_shared_by_the_replicas(cluster):
    env, _pg, (a, b) = cluster
    key = new_key(env, "desk", "--rate", "4/minute")
    assert [call(r.base, "/v1/models", key)[0] for r in (a, b, a, b)] == [200] * 4
    for replica in (a, b):  # the fifth request is over the rate, whichever replica it reaches
        status, body = call(replica.base, "/v1/models", key)
        assert status == 429 and "4 per 1 minute" in body["detail"]

    other = new_key(env, "night-desk")
    assert call(a.base, "/v1/models", other)[0] == 200 and call(b.base, "/v1/models", other)[0] == 200
    tomtat(env, "keys", "revoke", "night-desk")
    for replica in (a, b):
        status, body = call(replica.base, "/v1/models", other)
        assert status == 403 and body["type"].endswith("/key-revoked")


@pytest.mark.slow
def test_a_job_is_worked_by_both_replicas_and_survives_one_killed_mid_job(cluster, seed_article):
    env, pg, (a, b) = cluster
    key = new_key(env, "archive", "--rate", "10000/minute", "--chars", "100000000")
    n = 120
    job = {"articles": [{"id": f"art-{i:03d}", "text": seed_article} for i in range(n)],
           "summary": {"method": "extractive", "max_sentences": 3}, "translate": "none"}
    status, body = call(a.base, "/v1/jobs", key, job)
    assert status == 202, body
    job_id = body["job_id"]
    db = Database(pg)

    def owners() -> dict[str, int]:
        with db.read() as conn:
            return dict(conn.execute(text("SELECT owner, COUNT(*) FROM job_items WHERE job_id = :j AND "
                                          "status = 'done' GROUP BY owner"), {"j": job_id}).all())

    deadline = time.time() + 120
    while not (len(owners()) >= 2 and sum(owners().values()) >= 10):
        assert time.time() < deadline, f"both replicas did not start on the job: {owners()}"
        time.sleep(0.1)
    before_kill = owners()
    a.kill()  # mid-job: items queued, one likely running on a
    assert call(b.base, f"/v1/jobs/{job_id}", key)[1]["counts"]["queued"] > 0, "the job finished before the kill"

    deadline = time.time() + 180
    while (state := call(b.base, f"/v1/jobs/{job_id}", key)[1])["status"] != "done":
        assert time.time() < deadline, f"the surviving replica did not finish the job: {state}"
        time.sleep(0.5)
    assert state["counts"] == {"total": n, "queued": 0, "running": 0, "done": n, "failed": 0, "cancelled": 0}

    req = urllib.request.Request(f"{b.base}/v1/jobs/{job_id}/results", headers={"X-API-Key": key})
    with urllib.request.urlopen(req, timeout=30) as resp:
        rows = [json.loads(line) for line in resp.read().decode().splitlines() if line.strip()]
    ids = [row["id"] for row in rows]
    assert sorted(ids) == [f"art-{i:03d}" for i in range(n)]  # every item's result exactly once
    assert all(row.get("summary_vi") for row in rows)
    with db.read() as conn:
        orders = [r[0] for r in conn.execute(text("SELECT done_order FROM job_items WHERE job_id = :j "
                                                  "ORDER BY done_order"), {"j": job_id})]
    assert orders == list(range(1, n + 1))
    after = owners()
    assert set(before_kill) <= set(after) and len(after) == 2  # a's work kept; b did the rest
    survivor = next(owner for owner in after if after[owner] > before_kill.get(owner, 0))
    assert after[survivor] == n - sum(c for o, c in after.items() if o != survivor)
