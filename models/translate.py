"""Sentence-by-sentence translation that keeps the article's paragraphs.

Sentences go to the model in batches (models trained on sentence pairs, such as
EnViT5 with its 128-token inputs, translate sentences far better than pages);
a sentence longer than the window is split at clause boundaries and its pieces
translated separately, then joined back.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backends import GenerationOptions
from .glossary import Glossary, apply
from .seq2seq import Seq2SeqModel
from .text.chunk import split_long_sentence


@dataclass
class Translator:
    model: Seq2SeqModel

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The (source, target) pairs the loaded model serves, its main one first."""
        return self.model.pairs

    def toward(self, source: str, target: str) -> "Translator":
        """This translator for one of its model's directions (``ProfileError`` when it has no such direction)."""
        model = self.model.toward(source, target)
        return self if model is self.model else Translator(model)

    def translate_paragraphs(self, paragraphs: list[list[str]], options: GenerationOptions,
                             glossary: Glossary | None = None) -> list[str]:
        """Translate paragraphs given as lists of sentences; returns one string per paragraph. With a
        ``glossary``, every sentence holding one of its terms has the term's target in its translation
        (:func:`models.glossary.apply`)."""
        budget = self.model.token_budget()
        units: list[str] = []
        layout: list[list[int]] = []  # per paragraph, the number of units of each sentence
        for sentences in paragraphs:
            counts = []
            for sentence in sentences:
                pieces = split_long_sentence(sentence, self.model.count_tokens, budget)
                units.extend(pieces)
                counts.append(len(pieces))
            layout.append(counts)
        translated = iter(apply(glossary, units, lambda texts: self.model.generate(texts, options)))
        out = []
        for counts in layout:
            sentences = [" ".join(next(translated) for _ in range(n)) for n in counts]
            out.append(" ".join(s for s in sentences if s))
        return out
