"""Whoosh's private parts: all there, checked when an index opens, and the fast paths taken.

The engine reads Whoosh's files a block or a column at a time through `whoosh_internals`; a
Whoosh release that renamed or changed one of those internals used to make the engine quietly
take a slow path (or lose the title-length bonus) with no test noticing. These tests stand in
for such a release by removing or changing the internal in Whoosh itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import whoosh.codec.whoosh3 as whoosh3
from whoosh import query
from whoosh.codec.whoosh3 import W3LeafMatcher

from search_index import Audience, SearchIndex, columns, selfcheck
from search_index import whoosh_internals as wi
from search_index.codec import SIDECAR_MIN_DF, Sidecar
from search_index.engine import view_of
from search_index.postings import SEGMENT_POSTINGS
from tests.search_index.search_corpus import resource

EVERYONE = Audience(everything=True)
COUNT = 2 * SIDECAR_MIN_DF


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next SearchIndex runs the check again (it runs once per process)."""
    monkeypatch.setattr(selfcheck, "_checked", False)


def test_the_installed_whoosh_has_everything_the_fast_paths_need() -> None:
    assert wi.missing() == []
    assert selfcheck.run() == []


def test_a_missing_internal_stops_the_index_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unchecked: None
) -> None:
    monkeypatch.delattr(W3LeafMatcher, "_read_data")
    with pytest.raises(wi.WhooshInternalsMissing) as raised:
        SearchIndex(tmp_path / "index")
    message = str(raised.value)
    assert "W3LeafMatcher._read_data is gone" in message
    assert wi.WHOOSH_VERSION in message and "pyproject.toml" in message
    assert not (tmp_path / "index").exists()  # refused before anything was written


def test_a_changed_meaning_is_caught_by_the_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unchecked: None
) -> None:
    """Whoosh renaming its field-length column: every name is still there, but reading the
    lengths would find no column (no title-length bonus, silently). The comparison with the
    public API catches it."""
    monkeypatch.setattr(whoosh3, "_lenfield", lambda fieldname: f"_{fieldname}_length")
    assert wi.missing() == []
    with pytest.raises(wi.WhooshInternalsMissing, match="field lengths"):
        SearchIndex(tmp_path / "index")


@pytest.fixture
def built(tmp_path: Path):
    index = SearchIndex(tmp_path / "index")
    docs = [
        resource(i, f"分数的认识第{i}课" + ("：以折纸为例的单元整体教学设计" * (i % 3)),
                 keywords=["分数"], body="本课围绕分数的意义展开教学。")
        for i in range(1, COUNT + 1)
    ]
    docs.append(resource(COUNT + 1, "浮力的秘密", keywords=["浮力"], body="阿基米德原理"))
    index.rebuild(docs, applied_seq=0)
    yield index
    index.close()


def _segments(view):
    return [segment for _, segment in view.segments]


def test_the_fast_paths_are_taken(built: SearchIndex) -> None:
    with built._searchers.lease() as searcher:
        assert searcher is not None
        view = view_of(searcher)
        for segment in _segments(view):
            # the sidecar is there and answers a frequent term
            sidecar = Sidecar.open(segment)
            assert sidecar is not None
            assert sidecar.ids("body", "分数".encode()) is not None
            # every segment on disk has a process-wide name (the segment cache's key)
            assert wi.segment_key(segment) is not None

        # a rare term is read from the blocks once, then from the process-wide cache
        rare = view.ids("title", "浮力")
        assert rare.size == 1
        assert any(
            (wi.segment_key(segment), "title", "浮力") in SEGMENT_POSTINGS
            for segment in _segments(view)
        )
        assert set(rare.tolist()) == set(searcher.docs_for_query(query.Term("title", "浮力")))

        # the title-length bonus: lengths read from the column, the same as Whoosh's
        norm = columns.length_norm(view, "title")
        assert norm is not None and float(norm.max()) > 1.0
        lengths = columns.lengths(view, "title")
        assert lengths is not None
        for docnum in range(view.n):
            if view.live[docnum]:
                assert lengths[docnum] == searcher.reader().doc_field_length(docnum, "title")

        # numeric columns read from their files, the same as Whoosh's column reader
        rid = columns.numeric(view, "rid")
        public = list(searcher.reader().column_reader("rid"))
        assert rid.tolist() == public

        # Whoosh's NullQuery matches nothing
        assert not view.evaluate(query.NullQuery).mask.any()


def test_short_titles_rank_first_through_the_length_bonus(built: SearchIndex) -> None:
    """With the lengths read, among titles that all match, the shortest come first."""
    found = built.search("分数", audience=EVERYONE, per_page=5, facets=False)
    assert found.total == COUNT
    assert {hit.id for hit in found.hits} <= {i for i in range(1, COUNT + 1) if i % 3 == 0}
    assert np.all(np.diff([hit.score for hit in found.hits]) <= 0)
