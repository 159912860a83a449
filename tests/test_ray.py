"""The Ray Data engine gives the same rows as the local engine: on a local Ray instance in this process,
and from the CLI on a real cluster (a head and a worker started with ``tomtat ray start``) on 127.0.0.1."""

from __future__ import annotations

import glob
import importlib.util
import ipaddress
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import ray  # noqa: E402  - in the dev extra that `make test` installs

from models import pipeline  # noqa: E402
from models.runtime import Runtime, RuntimeConfig  # noqa: E402
from service.batch import ray_cluster, ray_engine  # noqa: E402
from service.batch.records import read_records  # noqa: E402
from service.batch.runner import ArticleOptions, process_record, run_local  # noqa: E402
from service.batch.writer import ResultWriter  # noqa: E402
from tests.helpers import free_port  # noqa: E402

# hand-written scraped-style articles (captions, bylines, HTML, repeated sapo): no dataset needed
RAW = Path(__file__).resolve().parent / "fixtures" / "scraped_articles.jsonl"
ROOT = Path(__file__).resolve().parents[1]


def write_archive(src: Path, seed_article: str) -> Path:
    """The scraped articles, three bad rows (malformed JSON, empty text, not UTF-8) and the seed article."""
    with open(src, "wb") as handle:
        for line in RAW.read_bytes().splitlines():
            handle.write(line + b"\n")
        handle.write(b'{"id": "bad"\n{"id": "empty", "text": ""}\n{"id": "bytes", "text": "\xff"}\n')
        handle.write(json.dumps({"id": "seed", "title": "Hội nghị", "text": seed_article}).encode() + b"\n")
    return src


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
    src = write_archive(tmp_path / "archive.jsonl", seed_article)
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


# --- a real cluster: `tomtat ray start` head + worker, `tomtat batch --engine ray --ray-address` --------------


def cli(*args: str, env: dict, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, timeout=timeout,
                          **kwargs)


def _socket_inodes(pids) -> dict[int, int]:
    """socket inode → pid, for the sockets ``pids`` hold."""
    inodes = {}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes[int(target[8:-1])] = pid
    return inodes


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), int(port, 16)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), int(port, 16)


def listeners(pids) -> set[tuple[int, str, str, int]]:
    """(pid, process name, host, port) of every listening TCP socket and unconnected UDP socket of ``pids``."""
    inodes = _socket_inodes(pids)
    found = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/net/{table}", encoding="ascii") as handle:
            lines = handle.read().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if inode not in inodes:
                continue
            if table.startswith("tcp") and state != "0A":  # TCP_LISTEN
                continue
            if table.startswith("udp") and _address(remote)[1] != 0:  # a connected (client) socket
                continue
            host, port = _address(local)
            found.add((inodes[inode], ray_cluster._comm(inodes[inode]), host, port))
    return found


def is_loopback(host: str) -> bool:
    ip = ipaddress.ip_address(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def descendants(pid: int) -> set[int]:
    procs = ray_cluster._processes()
    found = {pid}
    changed = True
    while changed:
        changed = False
        for child, (ppid, _) in procs.items():
            if ppid in found and child not in found:
                found.add(child)
                changed = True
    return found


@pytest.fixture
def ray_cluster_on_loopback(request):
    """A head and a worker node, 2 CPUs each, each with its own --temp-dir, started with ``tomtat ray start``;
    stopped with ``tomtat ray stop --temp-dir`` (only these nodes' processes) even when the test fails."""
    dirs = {name: tempfile.mkdtemp(prefix=f"tomtat-ray-{name}-") for name in ("head", "worker")}
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    # a token of its own: the nodes, the driver and `ray stop` agree without ~/.ray/auth_token (which a local
    # ray.init() writes, and `ray start --head` then uses), and nothing else can talk to this cluster
    env.update(RAY_USAGE_STATS_ENABLED="0", AUTOSCALER_METRIC_PORT=str(free_port()),
               RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    gcs_port = free_port()
    ports = {name: {"--node-manager-port": free_port(), "--object-manager-port": free_port(),
                    "--runtime-env-agent-port": free_port(), "--dashboard-agent-listen-port": free_port(),
                    "--dashboard-agent-grpc-port": free_port(), "--metrics-export-port": free_port()}
             for name in dirs}

    def stop():
        for name in ("worker", "head"):
            done = cli("ray", "stop", "--temp-dir", dirs[name], env=env, timeout=120, capture_output=True)
            if done.returncode != 0:
                ray_cluster.stop(dirs[name])
        left = {name: ray_cluster.cluster_pids(d) for name, d in dirs.items()}
        for d in dirs.values():
            shutil.rmtree(d, ignore_errors=True)
        assert not any(left.values()), f"Ray processes left running: {left}"

    request.addfinalizer(stop)
    common = ["--num-cpus=2", "--object-store-memory=100000000", "--disable-usage-stats"]
    for name, extra in (("head", ["--head", f"--port={gcs_port}", "--include-dashboard=false"]),
                        ("worker", [f"--address=127.0.0.1:{gcs_port}"])):
        if name == "head" and importlib.util.find_spec("grpc"):  # Ray Client's server, when it is installed
            extra.append(f"--ray-client-server-port={free_port()}")
        flags = [f"{k}={v}" for k, v in ports[name].items()]
        done = cli("ray", "start", *extra, *common, *flags, f"--temp-dir={dirs[name]}", env=env, timeout=180,
                   capture_output=True, text=True)
        assert done.returncode == 0, f"ray start ({name}) failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        assert "Local node IP: 127.0.0.1" in done.stdout + done.stderr
    return {"address": f"127.0.0.1:{gcs_port}", "gcs_port": gcs_port, "dirs": dirs, "ports": ports, "env": env}


@pytest.mark.slow
def test_cli_on_a_two_node_cluster_on_loopback_equals_the_local_engine(tmp_path, ray_cluster_on_loopback,
                                                                       seed_article):
    """`tomtat batch --engine ray --ray-address 127.0.0.1:PORT` on a head + worker started with
    `tomtat ray start`: the local engine's rows, actors on both nodes, every Ray socket on 127.0.0.1."""
    cluster = ray_cluster_on_loopback
    env, dirs = cluster["env"], cluster["dirs"]
    src = write_archive(tmp_path / "archive.jsonl", seed_article)
    common = ["--method", "extractive", "--max-sentences", "3", "--translate", "none", "--max-chars", "20000",
              "--progress", "none"]

    local_out = tmp_path / "local.jsonl"
    done = cli("batch", str(src), "-o", str(local_out), "--engine", "local", *common, env=env, timeout=120,
               capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]

    def cluster_processes() -> set[int]:
        return set().union(*(ray_cluster.cluster_pids(d) for d in dirs.values()))

    seen = listeners(cluster_processes())
    ray_out = tmp_path / "ray.jsonl"
    with open(tmp_path / "driver.log", "wb") as log:
        driver = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "batch", str(src), "-o", str(ray_out), "--engine", "ray",
             "--ray-address", cluster["address"], "--ray-actors", "2", "--ray-batch-size", "4", *common],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        try:  # while the job runs: the sockets of the driver, of both nodes, and of their workers and actors
            while driver.poll() is None and time.monotonic() < deadline:
                seen |= listeners(cluster_processes() | descendants(driver.pid))
                time.sleep(0.2)
        finally:
            if driver.poll() is None:
                driver.kill()
            driver.wait()
    log_text = (tmp_path / "driver.log").read_text(errors="replace")
    assert driver.returncode == 0, log_text[-4000:]
    seen |= listeners(cluster_processes())

    assert rows(ray_out) == rows(local_out)
    stats = json.loads(log_text.strip().splitlines()[-1])
    assert (stats["done"], stats["failed"]) == (9, 3)

    # every socket that a Ray process (or the driver) listened on is on loopback
    outside = {s for s in seen if not is_loopback(s[2])}
    assert not outside, f"Ray listened outside 127.0.0.1: {sorted(outside)}"
    ports = {port for _, _, _, port in seen}
    assert cluster["gcs_port"] in ports  # the GCS
    for name in dirs:  # each node's raylet and object manager
        assert {cluster["ports"][name]["--node-manager-port"], cluster["ports"][name]["--object-manager-port"]} <= ports
    names = {name for _, name, _, _ in seen}
    assert {"gcs_server", "raylet"} <= names
    assert any(n.startswith("ray::") and "Agent" not in n for n in names)  # workers / actors too
    assert driver.pid in {pid for pid, _, _, _ in seen}  # and the driver, `tomtat batch`

    # the two model actors were placed one on each node (each node's own worker logs name them)
    for name, d in dirs.items():
        logs = glob.glob(os.path.join(d, "session_latest", "logs", "worker-*.out"))
        assert any("ArticleMapper" in Path(f).read_text(errors="replace") for f in logs), f"no actor on the {name}"
