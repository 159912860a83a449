"""Versioned JSON routes: ``/v1/summarize``, ``/v1/translate``, ``/v1/articles``, ``/v1/models``."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify

from models import pipeline

from .errors import ApiError
from .glossaries import resolve
from .http import check_generation, check_length, parse, runtime, settings
from .schemas import ArticleRequest, SummarizeRequest, SummarySpec, TranslateRequest

bp = Blueprint("v1", __name__, url_prefix="/v1")


def summary_options(spec: SummarySpec, prefix: str = "") -> pipeline.SummaryOptions:
    check_generation(spec, prefix)
    return pipeline.SummaryOptions(
        method=spec.method,
        max_sentences=spec.max_sentences,
        max_words=spec.max_words,
        on_unfaithful=spec.on_unfaithful,
        generation=pipeline.GenerationOverrides(spec.max_new_tokens, spec.min_new_tokens, spec.num_beams),
    )


def generation(gen, prefix: str = "") -> pipeline.GenerationOverrides:
    check_generation(gen, prefix)
    return pipeline.GenerationOverrides(gen.max_new_tokens, gen.min_new_tokens, gen.num_beams)


def fmt(value: str) -> str | None:
    return None if value == "auto" else value


@bp.post("/summarize")
def summarize():
    req = parse(SummarizeRequest)
    check_length(req.text, "text")
    result = pipeline.summarize(runtime(), req.text, req.title, fmt(req.format), summary_options(req),
                                allow_other_language=req.allow_other_language)
    return jsonify(asdict(result))


@bp.post("/translate")
def translate():
    req = parse(TranslateRequest)
    items = req.items()
    if len(items) > settings().max_texts:
        raise ApiError(413, "Too many texts", f"{len(items)} texts sent; the limit is {settings().max_texts} "
                       "(TOMTAT_MAX_TEXTS). Split the call.", slug="too-many-texts", limit=settings().max_texts)
    for i, item in enumerate(items):
        check_length(item, "text" if req.text is not None else f"texts[{i}]")
    # the pair is the pipeline's to check: it knows the directions of the loaded model (a 422 names them)
    result = pipeline.translate(runtime(), items, fmt(req.format), generation(req),
                                allow_other_language=req.allow_other_language, source=req.source.lower(),
                                target=req.target.lower() if req.target else None, tone=req.tone_style,
                                glossary=resolve(req.glossary))
    body = {"model": result.model, "source": result.source, "target": result.target,
            "timings": result.timings, "warnings": result.warnings}
    if req.text is not None:
        body["translation"] = result.translations[0]
        body["checks"] = {"translation": result.checks[0]} if result.checks else {}
    else:
        body["translations"] = result.translations
        body["checks"] = {f"translations[{i}]": check for i, check in enumerate(result.checks)}
    return jsonify(body)


@bp.post("/articles")
def articles():
    req = parse(ArticleRequest)
    check_length(req.text, "text")
    result = pipeline.process_article(
        runtime(), req.text, id=req.id, title=req.title, format=fmt(req.format),
        summary=summary_options(req.summary, "summary."), translate=req.translate,
        translation=generation(req.translation, "translation."), allow_other_language=req.allow_other_language,
        glossary=resolve(req.glossary),
    )
    body = asdict(result)
    body.pop("summary_sentences")
    if req.translate not in ("full", "both"):
        body.pop("translation_en")
    return jsonify(body)


@bp.get("/models")
def models():
    rt = runtime()
    return jsonify({
        "models": rt.models(),
        "capabilities": {name: cap.as_dict() for name, cap in rt.capabilities().items()},
    })
