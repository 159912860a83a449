"""Offline quality evaluation: ROUGE, summarization / translation / debris reports."""

from .rouge import Score, corpus_rouge, rouge, tokenize

__all__ = ["Score", "corpus_rouge", "rouge", "tokenize"]
