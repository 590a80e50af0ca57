"""Query understanding: words naming a stage, grade, subject, kind, level, project status, edition,
volume or unit become filters; a filter that leaves nothing gives its word back as text."""

from __future__ import annotations

import pytest

from search_index import Audience, SearchIndex, Vocabulary
from search_index.querying import parse
from search_index.understanding import read
from tests.search_index.judged_corpus import judged_corpus, judged_vocabulary

TEACHER = Audience(visibilities=frozenset({"public", "internal", "lendable"}))
VOCABULARY = judged_vocabulary()


@pytest.fixture(scope="module")
def library(judged_library: SearchIndex) -> SearchIndex:
    return judged_library


def understood(text: str, filters: dict[str, list[str]] | None = None) -> list[tuple[str, str, str]]:
    reading = read(parse(text), VOCABULARY, filters)
    return [(u.word, u.field, u.value) for u, _ in reading.understood]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("初中", [("初中", "stage", "junior")]),
        ("幼儿园", [("幼儿园", "stage", "preschool")]),
        ("七年级", [("七年级", "grade", "j1")]),
        ("高一", [("高一", "grade", "s1")]),
        ("初二", [("初二", "grade", "j2")]),
        ("中班", [("中班", "grade", "k2")]),
        ("物理", [("物理", "subject", "physics")]),
        ("道德与法治", [("道德与法治", "subject", "politics")]),
        ("录课视频", [("录课视频", "kind", "lesson_video")]),
        ("课堂实录", [("课堂实录", "kind", "lesson_video")]),
        ("优秀课例", [("优秀课例", "kind", "excellent_case")]),
        ("省级", [("省级", "award_level", "provincial")]),
        ("立项", [("立项", "project_status", "approved")]),
        ("在研", [("在研", "project_status", "ongoing")]),
        ("结题", [("结题", "project_status", "concluded")]),
        ("人教版", [("人教版", "edition", "pep")]),
        ("部编版", [("部编版", "edition", "tongbian")]),
        ("上册", [("上册", "volume", "upper")]),
        ("必修第一册", [("必修第一册", "volume", "compulsory-1")]),
        ("第三单元", [("第三单元", "unit", "3")]),
    ],
)
def test_each_word_class_is_understood(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert understood(text) == expected


def test_words_run_together_are_read_apart() -> None:
    assert understood("人教版三年级上册") == [
        ("人教版", "edition", "pep"), ("三年级", "grade", "p3"), ("上册", "volume", "upper")]
    assert understood("初中物理浮力") == [("初中", "stage", "junior"), ("物理", "subject", "physics")]
    reading = read(parse("初中物理浮力"), VOCABULARY)
    assert [c.words for c in reading.parsed.required] == [["浮力"]]


def test_a_level_word_is_a_project_level_in_a_query_about_projects() -> None:
    assert understood("省级 课题") == [("省级", "project_level", "provincial"), ("课题", "kind", "research_project")]
    assert understood("省级 获奖课例") == [("省级", "award_level", "provincial"), ("获奖课例", "kind", "award_case")]


def test_only_bare_words_are_understood() -> None:
    assert understood('"初中"') == []
    assert understood("title:初中") == []
    assert understood("-初中 物理") == [("物理", "subject", "physics")]


def test_a_word_against_the_searchers_own_filter_stays_text() -> None:
    assert understood("初中 浮力", {"stage": ["primary"]}) == []
    assert understood("初中 浮力", {"stage": ["junior"]}) == [("初中", "stage", "junior")]


def test_every_word_of_the_vocabulary_is_understood_alone() -> None:
    """Each word the app understands, typed alone, is read whole (jieba may cut it: the pieces
    are joined again; a stop word inside, 中 of 中班, is kept for that)."""
    wrong = []
    for word, (name, value) in VOCABULARY.entries.items():
        reading = read(parse(word), VOCABULARY)
        got = [(u.field, u.value) for u, _ in reading.understood]
        want = ("award_level" if name == "level" else name, value)
        if got != [want] or reading.parsed.required:
            wrong.append((word, got))
    assert not wrong


def test_no_vocabulary_understands_nothing() -> None:
    assert read(parse("初中 物理"), None).understood == []
    assert read(parse("初中 物理"), Vocabulary()).understood == []


def test_the_result_says_what_it_understood(library: SearchIndex) -> None:
    result = library.search("初中 物理 浮力", audience=TEACHER, vocabulary=VOCABULARY)
    assert [(u.word, u.field, u.value) for u in result.understood] == [
        ("初中", "stage", "junior"), ("物理", "subject", "physics")]
    assert result.hits[0].id == 41  # the lesson, not the paper that mentions 初中物理 and 浮力
    assert {h.id for h in result.hits} == {41, 42, 30}


def test_without_understanding_the_stage_word_must_occur(library: SearchIndex) -> None:
    plain = library.search("初中 物理 浮力", audience=TEACHER)
    assert plain.understood == [] and 41 not in {h.id for h in plain.hits}


def test_a_filter_that_leaves_nothing_gives_its_word_back(library: SearchIndex) -> None:
    # 鸡兔同笼 is a primary lesson: the stage filter finds nothing, so 高中 is text again.
    result = library.search("高中 鸡兔同笼", audience=TEACHER, vocabulary=VOCABULARY)
    assert result.understood == []
    assert [h.id for h in result.hits][:1] == [4]
    # Only the word that emptied the result is given back: the subject filter stays.
    result = library.search("数学 上册 鸡兔同笼", audience=TEACHER, vocabulary=VOCABULARY)
    assert [(u.field, u.value) for u in result.understood] == [("subject", "math")]
    assert [h.id for h in result.hits] == [4] or 4 in {h.id for h in result.hits}


def test_a_filter_only_query_ranks_by_the_word(library: SearchIndex) -> None:
    # Every lesson video is a match; the one that says 课堂实录 comes first.
    result = library.search("课堂实录", audience=TEACHER, vocabulary=VOCABULARY)
    assert result.total == sum(1 for d in judged_corpus() if d.kind == "lesson_video")
    assert result.hits[0].id in {20, 41, 44, 49}


def test_facets_count_grades_and_editions(library: SearchIndex) -> None:
    result = library.search("", audience=TEACHER)
    assert result.facets["edition"]["pep"] == 4
    assert result.facets["grade"]["j2"] == 2
    narrowed = library.search("", filters={"edition": ["pep"], "grade": ["p3"]}, audience=TEACHER)
    assert [h.id for h in narrowed.hits] == [43]
    assert library.search("", filters={"unit": ["10"]}, audience=TEACHER).total == 1
    assert library.search("", filters={"volume": ["lower"]}, audience=TEACHER).total == 4


def test_abbreviations_find_the_terms_teachers_write(library: SearchIndex) -> None:
    result = library.search("PBL", audience=TEACHER, vocabulary=VOCABULARY)
    assert {31, 46} <= {h.id for h in result.hits}
    assert result.did_you_mean is None


@pytest.mark.parametrize(("typed", "proposed"), [
    ("pbx", None),  # not "lbx", the initials of some title's pinyin
    ("sl", None),  # two letters are a fragment, not a word to propose
    ("ppx", "ppt"),  # a real word of the index, one letter away
    ("fenshv", "fenshu"),  # pinyin long enough to be syllables
    ("双见", "双减"),
])
def test_suggestions_propose_only_words_of_the_index(library: SearchIndex, typed: str, proposed: str | None) -> None:
    result = library.search(typed, audience=TEACHER, vocabulary=VOCABULARY)
    assert result.total == 0 and result.did_you_mean == proposed
