"""The web page at ``/`` and the interactive API docs at ``/docs``.

Both are static HTML with the app's own JS and CSS (no CDN: newsrooms run the
service offline). Article text is only ever put on the page as text nodes, and
a Content-Security-Policy forbids inline and foreign scripts.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from .http import runtime, settings

bp = Blueprint("web", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
LANGS = ("vi", "en")

LABELS = {
    "vi": {
        "lang": "vi",
        "tagline": "Tóm tắt tin tức tiếng Việt và dịch sang tiếng Anh",
        "docs": "Tài liệu API",
        "title_label": "Tiêu đề (không bắt buộc)",
        "title_placeholder": "Ví dụ: TP.HCM mở rộng đường Nguyễn Văn Linh",
        "text_label": "Bài báo tiếng Việt",
        "text_placeholder": "Dán nội dung bài báo (văn bản hoặc HTML) vào đây…",
        "upload": "Tải tệp .txt/.html",
        "file_loaded": "Đã nạp tệp",
        "file_too_big": "Tệp quá lớn",
        "length_label": "Độ dài tóm tắt",
        "length_short": "Ngắn (1 câu)",
        "length_medium": "Vừa (3 câu)",
        "length_long": "Dài (5 câu)",
        "method_label": "Phương pháp",
        "method_auto": "Tự động",
        "method_abstractive": "Trừu tượng (ViT5)",
        "method_extractive": "Trích xuất",
        "full_label": "Dịch toàn văn sang tiếng Anh",
        "key_label": "Khóa API",
        "key_placeholder": "tt_…",
        "submit": "Tóm tắt và dịch",
        "working": "Đang xử lý…",
        "clear": "Xóa",
        "chars": "ký tự",
        "summary_vi": "Tóm tắt tiếng Việt",
        "summary_en": "Tóm tắt tiếng Anh",
        "translation_en": "Bản dịch tiếng Anh toàn văn",
        "copy": "Sao chép",
        "copied": "Đã chép",
        "models": "Mô hình",
        "time": "Thời gian",
        "server": "máy chủ",
        "not_requested": "Không yêu cầu dịch toàn văn.",
        "no_translation": "Không có bản dịch: chưa có mô hình dịch.",
        "cap_missing": "Chưa có mô hình dịch: bản tóm tắt tiếng Việt vẫn hoạt động, phần tiếng Anh bị bỏ qua.",
        "cap_abstractive_missing": "Chưa có mô hình tóm tắt ViT5: dùng phương pháp trích xuất.",
        "how_to_fix": "Cách khắc phục",
        "error": "Lỗi",
        "empty": "Hãy dán hoặc tải lên một bài báo trước.",
        "too_long": "Bài báo dài quá giới hạn",
        "network": "Không kết nối được tới máy chủ.",
        "results": "Kết quả",
    },
    "en": {
        "lang": "en",
        "tagline": "Vietnamese news summaries and English translations",
        "docs": "API docs",
        "title_label": "Headline (optional)",
        "title_placeholder": "e.g. TP.HCM mở rộng đường Nguyễn Văn Linh",
        "text_label": "Vietnamese article",
        "text_placeholder": "Paste the article (text or HTML) here…",
        "upload": "Upload .txt/.html",
        "file_loaded": "Loaded file",
        "file_too_big": "File too large",
        "length_label": "Summary length",
        "length_short": "Short (1 sentence)",
        "length_medium": "Medium (3 sentences)",
        "length_long": "Long (5 sentences)",
        "method_label": "Method",
        "method_auto": "Automatic",
        "method_abstractive": "Abstractive (ViT5)",
        "method_extractive": "Extractive",
        "full_label": "Translate the full text to English",
        "key_label": "API key",
        "key_placeholder": "tt_…",
        "submit": "Summarize and translate",
        "working": "Working…",
        "clear": "Clear",
        "chars": "characters",
        "summary_vi": "Vietnamese summary",
        "summary_en": "English summary",
        "translation_en": "Full English translation",
        "copy": "Copy",
        "copied": "Copied",
        "models": "Models",
        "time": "Time",
        "server": "server",
        "not_requested": "Full translation not requested.",
        "no_translation": "No translation: no translation model is loaded.",
        "cap_missing": "No translation model: Vietnamese summaries still work, the English parts are skipped.",
        "cap_abstractive_missing": "No ViT5 summarization model: the extractive method is used.",
        "how_to_fix": "How to fix",
        "error": "Error",
        "empty": "Paste or upload an article first.",
        "too_long": "The article is over the limit of",
        "network": "Could not reach the server.",
        "results": "Results",
    },
}


def _lang() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS) or "vi"


@bp.get("/")
def index():
    caps = {name: cap.as_dict() for name, cap in runtime().capabilities().items()}
    s = settings()
    lang = _lang()
    return render_template("index.html", t=LABELS[lang], lang=lang, labels=LABELS, caps=caps, settings=s)


@bp.get("/docs")
def docs():
    return render_template("docs.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def _security_headers(response):
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
