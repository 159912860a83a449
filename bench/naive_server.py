"""Contender (A): the naive server tomtat is measured against.

What a first version of the service would be: Flask's built-in server handling
one request at a time, transformers in fp32 (fp16 on CUDA), every model call at
batch size 1, translation sentence by sentence. transformers 5.x removed the
``summarization``/``translation`` pipelines (``text2text-generation``), so the
model is called the way those pipelines called it: tokenizer → ``generate`` →
``batch_decode``. Text handling (cleaning, sentence splitting, the EnViT5
``vi: ``/``en: `` conventions, the input window) is tomtat's, so both servers
do the same model work.

Usage: ``python bench/naive_server.py --port 8091 --summary DIR --translation DIR [--device cpu]``
Same JSON as tomtat for ``/v1/articles``, ``/v1/translate`` and ``/v1/summarize``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class NaiveModel:
    def __init__(self, path: str, profile, device: str):
        import torch
        from transformers import AutoModelForSeq2SeqLM

        from models.tokenization import load_tokenizer

        self.torch = torch
        self.profile = profile
        self.device = device
        # transformers 5's AutoTokenizer cannot load EnViT5's real tokenizer.json (and mis-cuts ViT5's BPE
        # model), so the baseline reads the real files with sentencepiece too: the same ids, the naive serving.
        self.tokenizer = load_tokenizer(path, profile.family, src_lang=profile.src_lang)
        dtype = torch.float16 if device == "cuda" else torch.float32
        self.model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=dtype).to(device).eval()

    def generate(self, text: str, gen: dict) -> str:
        torch = self.torch
        ids = self.tokenizer.ids(self.profile.input_prefix + text, self.profile.window)
        batch = {"input_ids": torch.tensor([ids], device=self.device),
                 "attention_mask": torch.ones((1, len(ids)), dtype=torch.long, device=self.device)}
        with torch.inference_mode():
            out = self.model.generate(**batch, do_sample=False, num_beams=gen.get("num_beams") or 1,
                                      max_new_tokens=gen.get("max_new_tokens") or 64,
                                      min_new_tokens=gen.get("min_new_tokens") or 0,
                                      # the profile's default, as tomtat applies it (ViT5: 3)
                                      no_repeat_ngram_size=gen.get("no_repeat_ngram_size",
                                                                   self.profile.generation.no_repeat_ngram_size))
        text = self.tokenizer.decode(out[0].tolist()).strip()
        prefix = self.profile.output_prefix.strip()
        if prefix and text.startswith(prefix):
            text = text[len(prefix):].lstrip()
        return text

    # what models.abstractive needs, so an article longer than the window is summarized the same way
    # (sections, then the joined section summaries) as tomtat does it: identical model work.
    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def token_budget(self) -> int:
        return self.profile.window - self.count_tokens(self.profile.input_prefix)

    def summarize(self, sentences: list[str], gen: dict) -> str:
        from models.abstractive import AbstractiveSummarizer

        one_by_one = type("OneByOne", (), {
            "token_budget": lambda _: self.token_budget(),
            "count_tokens": lambda _, text: self.count_tokens(text),
            "generate": lambda _, texts, options: [self.generate(t, options) for t in texts],
        })()
        return AbstractiveSummarizer(one_by_one).summarize(sentences, gen)[0]


def create_app(summary_dir: str, translation_dir: str, device: str = "cpu", threads: int | None = None):
    import torch
    from flask import Flask, jsonify, request

    from models.extractive import ExtractiveSummarizer
    from models.pipeline import clean_article
    from models.profiles import PROFILES
    from models.text.segment import split_sentences

    torch.set_num_threads(threads or len(os.sched_getaffinity(0)))
    summarizer = NaiveModel(summary_dir, PROFILES["VietAI/vit5-base-vietnews-summarization"], device)
    translator = NaiveModel(translation_dir, PROFILES["VietAI/envit5-translation"], device)
    extractive = ExtractiveSummarizer()
    lock = threading.Lock()  # one request at a time, whatever the server does
    app = Flask(__name__)
    app.json.ensure_ascii = False

    def translate_sentences(sentences: list[str], gen: dict) -> str:
        return " ".join(translator.generate(s, gen) for s in sentences)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    @app.post("/v1/articles")
    def articles():
        body = request.get_json()
        with lock:
            paragraphs = clean_article(body["text"], body.get("title"), None)
            sentences = [s for p in paragraphs for s in p]
            summary = summarizer.summarize(sentences, body.get("summary") or {})
            summary_en = translate_sentences(split_sentences(summary), body.get("translation") or {})
        return jsonify({"id": body.get("id"), "summary_vi": summary, "summary_en": summary_en})

    @app.post("/v1/translate")
    def translate():
        body = request.get_json()
        with lock:
            paragraphs = clean_article(body["text"], None, None)
            out = "\n\n".join(translate_sentences(p, body) for p in paragraphs)
        return jsonify({"translation": out})

    @app.post("/v1/summarize")
    def summarize():
        body = request.get_json()
        with lock:
            sentences = [s for p in clean_article(body["text"], body.get("title"), None) for s in p]
            chosen = extractive.summarize(sentences, title=body.get("title"), max_sentences=2, max_words=None)
        return jsonify({"summary": " ".join(sentences[i] for i in chosen)})

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--summary", required=True)
    parser.add_argument("--translation", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    app = create_app(args.summary, args.translation, args.device, args.threads)
    app.run(host="127.0.0.1", port=args.port, threaded=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
