"""Searching: matching, highlights, filters and facets, audiences, sorting, paging, odd input."""

from __future__ import annotations

from datetime import datetime

import pytest

from search_index import Audience, SearchIndex
from tests.search_index.search_corpus import ChangeLog, resource

ANONYMOUS = Audience()
TEACHER = Audience(visibilities=frozenset({"public", "internal", "lendable"}))
BIO_MEMBER = Audience(
    visibilities=frozenset({"public", "internal", "lendable"}), studios=frozenset({"zhao-bio"})
)
ADMIN = Audience(everything=True)


def ids(result) -> list[int]:
    return [hit.id for hit in result.hits]


# ------------------------------------------------------------------ matching and highlights


def test_a_word_finds_the_resources_that_contain_it(loaded: SearchIndex) -> None:
    result = loaded.search("分数", audience=TEACHER)
    assert set(ids(result)) == {1, 5, 6}
    assert result.total == 3


def test_title_matches_rank_above_body_matches(loaded: SearchIndex) -> None:
    result = loaded.search("分数", audience=TEACHER)
    assert ids(result)[-1] == 6  # only its body mentions 分数


def test_words_of_one_query_may_match_different_fields(loaded: SearchIndex) -> None:
    # 折纸 is a keyword of resource 1 and 分蛋糕 is in its abstract; typed without a space.
    assert ids(loaded.search("折纸分蛋糕", audience=ANONYMOUS)) == [1]


def test_title_highlight_marks_the_word(loaded: SearchIndex) -> None:
    hit = loaded.search("分数", audience=ANONYMOUS).hits[0]
    assert hit.id == 1
    assert hit.highlights["title"] == '小学数学<mark class="match term0">分数</mark>的初步认识'


def test_a_word_only_in_the_body_gets_a_body_snippet(loaded: SearchIndex) -> None:
    result = loaded.search("层析液", audience=BIO_MEMBER)
    assert ids(result) == [3]
    highlights = result.hits[0].highlights
    assert "title" not in highlights
    assert '<mark class="match term0">层析</mark>' in highlights["body"]  # jieba: 层析 | 液
    assert "分离叶黄素" in highlights["body"]


def test_snippets_of_long_bodies_are_short_windows(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    filler = "教师在课堂上组织学生讨论并记录观察结果。" * 400
    changelog.put(resource(1, "长文档", body=filler + "关键发现是光合作用需要光照。" + filler))
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    body = index.search("关键发现", audience=ANONYMOUS).hits[0].highlights["body"]
    assert "<mark" in body and body.startswith("…") and body.endswith("…")
    assert len(body) < 400


def test_highlights_escape_html(index: SearchIndex, changelog: ChangeLog) -> None:
    changelog.put(resource(1, "<script>分数</script>", abstract="a < b & 分数"))
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    marks = index.search("分数", audience=ANONYMOUS).hits[0].highlights
    assert "<script>" not in marks["title"] and "&lt;script&gt;" in marks["title"]
    assert "&lt; b &amp;" in marks["abstract"]


def test_a_quoted_phrase_must_appear_in_order(loaded: SearchIndex) -> None:
    assert ids(loaded.search('"分数的初步认识"', audience=ANONYMOUS)) == [1]
    assert ids(loaded.search('"认识初步分数"', audience=ANONYMOUS)) == []


def test_ascii_words_match_case_insensitively(loaded: SearchIndex) -> None:
    assert ids(loaded.search("ppt", audience=ADMIN)) == [4]
    assert ids(loaded.search("stem", audience=ADMIN)) == [4]


# ------------------------------------------------------------------ filters and facets


def test_filters_or_within_a_field_and_across_fields(loaded: SearchIndex) -> None:
    subjects = {"subject": ["math", "chinese"]}
    assert set(ids(loaded.search("", filters=subjects, audience=TEACHER))) == {1, 2, 5, 6, 7}
    both = {"subject": ["math", "chinese"], "stage": ["junior"]}
    assert set(ids(loaded.search("", filters=both, audience=TEACHER))) == {2, 7}
    assert set(ids(loaded.search("", filters={"year": ["2023"]}, audience=TEACHER))) == {1, 7}
    award = {"award_level": ["county", "national"]}
    assert set(ids(loaded.search("", filters=award, audience=TEACHER))) == {1, 5, 6}


def test_unknown_filters_are_ignored(loaded: SearchIndex) -> None:
    result = loaded.search("", filters={"colour": ["red"], "subject": []}, audience=TEACHER)
    assert result.total == 5


def test_facets_count_the_matches(loaded: SearchIndex) -> None:
    facets = loaded.search("", audience=TEACHER).facets
    assert facets["subject"] == {"math": 3, "chinese": 2}
    assert facets["stage"] == {"junior": 2, "primary": 3}
    assert facets["studio"] == {"wang-math": 3, "li-chinese": 2}
    assert facets["year"] == {"2024": 2, "2023": 2, "2022": 1}
    assert facets["award_level"] == {"county": 2, "national": 1}
    assert facets["kind"] == {
        "excellent_case": 2,
        "award_case": 1,
        "lesson_video": 1,
        "research_project": 1,
    }


def test_a_fields_own_filter_does_not_narrow_its_facet(loaded: SearchIndex) -> None:
    result = loaded.search("", filters={"subject": ["math"]}, audience=TEACHER)
    assert result.total == 3
    assert result.facets["subject"] == {"math": 3, "chinese": 2}  # 语文 still offered
    assert result.facets["stage"] == {"primary": 3}  # other facets follow the filter
    both = loaded.search("", filters={"subject": ["math"], "stage": ["junior"]}, audience=TEACHER)
    assert both.total == 0
    assert both.facets["subject"] == {"chinese": 2}
    assert both.facets["stage"] == {"primary": 3}


def test_facets_follow_the_query_and_the_audience(loaded: SearchIndex) -> None:
    assert loaded.search("分数", audience=ANONYMOUS).facets["subject"] == {"math": 2}
    assert loaded.search("分数", audience=TEACHER).facets["subject"] == {"math": 3}


# ------------------------------------------------------------------ who sees what


def test_anonymous_sees_only_published_public(loaded: SearchIndex) -> None:
    assert set(ids(loaded.search("", audience=ANONYMOUS))) == {1, 2, 6}


def test_signed_in_teachers_also_see_internal_and_lendable(loaded: SearchIndex) -> None:
    assert set(ids(loaded.search("", audience=TEACHER))) == {1, 2, 5, 6, 7}


def test_members_see_their_studios_studio_only_resources(loaded: SearchIndex) -> None:
    assert set(ids(loaded.search("", audience=BIO_MEMBER))) == {1, 2, 3, 5, 6, 7}
    assert ids(loaded.search("光合作用", audience=TEACHER)) == []
    assert ids(loaded.search("光合作用", audience=BIO_MEMBER)) == [3]


def test_drafts_are_hidden_from_everyone_but_admins(loaded: SearchIndex) -> None:
    member = Audience(visibilities=frozenset({"public"}), studios=frozenset({"sun-english"}))
    assert ids(loaded.search("读后续写", audience=member)) == []
    assert ids(loaded.search("读后续写", audience=ADMIN)) == [4]


def test_admins_see_everything_except_the_meta_document(loaded: SearchIndex) -> None:
    result = loaded.search("", audience=ADMIN, per_page=100)
    assert result.total == 8
    assert set(ids(result)) == set(range(1, 9))


def test_an_audience_with_nothing_allowed_sees_nothing(loaded: SearchIndex) -> None:
    assert loaded.search("", audience=Audience(visibilities=frozenset())).total == 0


# ------------------------------------------------------------------ sorting and paging


def test_empty_query_lists_newest_first(loaded: SearchIndex) -> None:
    assert ids(loaded.search("", audience=TEACHER)) == [6, 5, 7, 1, 2]


def test_sort_by_newest_and_by_downloads(loaded: SearchIndex) -> None:
    assert ids(loaded.search("分数", audience=TEACHER, sort="newest")) == [6, 5, 1]
    # 6 and 5 tie on downloads: the newer comes first.
    assert ids(loaded.search("", audience=TEACHER, sort="downloads")) == [2, 1, 6, 5, 7]


def test_unknown_sort_means_relevance(loaded: SearchIndex) -> None:
    relevance = loaded.search("分数", audience=TEACHER)
    assert ids(loaded.search("分数", audience=TEACHER, sort="sideways")) == ids(relevance)
    assert all(hit.score > 0 for hit in relevance.hits)


def test_pages_cover_every_match_once(index: SearchIndex, changelog: ChangeLog) -> None:
    changelog.put_all(
        resource(i, f"分数练习第{i}课", created=datetime(2024, 1, i)) for i in range(1, 26)
    )
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    pages = [index.search("分数", audience=ANONYMOUS, page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    assert all(p.total == 25 for p in pages)
    seen = [hit_id for p in pages for hit_id in ids(p)]
    assert sorted(seen) == list(range(1, 26))
    newest = index.search("", audience=ANONYMOUS, page=2, per_page=10)
    assert ids(newest) == list(range(15, 5, -1))


def test_paging_arguments_are_clamped(loaded: SearchIndex) -> None:
    low = loaded.search("", audience=ADMIN, page=0, per_page=0)
    assert (low.page, low.per_page, len(low.hits)) == (1, 1, 1)
    high = loaded.search("", audience=ADMIN, per_page=10_000)
    assert high.per_page == 100 and len(high.hits) == 8


# ------------------------------------------------------------------ odd input

NASTY_QUERIES = [
    '"',
    '"分数',
    '分数"',
    "-",
    "--分数",
    "AND",
    "AND OR",
    "NOT",
    "分数 AND",
    "OR 分数 NOT",
    "(",
    "((分数",
    ")分数(",
    "title:",
    "title:(",
    ":",
    "*",
    "?*分*",
    "分数^",
    "^2",
    "[1 TO",
    "{分数 TO}",
    "\\",
    "~2",
    "'",
    "\x00\x01分数\x1f\x7f",
    "\u200b\u202e分数\ufeff",
    "😀📚",
    "分" * 5000,
    "数学 " * 2000,
    "subject:math status:draft",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", NASTY_QUERIES)
def test_malformed_queries_never_raise(loaded: SearchIndex, text: str) -> None:
    result = loaded.search(text, audience=TEACHER)
    assert result.total >= 0
    assert all(hit.id != 4 for hit in result.hits)  # never leaks the draft


@pytest.mark.parametrize("text", ['"分数', "分数 AND", "((分数", "\x00分数\x1f", "分数^"])
def test_broken_syntax_around_a_word_still_finds_it(loaded: SearchIndex, text: str) -> None:
    assert 1 in ids(loaded.search(text, audience=ANONYMOUS))


def test_field_syntax_cannot_reach_hidden_resources(loaded: SearchIndex) -> None:
    assert ids(loaded.search("status:draft", audience=ANONYMOUS)) == []
    assert ids(loaded.search("visibility:studio", audience=ANONYMOUS)) == []


def test_body_text_is_indexed_and_stored_up_to_the_cap(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    from search_index.schema import BODY_CHARS

    filler = "普通的句子。" * (BODY_CHARS // 6)
    changelog.put(resource(1, "长报告", body="开头讲欧姆定律。" + filler + "结尾讲光合作用。"))
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    early = index.search("欧姆定律", audience=ANONYMOUS)
    assert ids(early) == [1] and "<mark" in early.hits[0].highlights["body"]
    assert index.search("光合作用", audience=ANONYMOUS).total == 0
