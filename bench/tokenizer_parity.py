"""Tokenizer parity and <unk> rates of the real tokenizers in ../shared/models.

    .venv/bin/python bench/tokenizer_parity.py                 # writes bench/RESULTS-tokenizers.md
    .venv/bin/python bench/tokenizer_parity.py --out -         # print only
    .venv/bin/python bench/tokenizer_parity.py --shared PATH   # another copy of shared/

For every real tokenizer (files only, no weights) and three text sets: the first 1,000 VietNews
dev articles, the 203 raw baomoi articles as a scraper gives them, and the same articles through
the service's cleaning (``models.pipeline.clean_article``), it measures:

1. before: does transformers' ``AutoTokenizer.from_pretrained`` load, and on how many articles its
   input_ids differ from the reference: sentencepiece's own encoding in the model's id layout
   (T5: ids + ``</s>`` 1; fairseq mBART: sp id + 1, sp ``<unk>`` 0 → 3, then ``</s>`` 2 and vi_VN);
2. after: the same comparison for ``models.tokenization.load_tokenizer`` (expected: no difference);
3. the share of <unk> tokens: (i) sentencepiece on the article text, (ii) the ids the model really
   receives through the pipeline (clean → sentences → ``Seq2SeqModel._plan`` on a tokenizer-only
   backend), with the characters carried around the model untouched and those mapped to plain forms;
4. tokens per word of ViT5 and EnViT5 (with its ``vi: `` prefix) on the VietNews articles.

The shared files are not part of a user's clone: without them the script says so and exits
(0 when the default location is missing, 2 when an explicit ``--shared`` path is).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
import traceback
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VIETNEWS_ARTICLES = 1000


@dataclass(frozen=True)
class Spec:
    folder: str
    label: str
    family: str
    spm: str | None  # the sentencepiece file that is the reference (None: there is none)
    layout: str | None  # "t5" or "fairseq": how sentencepiece ids become model ids; None: no ids
    profile: str | None = None  # the profile whose conventions the pipeline applies
    src_lang: str | None = None
    prefix: str = ""  # input prefix, for tokens per word
    note: str = ""


SPECS = [
    Spec("VietAI__vit5-base-vietnews-summarization", "ViT5 (summary)", "t5", "spiece.model", "t5",
         "VietAI/vit5-base-vietnews-summarization"),
    Spec("VietAI__envit5-translation", "EnViT5 (translation)", "t5", "spiece.model", "t5",
         "VietAI/envit5-translation", prefix="vi: "),
    Spec("vinai__vinai-translate-vi2en", "VinAI v1 (mBART)", "mbart", "sentencepiece.bpe.model", "fairseq",
         "vinai/vinai-translate-vi2en-v2", src_lang="vi_VN",
         note="v1 tokenizer; the served profile is v2, whose conventions (new-style tone marks) the pipeline applies"),
    Spec("Helsinki-NLP__opus-mt-en-vi", "Opus-MT en-vi (Marian)", "marian", "target.spm", None,
         note="en→vi: target.spm is the Vietnamese side; no vocab.json, so no model ids can be formed"),
    Spec("facebook__nllb-200-distilled-600M", "NLLB-200 600M", "m2m_100", None, None,
         note="configs only: no sentencepiece model, nothing to tokenize; transformers' AutoTokenizer still "
              "builds an NllbTokenizer from them, with no vocabulary (nearly every id it gives is <unk>)"),
]


# -- data ---------------------------------------------------------------------------------------

@dataclass
class Article:
    id: str
    text: str
    title: str | None


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_sets(data: Path, n_vietnews: int) -> dict[str, list[Article]]:
    """The text sets: VietNews dev articles, raw baomoi articles, and those cleaned by the service."""
    from models.errors import InputError
    from models.pipeline import _joined, clean_article

    vietnews = [Article(r["id"], r["article"], r.get("title")) for r in
                read_jsonl(data / "summarization_vietnews.jsonl")[:n_vietnews]]
    raw = [Article(r["id"], r["text"], None) for r in read_jsonl(data / "raw_articles_baomoi.jsonl")]
    cleaned = []
    for a in raw:
        try:
            cleaned.append(Article(a.id, _joined(clean_article(a.text, None, None)), None))
        except InputError:
            pass  # nothing left after cleaning: the service refuses it, so it is not measured
    return {"VietNews dev": vietnews, "baomoi raw": raw, "baomoi cleaned": cleaned}


# -- the reference and the tokenizers compared with it ------------------------------------------

class Reference:
    """sentencepiece's own encoding, in the model's id layout."""

    def __init__(self, model_dir: Path, spec: Spec):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_dir / spec.spm))
        self.unk = self.sp.unk_id()
        self.layout = spec.layout
        if spec.layout == "fairseq":
            codes = json.loads((model_dir / "special_tokens_map.json").read_text())["additional_special_tokens"]
            self.code = self.sp.get_piece_size() + 1 + codes.index(spec.src_lang)

    def sp_ids(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def ids(self, text: str) -> list[int]:
        ids = self.sp.encode(text)
        if self.layout == "t5":
            return ids + [1]
        return [3 if i == self.unk else i + 1 for i in ids] + [2, self.code]

    def piece(self, i: int) -> str:
        if self.layout == "fairseq":
            return {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>"}.get(i) or (
                self.sp.id_to_piece(i - 1) if i <= self.sp.get_piece_size() else f"<code {i}>")
        return self.sp.id_to_piece(i) if i < self.sp.get_piece_size() else f"<id {i}>"

    def unknown_surfaces(self, text: str) -> list[str]:
        """The text behind each <unk> piece (the character at its place when the piece has no surface)."""
        data = text.encode("utf-8")
        out = []
        for p in self.sp.encode(text, return_type="proto").pieces:
            if p.id == self.unk:
                end = p.end if p.end > p.begin else p.begin + 1
                while end < len(data) and (data[end] & 0xC0) == 0x80:
                    end += 1  # to the end of the UTF-8 character
                out.append(data[p.begin:end].decode("utf-8", errors="replace"))
        return out


@dataclass
class Candidate:
    name: str
    ids: object = None  # text -> ids
    piece: object = None  # id -> piece
    error: str | None = None
    kind: str = ""
    unk_id: int | None = None
    tokenizer: object = None


def _error(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]} (in {Path(where.filename).name}:{where.name})"


def before(model_dir: Path, spec: Spec) -> list[Candidate]:
    """transformers' AutoTokenizer, and for a tokenizer.json the ``tokenizers`` library reading it."""
    from transformers import AutoTokenizer

    out = []
    kwargs = {"src_lang": spec.src_lang} if spec.src_lang else {}
    try:
        tok = AutoTokenizer.from_pretrained(str(model_dir), **kwargs)
        out.append(Candidate("AutoTokenizer", lambda t: tok(t)["input_ids"], tok.convert_ids_to_tokens,
                             kind=type(tok).__name__, unk_id=tok.unk_token_id))
    except Exception as exc:  # noqa: BLE001 - what it raises is the finding
        out.append(Candidate("AutoTokenizer", error=_error(exc)))
    if (model_dir / "tokenizer.json").is_file():
        from tokenizers import Tokenizer

        tj = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        out.append(Candidate("tokenizer.json (tokenizers)", lambda t: tj.encode(t).ids, tj.id_to_token,
                             kind="tokenizers.Tokenizer", unk_id=tj.token_to_id("<unk>")))
    return out


def after(model_dir: Path, spec: Spec) -> Candidate:
    from models.tokenization import load_tokenizer

    try:
        tok = load_tokenizer(model_dir, spec.family, src_lang=spec.src_lang)
    except Exception as exc:  # noqa: BLE001
        return Candidate("load_tokenizer", error=_error(exc))
    return Candidate("load_tokenizer", lambda t: tok.encode(t).ids, tok.id_to_piece, kind=type(tok).__name__,
                     unk_id=tok.unk_id, tokenizer=tok)


@dataclass
class Parity:
    articles: int = 0
    differing: int = 0
    tokens: int = 0  # reference tokens
    got: int = 0  # candidate tokens
    aligned: int = 0  # per article, the longer of the two sequences
    changed: int = 0  # positions inside differing stretches (the longer side of each)
    example: str | None = None

    def cell(self) -> str:
        share = self.changed / self.aligned if self.aligned else 0.0
        cell = f"{self.differing} / {self.articles}; {pct(share)} of tokens"
        if self.got != self.tokens:
            cell += f"; {self.got - self.tokens:+,} tokens ({self.got / self.tokens - 1:+.2%})"
        return cell


def compare(texts: list[Article], ref: Reference, cand: Candidate) -> Parity:
    result = Parity()
    for a in texts:
        want, got = ref.ids(a.text), list(cand.ids(a.text))
        result.articles += 1
        result.tokens += len(want)
        result.got += len(got)
        result.aligned += max(len(want), len(got))
        if want == got:
            continue
        result.differing += 1
        ops = [op for op in difflib.SequenceMatcher(None, want, got, autojunk=False).get_opcodes() if op[0] != "equal"]
        result.changed += sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in ops)
        if result.example is None:
            _, i1, i2, j1, j2 = ops[0]
            show = lambda ids, piece: " ".join(piece(i) for i in ids) or "(nothing)"  # noqa: E731
            after = f"after `{show(want[max(0, i1 - 3):i1], ref.piece)}`" if i1 else "at the start"
            result.example = (f"{a.id}, token {i1} of {len(want)} ({after}): sentencepiece `{show(want[i1:i2], ref.piece)}` → "
                              f"{cand.name} `{show(got[j1:j2], cand.piece)}`")
    return result


# -- <unk> rates ---------------------------------------------------------------------------------

def candidate_unk(texts: list[Article], cand: Candidate) -> str:
    ids = [i for a in texts for i in cand.ids(a.text)]
    return pct(ids.count(cand.unk_id) / len(ids)) if ids and cand.unk_id is not None else "?"


@dataclass
class Unk:
    tokens: int = 0
    unk: int = 0
    chars: Counter = field(default_factory=Counter)

    def cell(self) -> str:
        return f"{pct(self.unk / self.tokens if self.tokens else 0)} ({self.unk:,} / {self.tokens:,})"


def raw_unk(texts: list[Article], ref: Reference) -> Unk:
    out = Unk()
    for a in texts:
        ids = ref.sp_ids(a.text)
        out.tokens += len(ids)
        if ref.unk in ids:
            out.unk += ids.count(ref.unk)
            out.chars.update(c for s in ref.unknown_surfaces(a.text) for c in s)
    return out


@dataclass
class Through:
    inputs: int = 0  # model inputs (ModelInput) formed
    tokens: int = 0
    unk: int = 0
    skipped: int = 0  # articles the service refuses (nothing left once cleaned)
    carried: int = 0  # non-space characters carried around the model untouched (raw spans)
    sentinel_chars: int = 0  # characters sent as a T5 sentinel and put back in the output
    sentinels_exhausted: int = 0
    split: int = 0  # inputs cut into several model inputs around a carried span
    split_examples: list[str] = field(default_factory=list)
    mapped: Counter = field(default_factory=Counter)
    spans: Counter = field(default_factory=Counter)
    unk_examples: list[str] = field(default_factory=list)


def served_model(tokenizer, spec: Spec):
    """A Seq2SeqModel on a backend that has a tokenizer and nothing else."""
    from models.profiles import PROFILES
    from models.seq2seq import Seq2SeqModel

    backend = SimpleNamespace(tokenizer=tokenizer, revision="tokenizer-only", name="none", device="cpu")
    return Seq2SeqModel(spec.profile, PROFILES[spec.profile], backend)


def model_inputs(model, article: Article) -> list[str]:
    """The strings the pipeline hands the model for one article (before ``prepare``).

    Summary: the first pass of ``AbstractiveSummarizer``: sentences packed into window-sized
    sections, each joined by spaces (an article that fits is one section: the cleaned article).
    Translation: each sentence, split at clauses when longer than the window (``Translator``)."""
    from models.pipeline import clean_article
    from models.text.chunk import chunk_sentences, split_long_sentence

    sentences = [s for p in clean_article(article.text, article.title, None) for s in p]
    budget = model.token_budget()
    if model.profile.task == "summarization":
        return [" ".join(s) for s in chunk_sentences(sentences, model.count_tokens, budget)]
    return [u for s in sentences for u in split_long_sentence(s, model.count_tokens, budget)]


def through_pipeline(texts: list[Article], model) -> Through:
    from models.errors import InputError
    from models.seq2seq import ModelInput

    tok = model.tokenizer
    plain = tok.plain_equivalents()
    out = Through()
    for a in texts:
        try:
            inputs = model_inputs(model, a)
        except InputError:
            out.skipped += 1
            continue
        for text in inputs:
            out.mapped.update(c for c in text if c in plain)
            plan = model._plan(text)
            units = [p for p in plan if isinstance(p, ModelInput)]
            if len(units) > 1:
                out.split += 1
                if len(out.split_examples) < 3:
                    shown = " ‖ ".join(tok.decode(p.ids) if isinstance(p, ModelInput) else f"[{p.strip()}]"
                                       for p in plan if not isinstance(p, str) or p.strip())
                    out.split_examples.append(f"{a.id}: {shown[:300]}")
            for part in plan:
                if isinstance(part, ModelInput):
                    out.inputs += 1
                    out.tokens += len(part.ids)
                    unk = part.ids.count(tok.unk_id)
                    out.unk += unk
                    if unk and len(out.unk_examples) < 5:
                        out.unk_examples.append(f"{a.id}: {text[:120]!r}")
                    for i, span in part.replacements.items():
                        out.sentinel_chars += len(span) * part.ids.count(i)
                        out.spans[span.strip()] += part.ids.count(i)
                    out.sentinels_exhausted += len(part.replacements) >= len(tok.sentinels) > 0
                elif part.strip():
                    out.carried += sum(not c.isspace() for c in part)
                    out.spans[part.strip()] += 1
    return out


# -- formatting ----------------------------------------------------------------------------------

def pct(x: float) -> str:
    return f"{100 * x:.3f} %" if x else "0 %"


def char_name(c: str) -> str:
    shown = c if c.isprintable() and c not in "|`\\" and not c.isspace() else ""
    return f"{shown} U+{ord(c):04X} {unicodedata.name(c, '?').lower()}".strip()


def top(counter: Counter, n: int, fmt=char_name) -> str:
    return "; ".join(f"{fmt(k)} ×{v:,}" for k, v in counter.most_common(n)) or "none"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows])


def machine() -> str:
    import sentencepiece
    import tokenizers

    from run import machine as describe  # bench/run.py: the one place that reads the machine's facts

    m = describe("cpu")
    return (f"{m.get('cpu')}, {m['cores']} cores, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; "
            f"Python {m['python']}, transformers {m.get('transformers')}, "
            f"sentencepiece {sentencepiece.__version__}, tokenizers {tokenizers.__version__}")


# -- the run -------------------------------------------------------------------------------------

@dataclass
class Report:
    tables: dict[str, tuple[list[str], list[list]]]
    details: list[str] = field(default_factory=list)
    after_bad: list[str] = field(default_factory=list)  # should stay empty
    unk_bad: list[str] = field(default_factory=list)  # should stay empty

    def row(self, title: str, *cells) -> list:
        self.tables[title][1].append(list(cells))
        return self.tables[title][1][-1]

    def render(self) -> str:
        summary = ("* after (load_tokenizer vs sentencepiece): "
                   + ("; ".join(self.after_bad) or "identical ids on every article of every text set.")
                   + "\n* <unk> ids reaching a model through the pipeline: "
                   + ("; ".join(self.unk_bad) or "none, for every served tokenizer and text set."))
        parts = ["### Summary\n\n" + summary]
        for title, (header, rows) in self.tables.items():
            parts.append(f"### {title}\n\n" + table(header, [r + [""] * (len(header) - len(r)) for r in rows]))
        return "\n\n".join(parts + ["### Details\n\n" + "\n".join(self.details)])


LOADING, PARITY, UNK = "Loading", "Parity with sentencepiece (articles whose ids differ / articles)", "<unk> share"
CHARS = "Characters sentencepiece cannot represent (before the change, top 15)"
PIPELINE = "Through the pipeline: characters mapped (top 10), spans carried untouched or behind sentinels (top 5)"
PER_WORD = "Tokens per word (VietNews dev articles, EOS included; words = whitespace-separated)"


def new_report() -> Report:
    return Report({
        LOADING: (["model", "reference", "before", "before: result", "before: <unk> share of its ids on VietNews dev",
                   "after: load_tokenizer"], []),
        PARITY: (["model", "texts", "articles", "AutoTokenizer (before)", "tokenizer.json via tokenizers",
                  "load_tokenizer (after)"], []),
        UNK: (["model", "texts", "(i) sentencepiece on the text", "(ii) ids the model receives",
               "chars carried untouched", "chars behind sentinels", "chars mapped to plain forms"], []),
        CHARS: (["model", "texts", "characters ×count"], []),
        PIPELINE: (["model", "texts", "mapped by plain_equivalents", "carried / sentinel spans"], []),
        PER_WORD: (["model", "prefix", "articles", "tokens", "words", "tokens/word"], []),
    })


def report_parity(report: Report, spec: Spec, set_name: str, texts, ref: Reference, cands: list[Candidate],
                  new: Candidate) -> None:
    cells = []
    for c in cands + [new]:
        if c.error:
            cells.append("does not load")
            continue
        p = compare(texts, ref, c)
        cells.append(p.cell())
        if c is new and p.differing:
            report.after_bad.append(f"{spec.label}, {set_name}: {p.differing} of {p.articles} articles differ")
        if p.example:
            report.details.append(f"* {spec.label}, {c.name}, {set_name}: first difference in {p.example}.")
    if len(cands) == 1:
        cells.insert(1, "")  # no tokenizer.json
    report.row(PARITY, spec.label, set_name, len(texts), *cells)


def report_pipeline(report: Report, spec: Spec, set_name: str, texts, model, unk_row: list) -> None:
    t = through_pipeline(texts, model)
    unk_row += [f"{pct(t.unk / t.tokens if t.tokens else 0)} ({t.unk:,} / {t.tokens:,} in {t.inputs:,} inputs)",
                f"{t.carried:,}", f"{t.sentinel_chars:,}", f"{sum(t.mapped.values()):,}"]
    report.row(PIPELINE, spec.label, set_name, top(t.mapped, 10), top(t.spans, 5, fmt=lambda s: f"`{s[:40]}`"))
    where = f"* {spec.label}, {set_name}:"
    if t.unk:
        report.unk_bad.append(f"{spec.label}, {set_name}: {t.unk} <unk> ids of {t.tokens:,}")
        report.details += [f"{where} <unk> reached the model: {e}" for e in t.unk_examples]
    if t.skipped:
        report.details.append(f"{where} {t.skipped} article(s) refused by the cleaning.")
    if t.split:
        report.details.append(f"{where} {t.split} input(s) were cut into several model inputs around a carried span, "
                              "e.g. " + "; ".join(f"`{e}`" for e in t.split_examples))
    if t.sentinels_exhausted:
        report.details.append(f"{where} {t.sentinels_exhausted} input(s) used every sentinel.")


def report_per_word(report: Report, spec: Spec, texts, ref: Reference) -> None:
    tokens = sum(len(ref.ids(spec.prefix + a.text)) for a in texts)
    words = sum(len(a.text.split()) for a in texts)
    report.row(PER_WORD, spec.label, f"`{spec.prefix}`" if spec.prefix else "none", len(texts), f"{tokens:,}",
               f"{words:,}", f"{tokens / words:.3f}")


def measure(models: Path, sets: dict[str, list[Article]]) -> str:
    report = new_report()
    vietnews = sets["VietNews dev"]
    for spec in SPECS:
        model_dir = models / spec.folder
        if not model_dir.is_dir():
            report.row(LOADING, spec.label, "folder missing")
            continue
        cands, new = before(model_dir, spec), after(model_dir, spec)
        ref = Reference(model_dir, spec) if spec.spm else None
        reference = f"`{spec.spm}`: {ref.sp.get_piece_size():,} pieces" if ref else "no sentencepiece model"
        for c in cands:
            report.row(LOADING, spec.label, reference, c.name, c.error or f"loads ({c.kind})",
                       "" if c.error else candidate_unk(vietnews, c), new.error or f"loads ({new.kind})")
        if spec.note:
            report.details.append(f"* {spec.label}: {spec.note}.")
        if ref is None:
            continue
        model = served_model(new.tokenizer, spec) if spec.profile and new.tokenizer else None
        for set_name, texts in sets.items():
            raw = raw_unk(texts, ref)
            unk_row = report.row(UNK, spec.label, set_name, raw.cell())
            if set_name != "baomoi cleaned":  # the pipeline does its own cleaning
                report.row(CHARS, spec.label, set_name, top(raw.chars, 15))
                if model is not None:
                    report_pipeline(report, spec, set_name, texts, model, unk_row)
            if spec.layout is not None:
                report_parity(report, spec, set_name, texts, ref, cands, new)
        if spec.family == "t5":
            report_per_word(report, spec, vietnews, ref)
    return report.render()


NOTES = """\
## What the numbers mean

* **Reference**: sentencepiece's own `encode(text)` on the model's sentencepiece file, put in the model's id
  layout (T5: the ids as they are, then `</s>` = 1; fairseq mBART: every id + 1, sentencepiece's `<unk>` 0 → 3,
  then `</s>` = 2 and the `vi_VN` code). That is what the models were trained with.
* **Parity**: an article counts as differing when its id sequence is not identical to the reference. The share of
  tokens is the length of the differing stretches (aligned with difflib, the longer side of each stretch) over the
  length of the longer sequence of each article; "+N tokens" is how many more ids than sentencepiece it gives.
  *Before* is transformers' `AutoTokenizer` (what the project used), *after* is `models.tokenization.load_tokenizer`
  (what it uses now); after should be 0 everywhere.
* **<unk> share (i)**: the share of sentencepiece tokens of the text that are `<unk>`: what the model would read
  without any handling. **(ii)**: the share of `<unk>` ids in every input the model really receives through the
  pipeline (clean → sentences → summary sections or translation sentences → `Seq2SeqModel._plan`), on a
  tokenizer-only backend (no weights); prefix and special tokens are counted. Goal: 0.
* **Chars carried untouched**: non-space characters a translation model never sees, put back in the output where
  they stood (spans no piece can represent, and punctuation-only pieces between them). **Chars behind sentinels**:
  the summary model reads such a span as one `<extra_id_k>` and the span replaces it in the output.
  **Chars mapped**: typographic characters the vocabulary lacks, replaced by the plain form it knows.
* **Tokens per word**: tokens (with EOS) over whitespace-separated words; VietNews separates punctuation by spaces,
  so punctuation marks count as words.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, help="the shared/ folder (default: ../shared beside the repository)")
    parser.add_argument("--articles", type=int, default=VIETNEWS_ARTICLES, help="VietNews dev articles (default 1000)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS-tokenizers.md"), help="results file, - for none")
    args = parser.parse_args(argv)
    shared = args.shared or ROOT.parent / "shared"
    models, data = shared / "models", shared / "data"
    missing = [p for p in (models, data / "summarization_vietnews.jsonl", data / "raw_articles_baomoi.jsonl")
               if not p.exists()]
    if missing:
        print(f"{missing[0]} is missing: the real tokenizer files and evaluation data live in the project's shared/ "
              "folder, which a clone of the repository does not have; nothing to measure (--shared PATH).")
        return 2 if args.shared else 0

    import transformers

    transformers.logging.set_verbosity_error()
    started = time.monotonic()
    sets = load_sets(data, args.articles)
    body = measure(models, sets)
    seconds = time.monotonic() - started
    command = " ".join(["    .venv/bin/python bench/tokenizer_parity.py"] + (argv if argv is not None else sys.argv[1:]))
    report = (f"# Tokenizers: parity with sentencepiece and <unk> rates\n\n"
              f"Machine: {machine()}. Ran in {seconds:.0f} s.\n\n{command.rstrip()}\n\n"
              f"Texts: the first {len(sets['VietNews dev'])} VietNews dev articles (`article`), the "
              f"{len(sets['baomoi raw'])} raw baomoi articles (`text`), and those through `clean_article` "
              f"({len(sets['baomoi cleaned'])} kept, paragraphs joined as the service joins them).\n\n"
              f"{body}\n\n{NOTES}")
    print(report)
    if args.out != "-":
        Path(args.out).write_text(report, encoding="utf-8")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
