"""The set-wise query evaluator agrees with Whoosh's own matchers and survives index changes."""

from __future__ import annotations

import pytest
from whoosh import query

from search_index import Audience, SearchIndex
from search_index.engine import view_of
from tests.search_index.search_corpus import ChangeLog, resource

EVERYONE = Audience(everything=True)


def _whoosh_ids(searcher, q) -> set[int]:
    return set(searcher.docs_for_query(q))


def _engine_ids(searcher, q) -> set[int]:
    view = view_of(searcher)
    found = view.evaluate(q, scored=False).mask & view.live
    return {int(i) for i in found.nonzero()[0]}


@pytest.mark.parametrize(
    "q",
    [
        query.Term("body", "分数"),
        query.Phrase("body", ["分数", "教学"]),
        query.Phrase("body", ["教学", "分数"]),
        query.Phrase("grams", ["分数", "数教", "教学"]),
        query.Phrase("title", ["分数", "分数"]),
        query.And([query.Term("grams", "数"), query.Term("subject", "math")]),
        query.AndNot(query.Term("grams", "数"), query.Term("stage", "junior")),
        query.Or([query.Term("title", "分数"), query.Term("keywords", "复习")]),
    ],
    ids=repr,
)
def test_sets_agree_with_whoosh(loaded_phrases: SearchIndex, q: query.Query) -> None:
    with loaded_phrases._searchers.lease() as searcher:
        assert _engine_ids(searcher, q) == _whoosh_ids(searcher, q)


@pytest.fixture
def loaded_phrases(index: SearchIndex, changelog: ChangeLog) -> SearchIndex:
    changelog.put_all(
        [
            resource(1, "分数教学的几点思考", body="分数教学要从分数的意义讲起。"),
            resource(2, "教学分数", body="先教学，再讲分数：分数 教学。"),
            resource(3, "分数分数", body="分数的教学", stage="junior"),
            resource(4, "小数的意义", keywords=["复习"], body="小数和分数都是数。"),
        ]
    )
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    return index


def test_updates_and_deletions_are_seen_across_segments(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put_all([resource(i, f"分数第{i}课") for i in range(1, 6)])
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert index.search("分数", audience=EVERYONE).total == 5  # cached postings now
    changelog.put(resource(6, "分数第6课"))
    changelog.delete(2)
    changelog.put(resource(3, "小数第3课"))
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    result = index.search("分数", audience=EVERYONE, per_page=10)
    assert result.total == 4
    assert sorted(hit.id for hit in result.hits) == [1, 4, 5, 6]
    assert result.facets["subject"] == {"math": 4}
