"""``tomtat eval ...``: offline quality evaluation.

* ``eval summarize --data FILE.jsonl [--method extractive|lead-1|lead-2|lead-3|abstractive] [--limit N] [--out DIR]``
* ``eval translate --data FILE.jsonl [--limit N] [--out DIR]``
* ``eval debris --data FILE.jsonl [--limit N] [--out DIR]``
* ``eval quality [--data-dir DIR] [--output docs/QUALITY.md] [--with-abstractive]``: regenerates
  docs/QUALITY.md (the shipped extractive model on the whole dev file with LEAD-k, both ROUGE
  columns, its latency on 1,000-word inputs, debris through the pipeline, fact checks when
  ``models.evaluation.facts`` is there, language check)

Also runnable as ``python -m service.commands.eval ...``. Extractive, LEAD and debris need no
model; ``abstractive`` and ``translate`` get their model through ``get_runtime_functions``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from models.errors import CapabilityUnavailable

DEFAULT_OUT = "artifacts/eval"
REPO_ROOT = Path(__file__).resolve().parents[2]


def register(subparsers) -> None:
    ev = subparsers.add_parser("eval", help="offline quality evaluation (ROUGE, BLEU/chrF++, debris, QUALITY.md)")
    sub = ev.add_subparsers(dest="eval_command", required=True)

    s = sub.add_parser("summarize", help="ROUGE-1/2/L with LEAD-k baselines on a summarization JSONL")
    s.add_argument("--data", required=True, help="JSONL with article, summary (and title), as "
                   "summarization_vietnews.jsonl")
    s.add_argument("--method", choices=["extractive", "lead-1", "lead-2", "lead-3", "abstractive"],
                   default="extractive", help="lead-k: the first k sentences (a baseline); abstractive needs the "
                   "model's weights")
    s.add_argument("--limit", type=int, help="only the first N records")
    s.add_argument("--out", default=DEFAULT_OUT, help=f"directory of the JSON and markdown results, resumed "
                   f"(default {DEFAULT_OUT})")
    s.add_argument("--no-title", action="store_true", help="do not give the title to the summarizer")
    s.set_defaults(func=cmd_summarize)

    t = sub.add_parser("translate", help="sacreBLEU BLEU + chrF++ per source on a translation JSONL")
    t.add_argument("--data", required=True, help="JSONL with vi and en (and source), as "
                   "translation_ntrex128_news.jsonl")
    t.add_argument("--limit", type=int, help="only the first N records")
    t.add_argument("--out", default=DEFAULT_OUT, help=f"directory of the results, resumed (default {DEFAULT_OUT})")
    t.add_argument("--batch-size", type=int, default=16)
    t.set_defaults(func=cmd_translate)

    d = sub.add_parser("debris", help="debris rate of summaries on raw scraped articles")
    d.add_argument("--data", required=True, help="JSONL with text (and title), as raw_articles_baomoi.jsonl")
    d.add_argument("--limit", type=int, help="only the first N records")
    d.add_argument("--out", default=DEFAULT_OUT, help=f"directory of the results, resumed (default {DEFAULT_OUT})")
    d.set_defaults(func=cmd_debris)

    q = sub.add_parser("quality", help="regenerate docs/QUALITY.md from the dev data")
    q.add_argument("--data-dir", default=str(REPO_ROOT.parent / "shared" / "data"),
                   help="directory with summarization_vietnews.jsonl (and optionally raw_articles_baomoi.jsonl, "
                   "the translation files); default ../shared/data beside the repository")
    q.add_argument("--output", default=str(REPO_ROOT / "docs" / "QUALITY.md"),
                   help="the report written (default: docs/QUALITY.md, overwritten)")
    q.add_argument("--with-abstractive", action="store_true",
                   help="also score the abstractive model (needs its weights; slow on CPU)")
    q.add_argument("--out", default=DEFAULT_OUT,
                   help=f"directory of the abstractive run's per-record results, resumed (default {DEFAULT_OUT}); "
                   "not the report: that is --output")
    q.set_defaults(func=cmd_quality)


# --------------------------------------------------------------------------- model hook (lead wires this)

def get_runtime_functions(args, need: str | None = None):
    """Return ``(summarize_fn, translate_fn, info)`` backed by the configured models.

    Both go through ``models.pipeline``, the same path the service takes, so the
    scores measure what users get. ``info`` records the models and generation settings.
    ``need`` (``"abstractive"`` or ``"translation"``): raise ``CapabilityUnavailable`` now, before any
    record, when that model did not load.
    """
    from dataclasses import asdict, replace

    from models import pipeline
    from models.runtime import Runtime
    from service.config import Settings

    config = Settings.from_env().runtime_config()
    if need:  # only the model this evaluation uses
        config = replace(config, load_summary=config.load_summary and need == "abstractive",
                         load_translation=config.load_translation and need == "translation")
    rt = Runtime(config).load()
    if need == "abstractive":
        rt.abstractive()
    elif need == "translation":
        rt.translator()

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


def _unavailable(exc) -> int:
    """A model the evaluation needs did not load: one line with the fix, exit 3 (as ``tomtat translate``)."""
    print(f"tomtat: {exc}. To fix: {exc.how_to_fix}", file=sys.stderr)
    return 3


def cmd_summarize(args) -> int:
    from models.evaluation.summarization import evaluate_summarization, extractive_fn, lead_fn

    records = _read(args.data, args.limit)
    extra = {"data": str(args.data), "method": args.method}
    if args.method == "extractive":
        fn = extractive_fn(use_title=not args.no_title)
    elif args.method.startswith("lead-"):
        fn = lead_fn(int(args.method.split("-")[1]))
    else:
        try:
            fn, _, info = get_runtime_functions(args, need="abstractive")
        except CapabilityUnavailable as exc:
            return _unavailable(exc)
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
    try:
        _, fn, info = get_runtime_functions(args, need="translation")
    except CapabilityUnavailable as exc:
        return _unavailable(exc)
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


GOAL_OVER_LEAD2 = {"rouge1": 4.5, "rouge2": 3.5, "rougeL": 4.5}  # issue #14
METRICS = ("rouge1", "rouge2", "rougeL")


def _faithfulness_section(data_dir: Path) -> str | None:
    """The faithfulness section, when ``models.evaluation.facts`` is there (written separately)."""
    try:
        from models.evaluation.facts import faithfulness_section
    except ImportError:
        return None
    return faithfulness_section(data_dir)


def _abstractive_rows(args, recs) -> tuple[dict | None, str]:
    """The abstractive model's scores when asked for and its weights load; else why not."""
    if not args.with_abstractive:
        return None, "not run (`--with-abstractive` not given)"
    try:
        fn, _, info = get_runtime_functions(args)
    except Exception as e:  # noqa: BLE001 - no weights, no model: say so in the report
        return None, f"no model ({type(e).__name__}: {e})"
    if "summary" not in info.get("models", {}):
        return None, "no summarization model loaded (weights not in the cache)"
    from models.evaluation.summarization import evaluate_summarization

    name = info["models"]["summary"].get("name", "abstractive")
    res = evaluate_summarization(recs, fn, name=f"abstractive ({name})", baselines=(), out_dir=args.out,
                                 progress_bar=False)
    return res, ""


def cmd_quality(args) -> int:
    from models.evaluation.debris import evaluate_debris
    from models.evaluation.extractive_fit import latency, thousand_word_docs
    from models.evaluation.summarization import evaluate_summarization, extractive_fn, lead_fn, published_cell
    from models.extractive import MODEL_PATH, ExtractiveSummarizer

    data_dir = Path(args.data_dir)
    vn = data_dir / "summarization_vietnews.jsonl"
    if not vn.exists():
        print(f"tomtat: {vn} not found (pass --data-dir)", file=sys.stderr)
        return 2
    t0 = time.time()
    recs = _read(str(vn))
    summarizer = ExtractiveSummarizer()
    full = evaluate_summarization(recs, extractive_fn(summarizer), name="extractive", progress_bar=False)
    notitle = evaluate_summarization(recs, extractive_fn(summarizer, use_title=False), name="extractive, no title",
                                     baselines=(), progress_bar=False)
    as_chosen = evaluate_summarization(recs, extractive_fn(summarizer, served=False), name="extractive, as chosen",
                                       baselines=(), progress_bar=False)
    lead2_trimmed = evaluate_summarization(recs, lead_fn(2, served=True), name="LEAD-2, openers trimmed", baselines=(),
                                           progress_bar=False)
    abstractive, why_not = _abstractive_rows(args, recs)
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8")) if MODEL_PATH.exists() else {}
    trained = model.get("trained_on", {})
    lines = []
    lines.append("# Quality (dev split)\n")
    lines.append(f"Generated by `tomtat eval quality` (`python -m service.commands.eval quality`) on "
                 f"{time.strftime('%Y-%m-%d')}, data `{os.path.relpath(data_dir.resolve(), REPO_ROOT)}`. "
                 "Do not edit by hand.\n")
    lines.append("ROUGE (main columns): own implementation (`models/evaluation/rouge.py`): NFC, lowercase, syllables "
                 "with diacritics kept (`models/text/syllables.py`), `_` as space, punctuation dropped, same "
                 "tone-mark placement on both sides; ROUGE-L = LCS over the whole summary. F1 in points; 95% "
                 "bootstrap CI over articles.\n")
    lines.append("Published-style (last column): ROUGE-1 / ROUGE-2 / ROUGE-L F1 computed the way published "
                 "VietNews scores are (ViT5 paper, vit5-base: 62.77 / 33.16 / 42.75): the `rouge` scorer's "
                 "default tokenizer (lowercase, every character outside `[a-z0-9]` a space, so `Việt` -> `vi t`) "
                 "against the word-segmented reference (`original_tokenized.summary`). It deletes every letter "
                 "with a diacritic, so it runs higher than the main columns and does not measure Vietnamese; it "
                 "is here so that a model can be checked against the paper.\n")
    lines.append(f"## Summarization: VietNews dev, all {len(recs)} articles\n")
    lines.append("The extractive model was fit on the VietNews **training** sample "
                 "(`summarization_vietnews_train.jsonl.gz`, disjoint from dev); dev was not used to fit or tune "
                 "it, so these are held-out numbers.\n")
    lines.append("| method | ROUGE-1 | ROUGE-2 | ROUGE-L | mean words | published-style R-1 / R-2 / R-L |")
    lines.append("|---|---:|---:|---:|---:|---:|")

    def row(name, b):
        cells = []
        for m in METRICS:
            lo, hi = b[m]["f_ci95"]
            cells.append(f"{100 * b[m]['f']:.2f} ({100 * lo:.1f}–{100 * hi:.1f})")
        return f"| {name} | " + " | ".join(cells) + f" | {b['mean_words']:.1f} | {published_cell(b)} |"

    lines.append(row("**extractive (shipped model, as served)**", full["system"]))
    lines.append(row("extractive, no title given", notitle["system"]))
    lines.append(row("extractive, sentences as chosen (openers kept)", as_chosen["system"]))
    for k, b in full["baselines"].items():
        lines.append(row(k.upper(), b))
    lines.append(row("LEAD-2, openers trimmed", lead2_trimmed["system"]))
    if abstractive:
        lines.append(row(abstractive["name"], abstractive["system"]))
    else:
        lines.append(f"| abstractive (ViT5) | {why_not}: see below | | | | |")
    lead2 = full["baselines"]["lead-2"]
    d = {m: 100 * (full["system"][m]["f"] - lead2[m]["f"]) for m in METRICS}
    met = all(d[m] >= GOAL_OVER_LEAD2[m] for m in METRICS)
    dt = {m: 100 * (full["system"][m]["f"] - lead2_trimmed["system"][m]["f"]) for m in METRICS}
    lines.append("")
    lines.append(f"Gain of the extractive summary (as served) over LEAD-2: ROUGE-1 {d['rouge1']:+.2f}, ROUGE-2 {d['rouge2']:+.2f}, "
                 f"ROUGE-L {d['rougeL']:+.2f} points (goal: +{GOAL_OVER_LEAD2['rouge1']} / "
                 f"+{GOAL_OVER_LEAD2['rouge2']} / +{GOAL_OVER_LEAD2['rougeL']}: "
                 f"{'met' if met else 'not met'}).")
    lines.append("The summary a user gets is the chosen sentences without the openers that point outside them "
                 "(`models/text/openers.py`): a connective answering the sentence before (\"Tuy nhiên,\", "
                 "\"Ngoài ra,\") unless the summary holds that sentence, and a day and month without a year "
                 "(\"Chiều 16-5,\", \"Sáng nay,\"). Dates with a year, clock times, the date of what is still to "
                 "come (\"Ngày 1/7 tới,\", a sentence with \"sẽ\"), attributions and hedges (\"Theo Reuters,\", "
                 "\"Được biết,\"), places and quotations stay. The rule was chosen on the held-out part "
                 "of the training sample (`python -m models.evaluation.extractive_fit evaluate --held-out` prints "
                 "both renderings there); on dev, the rows *as served* and *as chosen* show what it does to the "
                 "model's summaries, and *LEAD-2, openers trimmed* what it does to LEAD-2. The goal's gain is that "
                 "of the served summary over the standard LEAD-2, its sentences as they are; over LEAD-2 with "
                 f"openers trimmed too it is {dt['rouge1']:+.2f} / {dt['rouge2']:+.2f} / {dt['rougeL']:+.2f}.")
    lines.append(f"Reference (publisher lead) length: {full['reference_mean_words']:.1f} words on average. "
                 f"Default extractive length: at most {summarizer.selection['max_sentences']} sentences and "
                 f"{summarizer.selection['max_words']} words.\n")
    lines.append("Abstractive rows need the real weights, which this report's machine does not have. With them "
                 "(`tomtat models pull`), either command gives both columns for the model:\n")
    lines.append("```sh\ntomtat eval summarize --data ../shared/data/summarization_vietnews.jsonl --method abstractive\n"
                 "tomtat eval quality --with-abstractive   # this report, with the abstractive row\n```\n")
    if model:
        size = MODEL_PATH.stat().st_size
        lines.append("### The extractive model\n")
        lines.append(f"- learner: {trained.get('learner', '?')}"
                     + (f", {trained['trees']} trees of depth ≤ {trained['depth']} ({trained['nodes']} nodes)"
                        if "trees" in trained else "")
                     + f"; {len(model.get('features', []))} features per sentence (`models/extractive.py`)")
        lines.append(f"- target: {trained.get('target', '?')}")
        lines.append(f"- fit on: {trained.get('data', '?')}; {trained.get('sentences', '?')} sentences")
        if "rerank" in model:
            rt = model["rerank"]
            lines.append(f"- second stage: {rt['candidates']}, scored whole by {rt['trained_on']['trees']} trees "
                         f"({rt['trained_on']['nodes']} nodes) fit on {rt['trained_on']['candidates']} candidate "
                         f"summaries of the training articles (sentence scores out of fold); target: {rt['target']}")
        for what, v in trained.get("validation", {}).items():
            lines.append(f"- ROUGE-1/2/L on the held-out part of the training sample, {what}: {v['rouge1']:.2f} / "
                         f"{v['rouge2']:.2f} / {v['rougeL']:.2f} ({v['mean_words']} words; a fifth of the "
                         "articles without their title)")
        lines.append(f"- selection: {json.dumps(model.get('selection', {}))} (chosen on that held-out part; "
                     "`max_words` bounds the pairs of the default summary, the rest applies when a length is asked)")
        lines.append(f"- file: `models/extractive_model.json`, {size / 1e6:.2f} MB; served with numpy only")
        lines.append(f"- rebuild: `{trained.get('command', 'python -m models.evaluation.extractive_fit train')}` "
                     f"(needs `pip install '.[train]'`; {trained.get('seconds', '?')} s here)\n")
    docs = thousand_word_docs(recs)
    lat = latency(summarizer, docs)
    lines.append("### Speed\n")
    lines.append(f"`ExtractiveSummarizer.summarize` on {len(docs)} dev articles concatenated to ≥ 1,000 words "
                 f"(mean {lat['mean_words']:.0f} words, {lat['mean_sentences']:.0f} sentences), 3 passes: "
                 f"p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms (goal: p50 < 30 ms). "
                 "History and machines: `bench/RESULTS-extractive.md` (`python bench/bench_extractive.py`).\n")
    raw = data_dir / "raw_articles_baomoi.jsonl"
    if raw.exists():
        deb = evaluate_debris(_read(str(raw)), progress_bar=False)
        lines.append(f"## Debris in extractive summaries: raw baomoi ({deb['n_records']} articles)\n")
        lines.append("Through the service's pipeline (`models.pipeline.summarize`, method extractive: `prepare_text` "
                     "-> `strip_debris` -> `split_sentences` -> extractive); each summary is checked with "
                     "`find_debris` + HTML / caption / byline / repeated-sentence / promo / unbalanced-parenthesis "
                     "rules (`models/evaluation/debris.py`; `tomtat eval debris --data "
                     "../shared/data/raw_articles_baomoi.jsonl`).\n")
        lines.append("| articles | with debris | rate | by kind |\n|---:|---:|---:|---|")
        kinds = ", ".join(f"{k}: {v}" for k, v in deb["by_kind"].items()) or "—"
        lines.append(f"| {deb['n_records']} | {deb['n_with_debris']} | {100 * deb['debris_rate']:.1f}% | {kinds} |\n")
    facts = _faithfulness_section(data_dir)
    if facts:
        lines.append(facts.rstrip() + "\n")
    lid = langid_accuracy(data_dir)
    if lid:
        lines.append("## Language check (`models/langid.py`) on the translation files\n")
        lines.append("| file | side | n | correct | accuracy |\n|---|---|---:|---:|---:|")
        for r in lid:
            lines.append(f"| {r['file']} | {r['side']} | {r['n']} | {r['correct']} | {100 * r['accuracy']:.2f}% |")
        lines.append("\nErrors are almost all one-word segments (`Wooo!`, `Okay.`, names such as `Stephen Watt.`).\n")
    lines.append("## Commands\n")
    lines.append("```sh\n"
                 "tomtat eval quality                    # this file (python -m service.commands.eval quality)\n"
                 "tomtat eval summarize --data ../shared/data/summarization_vietnews.jsonl --method extractive  "
                 "# or lead-2, abstractive\n"
                 "tomtat eval debris --data ../shared/data/raw_articles_baomoi.jsonl\n"
                 "python -m models.evaluation.extractive_fit train --data-dir ../shared/data   # refit the model\n"
                 "python -m models.evaluation.extractive_fit evaluate --data ../shared/data/summarization_vietnews.jsonl\n"
                 "python -m models.evaluation.extractive_fit evaluate --held-out   # the same on the held-out part of the training sample\n"
                 "python bench/bench_extractive.py       # latency, appended to bench/RESULTS-extractive.md\n"
                 "```\n")
    lines.append(f"_Machine: {_cpu()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
                 f"took {time.time() - t0:.0f} s._\n")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor() or ''}".strip()


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
