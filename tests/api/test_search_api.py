"""Search through the JSON API and the search page: pinyin, folding, fallback, suggestions."""

from __future__ import annotations

import pytest

from tests.support.app import build_world, upload


@pytest.fixture
def library(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="分数的初步认识",
           keywords="分数、折纸")  # fmt: skip
    upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="高中英语读后续写教学策略",
           subject="english", stage="senior", kind="paper", award_level="provincial")  # fmt: skip
    upload(client, world.admin_token, [sample_dir / "群文阅读.pptx"], title="群文阅读课例",
           subject="chinese", stage="junior", studio="li-chinese")  # fmt: skip
    return client


def search(client, **args):
    response = client.get("/api/v1/search", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def titles(body) -> list[str]:
    return [hit["title"] for hit in body["hits"]]


def test_pinyin_traditional_and_compound_parts_find_resources(library):
    assert titles(search(library, q="fenshu")) == ["分数的初步认识"]
    assert "分数的初步认识" in titles(
        search(library, q="shuxue")
    )  # the subject's and studio's name
    assert titles(search(library, q="群文閱讀")) == ["群文阅读课例"]
    assert titles(search(library, q="续写")) == ["高中英语读后续写教学策略"]


def test_the_answer_says_how_words_were_matched(library):
    body = search(library, q="分数 折纸")
    assert body["match"] == "all" and body["did_you_mean"] is None and body["related"] == []
    fallback = search(library, q="折纸 群文阅读")
    assert fallback["match"] == "any"
    assert {"分数的初步认识", "群文阅读课例"} <= set(titles(fallback))


def test_nothing_found_offers_a_correction_and_related_terms(library):
    body = search(library, q="分树")
    assert body["total"] == 0 and body["did_you_mean"] == "分数"
    assert "读后续写" in search(library, q="续写作业")["related"]


def test_phrases_exclusions_and_field_prefixes(library):
    assert titles(search(library, q='"读后续写"')) == ["高中英语读后续写教学策略"]
    assert search(library, q="课例 -群文阅读")["total"] == 0
    assert titles(search(library, q="subject:chinese")) == ["群文阅读课例"]


def test_the_search_page_shows_the_notes(library):
    html = library.get("/search", query_string={"q": "分树"}).get_data(as_text=True)
    assert "did-you-mean" in html and "分数" in html
    html = library.get("/search", query_string={"q": "折纸 群文阅读"}).get_data(as_text=True)
    assert "search-fallback" in html


@pytest.mark.parametrize("q", ['"', "-", "title:", "subject:", '-"', "year:abc", "year:99999999999",
                               "(((", "分数 OR", "\\", "a" * 500, "year:²", "year:①", "a\x01b"])  # fmt: skip
def test_odd_queries_never_fail(library, q):
    for sort in ("relevance", "newest", "downloads"):
        assert library.get("/api/v1/search", query_string={"q": q, "sort": sort}).status_code == 200
        assert library.get("/search", query_string={"q": q, "sort": sort}).status_code == 200
    # An unknown sort is a mistake the caller can correct: 400 naming the field, not a silent default.
    refused = library.get("/api/v1/search", query_string={"q": q, "sort": "bogus"})
    assert refused.status_code == 400 and set(refused.get_json()["error"]["fields"]) == {"sort"}


@pytest.mark.parametrize("args", [{"year": "²"}, {"year": "①"}, {"year": "２０２４"}, {"page": "0"}, {"page": "x"},
                                  {"per_page": "1000"}, {"subject": "ma\x00th"}, {"stage": "\x01"}, {"q": "a\x00b"}])
def test_bad_filters_are_a_400_naming_the_field(library, args):
    """`year=²` passed str.isdigit() and failed int(): a 500 for anyone. Now each names its field."""
    response = library.get("/api/v1/search", query_string={"q": "分数", **args})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and set(error["fields"]) == set(args)
    page = library.get("/search", query_string={"q": "分数", **args})
    assert page.status_code == 400 and "请修改后重新提交" in page.get_data(as_text=True)
