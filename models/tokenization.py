"""Tokenizers: the one path from text to the ids a model receives, and back.

Every backend (torch, CTranslate2) and the tokenizer that ``tomtat models convert``
saves go through ``load_tokenizer``. The reference for each family is what the model
was trained with:

* **sentencepiece files** (T5 ``spiece.model``; Marian ``source.spm``/``target.spm`` +
  ``vocab.json``; fairseq mBART/NLLB ``sentencepiece.bpe.model``): ids are
  sentencepiece's own encoding of the string, mapped to the model's id layout, plus
  the family's special tokens (EOS, language codes). transformers 5 rebuilds these
  tokenizers as ``tokenizers`` models, and for ViT5 and VinAI the rebuilt ones cut
  words differently ("Thông" → ``▁Th`` ``ông``; sentencepiece gives ``▁Thông``), and for
  EnViT5 the rebuild fails outright, so sentencepiece is used directly.
* **only a** ``tokenizer.json``: the ``tokenizers`` library, with its own template.

Special-token text in the input ("</s>", "<extra_id_0>" typed in an article) is
encoded as the characters it is, never as a control token.

Characters a vocabulary lacks are the caller's to handle (``models.seq2seq``):
``Encoding.unknown`` gives the character spans of the input that became ``<unk>`` (an exponent, "10⁶", counts
as one: :data:`EXPONENT_RE`), and ``plain_equivalents`` the typographic characters a model knows under
another form.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# Typographic characters and the plain forms news models were trained on. A profile uses
# an entry only when its vocabulary lacks the character and knows the replacement.
EQUIVALENTS: dict[str, str] = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u2039": "'", "\u203a": "'",
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00d7": "x", "\u2044": "/", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "",
}

# Pieces that must never reach a user, whatever a model generates.
_HIDDEN_TEXT = re.compile(r"<(?:unk|pad|s|/s|mask|extra_id_\d+|0x[0-9A-Fa-f]{2})>|\u2047")


# An exponent: superscript digits and signs after a digit ("10⁶", "2³", "10⁻³"). A tokenizer's NFKC normalizer
# folds them into plain ones without an ``<unk>``, and "10⁶" would reach the model as "106", another number:
# each piece that covers one is treated as unknown, carried through untouched like a character the vocabulary
# lacks. A superscript after a letter is a unit or a mark ("m²" is "m2", as Vietnamese news writes it) and
# folds as before.
SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b"  # ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻
EXPONENT_RE = re.compile(f"(?<=[0-9])[{SUPERSCRIPTS}]+")


def _folded_positions(text: str) -> set[int]:
    if text.isascii():
        return set()
    return {i for m in EXPONENT_RE.finditer(text) for i in range(m.start(), m.end())}


def _covers(positions: set[int], start: int, end: int) -> bool:
    return bool(positions) and any(i in positions for i in range(start, end))


class TokenizerError(ValueError):
    """The tokenizer files of a model directory are missing, corrupt or inconsistent."""


@dataclass
class Encoding:
    text: str  # the exact string that was encoded
    ids: list[int]
    pieces: list[str]
    unk_spans: list[tuple[int, int]] = field(default_factory=list)  # char span of each <unk> id, in order

    @property
    def unk(self) -> int:
        return len(self.unk_spans)

    @property
    def unknown(self) -> list[tuple[int, int]]:
        """The character spans of ``text`` that became ``<unk>`` (adjacent ones merged)."""
        return _merge(self.unk_spans)


def _char_offsets(text: str) -> list[int]:
    """byte offset (UTF-8) → char index, for every byte position 0..len(bytes)."""
    out = []
    for i, ch in enumerate(text):
        out.extend([i] * len(ch.encode("utf-8")))
    out.append(len(text))
    return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def strip_hidden(text: str) -> str:
    """Remove any special-token text (``<unk>``, ``<pad>``, ``<extra_id_3>``, ``<0x0A>``, ``⁇``)."""
    if "<" not in text and "\u2047" not in text:
        return text
    return re.sub(r"[ \t]{2,}", " ", _HIDDEN_TEXT.sub("", text)).strip()


class Tokenizer:
    """Common interface; see the family classes below."""

    family: str
    kind: str  # "sentencepiece" or "tokenizers"
    files: tuple[str, ...]  # file names inside the model directory it was read from
    pad_id: int
    eos_id: int
    unk_id: int

    # -- to implement -----------------------------------------------------------
    def _content(self, text: str) -> tuple[list[int], list[str], list[tuple[int, int]]]:
        """ids, pieces and the char span of each unknown id of ``text``, without special tokens."""
        raise NotImplementedError

    def _wrap(self, ids: list[int], max_length: int | None) -> list[int]:
        raise NotImplementedError

    def id_to_piece(self, i: int) -> str:
        raise NotImplementedError

    def decode(self, ids, replacements: dict[int, str] | None = None) -> str:
        raise NotImplementedError

    @property
    def size(self) -> int:
        """Number of ids the tokenizer can produce or name (highest id + 1)."""
        raise NotImplementedError

    @property
    def reachable(self) -> int:
        """Highest id + 1 that encoding text (with the profile's codes) can produce."""
        return self.size

    # -- shared -------------------------------------------------------------------
    @cached_property
    def specials(self) -> int:
        return len(self._wrap([], None))

    def hidden(self) -> frozenset[int]:
        """``hidden_ids()``, computed once (every decode needs it)."""
        cached = self.__dict__.get("_hidden")
        if cached is None:
            cached = self.__dict__["_hidden"] = frozenset(self.hidden_ids())
        return cached

    def encode(self, text: str, max_length: int | None = None) -> Encoding:
        ids, pieces, unknown = self._content(text)
        if max_length is not None:
            keep = max(0, max_length - self.specials)
            unknown = unknown[:sum(1 for i in ids[:keep] if i == self.unk_id)]
            ids, pieces = ids[:keep], pieces[:keep]
        full = self._wrap(ids, None)
        if len(full) != len(ids):
            pieces = self._wrap_pieces(ids, pieces, full)
        return Encoding(text, full, pieces, unknown)

    def _wrap_pieces(self, ids, pieces, full) -> list[str]:
        # the wrapped sequence is content with special ids around it: find where the content sits
        for start in range(len(full) - len(ids) + 1):
            if full[start:start + len(ids)] == ids:
                return ([self.id_to_piece(i) for i in full[:start]] + list(pieces)
                        + [self.id_to_piece(i) for i in full[start + len(ids):]])
        return [self.id_to_piece(i) for i in full]  # pragma: no cover - templates keep content contiguous

    def ids(self, text: str, max_length: int | None = None) -> list[int]:
        return self.encode(text, max_length).ids

    def content_ids(self, text: str) -> list[int]:
        """The ids of ``text`` alone, without the special tokens around a whole input."""
        return self._content(text)[0]

    def count(self, text: str) -> int:
        return len(self._content(text)[0]) + self.specials

    def vocabulary(self, rows: int | None = None) -> list[str]:
        n = self.size if rows is None else min(rows, self.size)
        return [self.id_to_piece(i) for i in range(n)]

    def knows(self, text: str) -> bool:
        """Whether ``text`` encodes without any unknown piece."""
        return not self._content(text)[2]

    def plain_equivalents(self) -> dict[str, str]:
        """The characters this vocabulary lacks and the plain forms of them it knows: the typographic
        table (curly quotes, dashes, …) and, for other symbols and numbers, their NFKC form ("½" → "1/2",
        "™" → "TM"). Letters are never replaced: a name keeps its spelling; nor are superscript digits:
        in an exponent they are carried untouched (:data:`EXPONENT_RE`), elsewhere ("m²") the tokenizer's own
        normalizer reads them as it was trained to, or they are unknown and carried too."""
        candidates = dict(EQUIVALENTS)
        for code in range(0xA0, 0x3000):
            char = chr(code)
            if char in candidates or unicodedata.category(char)[0] not in "NPSZ" or char in SUPERSCRIPTS:
                continue
            folded = unicodedata.normalize("NFKC", char)
            if folded != char:
                candidates[char] = "".join(EQUIVALENTS.get(c, c) for c in folded)
        mapping = {}
        for char, plain in candidates.items():
            if self.knows(f"a{char}a") or (plain and not self.knows(plain)):
                continue
            mapping[char] = plain
        return mapping

    @property
    def sentinels(self) -> list[int]:
        """Ids the model knows as placeholders (T5's extra ids), in order; empty elsewhere."""
        return []

    def hidden_ids(self) -> set[int]:
        return {self.pad_id, self.eos_id, self.unk_id}

    def describe(self) -> dict:
        return {"family": self.family, "kind": self.kind, "files": list(self.files), "size": self.size}


class _Spm:
    """A sentencepiece model with unknown-span detection."""

    def __init__(self, path: Path):
        import sentencepiece as spm

        try:
            self.sp = spm.SentencePieceProcessor(model_file=str(path))
        except (OSError, RuntimeError) as exc:
            raise TokenizerError(f"{path.name} is not a sentencepiece model ({exc})") from exc
        self.n = self.sp.get_piece_size()
        self.unk = self.sp.unk_id()

    def encode(self, text: str) -> tuple[list[int], list[str], list[tuple[int, int]]]:
        ids = self.sp.encode(text)
        folded = _folded_positions(text)
        if self.unk not in ids and not folded:
            return ids, [self.sp.id_to_piece(i) for i in ids], []
        proto = self.sp.encode(text, return_type="proto")
        chars = _char_offsets(text)
        ids, spans = [], []
        for piece in proto.pieces:
            start, end = chars[piece.begin], chars[piece.end]
            if piece.id == self.unk or _covers(folded, start, end):
                if end <= start:  # an unknown piece with no surface of its own (NFKC expanded "½")
                    end = min(len(text), start + 1)
                spans.append((start, end))
                ids.append(self.unk)
            else:
                ids.append(piece.id)
        pieces = [self.sp.id_to_piece(i) if i != self.unk else "<unk>" for i in ids]
        return ids, pieces, spans

    def pieces_with_spans(self, text: str):
        proto = self.sp.encode(text, return_type="proto")
        chars = _char_offsets(text)
        return [(p.id, p.piece, chars[p.begin], chars[p.end]) for p in proto.pieces]


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TokenizerError(f"{path.name} is not valid JSON ({exc})") from exc
    return data if isinstance(data, dict) else {}


class T5Tokenizer(Tokenizer):
    """``spiece.model`` ids, then ``</s>``; ``<extra_id_k>`` is id ``pieces + extra - 1 - k``."""

    family = "t5"
    kind = "sentencepiece"

    def __init__(self, model_dir: Path):
        self.spm_path = model_dir / "spiece.model"
        self.spm = _Spm(self.spm_path)
        config = _read_json(model_dir / "tokenizer_config.json")
        extra = config.get("extra_ids")
        if not isinstance(extra, int):
            named = [t for t in config.get("additional_special_tokens") or [] if str(t).startswith("<extra_id_")]
            extra = len(named) or 100
        self.extra = extra
        sp = self.spm.sp
        self.pad_id, self.eos_id, self.unk_id = sp.pad_id(), sp.eos_id(), sp.unk_id()
        if min(self.pad_id, self.eos_id, self.unk_id) < 0:
            raise TokenizerError("spiece.model lacks <pad>, </s> or <unk>: not a T5 tokenizer")
        self.files = tuple(f for f in ("spiece.model", "tokenizer_config.json", "special_tokens_map.json")
                           if (model_dir / f).is_file())
        self._limit = self.size

    @property
    def size(self) -> int:
        return self.spm.n + self.extra

    @property
    def reachable(self) -> int:
        return self.spm.n

    def limit_to(self, rows: int) -> None:
        """Ids at or past ``rows`` (extra ids the embedding lacks) are never used."""
        self._limit = min(self.size, rows)

    def _content(self, text):
        return self.spm.encode(text)

    def _wrap(self, ids, max_length):
        return list(ids) + [self.eos_id]

    def id_to_piece(self, i: int) -> str:
        if i < self.spm.n:
            return self.spm.sp.id_to_piece(i)
        return f"<extra_id_{self.size - 1 - i}>"

    @property
    def sentinels(self) -> list[int]:
        return [i for i in (self.size - 1 - k for k in range(self.extra)) if i < self._limit]

    def hidden_ids(self) -> set[int]:
        return super().hidden_ids() | set(range(self.spm.n, self.size))

    def decode(self, ids, replacements=None) -> str:
        return _decode_runs(ids, self.spm.n, self.spm.sp.decode, self.hidden(), replacements,
                            to_spm=lambda i: i, piece=self.spm.sp.id_to_piece)


def _decode_runs(ids, n_pieces, decode, hidden, replacements, to_spm, piece=None) -> str:
    """Decode runs of ordinary ids, with placeholder ids replaced by their text.

    ``piece(j)`` gives the piece of spm id ``j``: a run that starts with a word boundary ("▁") is
    preceded by a space, and a placeholder after a run that ends with one ("▁" alone) gets one too.
    """
    replacements = replacements or {}
    out = ""
    run: list[int] = []

    def flush():
        nonlocal out
        if not run:
            return
        text = decode(run)
        if out and piece is not None and piece(run[0]).startswith("\u2581") and text:
            out = out.rstrip() + " "
        out += text
        if piece is not None and piece(run[-1]).endswith("\u2581"):
            out = out.rstrip() + " " if out else out
        run.clear()

    for i in ids:
        i = int(i)
        if i in replacements:
            flush()
            out += replacements[i]
            continue
        if i in hidden:
            continue
        j = to_spm(i)
        if j is not None and 0 <= j < n_pieces:
            run.append(j)
    flush()
    return strip_hidden(out.strip())


class MarianTokenizer(Tokenizer):
    """``source.spm`` pieces looked up in ``vocab.json`` by their text, then ``</s>``; outputs joined as
    ``target.spm`` pieces. As in training (text segmented by ``spm_encode``, pieces looked up in the joint
    vocabulary), a character ``source.spm`` does not know is still its own piece, and the joint vocabulary may
    know it from the target side (an English-source model given "Ỷ"); only a piece neither knows is ``<unk>``."""

    family = "marian"
    kind = "sentencepiece"

    def __init__(self, model_dir: Path):
        for name in ("source.spm", "target.spm", "vocab.json"):
            if not (model_dir / name).is_file():
                raise TokenizerError(f"{model_dir} has no {name}: a Marian model needs source.spm, target.spm "
                                     "and vocab.json")
        self.source_path = model_dir / "source.spm"
        self.source = _Spm(self.source_path)
        self.target = _Spm(model_dir / "target.spm")
        vocab = _read_json(model_dir / "vocab.json")
        if not vocab or not all(isinstance(v, int) for v in vocab.values()):
            raise TokenizerError("vocab.json is not a piece → id mapping")
        self.vocab = vocab
        self.inverse = {i: p for p, i in vocab.items()}
        try:
            self.eos_id, self.unk_id, self.pad_id = vocab["</s>"], vocab["<unk>"], vocab["<pad>"]
        except KeyError as exc:
            raise TokenizerError(f"vocab.json has no {exc.args[0]}") from exc
        self.files = tuple(f for f in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json",
                                       "special_tokens_map.json") if (model_dir / f).is_file())

    @property
    def size(self) -> int:
        return max(self.inverse) + 1

    def _content(self, text):
        spans = self.source.pieces_with_spans(text) if text else []
        folded = _folded_positions(text)
        ids, pieces, unknown = [], [], []
        for sp_id, piece, start, end in spans:
            i = self.vocab.get(piece)
            if i is None or _covers(folded, start, end):
                i, piece = self.unk_id, "<unk>"
                unknown.append((start, end if end > start else min(len(text), start + 1)))
            ids.append(i)
            pieces.append(piece)
        return ids, pieces, unknown

    def _wrap(self, ids, max_length):
        return list(ids) + [self.eos_id]

    def id_to_piece(self, i: int) -> str:
        return self.inverse.get(i, "<unk>")

    def decode(self, ids, replacements=None) -> str:
        hidden = self.hidden()
        return _decode_runs(ids, self.size, lambda run: "".join(self.inverse[i] for i in run).replace("\u2581", " "),
                            hidden, replacements, to_spm=lambda i: i if i in self.inverse else None)


class FairseqTokenizer(Tokenizer):
    """mBART / NLLB: ``sentencepiece.bpe.model`` ids shifted by one behind ``<s> <pad> </s> <unk>``,
    then the language codes and ``<mask>``. mBART-25 puts ``</s> src_code`` after the text; mBART-50
    and NLLB put ``src_code`` first and ``</s>`` last."""

    kind = "sentencepiece"
    OFFSET = 1

    def __init__(self, model_dir: Path, family: str, src_lang: str | None = None):
        self.family = family
        self.spm_path = model_dir / "sentencepiece.bpe.model"
        self.spm = _Spm(self.spm_path)
        config = _read_json(model_dir / "tokenizer_config.json")
        special = _read_json(model_dir / "special_tokens_map.json")
        self.codes = _language_codes(config, special, self.spm.n + self.OFFSET)
        if not self.codes:
            raise TokenizerError("the tokenizer files list no language codes (additional_special_tokens)")
        cls = str(config.get("tokenizer_class") or "")
        legacy = bool(config.get("legacy_behaviour", False))
        self.code_first = cls.startswith("MBart50") or (family == "m2m_100" and not legacy)
        self.pad_id, self.eos_id, self.unk_id, self.bos_id = 1, 2, 3, 0
        self.src_lang = src_lang
        if src_lang and src_lang not in self.codes:
            raise TokenizerError(f"language code {src_lang} is not in this tokenizer")
        self.files = tuple(f for f in ("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json")
                           if (model_dir / f).is_file())

    def code_id(self, code: str) -> int:
        return self.spm.n + self.OFFSET + self.codes.index(code)

    @property
    def size(self) -> int:
        return self.spm.n + self.OFFSET + len(self.codes) + 1  # + <mask>

    @property
    def reachable(self) -> int:
        return self.code_id(self.src_lang) + 1 if self.src_lang else self.spm.n + self.OFFSET

    def _to_id(self, sp_id: int) -> int:
        return self.unk_id if sp_id == self.spm.unk else sp_id + self.OFFSET

    def _content(self, text):
        ids, pieces, unknown = self.spm.encode(text)
        return [self._to_id(i) for i in ids], pieces, unknown

    def _wrap(self, ids, max_length):
        code = [self.code_id(self.src_lang)] if self.src_lang else []
        if self.code_first:
            return code + list(ids) + [self.eos_id]
        return list(ids) + [self.eos_id] + code

    def id_to_piece(self, i: int) -> str:
        fixed = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>"}
        if i in fixed:
            return fixed[i]
        n = self.spm.n + self.OFFSET
        if i < n:
            return self.spm.sp.id_to_piece(i - self.OFFSET)
        if i < n + len(self.codes):
            return self.codes[i - n]
        return "<mask>"

    def hidden_ids(self) -> set[int]:
        return {0, 1, 2, 3} | set(range(self.spm.n + self.OFFSET, self.size))

    def decode(self, ids, replacements=None) -> str:
        return _decode_runs(ids, self.spm.n, self.spm.sp.decode, self.hidden(), replacements,
                            to_spm=lambda i: i - self.OFFSET, piece=self.spm.sp.id_to_piece)


def _language_codes(config: dict, special: dict, first_id: int) -> list[str]:
    """Language codes in id order: from added_tokens_decoder when it has them, else the listed order."""
    added = config.get("added_tokens_decoder") or {}
    by_id = sorted((int(k), v.get("content")) for k, v in added.items() if isinstance(v, dict) and k.isdigit())
    codes = [c for i, c in by_id if i >= first_id and c and c != "<mask>"]
    if codes:
        return codes
    for source in (special, config):
        for key in ("additional_special_tokens", "extra_special_tokens"):  # the latter: written by transformers 5
            listed = source.get(key)
            if isinstance(listed, list) and listed:
                return [t["content"] if isinstance(t, dict) else str(t) for t in listed]
    return []


class JsonTokenizer(Tokenizer):
    """A model that ships only ``tokenizer.json``: the ``tokenizers`` library, its own template."""

    kind = "tokenizers"

    def __init__(self, model_dir: Path, family: str):
        from tokenizers import Tokenizer as HFTokenizer

        self.family = family
        try:
            self.tok = HFTokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - the library raises plain Exceptions for bad files
            raise TokenizerError(f"tokenizer.json cannot be read ({str(exc)[:200]})") from exc
        self.tok.no_truncation()
        self.tok.no_padding()
        config = _read_json(model_dir / "tokenizer_config.json")

        def token_id(name, default):
            value = config.get(name)
            value = value.get("content") if isinstance(value, dict) else value
            found = self.tok.token_to_id(value or default)
            return found if found is not None else -1

        self.pad_id, self.eos_id, self.unk_id = token_id("pad_token", "<pad>"), token_id("eos_token", "</s>"), \
            token_id("unk_token", "<unk>")
        self._special: set[int] = set()
        for added in json.loads(self.tok.to_str()).get("added_tokens", []):
            if added.get("special"):
                self._special.add(added["id"])
        self.files = tuple(f for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
                           if (model_dir / f).is_file())
        # the file's template (special tokens around the text), read off one probe encoding
        bare = self.tok.encode("a", add_special_tokens=False).ids
        full = self.tok.encode("a", add_special_tokens=True).ids
        at = next((k for k in range(len(full) - len(bare) + 1) if full[k:k + len(bare)] == bare), 0)
        self._before, self._after = full[:at], full[at + len(bare):]

    @property
    def size(self) -> int:
        return self.tok.get_vocab_size(with_added_tokens=True)

    def _content(self, text):
        enc = self.tok.encode(text, add_special_tokens=False)
        folded = _folded_positions(text)
        ids = [self.unk_id if _covers(folded, s, e) else i for i, (s, e) in zip(enc.ids, enc.offsets)]
        unknown = [(s, e) for i, (s, e) in zip(ids, enc.offsets) if i == self.unk_id]
        pieces = ["<unk>" if i == self.unk_id else p for i, p in zip(ids, enc.tokens)]
        return ids, pieces, [(s, max(e, s + 1)) for s, e in unknown]

    def _wrap(self, ids, max_length):
        return self._before + list(ids) + self._after

    def id_to_piece(self, i: int) -> str:
        return self.tok.id_to_token(i) or "<unk>"

    def hidden_ids(self) -> set[int]:
        return super().hidden_ids() | self._special

    def decode(self, ids, replacements=None) -> str:
        hidden = self.hidden()
        return _decode_runs(ids, self.size, lambda run: self.tok.decode(run, skip_special_tokens=True), hidden,
                            replacements, to_spm=lambda i: i)


def load_tokenizer(model_dir: str | Path, family: str, *, src_lang: str | None = None) -> Tokenizer:
    """The tokenizer of ``model_dir`` for a model of ``family`` (t5, marian, mbart, m2m_100)."""
    model_dir = Path(model_dir)
    if family == "t5" and (model_dir / "spiece.model").is_file():
        return T5Tokenizer(model_dir)
    if family == "marian" and (model_dir / "source.spm").is_file():
        return MarianTokenizer(model_dir)
    if family in ("mbart", "m2m_100") and (model_dir / "sentencepiece.bpe.model").is_file():
        return FairseqTokenizer(model_dir, family, src_lang)
    if (model_dir / "tokenizer.json").is_file():
        if family in ("mbart", "m2m_100"):
            # the file's template carries one fixed source-language code (NLLB's released one: eng_Latn), and
            # the language codes tomtat must place itself are not reliably listed: refuse rather than mis-feed
            raise TokenizerError(f"{model_dir} has only a tokenizer.json; a {family} model is served from its "
                                 "sentencepiece.bpe.model (copy it from the model's release)")
        return JsonTokenizer(model_dir, family)
    wanted = {"t5": "spiece.model", "marian": "source.spm, target.spm and vocab.json",
              "mbart": "sentencepiece.bpe.model", "m2m_100": "sentencepiece.bpe.model"}.get(family, "tokenizer files")
    raise TokenizerError(f"{model_dir} has no tokenizer: a {family} model needs {wanted} (or a tokenizer.json)")
