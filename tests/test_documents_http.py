"""Documents over HTTP: ``POST /v1/documents`` as a job (every format, its structure counted element by element
in the downloaded file), summaries, glossaries, limits and bad files as problems, per-key scoping, retention,
and LibreTranslate's ``/translate_file`` + ``/download_file``; on SQLite and PostgreSQL. Tiny random models."""

from __future__ import annotations

import io
import re
import time

import pytest
import srt

from service.documents import DocumentStore
from service.keys import KeyStore
from service.store import JobStore
from tests.helpers import app_factory, problem
from tests.test_documents import (HTML, MARKDOWN, TXT, build_docx, build_odt, build_srt, docx_structure, md_shape,
                                  odt_structure)


@pytest.fixture()
def make_app(tiny_runtime, database):
    with app_factory(tiny_runtime, database_url=database, job_workers=1, job_lease_s=30.0) as make:
        yield make


def upload(client, data: bytes, filename: str, headers=None, **fields):
    form = {"file": (io.BytesIO(data), filename), **{k: str(v) for k, v in fields.items()}}
    return client.post("/v1/documents", data=form, content_type="multipart/form-data", headers=headers or {})


def finished(app, client, job_id: str, headers=None, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(f"/v1/documents/{job_id}", headers=headers or {}).get_json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"document job {job_id} did not finish: {body}")


def translated(app, client, data: bytes, filename: str, **fields) -> tuple[dict, bytes]:
    created = upload(client, data, filename, **fields)
    assert created.status_code == 202, created.get_data(as_text=True)
    body = created.get_json()
    assert body["status"] == "queued" and created.headers["Location"] == body["links"]["self"]
    status = finished(app, client, body["job_id"])
    assert status["status"] == "succeeded", status
    file = client.get(status["links"]["file"])
    assert file.status_code == 200
    return status, file.data


# -- one skeleton per format: the structure without the text ------------------------------------------------

def docx_skeleton(data: bytes):
    s = docx_structure(data)
    return ([(style, [(i[0], i[1:3] if i[0] == "run" else (i[1], len(i[2]))) for i in items])
             for style, items in s["paragraphs"]], [len(row) for row in s["cells"]])


def odt_skeleton(data: bytes):
    def skeleton(tree):
        return [(n[0], n[1], skeleton(n[2])) for n in tree if n[0] != "text"]
    return skeleton(odt_structure(data))


def srt_skeleton(data: bytes):
    return [(c.index, c.start, c.end) for c in srt.parse(data.decode())]


def html_skeleton(data: bytes):
    return re.findall(r"<[^>]+>", data.decode())


def txt_skeleton(data: bytes):
    return [len(block.split("\n")) for block in data.decode().split("\n\n")]


FORMATS = {
    "docx": (build_docx, "bao-cao.docx", docx_skeleton),
    "odt": (build_odt, "bao-cao.odt", odt_skeleton),
    "srt": (build_srt, "phim.srt", srt_skeleton),
    "md": (lambda: MARKDOWN.encode(), "ghi-chu.md", lambda d: md_shape(d.decode())),
    "html": (lambda: HTML.encode(), "trang.html", html_skeleton),
    "txt": (lambda: TXT.encode(), "bai.txt", txt_skeleton),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_round_trips_through_a_job(make_app, fmt):
    build, filename, skeleton = FORMATS[fmt]
    app = make_app()
    source = build()
    status, data = translated(app, app.test_client(), source, filename, source="vi", target="en")
    assert status["format"] == fmt and status["filename"] == filename.replace(".", ".en.", 1)
    assert (status["source"], status["target"]) == ("vi", "en")
    assert skeleton(data) == skeleton(source)  # the downloaded file opens in its library, structure kept
    assert status["stats"]["translated"] >= 1 and status["stats"]["bytes_out"] == len(data)
    assert "translation" in status["checks"]  # vi→en: the segments' fact checks, counted


def test_summaries_and_a_glossary_in_the_same_job(make_app):
    app = make_app()
    client = app.test_client()
    client.put("/v1/glossaries/desk", json={"entries": {"UBND": "People's Committee"}})
    status, data = translated(app, client, TXT.encode(), "bai.txt", glossary="desk", summarize="true")
    assert "People's Committee" in data.decode()
    assert status["summary_vi"] and status["summary_en"]
    status, data = translated(app, client, TXT.encode(), "bai.txt", glossary='{"UBND": "City Hall"}')
    assert "City Hall" in data.decode() and "summary_vi" not in status


def test_english_to_vietnamese_and_auto(make_app):
    app = make_app()
    client = app.test_client()
    english = b"The People's Committee met this afternoon.\n\nTraffic was heavy in the city."
    status, data = translated(app, client, english, "news.txt", source="en", target="vi")
    assert status["filename"] == "news.vi.txt" and len(data.decode().split("\n\n")) == 2
    status, _ = translated(app, client, english, "news.txt")  # source auto: detected
    assert (status["source"], status["target"]) == ("en", "vi")


@pytest.mark.parametrize("data, filename, status, slug", [
    (b"PK\x03\x04 not really", "bao-cao.docx", 422, "corrupt"),
    (TXT.encode(), "bao-cao.docx", 422, "wrong_format"),  # mislabelled: text named .docx
    (b"%PDF-1.4", "bao-cao.pdf", 422, "unsupported_format"),
    (b"", "trong.txt", 422, "empty"),
])
def test_bad_files_are_problems_before_any_job(make_app, data, filename, status, slug):
    app = make_app()
    client = app.test_client()
    body = problem(upload(client, data, filename), status)
    assert body["type"].endswith("/" + slug) and body["errors"][0]["field"] == "file"
    assert body["title"] == "Unprocessable file"
    database = app.extensions["tomtat.settings"].database
    assert not any(JobStore(database).jobs_by_state().values())  # no job in any state
    with DocumentStore(database).db.read() as conn:  # and no file stored
        from sqlalchemy import text
        assert conn.execute(text("SELECT COUNT(*) FROM documents")).scalar() == 0


def test_request_problems(make_app):
    client = make_app(max_document_bytes=1000).test_client()
    assert problem(upload(client, b"x" * 1001, "big.txt"), 413)["limit"] == 1000
    assert problem(client.post("/v1/documents", json={"file": "x"}), 415)
    assert problem(client.post("/v1/documents", data={"target": "en"}, content_type="multipart/form-data"),
                   422)["type"].endswith("/no-file")
    assert problem(upload(client, TXT.encode(), "bai.txt", summarize="maybe"), 422)
    assert problem(upload(client, TXT.encode(), "bai.txt", source="vi", target="fr"), 422)
    assert problem(upload(client, TXT.encode(), "bai.txt", glossary="nope"), 422)["type"].endswith(
        "/unknown-glossary")
    assert problem(upload(client, TXT.encode(), "bai.txt", glossary="{bad json"), 422)["type"].endswith(
        "/bad-glossary")
    assert problem(client.get("/v1/documents/" + "0" * 32), 404)


def test_an_upload_that_cannot_be_done_as_asked_is_refused_at_once(make_app):
    """No job is made to fail later: a target nothing translates to (source auto), a misspelt field, a second
    file."""
    import io

    client = make_app().test_client()
    body = problem(upload(client, TXT.encode(), "bai.txt", target="fr"), 422)
    assert body["type"].endswith("/unsupported-pair") and "'fr'" in body["detail"] and "vi→en" in body["detail"]
    body = problem(upload(client, TXT.encode(), "bai.txt", tagret="en"), 422)
    assert "unknown form field 'tagret'" in body["detail"] and body["errors"][0]["field"] == "tagret"
    two = client.post("/v1/documents", content_type="multipart/form-data",
                      data={"file": [(io.BytesIO(TXT.encode()), "a.txt"), (io.BytesIO(TXT.encode()), "b.txt")]})
    assert "'file' sent more than once" in problem(two, 422)["detail"]
    assert upload(client, TXT.encode(), "bai.txt", target="en").status_code == 202  # the same file, as asked


def test_the_file_is_not_ready_before_its_job_ends(tiny_runtime, tmp_path):
    with app_factory(tiny_runtime, db_path=str(tmp_path / "db.sqlite3"), job_workers=0) as make:
        client = make().test_client()
        body = upload(client, TXT.encode(), "bai.txt").get_json()
        waiting = client.get(body["links"]["file"])
        assert problem(waiting, 409)["status_now"] == "queued" and waiting.headers["Retry-After"] == "1"


def test_documents_belong_to_their_key_and_go_with_the_retention(make_app, database):
    keys = KeyStore(database)
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    app = make_app(auth=True, job_retention=3600)
    client = app.test_client()
    a, b = {"X-API-Key": alice}, {"X-API-Key": bob}
    created = upload(client, TXT.encode(), "bai.txt", headers=a).get_json()
    status = finished(app, client, created["job_id"], headers=a)
    assert status["status"] == "succeeded"
    for path in (status["links"]["self"], status["links"]["file"]):
        assert problem(client.get(path, headers=b), 404)
        assert client.get(path, headers=a).status_code == 200
    assert problem(client.get(status["links"]["file"]), 401)

    files = DocumentStore(database)
    store = JobStore(database, retention_s=3600)
    with store.db.tx() as conn:  # the job finished over an hour ago
        from sqlalchemy import text
        conn.execute(text("UPDATE jobs SET finished_at = finished_at - 7200 WHERE id = :id"), {"id": created["job_id"]})
    with store.db.read() as conn:
        held = conn.execute(text("SELECT COUNT(*) FROM documents WHERE job_id = :id"), {"id": created["job_id"]})
        assert held.scalar() == 2  # the upload and the translation
    store.purge_expired()  # (or the workers' heartbeat did, a moment before)
    with store.db.read() as conn:  # gone with their job, in its transaction: no scan for orphans needed
        assert conn.execute(text("SELECT COUNT(*) FROM jobs WHERE id = :id"), {"id": created["job_id"]}).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM documents")).scalar() == 0
    assert files.purge() == 0
    assert problem(client.get(status["links"]["file"], headers=a), 404)


# -- LibreTranslate ---------------------------------------------------------------------------------------------

def test_libretranslate_translate_file_and_download(make_app):
    client = make_app().test_client()
    answer = client.post("/translate_file", data={"file": (io.BytesIO(build_docx()), "bao-cao.docx"),
                                                  "source": "vi", "target": "en"},
                         content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    url = answer.get_json()["translatedFileUrl"]
    assert url.startswith("http://localhost/download_file/") and url.endswith("bao-cao.en.docx")
    file = client.get(url.removeprefix("http://localhost"))
    assert file.status_code == 200 and docx_skeleton(file.data) == docx_skeleton(build_docx())
    assert client.get("/download_file/" + "0" * 32 + ".x.txt").get_json() == {
        "error": "File not found (expired, or never made)"}
    settings = client.get("/frontend/settings").get_json()
    assert settings["filesTranslation"] is True
    assert {".txt", ".md", ".html", ".docx", ".odt", ".srt"} <= set(settings["supportedFilesFormat"])


def test_libretranslate_file_errors_read_as_libretranslate(make_app, database):
    client = make_app().test_client()
    bad = client.post("/translate_file", data={"file": (io.BytesIO(b"PK nope"), "x.docx"), "source": "vi",
                                               "target": "en"}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "corrupt" in bad.get_json()["error"]
    pair = client.post("/translate_file", data={"file": (io.BytesIO(b"Xin chao"), "x.txt"), "source": "vi",
                                                "target": "fr"}, content_type="multipart/form-data")
    assert pair.status_code == 400 and "error" in pair.get_json()
    _, key = KeyStore(database).create("weblate")
    keyed = make_app(auth=True).test_client()
    form = lambda: {"file": (io.BytesIO(TXT.encode()), "bai.txt"), "source": "vi", "target": "en"}  # noqa: E731
    assert keyed.post("/translate_file", data=form(), content_type="multipart/form-data").status_code == 400
    ok = keyed.post("/translate_file", data=form() | {"api_key": key}, content_type="multipart/form-data")
    assert ok.status_code == 200
    link = ok.get_json()["translatedFileUrl"].removeprefix("http://localhost")
    assert keyed.get(link).status_code == 200  # the link is the capability, as LibreTranslate's


def test_a_document_costs_the_characters_of_its_text(make_app, database):
    _, key = KeyStore(database).create("desk", char_quota="100/day")
    client = make_app(auth=True).test_client()
    small = upload(client, "Trời mưa to ở Hà Nội.".encode(), "a.txt", headers={"X-API-Key": key})
    assert small.status_code == 202
    text = ("Trời mưa to ở Hà Nội. " * 10).strip()
    big = problem(upload(client, text.encode(), "b.txt", headers={"X-API-Key": key}), 429)
    assert big["type"].endswith("/quota-exceeded") and big["chars"] == len(text)


def test_a_retried_upload_returns_the_first_job(make_app, database, monkeypatch):
    client = make_app(job_workers=0).test_client()  # no worker: its translation would be a second save
    saved = []
    real_save = DocumentStore.save
    monkeypatch.setattr(DocumentStore, "save", lambda self, *a, **k: saved.append(a[2]) or real_save(self, *a, **k))
    key = {"Idempotency-Key": "upload-1"}
    first = upload(client, TXT.encode(), "bai.txt", headers=key)
    again = upload(client, TXT.encode(), "bai.txt", headers=key)
    assert first.status_code == again.status_code == 202
    assert again.get_json()["job_id"] == first.get_json()["job_id"] and again.headers["Idempotent-Replayed"] == "true"
    other = problem(upload(client, b"Another file.", "bai.txt", headers=key), 422)
    assert other["type"].endswith("/idempotency-key-reused") and other["job_id"] == first.get_json()["job_id"]
    with DocumentStore(database).db.read() as conn:  # the replays left no file behind
        from sqlalchemy import text
        assert conn.execute(text("SELECT COUNT(*) FROM documents WHERE role = 'source'")).scalar() == 1
    assert saved == ["bai.txt"]  # a replay or a reused key is answered before its file is stored


def test_a_summarized_document_keeps_progress_for_its_summaries(tiny_runtime):
    from models.documents.run import TRANSLATION_SHARE, translate_file

    data = "\n\n".join(f"Đoạn {i}: giá xăng tăng 1.500 đồng từ ngày 22/7." for i in range(70)).encode()
    told: list[float] = []
    result = translate_file(tiny_runtime, data, "gia.txt", summarize=True, progress=told.append)
    assert result.summary_vi and told == sorted(told) and told[-1] == 1.0
    assert told[-2] == TRANSLATION_SHARE  # the translation's end: the summaries are the last part


LONG_TXT = "\n\n".join(f"Đoạn {i}: giá điện tăng 3% từ ngày 1/7 ở TP.HCM." for i in range(150)).encode()


def slow_batches(monkeypatch, seconds: float) -> None:
    from models import pipeline

    real = pipeline.translate

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "translate", slow)


def test_the_worker_shows_a_document_s_progress_while_it_runs(make_app, monkeypatch):
    slow_batches(monkeypatch, 1.2)  # three batches of at most 64 segments, each slower than a report interval
    client = make_app().test_client()
    job_id = upload(client, LONG_TXT, "dai.txt").get_json()["job_id"]
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = client.get(f"/v1/documents/{job_id}").get_json()
        seen.append(body["progress"])
        if body["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert body["status"] == "succeeded" and seen[-1] == 1.0
    assert seen == sorted(seen) and any(0 < p < 1 for p in seen), seen


def test_a_store_that_refuses_progress_costs_the_document_nothing(make_app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    calls = []

    def refuse(self, *args):
        calls.append(args)
        raise OperationalError("UPDATE job_items", {}, Exception("the database went away"))

    monkeypatch.setattr(JobStore, "report_progress", refuse)
    app = make_app()
    client = app.test_client()
    status, data = translated(app, client, LONG_TXT, "dai.txt")
    assert status["status"] == "succeeded" and len(data.decode().split("\n\n")) == 150
    assert len(calls) == 1  # not asked again between batches after it failed (PROGRESS_BACKOFF_S)


# -- hostile uploads: encrypted files, odd names ----------------------------------------------------------------

def with_encryption_bit(data: bytes) -> bytes:
    """A ZIP whose members say they are encrypted (bit 0 of the local and central headers' flags)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset] |= 1
            at = out.find(signature, at + 4)
    return bytes(out)


def odt_with_password() -> bytes:
    """An .odt as LibreOffice saves it with a password: its manifest carries encryption-data."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(build_odt())), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "META-INF/manifest.xml":
                data = data.replace(b'manifest:full-path="content.xml"', b'manifest:full-path="content.xml">'
                                    b'<manifest:encryption-data manifest:checksum-type="SHA1"/></manifest:file-entry'
                                    b'><manifest:file-entry manifest:media-type="" manifest:full-path="x"', 1)
            target.writestr(info, data)
    return out.getvalue()


ENCRYPTED = {
    "zip-docx": (lambda: with_encryption_bit(build_docx()), "bao-cao.docx"),
    "zip-odt": (lambda: with_encryption_bit(build_odt()), "bao-cao.odt"),
    "odf-password": (odt_with_password, "bao-cao.odt"),
    # an OLE compound file with the stream an encrypted Office file keeps its key in
    "office-password": (lambda: OLE + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64, "bao-cao.docx"),
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def test_an_old_binary_doc_is_no_encrypted_file(make_app):
    """A .doc (an OLE file without EncryptionInfo) sent as .docx: saved as .docx, it will do."""
    body = problem(upload(make_app().test_client(), OLE + b"\0" * 504 + "WordDocument".encode("utf-16-le"),
                          "bao-cao.docx"), 422)
    assert body["type"].endswith("/legacy-format") and "save it as .docx" in body["detail"]


@pytest.mark.parametrize("kind", list(ENCRYPTED))
def test_an_encrypted_document_is_a_422_that_says_so(make_app, kind):
    build, filename = ENCRYPTED[kind]
    client = make_app().test_client()
    body = problem(upload(client, build(), filename), 422)
    assert body["type"].endswith("/encrypted") and body["title"] == "Unprocessable file"
    assert "encrypted" in body["detail"] and "without a password" in body["detail"]
    lt = client.post("/translate_file", data={"file": (io.BytesIO(build()), filename), "source": "vi",
                                              "target": "en"}, content_type="multipart/form-data")
    assert lt.status_code == 400 and "without a password" in lt.get_json()["error"]


def test_an_encrypted_document_under_a_character_quota(make_app, database):
    """The quota counts a document's text before the route runs: an encrypted one costs nothing and is the
    route's 422 (it was a 500 raised by the limiter, then again by the metrics hook)."""
    _, key = KeyStore(database).create("desk", char_quota="100000/day")
    client = make_app(auth=True).test_client()
    data = with_encryption_bit(build_docx())
    body = problem(upload(client, data, "a.docx", headers={"X-API-Key": key}), 422)
    assert body["type"].endswith("/encrypted")
    lt = client.post("/translate_file", data={"file": (io.BytesIO(data), "a.docx"), "source": "vi", "target": "en",
                                              "api_key": key}, content_type="multipart/form-data")
    assert lt.status_code == 400 and "encrypted" in lt.get_json()["error"]


@pytest.mark.parametrize("quota", [None, "100000/day"])
def test_a_file_that_fails_to_open_is_opened_once(make_app, database, monkeypatch, caplog, quota):
    """Whatever opening the upload raised is remembered for the request: the route's handler answers it, and
    neither the quota nor the metrics' after_request opens the file again (and raises outside the handlers)."""
    from service import documents

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("a parser bug")

    monkeypatch.setattr(documents, "open_document", broken)
    headers = {}
    if quota:
        _, key = KeyStore(database).create("desk", char_quota=quota)
        headers = {"X-API-Key": key}
    client = make_app(auth=bool(quota)).test_client()
    body = problem(upload(client, TXT.encode(), "bai.txt", headers=headers), 500)
    assert body["type"].endswith("/internal") and "parser bug" not in body["detail"]
    assert len(calls) == 1
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "unhandled error on POST /v1/documents"]  # logged once, by the app's handler


def raw_upload(client, path: str, filename_star: str, data: bytes, **fields):
    """A multipart body written by hand: its file name as RFC 5987 ``filename*`` (CR/LF/NUL percent-encoded)."""
    parts = [b'--B\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8\'\'' + filename_star.encode()
             + b"\r\n\r\n" + data + b"\r\n"]
    parts += [f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    return client.post(path, data=b"".join(parts) + b"--B--\r\n", content_type="multipart/form-data; boundary=B")


def test_control_characters_in_a_file_name_are_replaced_at_upload(make_app, database):
    app = make_app()
    client = app.test_client()
    created = raw_upload(client, "/v1/documents", "a%0D%0Ab%00c.txt", TXT.encode(), target="en")
    assert created.status_code == 202, created.get_data(as_text=True)
    status = finished(app, client, created.get_json()["job_id"])
    assert status["status"] == "succeeded" and status["filename"] == "a_b_c.en.txt"
    file = client.get(status["links"]["file"])
    assert file.status_code == 200
    assert file.headers["Content-Disposition"] == "attachment; filename=\"a_b_c.en.txt\"; filename*=UTF-8''a_b_c.en.txt"
    with DocumentStore(database).db.read() as conn:
        from sqlalchemy import text
        names = {r[0] for r in conn.execute(text("SELECT filename FROM documents"))}
    assert names == {"a_b_c.txt", "a_b_c.en.txt"}


def test_translate_file_links_are_urls_whatever_the_file_s_name(make_app):
    client = make_app().test_client()
    for star, served in (("a%0D%0Ab.txt", "a_b.en.txt"), ("b%C3%A1o%20c%C3%A1o%3F%23.txt", "báo cáo?#.en.txt"),
                         ("dir%2Fsub%5Cx.txt", "x.en.txt")):
        answer = raw_upload(client, "/translate_file", star, TXT.encode(), source="vi", target="en")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        url = answer.get_json()["translatedFileUrl"]
        assert url.isascii() and not any(c in url for c in " ?#\r\n")  # percent-encoded
        file = client.get(url.removeprefix("http://localhost"))
        assert file.status_code == 200, url
        from urllib.parse import unquote
        assert unquote(file.headers["Content-Disposition"].split("UTF-8''", 1)[1]) == served


def test_a_stored_name_with_a_line_break_is_served_without_one(make_app, database):
    """A file stored before names were cleaned at upload: its Content-Disposition still has no CR/LF."""
    file_id = DocumentStore(database).save("anonymous", "translation", "a\r\nb\x7f.en.txt", "text/plain; charset=utf-8",
                                           b"Hello", expires_at=time.time() + 60)
    file = make_app().test_client().get(f"/download_file/{file_id}.x")
    assert file.status_code == 200 and file.data == b"Hello"
    assert file.headers["Content-Disposition"] == "attachment; filename=\"a_b_.en.txt\"; filename*=UTF-8''a_b_.en.txt"


def test_a_body_over_the_document_limit_names_its_variable(make_app):
    """Over the file limit plus the form's allowance, werkzeug refuses the body before the file is read: the 413
    names TOMTAT_MAX_DOCUMENT_BYTES (it said TOMTAT_MAX_JOB_BYTES), on /translate_file too."""
    from service.documents import FORM_OVERHEAD

    client = make_app(max_document_bytes=1000).test_client()
    big = b"x" * (1000 + FORM_OVERHEAD + 1)
    body = problem(upload(client, big, "big.txt"), 413)
    assert body["type"].endswith("/request-entity-too-large") and body["limit"] == 1000 + FORM_OVERHEAD
    assert "TOMTAT_MAX_DOCUMENT_BYTES: 1000 for the file" in body["detail"] and "JOB" not in body["detail"]
    lt = client.post("/translate_file", data={"file": (io.BytesIO(big), "big.txt"), "source": "vi", "target": "en"},
                     content_type="multipart/form-data")
    assert lt.status_code == 400 and "TOMTAT_MAX_DOCUMENT_BYTES" in lt.get_json()["error"]
    assert "TOMTAT_MAX_BODY_BYTES" in problem(client.post("/v1/summarize", data=b"x" * (5 << 20),
                                                          content_type="application/json"), 413)["detail"]
