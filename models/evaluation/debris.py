"""Debris check of summaries on raw scraped articles (``raw_articles_baomoi.jsonl``).

For every article: run ``summarize_fn(raw_text) -> summary`` (default: the offline pipeline
``prepare_text`` -> ``strip_debris`` -> ``split_sentences`` -> extractive), then look for
debris in the summary: whatever ``models.text.clean.find_debris`` flags, plus our own checks
for HTML entities/tags, photo captions (``Ảnh:``), bylines, a sentence repeated (repeated
sapo), promotional lines and unbalanced parentheses (what is left of a credit broken over
lines, ``avirtualvoyage.net)``). Reports the share of summaries with any debris.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

from ._io import resumable_rows, write_json

_HTML_RE = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,5}|#x[0-9a-fA-F]{2,4});|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_CAPTION_RE = re.compile(r"(?i)(?:^|[.!?]\s+|\()\s*(?:ảnh|ành|nguồn ảnh|photo|video|clip)\s*(?:minh\s*h[ọo][aạ]\s*)?:"
                         r"|ảnh minh h[ọo][aạ]|leftcenterrightdel")
_CAPTION_TAIL_RE = re.compile(r"\b[Ảả]nh\s*:\s*[A-ZĐ][^.:]{0,40}\.?\s*$")
_BYLINE_RE = re.compile(r"(?:^|[.!?]\s+|\n)(?:theo\s+[A-ZĐ][\w.]*(?:\s+[A-ZĐ][\w.]*){0,3}|"
                        r"[A-ZĐ]{1,3}\.?[A-ZĐ]{0,3}\.?|PV|CTV|Nhóm PV)\s*\.?\s*$")
_PROMO_RE = re.compile(r"(?i)mời (?:quý )?(?:độc giả|bạn đọc)|(?:^|[.!?]\s+)(?:xem thêm|đọc thêm|tin liên quan)\b"
                       r"|bấm vào đây|nhấn vào đây|click (?:vào|here)|tải (?:app|ứng dụng)|theo dõi (?:fanpage|kênh)"
                       r"|hotline|đăng ký (?:nhận tin|kênh)|liên hệ quảng cáo|\bfanpage\b")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?…])\s+|\n+", text) if len(s.strip().split()) >= 4]


def check_summary(summary: str, title: str | None = None) -> list[str]:
    """Kinds of debris found in one summary (empty list: clean)."""
    kinds = []
    try:
        from models.text.clean import find_debris

        if find_debris(summary, title):
            kinds.append("find_debris")
    except ImportError:  # pragma: no cover - sibling module not available
        pass
    if _HTML_RE.search(summary):
        kinds.append("html")
    if _CAPTION_RE.search(summary) or _CAPTION_TAIL_RE.search(summary):
        kinds.append("caption")
    if _BYLINE_RE.search(summary.strip()):
        kinds.append("byline")
    sents = [re.sub(r"\W+", " ", s.lower()).strip() for s in _sentences(summary)]
    if len(sents) != len(set(sents)):
        kinds.append("repeated_sentence")
    if _PROMO_RE.search(summary):
        kinds.append("promo")
    if _unbalanced_parentheses(summary):
        kinds.append("broken_parenthesis")
    return kinds


def _unbalanced_parentheses(text: str) -> bool:
    """A ")" with no "(" before it, or a "(" never closed: the remains of a caption or credit
    broken over lines (``avirtualvoyage.net)``)."""
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return True
    return depth > 0


def split_title(raw: str) -> tuple[str | None, str]:
    """Raw baomoi text starts with the title line."""
    head, _, rest = raw.strip().partition("\n")
    if rest and len(head.split()) <= 40:
        return head.strip(), rest
    return None, raw


def default_summarize_fn() -> Callable[[str], str]:
    """The service's own extractive path (``models.pipeline.summarize``), so the rate is what users get."""
    from models import pipeline
    from models.errors import InputError
    from models.runtime import Runtime, RuntimeConfig

    runtime = Runtime(RuntimeConfig(load_summary=False, load_translation=False)).load()
    options = pipeline.SummaryOptions(method="extractive")

    def fn(raw: str) -> str:
        title, body = split_title(raw)
        try:
            return pipeline.summarize(runtime, body, title, "text", options, allow_other_language=True).summary
        except InputError:  # nothing left after cleaning: an empty summary carries no debris
            return ""
    return fn


def evaluate_debris(records: Sequence[dict], summarize_fn: Callable[[str], str] | None = None,
                    limit: int | None = None, out_dir: str | Path | None = None, name: str = "debris",
                    progress_bar: bool | None = None) -> dict:
    fn = summarize_fn or default_summarize_fn()
    recs = list(records)[:limit] if limit is not None else list(records)
    out_path = Path(out_dir) if out_dir else None
    t0 = time.perf_counter()

    def compute(rec: dict) -> dict:
        raw = rec.get("text") or rec.get("article") or ""
        summary = fn(raw)
        title, _ = split_title(raw)
        return {"summary": summary, "debris": check_summary(summary, title)}

    rows, _ = resumable_rows(recs, compute, out_path, name, "debris", progress_bar)
    kinds = Counter(k for r in rows for k in r["debris"])
    n_bad = sum(1 for r in rows if r["debris"])
    result = {"name": name, "n_records": len(rows), "n_with_debris": n_bad,
              "debris_rate": n_bad / len(rows) if rows else 0.0, "by_kind": dict(kinds.most_common()),
              "examples": [{"id": r["id"], "debris": r["debris"], "summary": r["summary"][:300]}
                           for r in rows if r["debris"]][:10],
              "seconds": round(time.perf_counter() - t0, 2)}
    if out_path:
        write_json(out_path / f"{name}.json", result)
        (out_path / f"{name}.md").write_text(markdown_table(result), encoding="utf-8")
    return result


def markdown_table(result: dict) -> str:
    lines = ["| articles | summaries with debris | rate | by kind |", "|---:|---:|---:|---|",
             f"| {result['n_records']} | {result['n_with_debris']} | {100 * result['debris_rate']:.1f}% "
             f"| {', '.join(f'{k}: {v}' for k, v in result['by_kind'].items()) or '—'} |"]
    return "\n".join(lines) + "\n"
