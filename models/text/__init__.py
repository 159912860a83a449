"""Text pipeline for Vietnamese news: cleaning, tone normalization,
sentence segmentation and token-aware chunking (pure Python; lxml parses HTML).

Every function runs in time linear in its input (tests/test_text_adversarial.py), and
checks the request's text budget (:mod:`models.text.budget`) inside its loops."""

from .chunk import chunk_sentences, split_long_sentence
from .clean import (
    characters,
    detect_format,
    find_debris,
    html_to_text,
    normalize_unicode,
    prepare_text,
    strip_debris,
)
from .segment import leading_headline, split_paragraphs, split_sentences, split_text, worth_translating
from .tone import normalize_tone

__all__ = [
    "characters",
    "chunk_sentences",
    "detect_format",
    "find_debris",
    "html_to_text",
    "leading_headline",
    "normalize_tone",
    "normalize_unicode",
    "prepare_text",
    "split_long_sentence",
    "split_paragraphs",
    "split_sentences",
    "split_text",
    "strip_debris",
    "worth_translating",
]
