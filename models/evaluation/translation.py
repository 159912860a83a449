"""Translation evaluation: sacreBLEU BLEU and chrF++ per source (``iwslt15-ted``, ``ntrex-128``).

``evaluate_translation(records, translate_fn, model=..., settings=...)``: records carry ``vi``,
``en``, ``source``, ``id``; ``translate_fn(list[str]) -> list[str]`` is called in batches.
Hypotheses are appended to ``<out_dir>/<name>.records.jsonl`` (resumable: done ids are skipped)
and the report (with the model name and generation settings passed in) goes to
``<name>.json`` / ``<name>.md``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from ._io import Appender, load_done, progress, write_json


def source_group(source: str) -> str:
    s = (source or "").lower()
    if s.startswith("iwslt15"):
        return "iwslt15-ted"
    if s.startswith("ntrex"):
        return "ntrex-128"
    return s or "unknown"


def corpus_scores(hyps: Sequence[str], refs: Sequence[str]) -> dict:
    import sacrebleu

    bleu_m, chrf_m = sacrebleu.BLEU(), sacrebleu.CHRF(word_order=2)
    bleu = bleu_m.corpus_score(list(hyps), [list(refs)])
    chrf = chrf_m.corpus_score(list(hyps), [list(refs)])
    return {"bleu": round(bleu.score, 2), "chrf++": round(chrf.score, 2), "n": len(hyps),
            "bleu_signature": str(bleu_m.get_signature()), "chrf_signature": str(chrf_m.get_signature())}


def evaluate_translation(records: Sequence[dict], translate_fn: Callable[[list[str]], list[str]],
                         limit: int | None = None, out_dir: str | Path | None = None, name: str = "translation",
                         model: str | None = None, settings: dict | None = None, batch_size: int = 16,
                         progress_bar: bool | None = None) -> dict:
    recs = list(records)[:limit] if limit is not None else list(records)
    out_path = Path(out_dir) if out_dir else None
    rec_path = out_path / f"{name}.records.jsonl" if out_path else None
    done = load_done(rec_path) if rec_path else {}
    todo = [r for r in recs if str(r["id"]) not in done]
    app = Appender(rec_path)
    t0 = time.perf_counter()
    hyps: dict[str, str] = {k: v["hyp"] for k, v in done.items()}
    batches = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)]
    try:
        for batch in progress(batches, total=len(batches), desc=f"translate {name}", enabled=progress_bar):
            out = translate_fn([r["vi"].strip() for r in batch])
            if len(out) != len(batch):
                raise ValueError(f"translate_fn returned {len(out)} outputs for {len(batch)} inputs")
            for r, h in zip(batch, out):
                hyps[str(r["id"])] = h
                app.write({"id": str(r["id"]), "source": r.get("source"), "hyp": h})
    finally:
        app.close()
    groups: dict[str, list[dict]] = {}
    for r in recs:
        groups.setdefault(source_group(r.get("source", "")), []).append(r)
    result = {"name": name, "model": model, "settings": settings or {}, "n_records": len(recs),
              "n_computed_now": len(todo), "seconds": round(time.perf_counter() - t0, 2), "by_source": {}}
    for g, rs in sorted(groups.items()):
        result["by_source"][g] = corpus_scores([hyps[str(r["id"])] for r in rs], [r["en"].strip() for r in rs])
    if out_path:
        write_json(out_path / f"{name}.json", result)
        (out_path / f"{name}.md").write_text(markdown_table(result), encoding="utf-8")
    return result


def markdown_table(result: dict) -> str:
    lines = [f"Model: `{result.get('model')}`; settings: `{result.get('settings')}`", "",
             "| source | BLEU | chrF++ | n |", "|---|---:|---:|---:|"]
    for g, s in result["by_source"].items():
        lines.append(f"| {g} | {s['bleu']:.2f} | {s['chrf++']:.2f} | {s['n']} |")
    return "\n".join(lines) + "\n"
