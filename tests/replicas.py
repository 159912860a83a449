"""Random-weight replicas of the supported models, saved like real hub checkpoints.

A replica has the architecture, the special-token layout and the on-disk file
layout of a supported model (``models/profiles.py``), with random weights. Where
the real tokenizer files exist (ViT5 and EnViT5: ``tests/fixtures/models``), the
replica carries them byte for byte, so tests and benchmarks feed the model the
ids the released model receives; the other families get a sentencepiece
tokenizer trained here on a small built-in corpus. Replicas load the way serving
loads the real checkpoint, with no network access.

Test and benchmark tooling: not part of the shipped ``models`` package.

Two sizes:

* ``"tiny"``: small widths and depths for the test-suite (all six build in a
  couple of seconds). The vocabulary is the real one where the real tokenizer is
  used, else what the trained tokenizer gives.
* ``"real"``: the real architecture's dimensions and vocabulary size (the
  sentencepiece model is padded with unreachable filler pieces up to the real
  piece count), for benchmarks. Building one takes as long as initialising the
  real model (seconds to a minute) and as much disk as the real checkpoint.

``ensure_replica`` caches builds under ``cache_root/<size>/<profile id with / -> __>``;
concurrent builders are safe (build in a temp dir, then an atomic rename).

Command line: ``python -m tests.replicas PROFILE OUT_DIR [--size real] [--seed N]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

Size = Literal["tiny", "real"]
MBartStyle = Literal["mbart", "mbart50"]

MANIFEST = "tomtat_replica.json"  # extra file, not part of the hub layout; ignored by transformers

# The real tokenizer files committed as fixtures (tests/fixtures/models/README.md: source and license).
REAL_TOKENIZERS = Path(__file__).parent / "fixtures" / "models"
REAL_TOKENIZER_OF: dict[str, str] = {
    "VietAI/vit5-base-vietnews-summarization": "VietAI__vit5-base-vietnews-summarization",
    # ViT5-large shares ViT5-base's 36,096-id vocabulary (spiece.model of the ViT5 family)
    "VietAI/vit5-large-vietnews-summarization": "VietAI__vit5-base-vietnews-summarization",
    "VietAI/envit5-translation": "VietAI__envit5-translation",
    # source.spm/target.spm only: vocab.json is built from them (see _marian_vocab)
    "Helsinki-NLP/opus-mt-en-vi": "Helsinki-NLP__opus-mt-en-vi",
}
_NOT_TOKENIZER = {"config.json", "generation_config.json"}


def real_tokenizer_dir(profile_id: str) -> Path | None:
    """The committed real tokenizer files of ``profile_id``, or None for families that have none here."""
    name = REAL_TOKENIZER_OF.get(profile_id)
    path = REAL_TOKENIZERS / name if name else None
    return path if path is not None and any((path / f).is_file() for f in ("spiece.model", "source.spm")) else None


def _marian_vocab(model_dir: Path) -> dict[str, int]:
    """A Marian vocab.json for real source/target sentencepiece models whose own vocab.json is not public:
    ``</s>``, ``<unk>``, the source pieces, the target pieces not already in, ``<pad>`` last."""
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("source.spm", "target.spm"):
        for piece in _spm_pieces((model_dir / name).read_bytes()):
            if piece not in vocab and piece not in ("<s>", "<unk>", "</s>"):
                vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab

# ---------------------------------------------------------------------------
# Built-in corpus: Vietnamese news sentences (NFC, with diacritics) + English.
# ---------------------------------------------------------------------------

VI_CORPUS: list[str] = [
    "Chiều ngày 22/7, Công an Quận 3 họp báo thông tin về vụ việc.",
    "Thủ tướng Phạm Minh Chính chủ trì hội nghị trực tuyến với các địa phương.",
    "Giá xăng dầu tăng mạnh trong tuần qua khiến người dân lo lắng.",
    "Ngân hàng Nhà nước quyết định giữ nguyên lãi suất điều hành.",
    "Bộ Y tế khuyến cáo người dân tiêm vắc xin đầy đủ trước mùa dịch.",
    "Mưa lớn kéo dài gây ngập úng nhiều tuyến đường ở Thành phố Hồ Chí Minh.",
    "Đội tuyển bóng đá Việt Nam giành chiến thắng 2-0 trước Thái Lan.",
    "Hà Nội sẽ mở rộng tuyến đường sắt đô thị Nhổn - ga Hà Nội.",
    "Xuất khẩu gạo của Việt Nam đạt kỷ lục trong sáu tháng đầu năm.",
    "Cơ quan chức năng đã khởi tố vụ án và bắt tạm giam ba bị can.",
    "Học sinh cả nước bước vào kỳ thi tốt nghiệp trung học phổ thông.",
    "Bão số 3 đổ bộ vào các tỉnh ven biển miền Trung với sức gió mạnh.",
    "Giá vàng trong nước biến động theo xu hướng của thị trường thế giới.",
    "Quốc hội thảo luận về dự án luật đất đai sửa đổi tại phiên họp chiều nay.",
    "Nhiều doanh nghiệp nhỏ gặp khó khăn do chi phí vận chuyển tăng cao.",
    "Sở Giáo dục và Đào tạo công bố điểm chuẩn vào lớp 10 công lập.",
    "Lực lượng cứu hộ đã tìm thấy các nạn nhân mất tích sau trận lũ quét.",
    "Tỷ lệ lạm phát được kiểm soát ở mức dưới bốn phần trăm.",
    "Chủ tịch nước tiếp đoàn đại biểu người có công với cách mạng.",
    "Các chuyên gia cho rằng thị trường bất động sản sẽ phục hồi chậm.",
    "Ủy ban nhân dân tỉnh yêu cầu khẩn trương khắc phục hậu quả thiên tai.",
    "Một vụ tai nạn giao thông nghiêm trọng xảy ra trên quốc lộ 1A rạng sáng nay.",
    "Trường đại học công bố học bổng dành cho sinh viên có hoàn cảnh khó khăn.",
    "Người tiêu dùng được khuyến cáo cảnh giác với các chiêu trò lừa đảo qua mạng.",
    "Du lịch Đà Nẵng, Huế và Quảng Nam đón lượng khách kỷ lục dịp lễ.",
    "Bệnh viện Bạch Mai triển khai kỹ thuật ghép tạng mới cho bệnh nhân.",
    "Nông dân đồng bằng sông Cửu Long phấn khởi vì lúa được mùa, được giá.",
    "Tổng cục Thống kê cho biết GDP quý II tăng 6,9% so với cùng kỳ.",
    "Ông Nguyễn Văn Ấn, 45 tuổi, trú tại phường Ỷ La, đã ra đầu thú.",
    "Ứng dụng trí tuệ nhân tạo giúp ngành y tế chẩn đoán bệnh sớm hơn.",
    "Lễ hội pháo hoa quốc tế thu hút hàng chục nghìn người xem.",
    "Thời tiết hôm nay: Bắc Bộ có mưa rào và dông, nhiệt độ cao nhất 33 độ C.",
]

EN_CORPUS: list[str] = [
    "On the afternoon of July 22, the District 3 police held a press conference.",
    "Prime Minister Pham Minh Chinh chaired an online conference with the provinces.",
    "Fuel prices rose sharply last week, worrying many households.",
    "The State Bank decided to keep its policy interest rates unchanged.",
    "The Ministry of Health urges people to get fully vaccinated before the flu season.",
    "Heavy rain flooded many streets in Ho Chi Minh City.",
    "Vietnam's national football team beat Thailand 2-0.",
    "Hanoi will extend the Nhon - Hanoi Station metro line.",
    "Vietnam's rice exports hit a record in the first six months of the year.",
    "The authorities have prosecuted the case and detained three suspects.",
    "Students across the country are sitting the high school graduation exam.",
    "Storm No. 3 made landfall in the central coastal provinces with strong winds.",
    "Domestic gold prices followed the trend of the world market.",
    "The National Assembly discussed the revised land law this afternoon.",
    "Many small businesses are struggling with rising shipping costs.",
    "The Department of Education announced the admission scores for grade 10.",
    "Rescue teams found the victims who went missing after the flash flood.",
    "Inflation was kept below four percent.",
    "The President received a delegation of people with meritorious services.",
    "Experts say the real estate market will recover slowly.",
    "The provincial People's Committee asked for urgent disaster recovery.",
    "A serious traffic accident happened on National Highway 1A early this morning.",
    "The university announced scholarships for students in difficult circumstances.",
    "Consumers are warned to beware of online scams.",
    "Da Nang, Hue and Quang Nam welcomed a record number of tourists during the holiday.",
    "Bach Mai Hospital introduced a new organ transplant technique for patients.",
    "Farmers in the Mekong Delta are happy with a good harvest and good prices.",
    "The General Statistics Office said second-quarter GDP grew 6.9% year on year.",
    "Artificial intelligence helps doctors diagnose diseases earlier.",
    "The international fireworks festival attracted tens of thousands of spectators.",
    "Weather today: showers and thunderstorms in the north, highs of 33 degrees.",
]

# Every Vietnamese letter (lower and upper case, NFC) and common punctuation, so
# that character_coverage=1.0 puts each of them in the vocabulary.
_VI_LOWER = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệfghiìíỉĩịjklmnoòóỏõọôồốổỗộơờớởỡợ"
    "pqrstuùúủũụưừứửữựvwxyỳýỷỹỵz"
)
ALPHABET_LINES: list[str] = [
    " ".join(_VI_LOWER),
    " ".join(_VI_LOWER.upper()),
    "0 1 2 3 4 5 6 7 8 9 . , ; : ! ? ( ) [ ] \" ' / - – — % & + = * # @ … « » “ ” ‘ ’",
]

DEFAULT_CORPUS: list[str] = VI_CORPUS + EN_CORPUS


# ---------------------------------------------------------------------------
# Per-profile specifications
# ---------------------------------------------------------------------------

# Where each real config below comes from (see the report / docstring of REAL):
#   vit5-base   : config.json of fine-tunes whose _name_or_path is VietAI/vit5-base
#                 (d_model 768, d_ff 3072, relu, 12+12, 12 heads, vocab 36096, tied).
#   vit5-large  : config.json of fine-tunes of VietAI/vit5-large (d_model 1024, d_ff 2816,
#                 gated-gelu, 24+24, 16 heads, untied); vocab 36096 as for ViT5-base
#                 (those fine-tunes show 36100 = len(tokenizer) after resize_token_embeddings).
#   envit5      : config.json of fine-tunes of VietAI/envit5-translation (T5 v1.1 base,
#                 gated-gelu, d_ff 2048, untied, vocab 50048) - exact match.
#   opus-mt     : onnx-community/opus-mt-vi-en tokenizer_config (<pad> = 53738 => vocab 53739)
#                 + the standard opus-mt transformer-align config (512/2048/8 heads/6+6, swish,
#                 static sinusoidal positions, scale_embedding).
#   vinai v2    : config.json of a fine-tune of vinai/vinai-translate-en2vi-v2 (mBART large:
#                 1024/4096/16 heads/12+12, gelu, pre-LN, scale_embedding) and its tokenizer
#                 (language codes start at 66747, en_XX = 66750, mBART-25 codes, MBartTokenizer)
#                 => 66746 sentencepiece pieces, 66773 tokens. vocab_size is derived, not seen.
#   nllb-600M   : config.json of fine-tunes of facebook/nllb-200-distilled-600M - exact match
#                 (vocab_size 256206; tokenizer 256204 = 256000 pieces + 1 + 202 codes + <mask>).

def _marian(vocab: int) -> dict:
    """OPUS-MT's Marian base (6+6 layers, 512 wide, swish), one vocabulary shared by both sides whose last
    id pads and starts the decoder: the two OPUS-MT pairs differ only in its size."""
    return dict(
        vocab_size=vocab, decoder_vocab_size=vocab, d_model=512, encoder_layers=6, decoder_layers=6,
        encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
        activation_function="swish", dropout=0.1, attention_dropout=0.0, activation_dropout=0.0,
        max_position_embeddings=512, scale_embedding=True, static_position_embeddings=True,
        share_encoder_decoder_embeddings=True, normalize_embedding=False, init_std=0.02,
        bos_token_id=0, eos_token_id=0, forced_eos_token_id=0, pad_token_id=vocab - 1,
        decoder_start_token_id=vocab - 1, is_encoder_decoder=True, use_cache=True,
    )


def _vinai_v2(decoder_start: int) -> dict:
    """VinAI Translate v2 (mBART large, 12+12 layers, 1024 wide): both directions share the architecture and
    differ only in the language code decoding starts with."""
    return dict(
        vocab_size=66773, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
        decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, activation_function="gelu",
        dropout=0.1, attention_dropout=0.0, activation_dropout=0.0, max_position_embeddings=1024,
        scale_embedding=True, init_std=0.02, bos_token_id=0, pad_token_id=1, eos_token_id=2,
        forced_eos_token_id=2, decoder_start_token_id=decoder_start, is_encoder_decoder=True, use_cache=True,
    )


_T5_COMMON = dict(
    d_kv=64,
    relative_attention_num_buckets=32,
    relative_attention_max_distance=128,
    dropout_rate=0.1,
    layer_norm_epsilon=1e-6,
    initializer_factor=1.0,
    decoder_start_token_id=0,
    pad_token_id=0,
    eos_token_id=1,
    is_encoder_decoder=True,
    use_cache=True,
)

REAL: dict[str, dict[str, Any]] = {
    "VietAI/vit5-base-vietnews-summarization": dict(
        _T5_COMMON, vocab_size=36096, d_model=768, d_ff=3072, num_layers=12, num_decoder_layers=12,
        num_heads=12, feed_forward_proj="relu", tie_word_embeddings=True, n_positions=512,
    ),
    "VietAI/vit5-large-vietnews-summarization": dict(
        _T5_COMMON, vocab_size=36096, d_model=1024, d_ff=2816, num_layers=24, num_decoder_layers=24,
        num_heads=16, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
    ),
    "VietAI/envit5-translation": dict(
        _T5_COMMON, vocab_size=50048, d_model=768, d_ff=2048, num_layers=12, num_decoder_layers=12,
        num_heads=12, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
    ),
    "Helsinki-NLP/opus-mt-vi-en": _marian(53739),
    "Helsinki-NLP/opus-mt-en-vi": _marian(53685),  # = its real config.json (tests/fixtures/models)
    # vinai en2vi v2: the vi2en v2 architecture (the config cited above is a fine-tune of en2vi-v2);
    # decoding starts with vi_VN = 66747 + 23 (mBART-25 codes)
    "vinai/vinai-translate-en2vi-v2": _vinai_v2(66770),
    "vinai/vinai-translate-vi2en-v2": _vinai_v2(66750),  # en_XX = 66747 + 3
    "facebook/nllb-200-distilled-600M": dict(
        vocab_size=256206, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
        decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, activation_function="relu",
        dropout=0.1, attention_dropout=0.1, activation_dropout=0.0, max_position_embeddings=1024,
        scale_embedding=True, init_std=0.02, bos_token_id=0, pad_token_id=1, eos_token_id=2,
        decoder_start_token_id=2, is_encoder_decoder=True, use_cache=True,
    ),
}

# Sentencepiece piece counts of the real tokenizers (what the trained model is padded to).
REAL_SPM_PIECES: dict[str, int] = {
    "VietAI/vit5-base-vietnews-summarization": 36000,  # + 100 <extra_id_*> = 36100 tokens (> vocab 36096, as real)
    "VietAI/vit5-large-vietnews-summarization": 36000,
    "VietAI/envit5-translation": 49948,  # + 100 extra ids = 50048 = vocab_size
    "Helsinki-NLP/opus-mt-vi-en": 53739,  # vocab.json: </s>, <unk>, pieces, <pad> = 53739
    "Helsinki-NLP/opus-mt-en-vi": 53685,  # real tokenizer files (not padded)
    "vinai/vinai-translate-vi2en-v2": 66746,  # + 1 + 25 language codes + <mask> = 66773
    "vinai/vinai-translate-en2vi-v2": 66746,
    "facebook/nllb-200-distilled-600M": 256000,  # + 1 + 202 language codes + <mask> = 256204
}

_TINY_T5 = dict(_T5_COMMON, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2)
_TINY_BART = dict(
    d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
    encoder_ffn_dim=64, decoder_ffn_dim=64, init_std=0.02, is_encoder_decoder=True, use_cache=True,
)

TINY: dict[str, dict[str, Any]] = {
    "VietAI/vit5-base-vietnews-summarization": dict(_TINY_T5, feed_forward_proj="relu", tie_word_embeddings=True),
    "VietAI/vit5-large-vietnews-summarization": dict(
        _TINY_T5, feed_forward_proj="gated-gelu", tie_word_embeddings=False
    ),
    "VietAI/envit5-translation": dict(_TINY_T5, feed_forward_proj="gated-gelu", tie_word_embeddings=False),
    "Helsinki-NLP/opus-mt-vi-en": dict(
        _TINY_BART, activation_function="swish", max_position_embeddings=512, scale_embedding=True,
        static_position_embeddings=True, share_encoder_decoder_embeddings=True, normalize_embedding=False,
        bos_token_id=0, eos_token_id=0, forced_eos_token_id=0,
    ),
    "Helsinki-NLP/opus-mt-en-vi": dict(
        _TINY_BART, activation_function="swish", max_position_embeddings=512, scale_embedding=True,
        static_position_embeddings=True, share_encoder_decoder_embeddings=True, normalize_embedding=False,
        bos_token_id=0, eos_token_id=0, forced_eos_token_id=0,
    ),
    "vinai/vinai-translate-en2vi-v2": dict(
        _TINY_BART, activation_function="gelu", max_position_embeddings=1024, scale_embedding=True,
        bos_token_id=0, pad_token_id=1, eos_token_id=2, forced_eos_token_id=2,
    ),
    "vinai/vinai-translate-vi2en-v2": dict(
        _TINY_BART, activation_function="gelu", max_position_embeddings=1024, scale_embedding=True,
        bos_token_id=0, pad_token_id=1, eos_token_id=2, forced_eos_token_id=2,
    ),
    "facebook/nllb-200-distilled-600M": dict(
        _TINY_BART, activation_function="relu", max_position_embeddings=1024, scale_embedding=True,
        bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2,
    ),
}

TINY_SPM_PIECES = 600  # requested; sentencepiece may return fewer on the small corpus (hard_vocab_limit=False)
_REAL_BASE_PIECES = 2000  # learned pieces before padding a "real" tokenizer with fillers

_FAMILY_CONFIG = {
    "t5": ("T5Config", "T5ForConditionalGeneration"),
    "marian": ("MarianConfig", "MarianMTModel"),
    "mbart": ("MBartConfig", "MBartForConditionalGeneration"),
    "m2m_100": ("M2M100Config", "M2M100ForConditionalGeneration"),
}


def _profile(profile_id: str):
    from models.profiles import PROFILES

    if profile_id not in PROFILES:
        raise KeyError(f"unknown profile {profile_id!r}; known: {', '.join(PROFILES)}")
    return PROFILES[profile_id]


def replica_config(profile_id: str, size: Size = "tiny", **overrides: Any):
    """The ``transformers`` config a replica of ``profile_id`` gets, without building weights.

    For ``size="real"`` this is the real architecture (vocabulary included). For
    ``"tiny"`` the vocabulary depends on the trained tokenizer; ``build_replica``
    passes ``vocab_size`` (and the language-code ids) as overrides, and without
    them a nominal ``vocab_size=1000`` is used.
    """
    import transformers

    profile = _profile(profile_id)
    if size == "real":
        kwargs = dict(REAL[profile_id])
    elif size == "tiny":
        kwargs = dict(TINY[profile_id])
        kwargs.setdefault("vocab_size", 1000)
    else:
        raise ValueError(f"size must be 'tiny' or 'real', not {size!r}")
    kwargs.update(overrides)
    if profile.family == "marian":
        kwargs.setdefault("decoder_vocab_size", kwargs["vocab_size"])
        kwargs.setdefault("pad_token_id", kwargs["vocab_size"] - 1)
        kwargs.setdefault("decoder_start_token_id", kwargs["pad_token_id"])
    config_cls_name, model_cls_name = _FAMILY_CONFIG[profile.family]
    config = getattr(transformers, config_cls_name)(**kwargs)
    config.architectures = [model_cls_name]
    if profile.family in ("mbart", "m2m_100"):
        config.tokenizer_class = "MBartTokenizer" if profile.family == "mbart" else "NllbTokenizer"
    return config


def parameter_count(config) -> int:
    """Number of parameters of a model built from ``config`` (meta device: no memory, no time)."""
    import torch
    from transformers import AutoModelForSeq2SeqLM

    with torch.device("meta"):
        model = AutoModelForSeq2SeqLM.from_config(config)
    n = sum(p.numel() for p in model.parameters())
    if config.model_type == "t5" and not getattr(config, "scale_decoder_outputs", True):
        n += config.vocab_size * config.d_model  # untied T5 v1.1: own lm_head (5.x from_config ties it)
    return n


# ---------------------------------------------------------------------------
# Sentencepiece
# ---------------------------------------------------------------------------


def _train_spm(corpus: list[str], vocab_size: int, model_type: str, t5_ids: bool, seed: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    lines = list(corpus) + ALPHABET_LINES
    ids = dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1) if t5_ids else dict(unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buf,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,
        byte_fallback=True,
        hard_vocab_limit=False,
        split_digits=True,
        num_threads=1,
        minloglevel=2,
        **ids,
    )
    return buf.getvalue()


def _filler_pieces(existing: set[str]):
    """Unreachable pieces: two characters of the Unicode private use area (never in news text)."""
    base = 0xE000
    n = 6400  # U+E000..U+F8FF
    for i in range(n * n):
        piece = chr(base + i // n) + chr(base + i % n)
        if piece not in existing:
            yield piece


def _pad_spm(model: bytes, target_pieces: int) -> bytes:
    """Append filler pieces (very low score, never chosen) until the model has ``target_pieces``."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    proto.ParseFromString(model)
    have = len(proto.pieces)
    if have > target_pieces:
        raise ValueError(f"trained sentencepiece model already has {have} > {target_pieces} pieces")
    lowest = min((p.score for p in proto.pieces if p.type == pb.ModelProto.SentencePiece.NORMAL), default=0.0)
    fillers = _filler_pieces({p.piece for p in proto.pieces})
    for k in range(target_pieces - have):
        piece = proto.pieces.add()
        piece.piece = next(fillers)
        piece.score = lowest - 1000.0 - k * 1e-3
        piece.type = pb.ModelProto.SentencePiece.NORMAL
    proto.trainer_spec.vocab_size = target_pieces
    return proto.SerializeToString()


def _spm_pieces(model: bytes) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=model)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _added(content: str, lstrip: bool = False) -> dict:
    return {"content": content, "lstrip": lstrip, "normalized": False, "rstrip": False,
            "single_word": False, "special": True}


# ---------------------------------------------------------------------------
# Tokenizers (written the way the hub repos have them, then loaded and re-saved
# through AutoTokenizer so tokenizer.json / tokenizer_config.json are 5.x-native)
# ---------------------------------------------------------------------------


def _write_tokenizer(profile, out: Path, size: Size, corpus: list[str], seed: int, mbart_style: MBartStyle):
    from transformers import AutoTokenizer

    family = profile.family
    if size == "tiny":
        learned, target = TINY_SPM_PIECES, None
    else:
        learned, target = _REAL_BASE_PIECES, REAL_SPM_PIECES[profile.id]
    model_type = "unigram" if family in ("t5", "marian") else "bpe"
    spm_bytes = _train_spm(corpus, learned, model_type, t5_ids=(family == "t5"), seed=seed)
    if target is not None:
        spm_bytes = _pad_spm(spm_bytes, target)
    n_pieces = len(_spm_pieces(spm_bytes))
    max_len = max(profile.window, 512)

    if family == "t5":
        (out / "spiece.model").write_bytes(spm_bytes)
        cfg = {"tokenizer_class": "T5Tokenizer", "extra_ids": 100, "eos_token": "</s>", "unk_token": "<unk>",
               "pad_token": "<pad>", "model_max_length": max_len}
    elif family == "marian":
        (out / "source.spm").write_bytes(spm_bytes)
        (out / "target.spm").write_bytes(spm_bytes)  # joint model; the real repo has two spm files
        vocab = {"</s>": 0, "<unk>": 1}
        for piece in _spm_pieces(spm_bytes):
            if piece not in vocab and piece != "<s>":
                vocab[piece] = len(vocab)
        vocab["<pad>"] = len(vocab)
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        cfg = {"tokenizer_class": "MarianTokenizer", "source_lang": "vie", "target_lang": "eng",
               "separate_vocabs": False, "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
               "model_max_length": 512, "sp_model_kwargs": {}}
    else:
        (out / "sentencepiece.bpe.model").write_bytes(spm_bytes)
        if family == "mbart":
            if mbart_style == "mbart50":
                from transformers.models.mbart50.tokenization_mbart50 import FAIRSEQ_LANGUAGE_CODES as codes
                cls = "MBart50Tokenizer"
            else:
                from transformers.models.mbart.tokenization_mbart import FAIRSEQ_LANGUAGE_CODES as codes
                cls = "MBartTokenizer"
        else:
            from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES as codes
            cls = "NllbTokenizer"
        codes = list(codes)
        # fairseq layout: <s> <pad> </s> <unk>, pieces (+1 offset), language codes, <mask>
        added = {0: _added("<s>"), 1: _added("<pad>"), 2: _added("</s>"), 3: _added("<unk>")}
        for i, code in enumerate(codes):
            added[n_pieces + 1 + i] = _added(code)
        added[n_pieces + 1 + len(codes)] = _added("<mask>", lstrip=True)
        cfg = {"tokenizer_class": cls, "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
               "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
               # src_lang/tgt_lang null as in the hub repos: callers must set tokenizer.src_lang
               "additional_special_tokens": codes, "src_lang": None, "tgt_lang": None,
               "model_max_length": 1024, "sp_model_kwargs": {},
               "added_tokens_decoder": {str(k): v for k, v in sorted(added.items())}}
        if family == "m2m_100":
            cfg["legacy_behaviour"] = False
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")

    tok = AutoTokenizer.from_pretrained(str(out))  # sentencepiece -> tokenizers conversion (5.x)
    tok.save_pretrained(str(out))  # tokenizer.json + normalised tokenizer_config.json
    saved = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))
    for key in ("is_local", "local_files_only"):  # loader state that 5.x writes back; not in hub files
        saved.pop(key, None)
    (out / "tokenizer_config.json").write_text(json.dumps(saved, ensure_ascii=False, indent=2), encoding="utf-8")
    return AutoTokenizer.from_pretrained(str(out))


def _wants_tied(profile_id: str, size: Size) -> bool:
    return bool((REAL if size == "real" else TINY)[profile_id].get("tie_word_embeddings", True))


def _write_hub_t5_config(out: Path, tied: bool) -> None:
    """Make config.json look like the hub's (4.x-written) T5 configs.

    5.x writes ``tie_word_embeddings: true`` plus ``scale_decoder_outputs`` for every T5; the hub
    configs of untied T5 v1.1 models say ``tie_word_embeddings: false`` and have no
    ``scale_decoder_outputs`` (5.x derives it from ``tie_word_embeddings`` when loading).
    """
    path = out / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config.pop("scale_decoder_outputs", None)
    config["tie_word_embeddings"] = tied
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _special_ids(profile, tok) -> dict[str, int]:
    ids: dict[str, int] = {}
    if profile.family == "marian":
        ids["pad_token_id"] = tok.pad_token_id
        ids["decoder_start_token_id"] = tok.pad_token_id
        ids["eos_token_id"] = ids["forced_eos_token_id"] = tok.eos_token_id
    elif profile.family == "mbart":
        ids["decoder_start_token_id"] = tok.convert_tokens_to_ids(profile.tgt_lang)
    return ids


def _generation_config(profile, config):
    from transformers import GenerationConfig

    gen = GenerationConfig(
        decoder_start_token_id=config.decoder_start_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    if profile.family in ("marian", "mbart", "m2m_100"):
        gen.bos_token_id = config.bos_token_id
    if profile.family in ("marian", "mbart"):
        gen.forced_eos_token_id = config.forced_eos_token_id
    if profile.family == "marian":
        gen.bad_words_ids = [[config.pad_token_id]]
        gen.num_beams = 4
        gen.max_length = 512
    elif profile.family == "m2m_100":
        gen.max_length = 200
    return gen


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def build_replica(
    profile_id: str,
    out_dir: str | Path,
    size: Size = "tiny",
    corpus: list[str] | None = None,
    seed: int = 0,
    *,
    mbart_style: MBartStyle = "mbart",
) -> Path:
    """Build a random-weight replica of ``profile_id`` into ``out_dir`` (created; must be empty or absent).

    ``mbart_style`` (mBART profile only): ``"mbart"`` (default) writes an
    ``MBartTokenizer`` (mBART-25 language codes, ``X </s> vi_VN`` source format,
    decoding starts with ``en_XX`` as ``decoder_start_token_id``), which is what
    vinai/vinai-translate-vi2en-v2 ships; ``"mbart50"`` writes an
    ``MBart50Tokenizer`` (``vi_VN X </s>``, 52 codes) with the same config.
    """
    import torch
    from transformers import AutoModelForSeq2SeqLM

    profile = _profile(profile_id)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    started = time.perf_counter()
    corpus = list(corpus) if corpus else DEFAULT_CORPUS

    real = real_tokenizer_dir(profile_id)
    if real is not None and profile.family == "marian":
        for name in ("source.spm", "target.spm"):
            shutil.copyfile(real / name, out / name)
        vocab = _marian_vocab(real)
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        src, tgt = {"en": "eng", "vi": "vie"}[profile.source], {"en": "eng", "vi": "vie"}[profile.target]
        (out / "tokenizer_config.json").write_text(json.dumps({
            "tokenizer_class": "MarianTokenizer", "source_lang": src, "target_lang": tgt, "separate_vocabs": False,
            "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "model_max_length": 512,
            "sp_model_kwargs": {}}, indent=2), encoding="utf-8")
        tokenizer_class, tokens = "MarianTokenizer", len(vocab)
        # the built vocabulary is not the real one's size: the embedding follows it
        config = replica_config(profile_id, size, vocab_size=tokens, decoder_vocab_size=tokens,
                                pad_token_id=vocab["<pad>"], decoder_start_token_id=vocab["<pad>"])
    elif real is not None:
        files = sorted(f.name for f in real.iterdir() if f.is_file() and f.name not in _NOT_TOKENIZER)
        for name in files:
            shutil.copyfile(real / name, out / name)
        tokenizer_class = json.loads((real / "tokenizer_config.json").read_text(encoding="utf-8"))["tokenizer_class"]
        config = replica_config(profile_id, size, vocab_size=REAL[profile_id]["vocab_size"])
        tokens = config.vocab_size
    else:
        tok = _write_tokenizer(profile, out, size, corpus, seed, mbart_style)
        overrides = _special_ids(profile, tok)
        if size == "tiny":
            overrides["vocab_size"] = len(tok)
        config = replica_config(profile_id, size, **overrides)
        if len(tok) > config.vocab_size and not (profile.family == "t5" and len(tok) - config.vocab_size <= 4):
            raise AssertionError(f"tokenizer has {len(tok)} tokens > vocab_size {config.vocab_size}")
        tokenizer_class, tokens = type(tok).__name__, len(tok)

    torch.manual_seed(seed)
    model = AutoModelForSeq2SeqLM.from_config(config)
    model.eval()
    untied_t5 = profile.family == "t5" and not _wants_tied(profile_id, size)
    if untied_t5:
        # transformers 5.x T5Config forces tie_word_embeddings=True (it keeps the "untied" bit only as
        # scale_decoder_outputs=False), so from_config ties lm_head to shared. A real T5 v1.1 checkpoint
        # has its own lm_head.weight: give the replica one too.
        std = config.initializer_factor * 1.0
        model.lm_head.weight = torch.nn.Parameter(torch.empty_like(model.shared.weight).normal_(0.0, std))
    model.generation_config = _generation_config(profile, config)
    model.save_pretrained(str(out), safe_serialization=True)
    if profile.family == "t5":
        _write_hub_t5_config(out, tied=not untied_t5)

    manifest = {
        "profile": profile_id,
        "family": profile.family,
        "size": size,
        "seed": seed,
        "parameters": sum(p.numel() for p in model.parameters()),
        "tokens": tokens,
        "vocab_size": config.vocab_size,
        "tokenizer_class": tokenizer_class,
        "tokenizer": "real (tests/fixtures/models)" if real is not None else "trained at build time",
        "build_seconds": round(time.perf_counter() - started, 3),
        "note": "random weights; not a real model (tomtat tests/replicas.py)",
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out


def replica_dir(profile_id: str, cache_root: str | Path, size: Size = "tiny") -> Path:
    return Path(cache_root) / size / profile_id.replace("/", "__")


def ensure_replica(profile_id: str, cache_root: str | Path, size: Size = "tiny") -> Path:
    """Return a cached replica, building it once; safe against concurrent builders."""
    final = replica_dir(profile_id, cache_root, size)
    if (final / MANIFEST).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        build_replica(profile_id, tmp, size=size)
        try:
            os.rename(tmp, final)  # atomic; fails if another process got there first
        except OSError:
            if not (final / MANIFEST).is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def main(argv: list[str] | None = None) -> int:
    from models.profiles import PROFILES

    parser = argparse.ArgumentParser(description="Build a random-weight replica of a tomtat model profile.")
    parser.add_argument("profile", choices=sorted(PROFILES))
    parser.add_argument("out_dir")
    parser.add_argument("--size", choices=["tiny", "real"], default="tiny")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mbart-style", choices=["mbart", "mbart50"], default="mbart")
    args = parser.parse_args(argv)
    out = build_replica(args.profile, args.out_dir, size=args.size, seed=args.seed, mbart_style=args.mbart_style)
    print((out / MANIFEST).read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
