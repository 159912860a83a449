"""Abstractive summaries with a seq2seq model, for articles of any length.

Long-article strategy (no silent truncation): when the cleaned article does not
fit the model's window, its sentences are packed into consecutive sections that
each fit; every section is summarized, the section summaries are joined in
order, and the joined text is summarized again. If the joined summaries still
do not fit (very long inputs), the same reduction repeats, at most
``MAX_LEVELS`` times; each level shrinks the text by the ratio of window to
summary length, so three levels cover far more than any news article.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backends import GenerationOptions
from .seq2seq import Seq2SeqModel
from .text.chunk import chunk_sentences

MAX_LEVELS = 3


@dataclass
class AbstractiveSummarizer:
    model: Seq2SeqModel

    def summarize(self, sentences: list[str], options: GenerationOptions) -> tuple[str, int]:
        """Return the summary and the number of sections the first pass used."""
        budget = self.model.token_budget()
        sections = chunk_sentences(sentences, self.model.count_tokens, budget)
        first_pass = len(sections)
        level = 0
        while len(sections) > 1 and level < MAX_LEVELS:
            level += 1
            partial = self.model.generate([" ".join(s) for s in sections], options)
            sections = chunk_sentences([p for p in partial if p], self.model.count_tokens, budget)
        text = " ".join(" ".join(s) for s in sections)
        summary = self.model.generate([text], options)[0] if text else ""
        return summary, first_pass
