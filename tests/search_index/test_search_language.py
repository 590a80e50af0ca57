"""Analysis and the query language: folding, user terms, n-grams, pinyin, synonyms, syntax,
ranking boosts, stable pages, fallbacks and suggestions — on a real on-disk index."""

from __future__ import annotations

from datetime import datetime

import pytest

from search_index import Audience, SearchIndex
from search_index.analysis import fold, grams, pinyin_words, synonyms, words
from search_index.querying import parse
from tests.search_index.search_corpus import ChangeLog, resource

ANYONE = Audience()


def ids(result) -> list[int]:
    return [hit.id for hit in result.hits]


def build(index: SearchIndex, changelog: ChangeLog, *docs) -> SearchIndex:
    changelog.put_all(docs)
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    return index


# ------------------------------------------------------------------ analysis


def test_folding_keeps_length_and_simplifies() -> None:
    text = "數學課程ＰＰＴ　（第二課時）"
    assert fold(text) == "数学课程PPT (第二课时)"
    assert len(fold(text)) == len(text)


def test_education_terms_stay_whole() -> None:
    assert words("高中英语读后续写教学策略") == ["高中英语", "读后续写", "教学策略"]
    assert "大单元教学" in words("大单元教学与核心素养")
    assert "核心素养" in words("大单元教学与核心素养")


def test_grams_are_characters_and_pairs_positioned_by_character() -> None:
    assert list(grams("读后续写"))[:4] == [("读", 0, 0, 1), ("读后", 0, 0, 2), ("后", 1, 1, 2),
                                        ("后续", 1, 1, 3)]  # fmt: skip


def test_pinyin_has_full_spelling_and_initials() -> None:
    found = set(pinyin_words("小学数学分数"))
    assert {"shuxue", "sx", "fenshu", "fs"} <= found


def test_synonyms_are_symmetric_groups() -> None:
    assert "课堂实录" in synonyms("录课") and "录课" in synonyms("课堂实录")
    assert "ppt" in synonyms("课件")


def test_the_parser_takes_a_query_apart() -> None:
    parsed = parse('分数 "初步认识" -复习 subject:math title:折纸 year:2024')
    assert [c.words for c in parsed.required] == [["分数"], ["初步", "认识"], ["折纸"]]
    assert parsed.required[1].phrase and parsed.required[2].field == "title"
    assert [c.words for c in parsed.excluded] == [["复习"]]
    assert parsed.filters == {"subject": ["math"], "year": ["2024"]}


# ------------------------------------------------------------------ recall


def test_a_compound_is_found_by_its_part_and_a_single_character(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(index, changelog, resource(1, "高中英语读后续写教学策略"), resource(2, "鸡兔同笼"))
    assert ids(index.search("续写", audience=ANYONE)) == [1]
    assert ids(index.search("兔", audience=ANYONE)) == [2]
    assert ids(index.search("数", audience=ANYONE)) == []  # no 数 anywhere: nothing invented


def test_traditional_and_full_width_queries_and_documents_meet(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(index, changelog, resource(1, "群文閱讀的實踐"), resource(2, "ＰＰＴ課件製作"))
    assert ids(index.search("群文阅读", audience=ANYONE)) == [1]
    assert ids(index.search("羣文閱讀", audience=ANYONE)) == [1]
    assert ids(index.search("ppt", audience=ANYONE)) == [2]
    hit = index.search("课件", audience=ANYONE).hits[0]
    # 课件 and its synonym PPT are both marked, in the document's own characters.
    assert hit.highlights["title"] == (
        '<mark class="match term1">ＰＰＴ</mark><mark class="match term0">課件</mark>製作'
    )


def test_pinyin_and_initials_find_titles_studios_and_subjects(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(
        index, changelog,
        resource(1, "分数的初步认识", subject_name="数学", studio_name="王丽数学工作室"),
        resource(2, "光合作用", subject="biology", subject_name="生物", studio_name="赵强工作室"),
    )  # fmt: skip
    assert ids(index.search("fenshu", audience=ANYONE)) == [1]
    assert ids(index.search("shuxue", audience=ANYONE)) == [1]
    assert ids(index.search("sx", audience=ANYONE)) == [1]
    assert ids(index.search("shengwu", audience=ANYONE)) == [2]
    assert ids(index.search("zhaoqiang", audience=ANYONE)) == [2]


def test_synonyms_find_each_other_but_the_typed_word_ranks_first(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(index, changelog, resource(1, "认识钟表课堂实录"), resource(2, "认识钟表录课"),
          resource(3, "认识钟表教案"))  # fmt: skip
    assert ids(index.search("录课", audience=ANYONE)) == [2, 1]
    assert ids(index.search("课堂实录", audience=ANYONE)) == [1, 2]
    assert set(ids(index.search("教学设计", audience=ANYONE))) == {3}


# ------------------------------------------------------------------ query language


@pytest.fixture
def lessons(index: SearchIndex, changelog: ChangeLog) -> SearchIndex:
    return build(
        index, changelog,
        resource(1, "分数的初步认识", keywords=["折纸"], year=2023),
        resource(2, "分数加减法的复习", subject="math", stage="junior", year=2024),
        resource(3, "光合作用", subject="biology", abstract="认识叶绿体"),
        resource(4, "认识分数与小数", abstract="分数和小数的初步认识", year=2022),
    )  # fmt: skip


def test_several_words_must_all_match(lessons: SearchIndex) -> None:
    result = lessons.search("分数 折纸", audience=ANYONE)
    assert ids(result) == [1] and result.match == "all"


def test_when_all_words_find_nothing_any_word_is_shown_and_flagged(lessons: SearchIndex) -> None:
    result = lessons.search("折纸 叶绿体", audience=ANYONE)
    assert result.match == "any"
    assert set(ids(result)) == {1, 3}


def test_a_phrase_needs_its_words_in_order(lessons: SearchIndex) -> None:
    assert set(ids(lessons.search('"初步认识"', audience=ANYONE))) == {1, 4}
    assert ids(lessons.search('"分数的初步"', audience=ANYONE)) == [1]
    assert ids(lessons.search('"认识初步"', audience=ANYONE)) == []


def test_a_minus_word_excludes(lessons: SearchIndex) -> None:
    assert set(ids(lessons.search("分数 -复习", audience=ANYONE))) == {1, 4}
    assert set(ids(lessons.search('分数 -"初步认识"', audience=ANYONE))) == {2}
    assert 2 not in ids(lessons.search("-复习", audience=ANYONE))


def test_field_prefixes_filter_and_restrict(lessons: SearchIndex) -> None:
    assert ids(lessons.search("分数 stage:junior", audience=ANYONE)) == [2]
    assert ids(lessons.search("分数 year:2024", audience=ANYONE)) == [2]
    assert ids(lessons.search("subject:biology", audience=ANYONE)) == [3]
    assert set(ids(lessons.search("title:认识", audience=ANYONE))) == {1, 4}  # not 3's abstract
    assert ids(lessons.search("status:draft", audience=ANYONE)) == []


def test_an_exact_title_comes_first(index: SearchIndex, changelog: ChangeLog) -> None:
    build(
        index, changelog,
        resource(1, "分数的意义和性质复习课：分数的意义", keywords=["分数的意义"],
                 abstract="分数的意义。分数的意义。", award_level="national"),
        resource(2, "分数的意义"),
    )  # fmt: skip
    assert ids(index.search("分数的意义", audience=ANYONE)) == [2, 1]


def test_title_outranks_keywords_outranks_abstract_outranks_body(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(
        index, changelog,
        resource(1, "一节课", body="关于勾股定理的内容"),
        resource(2, "一节课", abstract="关于勾股定理的内容"),
        resource(3, "一节课", keywords=["勾股定理"]),
        resource(4, "勾股定理的证明"),
    )  # fmt: skip
    assert ids(index.search("勾股定理", audience=ANYONE)) == [4, 3, 2, 1]


def test_award_level_and_recency_are_mild_boosts(index: SearchIndex, changelog: ChangeLog) -> None:
    build(
        index, changelog,
        resource(1, "圆的面积", created=datetime(2016, 1, 1)),
        resource(2, "圆的面积", created=datetime(2025, 1, 1)),
        resource(3, "圆的面积", created=datetime(2016, 1, 1), award_level="national"),
        resource(4, "圆的周长", body="面积", created=datetime(2025, 1, 1), award_level="national"),
    )  # fmt: skip
    found = ids(index.search("面积", audience=ANYONE))
    assert found[:2] == [3, 2]  # a national award outweighs nine years, both beat neither
    assert found[-1] == 4  # a boost never lifts a weaker text match over a stronger one


def test_pages_are_stable_and_ties_break_by_id(index: SearchIndex, changelog: ChangeLog) -> None:
    same = datetime(2024, 1, 1)
    build(index, changelog, *[resource(i, "同一个标题", created=same) for i in range(30, 0, -1)])
    for sort in ("relevance", "newest", "downloads"):
        pages = [index.search("同一个标题", audience=ANYONE, sort=sort, page=p, per_page=7)
                 for p in range(1, 6)]  # fmt: skip
        assert [i for p in pages for i in ids(p)] == list(range(1, 31)), sort


# ------------------------------------------------------------------ results


def test_snippets_come_from_the_field_that_matched(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(
        index, changelog, resource(1, "实验课", abstract="显微镜的使用", body="观察洋葱表皮细胞。")
    )
    marks = index.search("洋葱", audience=ANYONE).hits[0].highlights
    assert set(marks) == {"body"} and '<mark class="match term0">洋葱</mark>' in marks["body"]
    marks = index.search("显微镜", audience=ANYONE).hits[0].highlights
    assert set(marks) == {"abstract"}


def test_did_you_mean_and_related_terms_when_nothing_is_found(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    build(index, changelog, resource(1, "分数的初步认识"), resource(2, "高中英语读后续写指导"),
          resource(3, "欧姆定律实验探究"))  # fmt: skip
    typo = index.search("分树", audience=ANYONE)
    assert typo.total == 0 and typo.did_you_mean == "分数"
    assert index.search("欧姆定侓", audience=ANYONE).did_you_mean == "欧姆定律"
    assert index.search("fensu", audience=ANYONE).did_you_mean == "fenshu"
    assert "读后续写" in index.search("续写作业", audience=ANYONE).related
    found = index.search("分数", audience=ANYONE)
    assert found.did_you_mean is None and found.related == []


def test_a_filter_matching_nothing_shows_nothing_on_a_reused_searcher(
    lessons: SearchIndex,
) -> None:
    # Filters are cached per searcher as id sets; an empty one must not read as "no filter".
    nobody = Audience(visibilities=frozenset())
    for _ in range(2):
        assert lessons.search("分数", audience=nobody).total == 0
        assert lessons.search("", audience=ANYONE, filters={"subject": ["art"]}).total == 0
    assert lessons.search("分数", audience=ANYONE).total == 3
