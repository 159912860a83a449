"""Glossaries: Vietnamese-aware matching, the guarantee on the tiny random models (which never copy a term on
their own), named glossaries per key over HTTP (JSON, CSV, TSV) on SQLite and PostgreSQL, jobs and the batch CLI."""

from __future__ import annotations

import json
import unicodedata

import pytest

from models import pipeline
from models.errors import InputError
from models.glossary import Glossary, GlossaryLimits, apply, parse_table, read_file
from models.text.clean import prepare_text
from models.text.segment import split_text
from service.keys import KeyStore
from tests.helpers import app_factory, problem

NEWSROOM = {
    "UBND": "People's Committee",
    "UBND TP.HCM": "Ho Chi Minh City People's Committee",
    "Quận 3": "District 3",
    "Nghị định 03/2019/NĐ-CP": "Decree 03/2019/ND-CP",
    "Hòa Bình": "Hoa Binh",
    "Nguyễn Xuân Phúc": "Nguyen Xuan Phuc",
    "VnExpress": "VnExpress",  # do not translate
}

# each sentence holds at least one term, written as newsrooms write them: other case, the other tone-mark
# placement, decomposed Unicode, at the start, the middle, the end, two terms side by side
SENTENCES = [
    "UBND quận đã họp chiều 22/7.",
    "Chiều 22/7, Công an Quận 3 tổ chức hội nghị.",
    "Hội nghị bàn về Nghị định 03/2019/NĐ-CP của Chính phủ.",
    "Tỉnh Hoà Bình có mưa lớn.",  # new-style tone marks; the glossary says "Hòa Bình"
    "tỉnh HÒA BÌNH có mưa lớn.",
    unicodedata.normalize("NFD", "Mưa lớn ở Hòa Bình."),
    "Ông Nguyễn Xuân Phúc phát biểu tại UBND TP.HCM.",
    "Theo VnExpress, người dân quận 3 đồng tình.",
    "ubnd Quận 3",
]


@pytest.fixture(scope="module")
def newsroom() -> Glossary:
    return Glossary(NEWSROOM, "vi", "en")


# -- matching ----------------------------------------------------------------------------------------------

def targets(glossary: Glossary, text: str) -> list[str]:
    return [m.target for m in glossary.matches(unicodedata.normalize("NFC", text))]


def test_matches_ignore_case_and_tone_style_but_not_diacritics(newsroom):
    assert targets(newsroom, "Tỉnh Hoà Bình") == ["Hoa Binh"]
    assert targets(newsroom, "TỈNH HÒA BÌNH") == ["Hoa Binh"]
    assert targets(newsroom, "quận 3 và ubnd") == ["District 3", "People's Committee"]
    assert targets(newsroom, "Tinh Hoa Binh, quan 3") == []  # without diacritics it is another word


def test_matches_whole_syllables_only(newsroom):
    assert targets(newsroom, "Quận 30 và Quận 3.") == ["District 3"]
    assert targets(newsroom, "UBNDX họp") == []
    assert targets(newsroom, "Bình Hòa Bình") == ["Hoa Binh"]


def test_the_longest_term_wins_where_terms_overlap(newsroom):
    assert targets(newsroom, "UBND TP.HCM và UBND quận") == ["Ho Chi Minh City People's Committee",
                                                             "People's Committee"]


def test_match_spans_are_spans_of_the_text(newsroom):
    text = "Ông Nguyễn Xuân Phúc phát biểu tại UBND TP.HCM."
    assert [text[m.start:m.end] for m in newsroom.matches(text)] == ["Nguyễn Xuân Phúc", "UBND TP.HCM"]


@pytest.mark.parametrize("entries, message", [
    ({"": "x"}, "no letter or digit"),
    ({"UBND": "  "}, "no letter or digit"),
    ({"UBND": 3}, "strings"),
    ({"a" * 201: "b"}, "at most 200"),
    ({"Hòa Bình": "Hoa Binh", "hoà bình": "Peace"}, "same term"),
    ([["UBND", "x"]], "object"),
])
def test_a_bad_glossary_is_an_input_error_that_says_what(entries, message):
    with pytest.raises(InputError, match=message) as caught:
        Glossary(entries)
    assert caught.value.code == "bad-glossary"


def test_the_number_of_entries_is_limited():
    with pytest.raises(InputError, match="at most 3"):
        Glossary({f"từ {i}": f"word {i}" for i in range(4)}, limits=GlossaryLimits(max_entries=3))


def test_the_same_term_twice_names_both_terms_and_their_targets():
    with pytest.raises(InputError) as caught:
        Glossary({"UBND": "A", "ubnd": "B"})
    # the term given first and the one that clashes with it, each with its target (not a target as a term)
    assert "'UBND' ('A') and 'ubnd' ('B') are the same term" in str(caught.value), caught.value


def test_the_same_term_twice_with_one_target_is_fine():
    assert len(Glossary({"Hòa Bình": "Hoa Binh", "hoà bình": "Hoa Binh"})) == 2


# -- the mechanism -----------------------------------------------------------------------------------------

def test_a_model_that_copies_the_term_gets_one_call(newsroom):
    calls = []

    def copying(texts):
        calls.append(list(texts))
        return [f"EN({t})" for t in texts]

    out = apply(newsroom, ["UBND quận họp.", "Trời mưa."], copying)
    assert len(calls) == 1 and calls[0] == ["People's Committee quận họp.", "Trời mưa."]
    assert out == ["EN(People's Committee quận họp.)", "EN(Trời mưa.)"]


def test_a_model_that_drops_the_term_gets_the_pieces_translated_around_it(newsroom):
    calls = []

    def dropping(texts):
        calls.append(list(texts))
        return ["something else" for _ in texts]

    out = apply(newsroom, ["Chiều 22/7, Công an Quận 3 tổ chức hội nghị.", "Trời mưa."], dropping)
    assert calls[1] == ["Chiều 22/7, Công an", "tổ chức hội nghị."]  # only the text around the term
    assert out == ["something else District 3 something else", "something else"]


def test_punctuation_next_to_a_term_is_carried_not_translated(newsroom):
    out = apply(newsroom, ["UBND."], lambda texts: ["x" for _ in texts])
    assert out == ["People's Committee."]


# -- the guarantee on the tiny random models ---------------------------------------------------------------

def test_every_sentence_with_a_term_has_its_target_term(tiny_runtime, newsroom):
    result = pipeline.translate(tiny_runtime, SENTENCES, glossary=newsroom)
    for source, english in zip(SENTENCES, result.translations):
        wanted = targets(newsroom, source)
        assert wanted, source
        for term in wanted:
            assert term in english, (source, term, english)


def test_the_guarantee_holds_sentence_by_sentence_in_a_real_article(tiny_runtime, newsroom, seed_article):
    result = pipeline.translate(tiny_runtime, [seed_article], glossary=newsroom)
    paragraphs = [p for p in result.translations[0].split("\n\n")]
    sources = split_text(prepare_text(seed_article, None))  # what translate() cuts the text into
    assert len(paragraphs) == len(sources)
    found = 0
    for sentences, english in zip(sources, paragraphs):
        for sentence in sentences:
            for term in targets(newsroom, sentence):
                found += 1
                assert term in english, (sentence, term, english)
    assert found >= 3  # the seed article names UBND, Quận 3 and the decree


def test_a_term_the_clause_splitter_would_cut_is_kept(tiny_runtime):
    """A sentence over the model's window is split before "và"; "Bộ Kế hoạch và Đầu tư" must not be."""
    from models.text.chunk import split_long_sentence

    model = tiny_runtime.translation_model
    filler = "người dân các tỉnh miền Trung đang khẩn trương khắc phục hậu quả mưa lũ kéo dài nhiều ngày qua "
    sentence = "Theo báo cáo " + filler * 3 + "Bộ Kế hoạch và Đầu tư đề nghị " + filler * 3 + "trong tháng tới."
    pieces = split_long_sentence(sentence, model.count_tokens, model.token_budget())
    assert any(p.endswith("Bộ Kế hoạch") for p in pieces)  # the splitter alone would cut the term
    glossary = Glossary({"Bộ Kế hoạch và Đầu tư": "Ministry of Planning and Investment"})
    result = pipeline.translate(tiny_runtime, [sentence], glossary=glossary)
    assert "Ministry of Planning and Investment" in result.translations[0]


def test_sentences_without_a_term_translate_as_without_a_glossary(tiny_runtime, newsroom):
    plain = ["Trời mưa to ở Hà Nội.", "Giao thông ùn tắc kéo dài."]
    assert pipeline.translate(tiny_runtime, plain, glossary=newsroom).translations == \
        pipeline.translate(tiny_runtime, plain).translations


def test_a_cached_translation_is_per_glossary(tiny_runtime):
    text = ["UBND quận họp chiều nay."]
    first = pipeline.translate(tiny_runtime, text, glossary=Glossary({"UBND": "People's Committee"}))
    other = pipeline.translate(tiny_runtime, text, glossary=Glossary({"UBND": "City Hall"}))
    assert "People's Committee" in first.translations[0] and "City Hall" in other.translations[0]


def test_a_glossary_of_the_other_direction_is_refused(tiny_runtime):
    with pytest.raises(InputError, match="vi→en") as caught:
        pipeline.translate(tiny_runtime, ["Trời mưa."], glossary=Glossary({"rain": "mưa"}, "en", "vi"))
    assert caught.value.code == "glossary-direction"


def test_en_to_vi_keeps_a_vietnamese_target_term(tiny_runtime):
    glossary = Glossary({"People's Committee": "Ủy ban nhân dân", "Reuters": "Reuters"}, "en", "vi")
    result = pipeline.translate(tiny_runtime, ["The People's Committee met Reuters reporters today."],
                                source="en", target="vi", glossary=glossary, tone="new")
    assert result.target == "vi"
    # the reader's tone style applies to the whole output, the term included: "Uỷ" in the new style
    assert glossary.renders(result.translations[0], "Ủy ban nhân dân")
    assert "Reuters" in result.translations[0]


def test_articles_keep_the_glossary_in_the_english_summary_and_translation(tiny_runtime, newsroom):
    text = "UBND Quận 3 họp về giao thông. Người dân đồng tình với kế hoạch này.\n\nDự án hoàn thành năm 2025."
    result = pipeline.process_article(tiny_runtime, text, summary=pipeline.SummaryOptions(method="extractive"),
                                      translate="both", glossary=newsroom)
    for field in (result.summary_en, result.translation_en):
        assert "People's Committee" in field and "District 3" in field


def test_fact_checks_take_the_glossary_s_word(tiny_runtime):
    """A term rendered as the glossary says is no fact-check problem: the newsroom chose it."""
    from models.faithfulness import check_translation

    source, english = "Công ty Vinamilk tăng trưởng.", "The dairy giant grew."
    problem = check_translation(source, english)["problems"][0]
    assert (problem["kind"], problem["text"], problem["issue"]) == ("name", "Vinamilk", "missing")
    assert Glossary({"Vinamilk": "the dairy giant"}).vouches(problem, source, english)
    assert not Glossary({"Vinamilk": "the milk company"}).vouches(problem, source, english)  # not rendered so
    assert not Glossary({"tăng trưởng": "grew"}).vouches(problem, source, english)  # another term
    kept = check_translation("Món phở bò rất ngon.", "The phở bò dish is delicious.")["problems"][0]
    assert kept["kind"] == "untranslated" and Glossary({"phở bò": "phở bò"}).vouches(
        kept, "Món phở bò rất ngon.", "The phở bò dish is delicious.")

    plain = pipeline.translate(tiny_runtime, [source])
    assert any(p["text"] == "Vinamilk" for p in plain.checks[0]["problems"])  # the tiny model drops the name
    chosen = pipeline.translate(tiny_runtime, [source], glossary=Glossary({"Vinamilk": "the dairy giant"}))
    assert not any(p["text"] == "Vinamilk" for p in chosen.checks[0]["problems"])


# -- tables --------------------------------------------------------------------------------------------------

def test_tables_with_headers_quotes_comments_and_tabs():
    assert parse_table('source,target\nUBND,People\'s Committee\n"Quận 3, TP.HCM","District 3, HCMC"\n', ",") == \
        {"UBND": "People's Committee", "Quận 3, TP.HCM": "District 3, HCMC"}
    assert parse_table("# the desk's terms\nUBND\tPeople's Committee\n\n", "\t") == {"UBND": "People's Committee"}
    with pytest.raises(InputError, match="line 2 has 3 columns"):
        parse_table("UBND,People's Committee\nQuận 3,District 3,extra\n", ",")
    with pytest.raises(InputError, match="already mapped"):
        parse_table("UBND,People's Committee\nUBND,City Hall\n", ",")


def test_glossary_files(tmp_path):
    (tmp_path / "g.csv").write_text("vi,en\nUBND,People's Committee\n", encoding="utf-8")
    (tmp_path / "g.json").write_text(json.dumps({"source": "vi", "target": "en", "entries": {"Quận 3": "District 3"}}))
    (tmp_path / "g.xlsx").write_bytes(b"PK")
    assert read_file(tmp_path / "g.csv").entries == {"UBND": "People's Committee"}
    assert read_file(tmp_path / "g.json").entries == {"Quận 3": "District 3"}
    with pytest.raises(InputError, match="csv, .tsv or .json"):
        read_file(tmp_path / "g.xlsx")
    with pytest.raises(InputError, match="cannot read"):
        read_file(tmp_path / "missing.csv")


# -- named glossaries over HTTP ------------------------------------------------------------------------------

@pytest.fixture()
def make_app(tiny_runtime, database):
    with app_factory(tiny_runtime, database_url=database, job_workers=0) as make:
        yield make


def test_create_read_replace_delete(make_app):
    client = make_app().test_client()
    created = client.post("/v1/glossaries", json={"name": "toa-soan", "entries": NEWSROOM})
    assert created.status_code == 201 and created.headers["Location"] == "/v1/glossaries/toa-soan"
    assert created.get_json()["size"] == len(NEWSROOM)
    assert problem(client.post("/v1/glossaries", json={"name": "toa-soan", "entries": {"a": "b"}}), 409)["type"] \
        .endswith("/glossary-exists")
    listed = client.get("/v1/glossaries").get_json()["glossaries"]
    assert [(g["name"], g["source"], g["target"], g["size"]) for g in listed] == [("toa-soan", "vi", "en", 7)]
    assert client.get("/v1/glossaries/toa-soan").get_json()["entries"] == NEWSROOM

    replaced = client.put("/v1/glossaries/toa-soan", json={"entries": {"UBND": "City Hall"}})
    assert replaced.status_code == 200 and replaced.get_json()["entries"] == {"UBND": "City Hall"}
    translated = client.post("/v1/translate", json={"text": "UBND họp.", "glossary": "toa-soan"}).get_json()
    assert "City Hall" in translated["translation"]  # the replacement is used at once

    deleted = client.delete("/v1/glossaries/toa-soan")
    assert deleted.status_code == 204 and deleted.data == b"" and "Content-Type" not in deleted.headers
    assert problem(client.get("/v1/glossaries/toa-soan"), 404)
    assert problem(client.delete("/v1/glossaries/toa-soan"), 404)
    gone = problem(client.post("/v1/translate", json={"text": "UBND họp.", "glossary": "toa-soan"}), 422)
    assert gone["type"].endswith("/unknown-glossary") and "GET /v1/glossaries" in gone["detail"]


def test_csv_and_tsv_import_and_export_round_trip(make_app):
    client = make_app().test_client()
    csv_body = 'source,target\nUBND,People\'s Committee\n"Quận 3",District 3\n'
    created = client.post("/v1/glossaries?name=desk", data=csv_body.encode(), content_type="text/csv")
    assert created.status_code == 201, created.get_data(as_text=True)
    tsv = client.get("/v1/glossaries/desk?format=tsv")
    assert tsv.mimetype == "text/tab-separated-values"
    again = client.put("/v1/glossaries/desk-copy", data=tsv.get_data(), content_type="text/tab-separated-values")
    assert again.status_code == 201 and again.get_json()["entries"] == {"UBND": "People's Committee",
                                                                        "Quận 3": "District 3"}
    en_vi = client.put("/v1/glossaries/en-vi?source=en&target=vi", data=b"People's Committee,UBND\n",
                       content_type="text/csv").get_json()
    assert (en_vi["source"], en_vi["target"]) == ("en", "vi")


@pytest.mark.parametrize("call, status, slug", [
    (lambda c: c.post("/v1/glossaries", json={"entries": {"a": "b"}}), 422, "bad-glossary-name"),
    (lambda c: c.post("/v1/glossaries", json={"name": "../etc", "entries": {"a": "b"}}), 422, "bad-glossary-name"),
    (lambda c: c.post("/v1/glossaries", json={"name": "x", "entries": {"a": "b"}, "extra": 1}), 422, "validation"),
    (lambda c: c.post("/v1/glossaries", json={"name": "x", "source": "fr", "entries": {"a": "b"}}), 422,
     "bad-glossary"),
    (lambda c: c.post("/v1/glossaries", json={"name": "x", "entries": {"Hòa": "a", "hoà": "b"}}), 422,
     "bad-glossary"),
    (lambda c: c.post("/v1/glossaries?name=x", data=b"\xff\xfe", content_type="text/csv"), 422, "bad-glossary"),
    (lambda c: c.post("/v1/glossaries?name=x", data=b"a,b,c\n", content_type="text/csv"), 422, "bad-glossary"),
    (lambda c: c.post("/v1/glossaries", data=b"x", content_type="application/xml"), 415, "unsupported-media-type"),
    (lambda c: c.put("/v1/glossaries/x", json={"entries": {"a": "b"}}) and c.get("/v1/glossaries/x?format=xlsx"),
     422, "bad-format"),
    (lambda c: c.put("/v1/glossaries/x", json={"name": "y", "entries": {"a": "b"}}), 422, "bad-glossary-name"),
    (lambda c: c.post("/v1/translate", json={"text": "Trời mưa.", "glossary": {"a": 1}}), 422, "validation"),
    (lambda c: c.post("/v1/translate", json={"text": "Trời mưa.", "glossary": {"": "x"}}), 422, "bad-glossary"),
    (lambda c: c.post("/v1/articles", json={"text": "Trời mưa.", "glossary": "none"}), 422, "unknown-glossary"),
])
def test_bad_glossary_requests_are_clear_problems(make_app, call, status, slug):
    body = problem(call(make_app().test_client()), status)
    assert body["type"].endswith("/" + slug), body


def test_a_glossary_without_a_name_is_told_so(make_app):
    body = problem(make_app().test_client().post("/v1/glossaries", json={"entries": {"a": "b"}}), 422)
    assert body["detail"].startswith("the glossary has no `name`") and "None" not in body["detail"]


def test_a_glossary_of_the_other_direction_is_a_422_over_http(make_app):
    client = make_app().test_client()
    client.put("/v1/glossaries/en-vi?source=en&target=vi", data="rain,mưa\n".encode(), content_type="text/csv")
    body = problem(client.post("/v1/translate", json={"text": "Trời mưa.", "glossary": "en-vi"}), 422)
    assert body["type"].endswith("/glossary-direction")


def test_a_glossary_of_the_other_direction_is_refused_when_a_job_or_document_is_submitted(make_app):
    """As /v1/translate and /v1/articles refuse it: a 422 at submission, not a 202 whose items then fail."""
    import io

    client = make_app().test_client()
    client.put("/v1/glossaries/en-vi?source=en&target=vi", data="rain,mưa\n".encode(), content_type="text/csv")
    refused = [
        client.post("/v1/jobs?glossary=en-vi", data='{"text": "Trời mưa."}\n'.encode(),
                    content_type="application/x-ndjson"),
        client.post("/v1/jobs", json={"articles": [{"text": "Trời mưa."}], "glossary": "en-vi"}),
    ] + [client.post("/v1/documents", data={"file": (io.BytesIO("Trời mưa.".encode()), "a.txt"), "glossary": "en-vi",
                                            **fields}, content_type="multipart/form-data")
         for fields in ({"source": "vi"}, {"target": "en"}, {"source": "vi", "target": "en"})]
    for resp in refused:
        body = problem(resp, 422)
        assert body["type"].endswith("/glossary-direction") and body["title"] == "Invalid glossary"
        assert "the glossary is for en→vi" in body["detail"]
    accepted = [client.post("/v1/documents", data={"file": (io.BytesIO(b"It rains."), "a.txt"), "glossary": "en-vi",
                                                   **fields}, content_type="multipart/form-data")
                for fields in ({"target": "vi"}, {"source": "en"}, {})]  # its direction, or not known before
    assert [r.status_code for r in accepted] == [202, 202, 202]
    assert client.post("/v1/jobs", json={"articles": [{"text": "Trời mưa."}], "glossary": "en-vi",
                                         "translate": "none"}).status_code == 202  # nothing translated


def test_a_glossary_s_bad_direction_is_titled_as_a_glossary_problem(make_app):
    body = problem(make_app().test_client().post("/v1/glossaries", json={"name": "x", "source": "fr",
                                                                         "entries": {"a": "b"}}), 422)
    assert body["title"] == "Invalid glossary" and body["errors"][0]["field"] == "source"  # was "Unprocessable text"


def test_glossaries_belong_to_their_key(make_app, database):
    keys = KeyStore(database)
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    client = make_app(auth=True).test_client()
    a, b = {"X-API-Key": alice}, {"X-API-Key": bob}
    assert client.put("/v1/glossaries/desk", json={"entries": {"UBND": "City Hall"}}, headers=a).status_code == 201
    assert client.get("/v1/glossaries", headers=b).get_json() == {"glossaries": []}
    assert problem(client.get("/v1/glossaries/desk", headers=b), 404)
    assert problem(client.post("/v1/translate", json={"text": "UBND họp.", "glossary": "desk"}, headers=b), 422)
    assert client.put("/v1/glossaries/desk", json={"entries": {"UBND": "Town Hall"}}, headers=b).status_code == 201
    assert client.get("/v1/glossaries/desk", headers=a).get_json()["entries"] == {"UBND": "City Hall"}
    assert problem(client.get("/v1/glossaries"), 401)


def test_jobs_keep_a_copy_of_the_named_glossary(make_app, tiny_runtime):
    from service import jobs

    app = make_app(job_workers=1)
    client = app.test_client()
    client.put("/v1/glossaries/desk", json={"entries": {"UBND": "People's Committee"}})
    created = client.post("/v1/jobs", json={"articles": [{"id": "a", "text": "UBND quận họp về giao thông."}],
                                            "translate": "summary", "summary": {"method": "extractive"},
                                            "glossary": "desk"})
    assert created.status_code == 202, created.get_data(as_text=True)
    # the status names the glossary's languages and size; the terms stay with the job
    assert created.get_json()["options"]["glossary"] == {"source": "vi", "target": "en", "size": 1}
    client.delete("/v1/glossaries/desk")  # the job took its terms when it was created
    jobs._workers(app).start()
    job_id = created.get_json()["job_id"]
    import time

    deadline = time.monotonic() + 120
    while client.get(f"/v1/jobs/{job_id}").get_json()["status"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)
    assert client.get(f"/v1/jobs/{job_id}").get_json()["status"] == "done"
    rows = [json.loads(line) for line in client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True).splitlines()]
    assert "People's Committee" in rows[0]["summary_en"]


def test_batch_cli_glossary(tmp_path, replica):
    from tests.test_batch_cli import batch
    from tests.test_cli import tiny_env

    articles = tmp_path / "in.jsonl"
    articles.write_text(json.dumps({"id": "a", "text": "UBND Quận 3 họp về giao thông."}, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    (tmp_path / "desk.tsv").write_text("UBND\tPeople's Committee\nQuận 3\tDistrict 3\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("UBND,a,b\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    bad = batch(articles, "-o", out, "--method", "extractive", "--glossary", tmp_path / "bad.csv", env=tiny_env(replica))
    assert bad.returncode == 1 and b"line 1 has 3 columns" in bad.stderr and b"Traceback" not in bad.stderr
    done = batch(articles, "-o", out, "--method", "extractive", "--progress", "none", "--glossary",
                 tmp_path / "desk.tsv", env=tiny_env(replica))
    assert done.returncode == 0, done.stderr
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert "People's Committee" in row["summary_en"] and "District 3" in row["summary_en"]


def test_the_same_inline_terms_are_built_once_and_errors_are_never_kept():
    from models.glossary import built

    terms = {"UBND": "People's Committee", "Quận 3": "District 3"}
    first = built(dict(terms), None, None)
    again = built(dict(reversed(list(terms.items()))), None, None)  # another dict, another order: same terms
    assert again is first and first.matches("UBND Quận 3 họp.")[0].target == "People's Committee"
    assert built(terms, "vi", "en") is not first  # the direction is part of what was built
    assert built({"UBND": "City Hall"}, None, None).entries == {"UBND": "City Hall"}
    for _ in range(2):  # a bad glossary is an error every time, not a cached answer
        with pytest.raises(InputError, match="no letter or digit"):
            built({"UBND": "..."}, None, None)


def test_built_glossaries_are_kept_within_a_size(monkeypatch):
    from models import glossary as module
    from models.cache import Lru

    kept = Lru(60, weigh=module._BUILT._weigh)  # 60 characters of terms
    monkeypatch.setattr(module, "_BUILT", kept)
    first = module.built({"Ủy ban nhân dân": "People's Committee"}, None, None)  # 33 characters
    assert module.built({"Ủy ban nhân dân": "People's Committee"}, None, None) is first
    second = module.built({"Bộ Công an": "Ministry of Public Security"}, None, None)  # 37 more: past 60
    assert len(kept) == 1 and module.built({"Bộ Công an": "Ministry of Public Security"}, None, None) is second
    assert module.built({"Ủy ban nhân dân": "People's Committee"}, None, None) is not first  # the older went


def test_a_stored_glossary_is_built_once_with_the_same_terms_sent_inline(tmp_path):
    from models.glossary import built
    from service.glossaries import GlossaryStore

    store = GlossaryStore(f"sqlite:///{tmp_path / 'glossaries.db'}")
    terms = {"Bộ Y tế": "Ministry of Health", "UBND": "People's Committee"}
    store.put("desk", "health", Glossary(terms, "vi", "en"))
    loaded = store.load("desk", "health")
    # a job's options carry the same terms: they come back as the stored glossary's object, not a second build
    assert built(dict(terms), "vi", "en") is loaded
    assert store.load("desk", "health") is loaded  # unchanged: its entries are not read and built again
    store.put("desk", "health", Glossary({"Bộ Y tế": "Health Ministry"}, "vi", "en"))
    assert store.load("desk", "health").entries == {"Bộ Y tế": "Health Ministry"}
