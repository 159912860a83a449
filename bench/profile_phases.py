"""Where `/v1/articles` spends its time: each phase of contender (C), measured alone.

    python bench/profile_phases.py            # writes bench/RESULTS-profile.md

Uses the same random-weight replicas and fixed lengths as bench/run.py (a 774-token article,
a 64-token summary, two or sixteen 40-token sentences translated to 32 tokens each) and times,
with CTranslate2 int8 and with torch (the dtype `auto` picks here):

* the encoder (a 1-step decode) and the cost of one decoder step (65 steps minus 1, / 64), at
  batch 1 (concurrency 1) and batch 8 (eight concurrent articles batched together);
* the summary's translation (2 sentences; 16 for eight articles);
* single-core memory bandwidth (a large array copy) and the bytes one decoder step has to read
  (the int8 weights and the fp32 cross-attention keys/values of the source).

From these it derives the best /v1/articles latency and throughput the phases allow, and
compares them with (A)'s numbers from the last bench/run.py run (bench/.cache/RESULTS.json).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import SUMMARY, TRANSLATION, build_models, convert_models, loadavg, machine  # noqa: E402

ARTICLE_TOKENS, SUMMARY_STEPS, SENTENCE_TOKENS, SENTENCE_STEPS = 774, 64, 40, 32


def timed(fn, repeats: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bandwidth_gbs() -> float:
    import numpy as np

    a = np.ones(64 * 2**20 // 8)  # 64 MiB, far past the L2 cache
    b = np.empty_like(a)
    seconds = timed(lambda: np.copyto(b, a), 5)
    return round(2 * a.nbytes / seconds / 1e9, 1)  # read + write


def ct2_phases(path: str, batch: int, tokens: int, steps: int, threads: int, inter: int = 1) -> dict:
    """With ``inter`` > 1 the batch is split into that many parts run in parallel, as the backend does."""
    import ctranslate2

    tr = ctranslate2.Translator(path, device="cpu", compute_type="int8", intra_threads=threads, inter_threads=inter)
    src = [["▁tin"] * (tokens - 1) + ["</s>"] for _ in range(batch)]
    size = -(-batch // min(inter, batch))

    def run(n):
        def go():
            parts = [tr.translate_batch(src[i:i + size], beam_size=1, max_decoding_length=n, min_decoding_length=n,
                                        max_input_length=0, asynchronous=True) for i in range(0, batch, size)]
            return [r.result() for part in parts for r in part]
        return go

    one, full = timed(run(1)), timed(run(steps))
    return {"encoder_s": round(one, 3), "step_ms": round((full - one) / (steps - 1) * 1000, 2),
            "total_s": round(full, 3)}


def torch_phases(model, batch: int, tokens: int, steps: int) -> dict:
    import torch

    ids = torch.full((batch, tokens), 5)
    ids[:, -1] = 1
    mask = torch.ones_like(ids)

    def run(n):
        def go():
            with torch.inference_mode():
                model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                               do_sample=False, num_beams=1)
        return go

    one, full = timed(run(1), 2), timed(run(steps), 2)
    return {"encoder_s": round(one, 3), "step_ms": round((full - one) / (steps - 1) * 1000, 2),
            "total_s": round(full, 3)}


def main() -> int:
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    from models.backends.torch_backend import TorchBackend

    cores = len(os.sched_getaffinity(0))
    cache = ROOT / "bench" / ".cache"
    out: dict = {"load_before": loadavg(), "machine": machine("cpu"), "bandwidth_gbs": bandwidth_gbs()}
    models, _ = build_models(cache, "real")
    ct2 = {k: v["path"] for k, v in convert_models(models, "int8").items()}
    cfg = AutoConfig.from_pretrained(str(models[SUMMARY]))
    d, inner = cfg.d_model, cfg.num_heads * cfg.d_kv
    ffn = (3 if "gated" in cfg.feed_forward_proj else 2) * d * cfg.d_ff
    # per step and layer: self-attention q/k/v/o, cross-attention q/o (its k/v are computed once), FFN; then
    # the output layer. int8: one byte per weight.
    weights = cfg.num_decoder_layers * (4 * d * inner + 2 * d * inner + ffn) + cfg.vocab_size * d
    kv_bytes = cfg.num_decoder_layers * 2 * ARTICLE_TOKENS * inner * 4
    out["decoder_step_bytes_mb"] = {"int8_weights": round(weights / 1e6), "cross_kv_fp32": round(kv_bytes / 1e6)}

    c = out["ct2_int8"] = {}
    # every thread layout: N threads on one batch (tN) or the batch split over N one-thread replicas (sN)
    layouts = [("t1", 1, 1)] + ([(f"t{cores}", cores, 1), (f"s{cores}", 1, cores)] if cores > 1 else [])
    for name, threads, inter in layouts:
        for key, path, batch, tokens, steps in (
            ("summary_b1", SUMMARY, 1, ARTICLE_TOKENS, SUMMARY_STEPS),
            ("summary_b8", SUMMARY, 8, ARTICLE_TOKENS, SUMMARY_STEPS),
            ("translate_b2", TRANSLATION, 2, SENTENCE_TOKENS, SENTENCE_STEPS),
            ("translate_b16", TRANSLATION, 16, SENTENCE_TOKENS, SENTENCE_STEPS),
        ):
            if batch == 1 and inter > 1:
                continue
            c[f"{key}_{name}"] = ct2_phases(ct2[path], batch, tokens, steps, threads, inter)
            print(f"[profile] ct2 {key} {name}: {c[f'{key}_{name}']}", flush=True)

    dtype = TorchBackend._pick_dtype("auto", "cpu")
    torch.set_num_threads(cores)
    t = out[f"torch_{dtype}"] = {}
    tdt = torch.bfloat16 if dtype == "bf16" else torch.float32
    summ = AutoModelForSeq2SeqLM.from_pretrained(str(models[SUMMARY]), dtype=tdt).eval()
    t["summary_b1"] = torch_phases(summ, 1, ARTICLE_TOKENS, SUMMARY_STEPS)
    t["summary_b8"] = torch_phases(summ, 8, ARTICLE_TOKENS, SUMMARY_STEPS)
    del summ
    trans = AutoModelForSeq2SeqLM.from_pretrained(str(models[TRANSLATION]), dtype=tdt).eval()
    t["translate_b2"] = torch_phases(trans, 2, SENTENCE_TOKENS, SENTENCE_STEPS)
    t["translate_b16"] = torch_phases(trans, 16, SENTENCE_TOKENS, SENTENCE_STEPS)
    print(f"[profile] torch {dtype}: {t}", flush=True)
    out["load_after"] = loadavg()

    bench = cache / "RESULTS.json"
    a = json.loads(bench.read_text())["runs"].get("A", {}) if bench.exists() else {}
    out["a_c1_p50_s"] = a.get("articles c=1", {}).get("p50_s")
    out["a_c8_per_s"] = a.get("articles c=8", {}).get("per_s")
    (cache / "RESULTS-profile.json").write_text(json.dumps(out, indent=2))
    (ROOT / "bench" / "RESULTS-profile.md").write_text(report(out, cores, dtype), encoding="utf-8")
    print("[profile] wrote bench/RESULTS-profile.md")
    return 0


def report(out: dict, cores: int, dtype: str) -> str:
    m, c, t = out["machine"], out["ct2_int8"], out[f"torch_{dtype}"]
    layouts = ["t1"] + ([f"t{cores}", f"s{cores}"] if cores > 1 else [])

    def best(key):
        name = min((n for n in layouts if f"{key}_{n}" in c), key=lambda n: c[f"{key}_{n}"]["total_s"])
        return c[f"{key}_{name}"]["total_s"], name

    (s1, s1n), (t2, t2n), (s8, s8n), (t16, t16n) = (best(k) for k in ("summary_b1", "translate_b2", "summary_b8",
                                                                    "translate_b16"))
    c1, c8 = s1 + t2, (s8 + t16) / 8
    torch1 = t["summary_b1"]["total_s"] + t["translate_b2"]["total_s"]
    torch8 = (t["summary_b8"]["total_s"] + t["translate_b16"]["total_s"]) / 8
    a1, a8 = out.get("a_c1_p50_s"), out.get("a_c8_per_s")
    bw = out["bandwidth_gbs"]
    step_mb = sum(out["decoder_step_bytes_mb"].values())
    names = {"t1": "1 thread", f"t{cores}": f"{cores} threads", f"s{cores}": f"split over {cores} one-thread replicas"}

    def cell(entry):
        return f"{entry['total_s']} s ({entry['encoder_s']} s encoder + {entry['step_ms']} ms/step)" if entry else "—"

    rows = ["| phase | " + " | ".join(f"CT2 int8, {names[n]}" for n in layouts) + f" | torch {dtype} |",
            "|---|" + "---|" * (len(layouts) + 1)]
    for label, key in (("summary of 1 article (774 → 64 tokens)", "summary_b1"),
                       ("summaries of 8 articles, one batch", "summary_b8"),
                       ("translation of 2 sentences (40 → 32 tokens)", "translate_b2"),
                       ("translation of 16 sentences, one batch", "translate_b16")):
        rows.append(f"| {label} | " + " | ".join(cell(c.get(f"{key}_{n}")) for n in layouts)
                    + f" | {cell(t[key])} |")

    def vs_a1(x):
        return f"{x / a1:.2f}× of (A)'s p50 {a1} s" if a1 else "n/a (run bench/run.py first)"

    def vs_a8(per_article):
        return f"{1 / per_article / a8:.1f}× (A)'s {a8} articles/s" if a8 else "n/a (run bench/run.py first)"

    return "\n".join([
        "# Where /v1/articles spends its time (phases of contender C)",
        "",
        "Command: `python bench/profile_phases.py` (from the repository root; `.venv/bin/python`).",
        "",
        f"Machine: {m.get('cpu')}, {cores} cores usable ({m.get('simd')}), {m.get('memory_gib')} GiB; "
        f"CTranslate2 {m.get('ctranslate2')}, torch {m.get('torch')}. Load {out['load_before']} before, "
        f"{out['load_after']} after.",
        "",
        "Same replicas and fixed lengths as bench/run.py: a 774-token article summarized to 64 tokens, its two "
        "sentences (40 tokens each) translated to 32 tokens each; medians of 3. Per step = (full run − "
        "1-token run) / (tokens − 1); the 1-token run is listed as the encoder.",
        "",
        *rows,
        "",
        f"Memory: a 64 MiB copy runs at {bw} GB/s (read + write, one core). One decoder step of the summary "
        f"model reads its {out['decoder_step_bytes_mb']['int8_weights']} MB of int8 decoder and output-layer "
        f"weights whatever the batch, plus {out['decoder_step_bytes_mb']['cross_kv_fp32']} MB of fp32 "
        f"cross-attention keys and values per article (774 source tokens): {step_mb} MB at batch 1, "
        f"≥ {step_mb / bw:.1f} ms per step at that bandwidth if nothing stayed in cache.",
        "",
        "## What the phases allow",
        "",
        f"- Concurrency 1 (summary, then its translation), best layouts ({names[s1n]}; {names[t2n]}): "
        f"{c1:.2f} s = {vs_a1(c1)} (target ≤ 0.5×). torch {dtype}: {torch1:.2f} s.",
        f"- Concurrency 8 (eight summaries in one batch, their 16 sentences in one batch), best layouts "
        f"({names[s8n]}; {names[t16n]}): {c8:.2f} s of work per article, at most {vs_a8(c8)} (target ≥ 8×). "
        f"torch {dtype}: {torch8:.2f} s per article, at most {vs_a8(torch8)}.",
        "",
        "Raw numbers: `bench/.cache/RESULTS-profile.json`.",
        "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
