"""The web page at ``/`` and the interactive API docs at ``/docs``.

Both are static HTML with the app's own JS and CSS (no CDN: newsrooms run the
service offline). The page summarizes and translates a pasted article (vi→en, or
translates en→vi) and translates whole files through ``/v1/documents``; the file
formats it offers and their size limit come from the server. Article text is only
ever put on the page as text nodes, and a Content-Security-Policy forbids inline
and foreign scripts.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from models.documents import formats_listing

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
        "warnings": "Lưu ý",
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
        "direction_label": "Chiều dịch",
        "dir_vi_en": "Tiếng Việt → English",
        "dir_en_vi": "English → Tiếng Việt",
        "dir_auto": "Tự nhận diện: Việt ↔ Anh",
        "text_label_en": "Văn bản tiếng Anh",
        "text_placeholder_en": "Dán văn bản tiếng Anh (văn bản hoặc HTML) vào đây…",
        "submit_en_vi": "Dịch sang tiếng Việt",
        "en_vi_note": "Tóm tắt chỉ dành cho bài báo tiếng Việt: chiều Anh → Việt chỉ dịch văn bản.",
        "translation_vi": "Bản dịch tiếng Việt",
        "doc_heading": "Dịch tài liệu",
        "doc_intro": "Tải lên một tệp; bản dịch giữ nguyên cấu trúc của tệp (đề mục, danh sách, bảng, phụ đề).",
        "doc_file_label": "Tệp cần dịch",
        "doc_formats": "Định dạng",
        "doc_max": "tối đa",
        "doc_glossary_label": "Bảng thuật ngữ (không bắt buộc)",
        "doc_glossary_placeholder": "Tên bảng thuật ngữ đã lưu",
        "doc_summarize_label": "Tóm tắt luôn",
        "doc_submit": "Dịch tài liệu",
        "doc_no_file": "Hãy chọn một tệp trước.",
        "doc_bad_type": "Định dạng tệp không được hỗ trợ",
        "doc_uploading": "Đang tải tệp lên…",
        "doc_queued": "Đang chờ đến lượt…",
        "doc_running": "Đang dịch…",
        "doc_succeeded": "Đã dịch xong.",
        "doc_failed": "Dịch tài liệu thất bại",
        "doc_cancelled": "Việc dịch đã bị hủy.",
        "doc_download": "Tải bản dịch",
        "doc_segments": "đoạn đã dịch",
        "doc_result": "Bản dịch tài liệu",
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
        "warnings": "Note",
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
        "direction_label": "Direction",
        "dir_vi_en": "Tiếng Việt → English",
        "dir_en_vi": "English → Tiếng Việt",
        "dir_auto": "Detect: Vietnamese ↔ English",
        "text_label_en": "English text",
        "text_placeholder_en": "Paste the English text (plain or HTML) here…",
        "submit_en_vi": "Translate to Vietnamese",
        "en_vi_note": "Summaries are for Vietnamese articles only: English → Vietnamese translates the text.",
        "translation_vi": "Vietnamese translation",
        "doc_heading": "Translate a document",
        "doc_intro": "Upload a file; the translation keeps the file's structure (headings, lists, tables, subtitles).",
        "doc_file_label": "File to translate",
        "doc_formats": "Formats",
        "doc_max": "up to",
        "doc_glossary_label": "Glossary (optional)",
        "doc_glossary_placeholder": "Name of a stored glossary",
        "doc_summarize_label": "Also summarize",
        "doc_submit": "Translate document",
        "doc_no_file": "Choose a file first.",
        "doc_bad_type": "Unsupported file type",
        "doc_uploading": "Uploading the file…",
        "doc_queued": "Waiting for its turn…",
        "doc_running": "Translating…",
        "doc_succeeded": "Translated.",
        "doc_failed": "The document could not be translated",
        "doc_cancelled": "The translation was cancelled.",
        "doc_download": "Download the translation",
        "doc_segments": "segments translated",
        "doc_result": "Translated document",
    },
}


def _lang() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS) or "vi"


def document_options() -> dict:
    """What the page's document form needs from the server: the formats it takes and the size limit."""
    formats = formats_listing()
    extensions = [ext for f in formats for ext in f["extensions"]]
    max_bytes = settings().max_document_bytes
    return {"formats": formats, "accept": ",".join(extensions), "max_bytes": max_bytes,
            "max_label": size_label(max_bytes)}


def size_label(n: int) -> str:
    """``10485760`` → ``10 MB``, ``1536`` → ``1.5 KB`` (binary units, as the limit is usually set)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} B"


@bp.get("/")
def index():
    caps = {name: cap.as_dict() for name, cap in runtime().capabilities().items()}
    s = settings()
    lang = _lang()
    return render_template("index.html", t=LABELS[lang], lang=lang, labels=LABELS, caps=caps, settings=s,
                           documents=document_options())


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
