"""tomtat's speed benchmark: naive server vs tomtat (torch) vs tomtat (CTranslate2), one run, one machine.

    .venv/bin/python bench/run.py                    # full run on CPU, writes bench/RESULTS.md
    .venv/bin/python bench/run.py --quick            # smoke run: tiny models, few requests (~1 min)
    python bench/run.py --device cuda --quick        # GPU: torch fp16 and CTranslate2 float16

Contenders, each a subprocess HTTP server on 127.0.0.1 (RSS measured per server):
  (A) bench/naive_server.py: Flask, one request at a time, transformers fp32 (fp16 on CUDA), batch 1,
      translation sentence by sentence;
  (B) tomtat (gunicorn, 16 threads), torch backend (``--torch-dtype``, default auto: bf16 on CPUs
      with AMX, fp32 on other CPUs, fp16 on CUDA), cross-request batching;
  (C) tomtat, CTranslate2 int8 (float16 on CUDA), cross-request batching.
Threads: each backend's automatic choice unless ``--threads N``. On CPUs with bf16 hardware the
report gives the bf16 GEMM peak beside the fp32 one. bench/profile_phases.py times the phases of
(C) alone (encoder, decoder steps, thread layouts) to show where its time goes.
Without Flask/gunicorn (``--inprocess``, automatic when Flask is missing) the same contenders run
inside this process, driven by threads, and RSS is not reported.

Models are random-weight replicas with the real architectures and vocabulary sizes
(tests/replicas.py), cached under bench/.cache/. Output lengths are fixed (min = max new
tokens), greedy, so every contender does identical model work. The result cache is off.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SUMMARY = "VietAI/vit5-base-vietnews-summarization"
TRANSLATION = "VietAI/envit5-translation"
MARIAN = "Helsinki-NLP/opus-mt-vi-en"


# ---------------------------------------------------------------------------------------------
# workloads
# ---------------------------------------------------------------------------------------------

def make_article(rng: random.Random, words: int = 0, sentences: int = 0) -> str:
    """A synthetic Vietnamese news article of about ``words`` words (or ``sentences`` sentences): corpus
    sentences with fresh numbers, in paragraphs. The replicas of ViT5 and EnViT5 carry the real tokenizers,
    so the token counts the models see are the real ones (reported as ``article_tokens``)."""
    from tests.replicas import VI_CORPUS

    out, count = [], 0
    while (words and count < words) or (sentences and len(out) < sentences):
        s = rng.choice(VI_CORPUS)
        s = "".join(str(rng.randint(1, 99)) if ch.isdigit() else ch for ch in s)
        out.append(s)
        count += len(s.split())
    paragraphs = [" ".join(out[i:i + 5]) for i in range(0, len(out), 5)]
    return "\n\n".join(paragraphs)


@dataclass
class Workload:
    name: str
    path: str
    bodies: list[dict]
    concurrency: int
    unit: str  # what throughput counts: articles or sentences
    units_per_request: int = 1


def workloads(quick: bool, summary_tokens: int, translation_tokens: int, seed: int = 7) -> list[Workload]:
    rng = random.Random(seed)
    gen_s = {"max_new_tokens": summary_tokens, "min_new_tokens": summary_tokens, "num_beams": 1}
    gen_t = {"max_new_tokens": translation_tokens, "min_new_tokens": translation_tokens, "num_beams": 1}
    n_c1, n_c8, n_tr, n_ex = (2, 8, 4, 8) if quick else (7, 16, 4, 40)  # c=1: 7 for a steadier median

    def article_body(i):
        return {"id": f"a{i}", "text": make_article(rng, words=600),
                "summary": {"method": "abstractive", **gen_s}, "translate": "summary", "translation": gen_t}

    return [
        Workload("articles c=1", "/v1/articles", [article_body(i) for i in range(n_c1)], 1, "articles"),
        Workload("articles c=8", "/v1/articles", [article_body(i) for i in range(n_c8)], 8, "articles"),
        Workload("translate 30-sentence articles c=4", "/v1/translate",
                 [{"text": make_article(rng, sentences=30), **gen_t} for _ in range(n_tr)], 4, "sentences", 30),
        Workload("extractive summarize 1000 words c=4", "/v1/summarize",
                 [{"text": make_article(rng, words=1000), "method": "extractive", "max_sentences": 2}
                  for _ in range(n_ex)], 4, "articles"),
    ]


# ---------------------------------------------------------------------------------------------
# machine
# ---------------------------------------------------------------------------------------------

def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def append_result(name: str, header: str, line: str) -> None:
    """Add ``line`` (a Markdown table row) to ``bench/<name>``, written with ``header`` the first time."""
    path = Path(__file__).resolve().parent / name
    if not path.exists():
        path.write_text(header, encoding="utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def machine(device: str) -> dict:
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__, "cores": len(os.sched_getaffinity(0))}
    try:
        import ctranslate2
        import transformers

        info["ctranslate2"] = ctranslate2.__version__
        info["transformers"] = transformers.__version__
    except ImportError:
        pass
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line)
        flags = next(line for line in cpuinfo.splitlines() if line.startswith("flags"))
        info["simd"] = ",".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni")
                                if f" {f}" in flags)
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gib"] = round(int(mem) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def gemm_peak(device: str, seconds: float = 2.0, dtype=None) -> float:
    """GFLOP/s of a plain square matrix multiply (fp32 on CPU, fp16 on CUDA), best of a few runs."""
    import torch

    n = 2048 if device == "cpu" else 8192
    dtype = dtype or (torch.float32 if device == "cpu" else torch.float16)
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    best = 0.0
    end = time.perf_counter() + seconds
    torch.mm(a, b)
    while time.perf_counter() < end:
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(4 if device == "cuda" else 1):
            torch.mm(a, b)
        if device == "cuda":
            torch.cuda.synchronize()
        reps = 4 if device == "cuda" else 1
        best = max(best, reps * 2 * n**3 / (time.perf_counter() - t) / 1e9)
    return best


def encoder_efficiency(ct2_dir: Path, config, device: str, batch: int, tokens: int, compute_type: str,
                       threads: int) -> dict:
    """Effective GFLOP/s of the CTranslate2 T5 encoder: a 1-step decode of ``batch`` x ``tokens`` inputs."""
    import ctranslate2

    translator = ctranslate2.Translator(str(ct2_dir), device=device, compute_type=compute_type,
                                        intra_threads=threads if device == "cpu" else 0)
    source = [["▁tin"] * (tokens - 1) + ["</s>"] for _ in range(batch)]
    times = []
    for _ in range(3):
        t = time.perf_counter()
        translator.translate_batch(source, beam_size=1, max_decoding_length=1, max_input_length=0)
        times.append(time.perf_counter() - t)
    d, ff, layers, heads_dim = config.d_model, config.d_ff, config.num_layers, config.num_heads * config.d_kv
    ffn = (3 if "gated" in config.feed_forward_proj else 2) * d * ff
    per_token_layer = 2 * (4 * d * heads_dim + ffn + 2 * tokens * heads_dim)
    flops = layers * batch * tokens * per_token_layer
    seconds = statistics.median(times)
    return {"batch": batch, "tokens": tokens, "seconds": round(seconds, 3), "gflop": round(flops / 1e9, 1),
            "gflops": round(flops / seconds / 1e9, 1)}


# ---------------------------------------------------------------------------------------------
# servers and the driver
# ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        import psutil

        self.proc = psutil.Process(pid)
        self.peak_tree = self.peak_single = 0
        self.stop = threading.Event()

    def sample(self) -> None:
        import psutil

        try:
            procs = [self.proc] + self.proc.children(recursive=True)
            sizes = []
            for p in procs:
                try:
                    sizes.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            self.peak_tree = max(self.peak_tree, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes, default=0))
        except psutil.Error:
            pass

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.sample()


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict
    port: int
    proc: subprocess.Popen | None = None
    sampler: RssSampler | None = None
    log: Path | None = None
    started_s: float = 0.0

    def start(self, log_dir: Path, timeout: float = 900) -> None:
        self.log = log_dir / f"server-{self.name}.log"
        t = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT)
        self.sampler = RssSampler(self.proc.pid)
        self.sampler.start()
        while time.perf_counter() - t < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited: see {self.log}\n" + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    self.started_s = time.perf_counter() - t
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"server {self.name} did not start in {timeout} s")

    def post(self, path: str, body: dict, timeout: float = 3600) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.sampler:
            self.sampler.sample()
            self.sampler.stop.set()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def tomtat_server(name: str, backend: str, models: dict, device: str, threads: int, torch_dtype: str) -> Server:
    port = free_port()
    env = dict(os.environ)
    env.update({
        "TOMTAT_PORT": str(port), "TOMTAT_HOST": "127.0.0.1",
        "TOMTAT_SUMMARY_MODEL": str(models[SUMMARY]), "TOMTAT_SUMMARY_PROFILE": SUMMARY,
        "TOMTAT_TRANSLATION_MODEL": str(models[TRANSLATION]), "TOMTAT_TRANSLATION_PROFILE": TRANSLATION,
        "TOMTAT_BACKEND": backend, "TOMTAT_DEVICE": device, "TOMTAT_CACHE": "off", "TOMTAT_THREADS": str(threads or 0),
        "TOMTAT_LOG_LEVEL": "WARNING", "TOMTAT_JOBS": "0", "TOMTAT_AUTH": "0", "TOMTAT_ANON_RATE_LIMIT": "",
        "TOMTAT_ANON_CHAR_QUOTA": "", "TOMTAT_TIMEOUT": "3600", "TOMTAT_SERVER_THREADS": "16",
        "TOMTAT_QUEUE_TIMEOUT": "0", "TOMTAT_DB": str(ROOT / "bench" / ".cache" / f"{name}.sqlite3"),
        "TOMTAT_MAX_BATCH_SIZE": "32", "TOMTAT_TORCH_DTYPE": torch_dtype,
    })
    return Server(name, [sys.executable, "-m", "service.cli", "serve"], env, port)


def naive_server(models: dict, device: str, threads: int) -> Server:
    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "naive_server.py"), "--port", str(port), "--summary",
           str(models[SUMMARY]), "--translation", str(models[TRANSLATION]), "--device", device,
           "--threads", str(threads)]
    return Server("A-naive", cmd, dict(os.environ), port)


def drive(post, workload: Workload) -> dict:
    """Send every body of ``workload`` with ``concurrency`` clients; latencies and throughput."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    pending = list(enumerate(workload.bodies))

    def client():
        while True:
            with lock:
                if not pending:
                    return
                _, body = pending.pop(0)
            t = time.perf_counter()
            try:
                post(workload.path, body)
            except Exception as exc:  # noqa: BLE001 - count and report
                with lock:
                    errors.append(repr(exc)[:300])
                continue
            with lock:
                latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    with ThreadPoolExecutor(workload.concurrency) as pool:
        for _ in range(workload.concurrency):
            pool.submit(client)
    wall = time.perf_counter() - started
    n = len(latencies)
    units = n * workload.units_per_request
    lat = sorted(latencies)
    return {
        "requests": n, "errors": len(errors), "error_sample": errors[:2], "wall_s": round(wall, 2),
        "per_s": round(units / wall, 3) if wall else 0.0, "unit": workload.unit,
        "p50_s": round(statistics.median(lat), 3) if lat else None,
        "p95_s": round(lat[min(n - 1, int(round(0.95 * (n - 1))))], 3) if lat else None,
    }


# ---------------------------------------------------------------------------------------------
# in-process contenders (no Flask/gunicorn: e.g. a bare GPU machine)
# ---------------------------------------------------------------------------------------------

class InProcess:
    def __init__(self, name: str, backend: str | None, models: dict, device: str, threads: int,
                 torch_dtype: str = "auto"):
        self.name = name
        self.started_s = 0.0
        t = time.perf_counter()
        if backend is None:
            sys.path.insert(0, str(ROOT / "bench"))
            from naive_server import NaiveModel

            from models.extractive import ExtractiveSummarizer
            from models.profiles import PROFILES

            self.naive = (NaiveModel(str(models[SUMMARY]), PROFILES[SUMMARY], device),
                          NaiveModel(str(models[TRANSLATION]), PROFILES[TRANSLATION], device))
            self.extractive = ExtractiveSummarizer()
            self.lock = threading.Lock()
            self.runtime = None
        else:
            from models.runtime import Runtime, RuntimeConfig

            self.runtime = Runtime(RuntimeConfig(
                summary_model=str(models[SUMMARY]), summary_profile=SUMMARY,
                translation_model=str(models[TRANSLATION]), translation_profile=TRANSLATION,
                backend=backend, device=device, threads=threads, cache="off", batch_size=32,
                queue_timeout=None, torch_dtype=torch_dtype)).load()
            for cap in self.runtime.capabilities().values():
                if not cap.ready:
                    raise RuntimeError(f"{name}: {cap.reason}")
        self.started_s = time.perf_counter() - t

    def post(self, path: str, body: dict) -> dict:
        from models import pipeline
        from models.pipeline import clean_article
        from models.text.segment import split_sentences

        if self.runtime is None:
            summarizer, translator = self.naive
            with self.lock:
                paragraphs = clean_article(body["text"], None, None)
                sentences = [s for p in paragraphs for s in p]
                if path == "/v1/articles":
                    summary = summarizer.summarize(sentences, body["summary"])
                    return {"summary_en": " ".join(translator.generate(s, body["translation"])
                                                   for s in split_sentences(summary))}
                if path == "/v1/translate":
                    return {"translation": " ".join(translator.generate(s, body) for s in sentences)}
                return {"summary": self.extractive.summarize(sentences, max_sentences=2)}
        rt = self.runtime
        if path == "/v1/articles":
            s, t = body["summary"], body["translation"]
            opts = pipeline.SummaryOptions(method="abstractive", generation=pipeline.GenerationOverrides(
                s["max_new_tokens"], s["min_new_tokens"], s["num_beams"]))
            return {"r": pipeline.process_article(rt, body["text"], summary=opts, translate="summary",
                                                  translation=pipeline.GenerationOverrides(
                                                      t["max_new_tokens"], t["min_new_tokens"], t["num_beams"]))}
        if path == "/v1/translate":
            return {"r": pipeline.translate(rt, [body["text"]], generation=pipeline.GenerationOverrides(
                body["max_new_tokens"], body["min_new_tokens"], body["num_beams"]))}
        return {"r": pipeline.summarize(rt, body["text"], options=pipeline.SummaryOptions(
            method="extractive", max_sentences=2))}

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.close()


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def build_models(cache: Path, size: str) -> tuple[dict, dict]:
    from tests.replicas import ensure_replica

    models, seconds = {}, {}
    for pid in (SUMMARY, TRANSLATION, MARIAN):
        t = time.perf_counter()
        models[pid] = ensure_replica(pid, cache / "replicas", size)
        seconds[pid] = round(time.perf_counter() - t, 1)
    return models, seconds


def convert_models(models: dict, quantization: str) -> dict:
    from models.backends.convert import convert

    out = {}
    for pid in (SUMMARY, TRANSLATION):
        t = time.perf_counter()
        path = convert(models[pid], quantization)
        out[pid] = {"path": str(path), "seconds": round(time.perf_counter() - t, 1)}
    return out


def article_tokens(models: dict, text: str) -> tuple[int, int]:
    """Summary-model tokens (the real ViT5 tokenizer) and words of the cleaned article."""
    from models.pipeline import clean_article
    from models.tokenization import load_tokenizer

    tok = load_tokenizer(models[SUMMARY], "t5")
    joined = " ".join(s for p in clean_article(text, None, None) for s in p)
    return tok.count(joined), len(joined.split())


def table(results: dict, contenders: list[str]) -> list[str]:
    base = "A"
    head = "| workload | " + " | ".join(f"({c}) {results['contenders'][c]['label']}" for c in contenders) + " |"
    rows = [head, "|---" * (len(contenders) + 1) + "|"]
    for wl in results["workloads"]:
        cells_tp, cells_lat = [], []
        for c in contenders:
            r = results["runs"].get(c, {}).get(wl)
            if not r:
                cells_tp.append("n/a")
                cells_lat.append("n/a")
                continue
            ref = results["runs"].get(base, {}).get(wl)
            ratio_tp = f" (**{r['per_s'] / ref['per_s']:.1f}×**)" if ref and ref["per_s"] and c != base else ""
            ratio_p50 = (f" (**{r['p50_s'] / ref['p50_s']:.2f}×**)" if ref and ref.get("p50_s") and r.get("p50_s")
                         and c != base else "")
            err = f", {r['errors']} errors" if r["errors"] else ""
            cells_tp.append(f"{r['per_s']:.3g} {r['unit']}/s{ratio_tp}{err}")
            cells_lat.append(f"p50 {r['p50_s']} s{ratio_p50} / p95 {r['p95_s']} s")
        rows.append(f"| {wl}: throughput | " + " | ".join(cells_tp) + " |")
        rows.append(f"| {wl}: latency | " + " | ".join(cells_lat) + " |")
    rss = []
    for c in contenders:
        m = results["contenders"][c]
        rss.append(f"{m['peak_rss_mb']} MB" if m.get("peak_rss_mb") else "n/a")
    rows.append("| peak RSS (server process) | " + " | ".join(rss) + " |")
    rows.append("| start-up (load models) | " + " | ".join(
        f"{results['contenders'][c].get('startup_s', 'n/a')} s" for c in contenders) + " |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description="tomtat speed benchmark (see the module docstring)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--quick", action="store_true", help="tiny models, few requests: a smoke run")
    parser.add_argument("--contenders", default="A,B,C", help="subset of A,B,C")
    parser.add_argument("--inprocess", action="store_true", help="no HTTP servers (automatic without Flask)")
    parser.add_argument("--summary-tokens", type=int, default=None, help="fixed summary length (default 64)")
    parser.add_argument("--translation-tokens", type=int, default=None, help="fixed translation length (default 32)")
    parser.add_argument("--threads", type=int, default=0, help="inference threads (0: every core)")
    parser.add_argument("--torch-dtype", default="auto", help="(B)'s TOMTAT_TORCH_DTYPE (auto: bf16 on AMX CPUs, "
                        "else fp32 on CPU, fp16 on CUDA)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "bench" / ".cache")
    parser.add_argument("--out", type=Path, default=None, help="markdown report (default bench/RESULTS.md; "
                        "quick/cuda runs: bench/.cache/RESULTS-<device>[-quick].md)")
    args = parser.parse_args()

    try:
        import flask  # noqa: F401
        import gunicorn  # noqa: F401
    except ImportError:
        args.inprocess = True
    device = args.device
    size = "tiny" if args.quick else "real"
    s_tokens = args.summary_tokens or (8 if args.quick else 64)
    t_tokens = args.translation_tokens or (8 if args.quick else 32)
    threads = args.threads  # 0: each backend's automatic choice
    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    quantization = "int8" if device == "cpu" else "float16"
    command = "python bench/run.py " + " ".join(sys.argv[1:])

    results: dict = {"command": command, "load_before": loadavg(), "machine": machine(device), "device": device,
                     "quick": args.quick, "summary_tokens": s_tokens, "translation_tokens": t_tokens,
                     "contenders": {}, "runs": {}}
    print(f"[bench] {command}; load {results['load_before']}; {results['machine']}", flush=True)
    results["gemm_gflops"] = round(gemm_peak(device), 1)
    print(f"[bench] GEMM peak {results['gemm_gflops']} GFLOP/s", flush=True)
    from models.backends.torch_backend import cpu_has_bf16

    if device == "cpu" and cpu_has_bf16():
        import torch

        results["gemm_bf16_gflops"] = round(gemm_peak(device, dtype=torch.bfloat16), 1)
        print(f"[bench] bf16 GEMM peak {results['gemm_bf16_gflops']} GFLOP/s", flush=True)

    models, build_s = build_models(args.cache_dir, size)
    results["replica_build_s"] = build_s
    print(f"[bench] replicas ready {build_s}", flush=True)
    conversions = convert_models(models, quantization) if "C" in contenders else {}
    results["conversions"] = conversions

    wls = workloads(args.quick, s_tokens, t_tokens)
    results["workloads"] = [w.name for w in wls]
    results["article_tokens"], results["article_words"] = article_tokens(models, wls[0].bodies[0]["text"])
    print(f"[bench] {results['article_words']}-word article = {results['article_tokens']} summary-model tokens",
          flush=True)

    if "C" in contenders:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(str(models[SUMMARY]))
        batch, tokens = (8, 512) if not args.quick else (2, 64)
        results["encoder"] = encoder_efficiency(Path(conversions[SUMMARY]["path"]), config, device, batch, tokens,
                                                quantization, threads or len(os.sched_getaffinity(0)))
        results["encoder"]["fraction_of_gemm_peak"] = round(results["encoder"]["gflops"] / results["gemm_gflops"], 2)
        print(f"[bench] CT2 encoder {results['encoder']}", flush=True)

    from models.backends.torch_backend import TorchBackend

    torch_dtype = TorchBackend._pick_dtype(args.torch_dtype, device)
    labels = {
        "A": f"naive: Flask + transformers {'fp32' if device == 'cpu' else 'fp16'}, batch 1",
        "B": f"tomtat torch {torch_dtype}, batching",
        "C": f"tomtat CTranslate2 {quantization}, batching",
    }
    for c in contenders:
        print(f"[bench] contender {c}: {labels[c]} (load {loadavg()})", flush=True)
        meta = {"label": labels[c], "load_at_start": loadavg()}
        results["contenders"][c] = meta
        if args.inprocess:
            server = InProcess(c, {"A": None, "B": "torch", "C": "ctranslate2"}[c], models, device, threads,
                               torch_dtype)
            post = server.post
        else:
            server = (naive_server(models, device, threads) if c == "A"
                      else tomtat_server(c, "torch" if c == "B" else "ctranslate2", models, device, threads,
                                         torch_dtype))
            server.start(args.cache_dir)
            post = server.post
        meta["startup_s"] = round(server.started_s, 1)
        try:
            post(wls[0].path, wls[0].bodies[0])  # warm-up (not counted)
            for wl in wls:
                run = drive(post, wl)
                results["runs"].setdefault(c, {})[wl.name] = run
                print(f"[bench]   {wl.name}: {run}", flush=True)
        finally:
            server.stop()
        if isinstance(server, Server) and server.sampler:
            meta["peak_rss_mb"] = round(server.sampler.peak_single / 2**20)
            meta["peak_rss_tree_mb"] = round(server.sampler.peak_tree / 2**20)
    results["load_after"] = loadavg()

    rows = table(results, contenders)
    print("\n".join(rows))
    stem = "RESULTS" if not args.quick and device == "cpu" else f"RESULTS-{device}{'-quick' if args.quick else ''}"
    (args.cache_dir / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    out = args.out or (ROOT / "bench" / "RESULTS.md" if stem == "RESULTS" else args.cache_dir / f"{stem}.md")
    out.write_text(report(results, rows), encoding="utf-8")
    print(f"[bench] wrote {out}")
    return 0


def report(results: dict, rows: list[str]) -> str:
    m = results["machine"]
    enc = results.get("encoder")
    lines = [
        "# tomtat speed benchmark",
        "",
        f"Command: `{results['command']}` (from the repository root; `.venv/bin/python`).",
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores usable ({m.get('simd')}), {m.get('memory_gib')} GiB"
        + (f", GPU {m['gpu']}" if m.get("gpu") else "")
        + f"; Python {m.get('python')}, torch {m.get('torch')}, transformers {m.get('transformers')}, "
          f"CTranslate2 {m.get('ctranslate2')}.",
        f"Load average (1/5/15 min): {results['load_before']} before, {results['load_after']} after.",
        f"Measured GEMM peak ({'fp32' if results['device'] == 'cpu' else 'fp16'} matrix multiply): "
        f"{results['gemm_gflops']} GFLOP/s"
        + (f"; bf16: {results['gemm_bf16_gflops']} GFLOP/s." if results.get("gemm_bf16_gflops") else "."),
        "",
        f"Models: random-weight replicas ({'tiny' if results['quick'] else 'real-size'}) of {SUMMARY} and "
        f"{TRANSLATION}; greedy, fixed output lengths: summary {results['summary_tokens']} tokens, each "
        f"translated sentence {results['translation_tokens']} tokens (min = max new tokens). The replicas carry "
        f"the real ViT5 and EnViT5 tokenizers (tests/fixtures/models): a {results.get('article_words', 600)}-word "
        f"article is {results['article_tokens']} real ViT5 tokens. Result cache off.",
        "",
        *rows,
        "",
        "Ratios in bold are against (A) in the same run: throughput ×, p50 latency × (lower is better).",
    ]
    if enc:
        lines += ["", f"Encoder efficiency (C): the CTranslate2 {SUMMARY} replica encodes {enc['batch']} × "
                  f"{enc['tokens']} tokens ({enc['gflop']} GFLOP) in {enc['seconds']} s = {enc['gflops']} GFLOP/s "
                  f"effective, **{enc['fraction_of_gemm_peak']:.0%} of the measured fp32 GEMM peak** "
                  "(int8 GEMMs can exceed the fp32 peak)."]
    lines += ["", "Raw numbers: `bench/.cache/*.json` of the run.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
