"""``tomtat eval ...``: offline quality evaluation.

* ``eval summarize --data FILE.jsonl [--method extractive|lead-1|lead-2|lead-3|abstractive] [--limit N] [--out DIR]``
* ``eval translate --data FILE.jsonl [--limit N] [--out DIR]``
* ``eval debris --data FILE.jsonl [--limit N] [--out DIR]``
* ``eval quality [--data-dir DIR] [--out docs/QUALITY.md]``: regenerates docs/QUALITY.md

Also runnable as ``python -m service.commands.eval ...``. Extractive, LEAD and debris need no
model; ``abstractive`` and ``translate`` get their model through ``get_runtime_functions``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

DEFAULT_OUT = "artifacts/eval"
REPO_ROOT = Path(__file__).resolve().parents[2]


def register(subparsers) -> None:
    ev = subparsers.add_parser("eval", help="offline quality evaluation (ROUGE, BLEU/chrF++, debris, QUALITY.md)")
    sub = ev.add_subparsers(dest="eval_command", required=True)

    s = sub.add_parser("summarize", help="ROUGE-1/2/L with LEAD-k baselines on a summarization JSONL")
    s.add_argument("--data", required=True)
    s.add_argument("--method", choices=["extractive", "lead-1", "lead-2", "lead-3", "abstractive"],
                   default="extractive")
    s.add_argument("--limit", type=int)
    s.add_argument("--out", default=DEFAULT_OUT)
    s.add_argument("--no-title", action="store_true", help="do not give the title to the summarizer")
    s.set_defaults(func=cmd_summarize)

    t = sub.add_parser("translate", help="sacreBLEU BLEU + chrF++ per source on a translation JSONL")
    t.add_argument("--data", required=True)
    t.add_argument("--limit", type=int)
    t.add_argument("--out", default=DEFAULT_OUT)
    t.add_argument("--batch-size", type=int, default=16)
    t.set_defaults(func=cmd_translate)

    d = sub.add_parser("debris", help="debris rate of summaries on raw scraped articles")
    d.add_argument("--data", required=True)
    d.add_argument("--limit", type=int)
    d.add_argument("--out", default=DEFAULT_OUT)
    d.set_defaults(func=cmd_debris)

    q = sub.add_parser("quality", help="regenerate docs/QUALITY.md from the dev data")
    q.add_argument("--data-dir", default=str(REPO_ROOT.parent / "shared" / "data"))
    q.add_argument("--output", default=str(REPO_ROOT / "docs" / "QUALITY.md"))
    q.add_argument("--folds", type=int, default=5)
    q.add_argument("--repeats", type=int, default=5, help="k-fold runs on differently shuffled splits")
    q.set_defaults(func=cmd_quality)


# --------------------------------------------------------------------------- model hook (lead wires this)

def get_runtime_functions(args):
    """Return ``(summarize_fn, translate_fn, info)`` backed by the configured models.

    Both go through ``models.pipeline``, the same path the service takes, so the
    scores measure what users get. ``info`` records the models and generation settings.
    """
    from dataclasses import asdict

    from models import pipeline
    from models.runtime import Runtime
    from service.config import Settings

    config = Settings.from_env().runtime_config()
    rt = Runtime(config).load()

    def summarize_fn(record: dict) -> str:
        options = pipeline.SummaryOptions(method="abstractive")
        return pipeline.summarize(rt, record["article"], record.get("title"), "text", options).summary

    def translate_fn(texts: list[str]) -> list[str]:
        return pipeline.translate(rt, texts, "text").translations

    models = {}
    for name, model in (("summary", rt.summary_model), ("translation", rt.translation_model)):
        if model is not None:
            models[name] = model.describe() | {"generation": model.defaults().as_dict()}
    info = {"config": asdict(config), "models": models}
    return summarize_fn, translate_fn, info


# --------------------------------------------------------------------------- commands

def _read(path: str, limit: int | None = None) -> list[dict]:
    from models.evaluation._io import read_jsonl

    return read_jsonl(path, limit)


def cmd_summarize(args) -> int:
    from models.evaluation.summarization import evaluate_summarization, extractive_fn, lead_fn

    records = _read(args.data, args.limit)
    extra = {"data": str(args.data), "method": args.method}
    if args.method == "extractive":
        fn = extractive_fn(use_title=not args.no_title)
    elif args.method.startswith("lead-"):
        fn = lead_fn(int(args.method.split("-")[1]))
    else:
        fn, _, info = get_runtime_functions(args)
        extra["runtime"] = info
    name = f"summarize-{args.method}-{Path(args.data).stem}"
    res = evaluate_summarization(records, fn, out_dir=args.out, name=name, extra=extra)
    from models.evaluation.summarization import markdown_table

    print(markdown_table(res))
    print(f"wrote {Path(args.out) / name}.json", file=sys.stderr)
    return 0


def cmd_translate(args) -> int:
    from models.evaluation.translation import evaluate_translation, markdown_table

    records = _read(args.data, args.limit)
    _, fn, info = get_runtime_functions(args)
    name = f"translate-{Path(args.data).stem}"
    res = evaluate_translation(records, fn, out_dir=args.out, name=name, model=str(info.get("model", "runtime")),
                               settings=info, batch_size=args.batch_size)
    print(markdown_table(res))
    return 0


def cmd_debris(args) -> int:
    from models.evaluation.debris import evaluate_debris, markdown_table

    records = _read(args.data, args.limit)
    res = evaluate_debris(records, out_dir=args.out, name=f"debris-{Path(args.data).stem}")
    print(markdown_table(res))
    return 0


# --------------------------------------------------------------------------- QUALITY.md

def langid_accuracy(data_dir: Path) -> list[dict]:
    from models.langid import detect_language

    rows = []
    for fn in ("translation_iwslt15_ted.jsonl", "translation_ntrex128_news.jsonl"):
        p = data_dir / fn
        if not p.exists():
            continue
        recs = _read(str(p))
        for side in ("vi", "en"):
            ok = sum(1 for r in recs if detect_language(r[side])[0] == side)
            rows.append({"file": fn, "side": side, "n": len(recs), "correct": ok, "accuracy": ok / len(recs)})
    return rows


def cmd_quality(args) -> int:
    from models.evaluation.debris import evaluate_debris
    from models.evaluation.summarization import evaluate_summarization, extractive_fn
    from models.extractive import cross_validate

    data_dir = Path(args.data_dir)
    vn = data_dir / "summarization_vietnews.jsonl"
    if not vn.exists():
        print(f"tomtat: {vn} not found (pass --data-dir)", file=sys.stderr)
        return 2
    t0 = time.time()
    recs = _read(str(vn))
    full = evaluate_summarization(recs, extractive_fn(), name="extractive (weights trained on all dev: in-sample)",
                                  progress_bar=False)
    notitle = evaluate_summarization(recs, extractive_fn(use_title=False), name="extractive, no title (in-sample)",
                                     baselines=(), progress_bar=False)
    cv = cross_validate(recs, folds=args.folds, repeats=args.repeats)
    lines = []
    lines.append("# Quality (dev split)\n")
    lines.append(f"Generated by `tomtat eval quality` (`python -m service.commands.eval quality`) on "
                 f"{time.strftime('%Y-%m-%d')}, data `{data_dir}`. Do not edit by hand.\n")
    lines.append("ROUGE: own implementation (`models/evaluation/rouge.py`): NFC, lowercase, syllables with "
                 "diacritics kept, `_` as space, punctuation dropped, same tone-mark placement on both sides; "
                 "ROUGE-L = LCS over the whole summary. F1 in points; 95% bootstrap CI over articles.\n")
    lines.append(f"## Summarization: VietNews dev ({len(recs)} articles)\n")
    lines.append("| method | ROUGE-1 | ROUGE-2 | ROUGE-L | mean words |")
    lines.append("|---|---:|---:|---:|---:|")

    def row(name, b):
        cells = []
        for m in ("rouge1", "rouge2", "rougeL"):
            lo, hi = b[m]["f_ci95"]
            cells.append(f"{100 * b[m]['f']:.2f} ({100 * lo:.1f}–{100 * hi:.1f})")
        return f"| {name} | " + " | ".join(cells) + f" | {b['mean_words']:.1f} |"

    lines.append(row(f"**extractive, {args.folds}-fold CV by article (headline number)**", cv))
    lines.append(row(full["name"], full["system"]))
    lines.append(row(notitle["name"], notitle["system"]))
    for k, b in full["baselines"].items():
        lines.append(row(k.upper(), b))
    best = max(full["baselines"].items(), key=lambda kv: kv[1]["rouge1"]["f"])
    d = {m: 100 * (cv[m]["f"] - best[1][m]["f"]) for m in ("rouge1", "rouge2", "rougeL")}
    lines.append("")
    lines.append(f"CV gain over the best LEAD-k ({best[0].upper()}): ROUGE-1 {d['rouge1']:+.2f}, "
                 f"ROUGE-2 {d['rouge2']:+.2f}, ROUGE-L {d['rougeL']:+.2f} points "
                 f"(target: +4 / +3 / +4).")
    if len(cv["repeats_f"]) > 1:
        gains = {m: [100 * (r[m] - best[1][m]["f"]) for r in cv["repeats_f"]] for m in ("rouge1", "rouge2", "rougeL")}
        cells = ", ".join(f"{label} {sum(g) / len(g):+.2f} ({min(g):+.2f} to {max(g):+.2f})"
                          for label, g in zip(("ROUGE-1", "ROUGE-2", "ROUGE-L"), gains.values()))
        lines.append(f"The same {args.folds}-fold CV on {len(gains['rouge1'])} differently shuffled splits "
                     f"(mean gain, lowest to highest): {cells}. The estimate moves by about this much with the "
                     "split alone; on unseen articles expect the mean, give or take the spread.")
    lines.append(f"Reference (publisher lead) length: {full['reference_mean_words']:.1f} words on average. "
                 "Default extractive length: at most 2 sentences and 60 words.\n")
    raw = data_dir / "raw_articles_baomoi.jsonl"
    if raw.exists():
        deb = evaluate_debris(_read(str(raw)), progress_bar=False)
        lines.append(f"## Debris in extractive summaries: raw baomoi ({deb['n_records']} articles)\n")
        lines.append("Pipeline: `prepare_text` -> `strip_debris` -> `split_sentences` -> extractive; the summary is "
                     "checked with `find_debris` + HTML / caption / byline / repeated-sentence / promo rules.\n")
        lines.append("| articles | with debris | rate | by kind |\n|---:|---:|---:|---|")
        kinds = ", ".join(f"{k}: {v}" for k, v in deb["by_kind"].items()) or "—"
        lines.append(f"| {deb['n_records']} | {deb['n_with_debris']} | {100 * deb['debris_rate']:.1f}% | {kinds} |\n")
    lid = langid_accuracy(data_dir)
    if lid:
        lines.append("## Language check (`models/langid.py`) on the translation files\n")
        lines.append("| file | side | n | correct | accuracy |\n|---|---|---:|---:|---:|")
        for r in lid:
            lines.append(f"| {r['file']} | {r['side']} | {r['n']} | {r['correct']} | {100 * r['accuracy']:.2f}% |")
        lines.append("\nErrors are almost all one-word segments (`Wooo!`, `Okay.`, names such as `Stephen Watt.`).\n")
    lines.append(f"_Machine: {platform.machine()} {platform.processor() or ''}, Python {platform.python_version()}; "
                 f"took {time.time() - t0:.0f} s._\n")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.commands.eval")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "eval":
        argv = ["eval"] + argv
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
