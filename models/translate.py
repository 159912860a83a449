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
from .text.segment import join_sentences


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
        """Translate paragraphs given as lists of sentences; returns one string per paragraph, with a line break
        wherever a line of the source paragraph ended (``segment.Paragraph``). With a
        ``glossary``, every sentence holding one of its terms has the term's target in its translation
        (:func:`models.glossary.apply`, sentence by sentence: a term is never cut by the clause splitter)."""
        flat = [sentence for sentences in paragraphs for sentence in sentences]
        translated = iter(apply(glossary, flat, lambda texts: self.translate_sentences(texts, options)))
        out = []
        for sentences in paragraphs:
            out.append(join_sentences(sentences, [next(translated) for _ in sentences]))
        return out

    def translate_sentences(self, sentences: list[str], options: GenerationOptions) -> list[str]:
        """One translation per sentence, in one batch: a sentence longer than the model's window is split at
        clause boundaries, its pieces translated and joined back."""
        budget = self.model.token_budget()
        units: list[str] = []
        counts: list[int] = []
        for sentence in sentences:
            pieces = split_long_sentence(sentence, self.model.count_tokens, budget)
            units.extend(pieces)
            counts.append(len(pieces))
        translated = iter(self.model.generate(units, options) if units else [])
        return [" ".join(next(translated) for _ in range(n)) for n in counts]
