"""The document-number sidecar (search_index.codec) says exactly what Whoosh's postings say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import query
from whoosh.index import open_dir

from search_index import Audience, SearchIndex
from search_index.codec import SIDECAR_MIN_DF, Sidecar
from search_index.engine import view_of
from search_index.schema import GRAM_FIELD, TEXT_FIELDS, build_schema
from tests.search_index.search_corpus import ChangeLog, resource

EVERYONE = Audience(everything=True)
COUNT = 3 * SIDECAR_MIN_DF  # enough documents for common words to reach the sidecar


def _docs(start: int, count: int, extra: str = "") -> list:
    subjects = ("math", "chinese", "english")
    return [
        resource(
            i,
            f"分数的认识第{i}课{extra}",
            subject=subjects[i % 3],
            keywords=["分数", "教学设计"] if i % 2 else ["群文阅读"],
            body="本课围绕分数的意义展开教学。" + ("学生在折纸中理解几分之一。" if i % 3 else ""),
        )
        for i in range(start, start + count)
    ]


def _check_positions(segment, sidecar: Sidecar, field: str, btext: bytes) -> None:
    """The sidecar's positions of every document are the positions Whoosh decodes."""
    run = sidecar.positions(field, btext)
    if field not in TEXT_FIELDS and field != GRAM_FIELD:
        assert run is None, f"{field} keeps no positions"
        return
    assert run is not None, (field, btext)
    ids, counts, positions = run
    ends = np.cumsum(counts)
    kept = {
        int(doc): positions[end - n : end].tolist()
        for doc, n, end in zip(ids, counts, ends, strict=True)
        if not segment.is_deleted(int(doc))
    }
    matcher = segment.postings(field, btext)
    whoosh = {}
    while matcher.is_active():
        whoosh[matcher.id()] = list(matcher.value_as("positions"))
        matcher.next()
    assert kept == whoosh, (field, btext)


def _check_segments(home: Path) -> int:
    """Compare every sidecar run with Whoosh's own postings; return how many runs were seen."""
    generation = home / (home / "CURRENT").read_text().strip()
    ix = open_dir(str(generation), schema=build_schema())
    seen = 0
    with ix.reader() as reader:
        segments = reader.readers if hasattr(reader, "readers") else [reader]
        for segment in segments:
            sidecar = Sidecar.open(segment)
            assert sidecar is not None, "a segment written by our writer has a sidecar"
            for field, btext in segment.all_terms():
                whoosh_ids = list(segment.postings(field, btext).all_ids())  # live only
                raw = sidecar.ids(field, btext)
                if len(whoosh_ids) >= SIDECAR_MIN_DF:
                    assert raw is not None, (field, btext)
                if raw is not None:
                    seen += 1
                    ids = raw.tolist()  # deleted ones included
                    live = [i for i in ids if not segment.is_deleted(i)]
                    assert live == whoosh_ids, (field, btext)
                    _check_positions(segment, sidecar, field, btext)
    return seen


@pytest.mark.parametrize("procs", [1, 2])
def test_rebuild_writes_runs_equal_to_postings(tmp_path: Path, procs: int) -> None:
    index = SearchIndex(tmp_path / "index")
    index.rebuild(_docs(1, COUNT), applied_seq=0, procs=procs)
    try:
        assert _check_segments(tmp_path / "index") > 5
        found = index.search("分数", audience=EVERYONE, per_page=5, facets=False)
        assert found.total == COUNT
    finally:
        index.close()


def test_changes_and_merges_keep_runs_right(index: SearchIndex, changelog: ChangeLog) -> None:
    """Batches make new segments, merges rewrite them, deletions are masked: still exact."""
    for start in range(1, COUNT, SIDECAR_MIN_DF):
        changelog.put_all(_docs(start, SIDECAR_MIN_DF))
        index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    for resource_id in range(1, COUNT, 4):
        changelog.delete(resource_id)
    changelog.put_all(_docs(2, 10, extra="修订"))
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert _check_segments(index.home) > 5

    live = (set(range(1, COUNT + 1)) - set(range(1, COUNT, 4))) | set(range(2, 12))
    found = index.search("分数", audience=EVERYONE, per_page=5, facets=False)
    assert found.total == len(live)
    sizes: dict[str, int] = {}
    with index._searchers.lease() as searcher:  # the engine over the sidecar, Whoosh's matcher
        for q in (
            query.Term("body", "分数"),
            query.Term("keywords", "群文阅读"),
            query.Phrase("body", ["分数", "的"]),
            query.Phrase("body", ["分数", "的", "意义"]),
            query.Phrase("body", ["的", "分数"]),  # both words everywhere, never in this order
            query.Phrase("body", ["折纸", "中", "理解"]),
            query.Phrase("body", ["分数", "的", "意义", "学生"]),  # words apart
            query.Phrase("grams", ["分数", "数的"]),
            query.Phrase("title", ["分数", "的", "认识"]),
        ):
            view = view_of(searcher)
            mine = {int(i) for i in np.flatnonzero(view.evaluate(q, scored=False).mask & view.live)}
            assert mine == set(searcher.docs_for_query(q)), q
            sizes[repr(q)] = len(mine)
    assert sizes[repr(query.Phrase("body", ["分数", "的", "意义"]))] == len(live)
    assert sizes[repr(query.Phrase("body", ["折纸", "中", "理解"]))] > 0
    assert sizes[repr(query.Phrase("body", ["的", "分数"]))] == 0
    assert sizes[repr(query.Phrase("body", ["分数", "的", "意义", "学生"]))] == 0


def test_packed_positions_read_both_forms() -> None:
    """A generation written before PackedPositions stays searchable until it is rebuilt."""
    from whoosh.formats import Positions

    from search_index.codec import PackedPositions

    packed = PackedPositions()
    for positions in ([0], [3, 17, 70_000], list(range(0, 400, 7))):
        for encoded in (packed.encode(positions), Positions().encode(positions)):
            assert packed.decode_positions(encoded) == positions
            assert packed.decode_frequency(encoded) == len(positions)


def test_large_positions_and_counts(tmp_path: Path) -> None:
    """Positions past 65,535 are kept as uint32; more than 65,534 in one document are not kept."""
    from whoosh.analysis import SpaceSeparatedTokenizer
    from whoosh.fields import TEXT, Schema
    from whoosh.index import create_in

    from search_index.codec import LibraryCodec, PackedPositions

    field = TEXT(analyzer=SpaceSeparatedTokenizer())
    field.format = PackedPositions()
    ix = create_in(str(tmp_path), Schema(body=field))
    writer = ix.writer(codec=LibraryCodec(), compound=False)
    for _ in range(SIDECAR_MIN_DF):
        writer.add_document(body="x " * 66_000 + "y z")
    writer.commit()
    with ix.reader() as reader:
        sidecar = Sidecar.open(reader)
        assert sidecar is not None
        ids, counts, positions = sidecar.positions("body", b"y")
        assert ids.tolist() == list(range(SIDECAR_MIN_DF))
        assert counts.tolist() == [1] * SIDECAR_MIN_DF
        assert positions.dtype.itemsize == 4 and positions.tolist() == [66_000] * SIDECAR_MIN_DF
        assert sidecar.positions("body", b"x") is None  # too many in one document
        assert sidecar.ids("body", b"x").tolist() == list(range(SIDECAR_MIN_DF))
    ix.close()
