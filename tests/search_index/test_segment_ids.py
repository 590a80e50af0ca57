"""A new segment never takes the name of one the generation already has, whatever state the
global `random` module is in.

Whoosh names a segment with 16 characters from the global `random`; Hypothesis (schemathesis)
seeds that with 0 before every example, and the server threads of the API fuzz test share it, so
each example's first commit drew the same name. The new segment's writer then opened the files of
the live segment of that name for writing (truncating them): its `.trm` read as empty
(FileFormatError "Unknown file header b''" in the next delete) and the generation was damaged.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from search_index import Audience, SearchIndex
from search_index.index import MAX_SEGMENTS
from tests.search_index.search_corpus import ChangeLog, resource

ADMIN = Audience(everything=True)


@pytest.fixture
def reseeded() -> Iterator[None]:
    """Leave the global random as it was found (the test seeds it as Hypothesis does)."""
    state = random.getstate()
    yield
    random.setstate(state)


def _apply_seeded(index: SearchIndex, changelog: ChangeLog) -> None:
    random.seed(0)  # what Hypothesis does before each example
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert index.check_health() == []


def test_segments_written_after_the_same_seed_get_their_own_names(
    index: SearchIndex, changelog: ChangeLog, reseeded: None
) -> None:
    changelog.put_all(resource(i, f"分数课例{i}") for i in range(1, 4))
    _apply_seeded(index, changelog)
    changelog.delete(2)  # a delete-only batch: the writer's searcher opens the older segment
    _apply_seeded(index, changelog)
    assert index.document_ids() == {1, 3}
    for round_ in range(MAX_SEGMENTS):
        changelog.put(resource(10 + round_, "光合作用"))
        changelog.put(resource(1, f"改过的标题 分数{round_}"))  # a deletion in an older segment
        _apply_seeded(index, changelog)
    assert index.needs_compaction()
    random.seed(0)
    assert index.compact()
    assert index.check_health() == []
    expected = {1, 3} | {10 + r for r in range(MAX_SEGMENTS)}
    assert index.document_ids() == expected and index.doc_count() == len(expected)
    assert index.search("光合作用", audience=ADMIN, per_page=50).total == MAX_SEGMENTS
    assert {h.id for h in index.search("分数", audience=ADMIN, per_page=50).hits} == {1, 3}
