"""Checks for a model directory a user brings: how its text is tokenized, and whether it serves.

``tokenize_lines`` shows, line by line, the exact string a model's tokenizer gets (the
pipeline's normalization and the profile's prefix applied) and the ids it becomes;
``check_model`` loads a directory the way serving does and reports what is wrong.
Both are behind ``tomtat models tokenize`` and ``tomtat models check``.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from dataclasses import dataclass, field

from .backends import GenerationOptions, ModelNotAvailable, load_backend
from .backends.base import check_model_dir, embedding_rows, load_model_tokenizer
from .backends.torch_backend import resolve_model_dir
from .profiles import ModelProfile
from .seq2seq import Seq2SeqModel, ModelInput
from .text import normalize_unicode, prepare_text

# Built-in Vietnamese sample: news sentences with the characters scraped articles carry.
SAMPLE: list[str] = [
    "Chiều 22/7, UBND TP.HCM họp bàn về dự án đường Vành đai 3 qua Q.3 và TP Thủ Đức.",
    "Theo Nghị định 03/2019/NĐ-CP, mức phạt tăng lên 1.500.000 đồng, tức khoảng 5,7%.",
    "“Chúng tôi sẽ không để ai bị bỏ lại phía sau”, Thủ tướng Phạm Minh Chính nói.",
    "Giá xăng RON 95 giảm 320 đồng/lít – mức thấp nhất từ đầu năm…",
    "Ông Nguyễn Văn Ấn (45 tuổi, trú phường Ỷ La, tỉnh Tuyên Quang) đã ra đầu thú.",
    "Hoà bình và sức khoẻ; hòa bình và sức khỏe: hai cách bỏ dấu.",
    "Đội tuyển Việt Nam thắng Thái Lan 2-0 tại sân Mỹ Đình tối 5/9/2019.",
    "Xuất khẩu gạo 6 tháng đầu năm đạt 4,2 triệu tấn, thu về 2,5 tỷ USD.",
]


@dataclass
class TokenizerOnly:
    """A backend stand-in with a tokenizer and no weights: for looking at tokenization only."""

    tokenizer: object
    name: str = "tokenizer-only"
    device: str = "none"
    revision: str = "none"

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def generate_ids(self, batch, options):  # pragma: no cover - never generates
        raise ModelNotAvailable("no weights loaded: this model only tokenizes")


def tokenizer_model(ref: str, profile: ModelProfile) -> Seq2SeqModel:
    """``ref``'s tokenizer with ``profile``'s conventions, without loading weights."""
    model_dir = resolve_model_dir(ref)
    config = check_model_dir(model_dir, profile)
    return Seq2SeqModel(ref, profile, TokenizerOnly(load_model_tokenizer(model_dir, profile, config)))


def tokenize_line(model: Seq2SeqModel, line: str) -> dict:
    """What the model's tokenizer gets for one input line (after the pipeline's ingress cleaning: entities,
    Unicode, markup), and what it gives."""
    line = prepare_text(line, "text")
    encoding = model.encode(line)
    tokenizer = model.tokenizer
    out = {"text": encoding.text, "ids": encoding.ids, "pieces": encoding.pieces, "unk": encoding.unk}
    if encoding.unk:
        plan = model._plan(line)
        out["protected"] = {
            "inputs": [list(p.ids) for p in plan if isinstance(p, ModelInput)],
            "pieces": [[tokenizer.id_to_piece(i) for i in p.ids] for p in plan if isinstance(p, ModelInput)],
            "carried": sorted({encoding.text[a:b] for a, b in encoding.unknown}),
        }
    return out


@dataclass
class Report:
    model: str
    items: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, ok, detail)
    facts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.items)

    def add(self, what: str, ok: bool, detail: str) -> bool:
        self.items.append((what, ok, detail))
        return ok

    def as_dict(self) -> dict:
        return {"model": self.model, "ok": self.ok, "facts": self.facts,
                "checks": [{"check": w, "ok": ok, "detail": d} for w, ok, d in self.items]}


@lru_cache(maxsize=8)
def _processor(path: str):
    """A sentencepiece processor of its own for ``path``, loaded once (the reference for the parity check)."""
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=path)


def reference_ids(tokenizer, text: str) -> list[int] | None:
    """sentencepiece's own encoding of ``text`` in the model's id layout with its special tokens, computed
    here independently of ``models.tokenization`` (None for a tokenizer that is not sentencepiece)."""
    family = tokenizer.family
    if tokenizer.kind != "sentencepiece":
        return None
    if family == "t5":
        return _processor(str(tokenizer.spm_path)).encode(text) + [tokenizer.eos_id]
    if family == "marian":
        sp = _processor(str(tokenizer.source_path))
        return [tokenizer.vocab.get(p, tokenizer.unk_id) for p in sp.encode(text, out_type=str)] + [tokenizer.eos_id]
    sp = _processor(str(tokenizer.spm_path))
    body = [3 if i == sp.unk_id() else i + 1 for i in sp.encode(text)]
    code = [tokenizer.code_id(tokenizer.src_lang)] if tokenizer.src_lang else []
    return code + body + [2] if tokenizer.code_first else body + [2] + code


def check_model(ref: str, profile: ModelProfile, *, backend: str = "auto", device: str = "cpu",
                threads: int | None = None, quantization: str = "auto", torch_dtype: str = "auto",
                generate: bool = True) -> Report:
    """Load ``ref`` as serving does and report architecture, vocabulary, tokenizer parity, <unk> rate and
    a tiny generation. ``Report.ok`` is False when anything would make serving fail or mis-feed the model."""
    report = Report(ref)
    report.facts["profile"] = profile.id
    try:
        model_dir = resolve_model_dir(ref)
        config = check_model_dir(model_dir, profile)
    except ModelNotAvailable as exc:
        report.add("directory", False, f"{exc} — {exc.how_to_fix}")
        return report
    report.add("architecture", True, f"{config.get('model_type')} ({', '.join(config.get('architectures') or [])}) "
                                     f"matches profile {profile.id}")
    try:
        tokenizer = load_model_tokenizer(model_dir, profile, config)
    except ModelNotAvailable as exc:
        report.add("tokenizer", False, f"{exc} — {exc.how_to_fix}")
        return report
    except Exception as exc:  # noqa: BLE001 - the check reports whatever loading raises, never a traceback
        report.add("tokenizer", False, f"{type(exc).__name__}: {str(exc)[:300]}")
        return report
    rows = embedding_rows(config)
    report.facts |= {"tokenizer": tokenizer.describe(), "embedding_rows": rows}
    report.add("vocabulary", True, f"tokenizer ids 0..{tokenizer.reachable - 1} (of {tokenizer.size} named) fit "
                                   f"the {rows} embedding rows")
    model = Seq2SeqModel(ref, profile, TokenizerOnly(tokenizer))
    texts = [model.prepare(normalize_unicode(line)) for line in SAMPLE]
    references = [reference_ids(tokenizer, t) for t in texts]
    if references[0] is None:
        report.add("parity", True, "tokenizer.json only: the tokenizers library is the reference")
    else:
        differ = [t for t, ref_ids in zip(texts, references) if tokenizer.ids(t) != ref_ids]
        report.add("parity", not differ, f"ids equal sentencepiece's own encoding on {len(texts) - len(differ)}/"
                                         f"{len(texts)} sample lines" + (f"; first difference: {differ[0]!r}"
                                                                         if differ else ""))
    encodings = [tokenizer.encode(t) for t in texts]
    total, unknown = sum(len(e.ids) for e in encodings), sum(e.unk for e in encodings)
    plans = [model._plan(normalize_unicode(line)) for line in SAMPLE]
    fed_unk = sum(1 for plan in plans for p in plan if isinstance(p, ModelInput) for i in p.ids if i == tokenizer.unk_id)
    report.facts["unk_rate"] = round(unknown / max(1, total), 5)
    report.add("unknown", fed_unk == 0, f"{unknown} of {total} sample tokens are <unk> in the raw encoding; "
                                        f"{fed_unk} reach the model after mapping and protection")
    if generate:
        _check_generation(report, ref, profile, backend=backend, device=device, threads=threads,
                          quantization=quantization, torch_dtype=torch_dtype)
    return report


def _check_generation(report: Report, ref: str, profile: ModelProfile, **load) -> None:
    started = time.monotonic()
    try:
        backend = load_backend(load.pop("backend"), ref, profile, load.pop("device"), load.pop("threads"), **load)
    except ModelNotAvailable as exc:
        report.add("weights", False, f"{exc} — {exc.how_to_fix}")
        return
    except Exception as exc:  # noqa: BLE001 - report whatever loading raises
        report.add("weights", False, f"{type(exc).__name__}: {str(exc)[:300]}")
        return
    report.add("weights", True, f"loaded with {backend.name} on {backend.device} in "
                                f"{time.monotonic() - started:.1f} s")
    model = Seq2SeqModel(ref, profile, backend)
    try:
        out = model.generate([SAMPLE[0]], GenerationOptions(num_beams=1, max_new_tokens=8))
    except Exception as exc:  # noqa: BLE001
        report.add("generation", False, f"{type(exc).__name__}: {str(exc)[:300]}")
        return
    report.add("generation", True, f"8 greedy tokens: {out[0]!r}")


def write_report(report: Report, as_json: bool) -> str:
    if as_json:
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    lines = [f"{report.model} ({report.facts.get('profile')})"]
    for what, ok, detail in report.items:
        lines.append(f"  {'ok  ' if ok else 'FAIL'} {what}: {detail}")
    lines.append("ok" if report.ok else "problems found")
    return "\n".join(lines)

