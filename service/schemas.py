"""Request and response schemas: one definition for validation and for OpenAPI.

Request models forbid unknown fields, so a misspelt option (``max_sentence``) is
a clear 422 instead of being silently ignored, and are strict: a value of the wrong
JSON type (``"3"`` for a number, ``"yes"`` for a boolean) is a 422 too, not coerced.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SEED_EXAMPLE = (
    "Chiều ngày 22/7, Công an và Ban Chỉ huy Quân sự Quận 3 đã tham mưu cho UBND quận tổ chức Hội nghị "
    "Sơ kết 6 tháng đầu năm 2022 về thực hiện Nghị định 03/2019/NĐ-CP."
)

Format = Literal["auto", "text", "html"]


def is_language_code(value: str) -> bool:
    """`vi`, `en`, `auto`, `zh-TW`, `pt_BR`…: ASCII letters with `-`/`_`, 2 to 12 characters."""
    return value.isascii() and value.replace("-", "").replace("_", "").isalpha() and 2 <= len(value) <= 12


class Request(BaseModel):
    # strict: "3" is no number and "yes" no boolean; a wrong type is a 422 that names the field
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, strict=True)


def _not_blank(value: str | None, name: str = "text") -> str | None:
    if value is not None and not value.strip():
        raise ValueError(f"{name} is empty or only whitespace; send the article text")
    return value


GLOSSARY_DESCRIPTION = (
    "Terms rendered one way in every sentence that holds them: the name of one of this key's glossaries "
    "(`/v1/glossaries`), or the terms inline, source term → target term (a term mapped to itself is never "
    "translated). Matched by whole syllables, ignoring case and tone-mark placement (`Hòa` = `hoà`).")


def glossary_field():
    return Field(None, description=GLOSSARY_DESCRIPTION,
                 examples=[{"UBND": "People's Committee", "Quận 3": "District 3"}, "toa-soan"])


class Generation(Request):
    max_new_tokens: int | None = Field(None, ge=1, description="Most tokens to generate (server-bounded).")
    min_new_tokens: int | None = Field(None, ge=0, description="Fewest tokens to generate.")
    num_beams: int | None = Field(None, ge=1, description="Beam width (1 = greedy; server-bounded).")


class SummarySpec(Generation):
    method: Literal["auto", "abstractive", "extractive"] = Field(
        "auto", description="`auto` uses the abstractive model when one is loaded, else extractive.")
    max_sentences: int | None = Field(None, ge=1, le=50, description="Most sentences in the summary.")
    max_words: int | None = Field(None, ge=5, le=2000, description="Most words in the summary.")
    on_unfaithful: Literal["flag", "fallback"] = Field(
        "flag", description="What to do when an abstractive summary fails its fact checks (a number, date, name, "
        "quotation or negation the article lacks): `flag` returns it with the problems in `checks`; `fallback` "
        "returns the extractive summary instead, with a `warnings` entry saying why.")


class SummarizeRequest(SummarySpec):
    text: str = Field(..., description="Article text or HTML.", examples=[SEED_EXAMPLE])
    title: str | None = Field(None, description="Headline; helps pick the key sentences. Without it, a text "
                                                  "whose first line is its headline is read as headline and body.")
    format: Format = Field("auto", description="`text`, `html`, or `auto` (detect).")
    allow_other_language: bool = Field(
        False, description="Process text that is not Vietnamese (a `warnings` entry says so) instead of answering 422.")

    _check_text = field_validator("text")(_not_blank)


class TranslateRequest(Generation):
    text: str | None = Field(None, description="One text to translate.", examples=[SEED_EXAMPLE])
    texts: list[str] | None = Field(None, min_length=1, description="Several texts, translated in order.")
    source: str = Field("vi", description="Source language: `vi`, `en` (when the loaded model serves en→vi, as "
                        "the default EnViT5 does), or `auto` (the language detected on the texts together).")
    target: str | None = Field(None, description="Target language; omitted: the one target the source has "
                               "(`vi` → `en`, `en` → `vi`). `GET /v1/models` lists each model's `directions`.")
    tone_style: Literal["keep", "old", "new"] = Field(
        "keep", description="Tone marks of a Vietnamese output: `keep` as the model writes them, `old` (`hòa`, "
        "`thủy`) or `new` (`hoà`, `thuỷ`; VinAI's en→vi model writes this style).")
    glossary: dict[str, str] | str | None = glossary_field()
    format: Format = "auto"
    allow_other_language: bool = Field(
        False, description="Process text that is not in the source language (a `warnings` entry says so) instead "
        "of answering 422.")

    _check_text = field_validator("text")(_not_blank)

    @field_validator("source", "target")
    @classmethod
    def _check_code(cls, value):
        if value is not None and not is_language_code(value):
            raise ValueError("a language code such as `vi`, `en` or `auto`")
        return value

    @field_validator("texts")
    @classmethod
    def _check_texts(cls, value):
        for i, item in enumerate(value or []):
            _not_blank(item, f"texts[{i}]")
        return value

    @model_validator(mode="after")
    def _one_of(self):
        if (self.text is None) == (self.texts is None):
            raise ValueError("send exactly one of `text` (a string) or `texts` (a list of strings)")
        return self

    def items(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])


class ArticleRequest(Request):
    id: str | None = Field(None, max_length=256, description="Your identifier, echoed back.")
    title: str | None = None
    text: str = Field(..., examples=[SEED_EXAMPLE])
    format: Format = "auto"
    summary: SummarySpec = Field(default_factory=SummarySpec)
    translate: Literal["none", "summary", "full", "both"] = Field(
        "summary", description="English for the summary, the full article, both, or none.")
    translation: Generation = Field(default_factory=Generation, description="Generation settings for translation.")
    glossary: dict[str, str] | str | None = glossary_field()
    allow_other_language: bool = Field(
        False, description="Process text that is not Vietnamese (a `warnings` entry says so) instead of answering 422.")

    _check_text = field_validator("text")(_not_blank)


class FactProblem(BaseModel):
    kind: Literal["number", "date", "name", "quote", "negation", "untranslated"] = Field(
        ..., description="What kind of fact.")
    text: str = Field(..., description="The fact as written: in the source for `missing`/`changed`, in the output "
                      "for `unsupported`/`untranslated`.")
    issue: Literal["missing", "unsupported", "changed"] = Field(
        ..., description="`missing`: the source's fact is not in the translation; `unsupported`: the output states "
        "what its source lacks; `changed`: another fact of the same kind stands in its place.")
    found: str | None = Field(None, description="With `changed`: what the output has instead.")


class Check(BaseModel):
    ok: bool = Field(..., description="No problem found.")
    problems: list[FactProblem] = Field(default_factory=list)


CHECKS_DESCRIPTION = (
    "Fact checks of each neural output against its source, by output field. A summary may leave facts out but must "
    "not state one its article lacks; a translation must carry every number, date, name, quotation and negation "
    "across. Extractive summaries are not checked (their words are the article's own): no key for them.")


class Timings(BaseModel):
    model_config = ConfigDict(extra="allow")
    total_ms: float


WARNINGS = ("Set when allow_other_language let through text that is not Vietnamese, and when on_unfaithful "
            "`fallback` replaced an abstractive summary that failed its fact checks.")


class SummarizeResponse(BaseModel):
    summary: str
    sentences: list[str]
    method: str
    model: str
    timings: Timings
    warnings: list[str] = Field(default_factory=list, description=WARNINGS)
    checks: dict[Literal["summary"], Check] = Field(default_factory=dict, description=CHECKS_DESCRIPTION)


class TranslateResponse(BaseModel):
    translation: str | None = None
    translations: list[str] | None = None
    model: str
    source: str = Field("vi", description="The source language translated from (the detected one with `auto`).")
    target: str = Field("en", description="The target language.")
    timings: Timings
    warnings: list[str] = Field(default_factory=list, description="Set when allow_other_language let through text "
                                "that is not in the source language.")
    checks: dict[str, Check] = Field(default_factory=dict, description=CHECKS_DESCRIPTION + " Keys: `translation`, "
                                     "or `translations[0]`, `translations[1]` … for `texts`. vi→en only: an en→vi "
                                     "translation has no `checks`.")


class ArticleResponse(BaseModel):
    id: str | None
    summary_vi: str
    summary_en: str | None
    translation_en: str | None = None
    method: str
    models: dict[str, str]
    timings: Timings
    warnings: list[str] = Field(default_factory=list, description=WARNINGS)
    checks: dict[Literal["summary_vi", "summary_en", "translation_en"], Check] = Field(
        default_factory=dict, description=CHECKS_DESCRIPTION)


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict] | None = None
