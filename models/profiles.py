"""Model profiles: one declarative entry per supported model.

A profile says everything the rest of tomtat needs to know to feed a model
correctly and to read its output: which architecture family it is, which task
it serves, what to put in front of the input, what to strip from the output,
which language codes the tokenizer wants, how Vietnamese tone marks must be
placed, how many tokens fit in one input, and the generation defaults.

Profiles are named by their Hugging Face id. A local directory can be served
under any profile's conventions (``resolve_profile``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from .backends.base import GenerationOptions

Task = Literal["summarization", "translation"]
ToneStyle = Literal["nfc", "new"]


@dataclass(frozen=True)
class Direction:
    """One language pair a model serves and how to ask for it: the prefix in front of the input
    and the one its output starts with (EnViT5: ``vi: `` in, ``en: `` out; ``en: `` in, ``vi: `` out)."""

    source: str
    target: str
    input_prefix: str = ""
    output_prefix: str = ""
    # tone-mark style of the model's Vietnamese output ("new": VinAI writes "hoà", "thuỷ")
    output_tone: ToneStyle = "nfc"


@dataclass(frozen=True)
class ModelProfile:
    id: str
    family: str  # transformers model_type: t5, marian, mbart, m2m_100
    task: Task
    license: str
    description: str
    input_prefix: str = ""
    output_prefix: str = ""  # stripped from the decoded output when present
    src_lang: str | None = None  # tokenizer source language code (mBART/NLLB)
    tgt_lang: str | None = None  # target language token (mBART/NLLB)
    # how the target language token is given to the decoder: VinAI's mBART starts
    # decoding with it; NLLB starts with </s> and forces it as the first token.
    target_token: Literal["decoder_start", "forced_bos"] = "forced_bos"
    tone_style: ToneStyle = "nfc"
    window: int = 512  # input window in tokens (prefix included)
    source: str = "vi"
    target: str = "vi"
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    default: bool = False
    # the pairs a translation model serves; the first sets ``source``, ``target``, ``input_prefix`` and
    # ``output_prefix`` above (state them here only); empty: those fields describe its one pair
    directions: tuple[Direction, ...] = ()
    # a local directory whose config.json names only its architecture family is served under this profile
    # when it is the only such profile of the family; the en→vi profiles say False, so a bare Marian or
    # mBART directory keeps meaning the vi→en model it meant before they existed
    infer_from_family: bool = True
    # set by ``toward``: the fields above name the direction it was turned to, even when they are defaults
    _turned: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self):
        # a model of several directions states them once, in ``directions``: the first is its default pair,
        # and a profile turned toward another (``toward``) names one of them
        if not self.directions:
            return
        mine = (self.source, self.target, self.input_prefix, self.output_prefix)
        served = {(d.source, d.target, d.input_prefix, d.output_prefix) for d in self.directions}
        if mine == ("vi", "vi", "", "") and not self._turned:
            first = self.directions[0]
            for name in ("source", "target", "input_prefix", "output_prefix"):
                object.__setattr__(self, name, getattr(first, name))
        elif mine not in served:
            raise ValueError(f"{self.id}: source, target and prefixes {mine} are none of its directions; "
                             "state the pairs in `directions` only")

    @property
    def pairs(self) -> tuple[Direction, ...]:
        """Every direction this model serves (at least its own ``source``→``target``)."""
        return self.directions or (Direction(self.source, self.target, self.input_prefix, self.output_prefix),)

    def toward(self, source: str, target: str) -> "ModelProfile":
        """This profile with the prefixes of the ``source``→``target`` direction (``ProfileError`` if unserved)."""
        for d in self.pairs:
            if d.source == source and d.target == target:
                if (d.source, d.target, d.input_prefix, d.output_prefix) == \
                        (self.source, self.target, self.input_prefix, self.output_prefix):
                    return self
                return replace(self, source=d.source, target=d.target, input_prefix=d.input_prefix,
                               output_prefix=d.output_prefix, _turned=True)
        served = ", ".join(f"{d.source}→{d.target}" for d in self.pairs)
        raise ProfileError(f"{self.id} does not translate {source}→{target}; it serves {served}")

    def output_tone(self, source: str, target: str) -> ToneStyle:
        return next((d.output_tone for d in self.pairs if d.source == source and d.target == target), "nfc")

    def with_window(self, window: int) -> "ModelProfile":
        return replace(self, window=window)


# VietNews, which the ViT5 summarizers were fine-tuned on, places every tone mark of an open oa/oe/uy the new
# way ("hoà", "uỷ ban"): 774 new-style words and no old-style one in 300 dev articles, 1,173 and none in 500
# training articles (its own files, as the dataset publishes them); newsrooms mostly write the old way (the raw
# baomoi articles: 829 old, none new). An article reaches them as they were fine-tuned to read it.
VIETNEWS_TONE: ToneStyle = "new"

PROFILES: dict[str, ModelProfile] = {
    p.id: p
    for p in [
        ModelProfile(
            id="VietAI/vit5-base-vietnews-summarization",
            family="t5",
            task="summarization",
            license="MIT",
            description="ViT5-base fine-tuned on VietNews (abstractive news summaries).",
            tone_style=VIETNEWS_TONE,
            window=1024,
            generation=GenerationOptions(num_beams=4, max_new_tokens=256, no_repeat_ngram_size=3),
            default=True,
        ),
        ModelProfile(
            id="VietAI/vit5-large-vietnews-summarization",
            family="t5",
            task="summarization",
            license="MIT",
            description="ViT5-large fine-tuned on VietNews; expects the 'vietnews: ' prefix.",
            input_prefix="vietnews: ",
            tone_style=VIETNEWS_TONE,
            window=1024,
            generation=GenerationOptions(num_beams=4, max_new_tokens=256, no_repeat_ngram_size=3),
        ),
        ModelProfile(
            id="VietAI/envit5-translation",
            family="t5",
            task="translation",
            license="OpenRAIL",
            description="EnViT5 (T5 v1.1, untied) vi<->en; input 'vi: ' (output starts 'en: ') or 'en: ' "
                        "(output starts 'vi: ').",
            window=128,  # trained on inputs of at most 128 tokens: feed sentences
            # the same weights both ways: the input's prefix names its language; the first is the default
            directions=(Direction("vi", "en", "vi: ", "en: "), Direction("en", "vi", "en: ", "vi: ")),
            generation=GenerationOptions(num_beams=4, max_new_tokens=256),
            default=True,
        ),
        ModelProfile(
            id="Helsinki-NLP/opus-mt-vi-en",
            family="marian",
            task="translation",
            license="Apache-2.0",
            description="OPUS-MT Marian vi->en (small and fast).",
            window=512,
            target="en",
            generation=GenerationOptions(num_beams=4, max_new_tokens=256),
        ),
        ModelProfile(
            id="Helsinki-NLP/opus-mt-en-vi",
            family="marian",
            task="translation",
            license="Apache-2.0",
            description="OPUS-MT Marian en->vi (Tatoeba eng-vie; small and fast).",
            window=512,
            source="en",
            target="vi",
            infer_from_family=False,
            generation=GenerationOptions(num_beams=4, max_new_tokens=256),
        ),
        ModelProfile(
            id="vinai/vinai-translate-en2vi-v2",
            family="mbart",
            task="translation",
            license="AGPL-3.0",
            description="VinAI Translate en->vi (mBART-50); writes new-style tone marks (hoà, thuỷ).",
            src_lang="en_XX",
            tgt_lang="vi_VN",
            target_token="decoder_start",
            window=1024,
            directions=(Direction("en", "vi", output_tone="new"),),
            infer_from_family=False,
            generation=GenerationOptions(num_beams=4, max_new_tokens=256),
        ),
        ModelProfile(
            id="vinai/vinai-translate-vi2en-v2",
            family="mbart",
            task="translation",
            license="AGPL-3.0",
            description="VinAI Translate vi->en (mBART-50); input must use new-style tone marks.",
            src_lang="vi_VN",
            tgt_lang="en_XX",
            target_token="decoder_start",
            tone_style="new",
            window=1024,
            target="en",
            generation=GenerationOptions(num_beams=4, max_new_tokens=256),
        ),
        ModelProfile(
            id="facebook/nllb-200-distilled-600M",
            family="m2m_100",
            task="translation",
            license="CC-BY-NC-4.0",
            description="NLLB-200 distilled 600M (non-commercial license).",
            src_lang="vie_Latn",
            tgt_lang="eng_Latn",
            window=512,
            target="en",
            generation=GenerationOptions(num_beams=4, max_new_tokens=256),
        ),
    ]
}


class ProfileError(ValueError):
    """A model reference cannot be matched to a profile."""


def default_profile(task: Task) -> ModelProfile:
    return next(p for p in PROFILES.values() if p.task == task and p.default)


def profiles_for(task: Task) -> list[ModelProfile]:
    return [p for p in PROFILES.values() if p.task == task]


def resolve_profile(model: str, task: Task, profile_name: str | None = None) -> ModelProfile:
    """Find the profile whose conventions apply to ``model``.

    ``model`` is a profile name (HF id) or a local directory. For a directory,
    ``profile_name`` picks the profile explicitly; a directory named as ``tomtat
    models pull --to`` names it (``VietAI__envit5-translation``) is that profile;
    otherwise the profile is inferred from the directory's ``config.json`` when
    exactly one profile of the task has that architecture family (an ambiguous
    family is an error that names the choices).
    """
    if profile_name:
        if profile_name not in PROFILES:
            raise ProfileError(f"unknown profile {profile_name!r}; known: {', '.join(PROFILES)}")
        profile = PROFILES[profile_name]
        if profile.task != task:
            raise ProfileError(f"profile {profile_name!r} is a {profile.task} model, not {task}")
        return profile
    if model in PROFILES:
        profile = PROFILES[model]
        if profile.task != task:
            raise ProfileError(f"{model!r} is a {profile.task} model, not {task}")
        return profile
    named = [p for p in PROFILES.values() if Path(model).name == p.id.replace("/", "__")]
    if named and (Path(model) / "config.json").is_file():  # named as `tomtat models pull --to DIR` names it
        if named[0].task != task:
            raise ProfileError(f"{model} is {named[0].id}, a {named[0].task} model, not {task}")
        return named[0]
    config_path = Path(model) / "config.json"
    if not config_path.is_file():
        raise ProfileError(
            f"{model!r} is neither a known profile ({', '.join(p.id for p in profiles_for(task))}) "
            "nor a local model directory with a config.json"
        )
    config = json.loads(config_path.read_text(encoding="utf-8"))
    family = config.get("model_type")
    candidates = [p for p in profiles_for(task) if p.family == family]
    named_in_config = [p for p in candidates if p.id == config.get("_name_or_path")]
    if len(candidates) > 1 and len(named_in_config) == 1:  # e.g. a re-saved Helsinki-NLP/opus-mt-en-vi
        return named_in_config[0]
    if len(candidates) > 1:
        candidates = [p for p in candidates if p.infer_from_family] or candidates
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ProfileError(f"no {task} profile for model type {family!r} in {model}")
    names = ", ".join(p.id for p in candidates)
    env = "TOMTAT_SUMMARY_PROFILE" if task == "summarization" else "TOMTAT_TRANSLATION_PROFILE"
    raise ProfileError(
        f"{model} is a {family} model and several {task} profiles fit ({names}); set {env} to one of them"
    )
