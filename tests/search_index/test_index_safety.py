"""An index that never breaks under readers (issue 13): change-log batches never delete a file,
compaction builds beside the live generation, a damaged generation is found, answered around and
rebuilt, and nothing waits on the writer lock without a limit."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest

from search_index import Audience, SearchIndex, SearchIndexDamaged
from search_index.generations import DAMAGED_FILE, Generations
from search_index.index import MAX_SEGMENTS
from tests.search_index.search_corpus import ChangeLog, resource, small_corpus

ADMIN = Audience(everything=True)


def live(home: Path) -> Path:
    return home / (home / "CURRENT").read_text().strip()


def generations(home: Path) -> list[str]:
    return sorted(p.name for p in home.glob("gen-*"))


def one_batch_each(index: SearchIndex, changelog: ChangeLog, docs) -> None:
    for doc in docs:
        changelog.put(doc)
        index.apply_pending(changelog.fetch_changes, changelog.load_documents)


def every_answer(index: SearchIndex) -> list[tuple[int, list[int]]]:
    queries = ("分数", "群文阅读", "光合作用", "课例", "")
    found = [index.search(q, audience=ADMIN, per_page=50) for q in queries]
    return [(r.total, [h.id for h in r.hits]) for r in found]


def test_batches_never_delete_a_file_and_compaction_merges_beside(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    seen: set[str] = set()
    for i, doc in enumerate(small_corpus() + [resource(20 + i, f"分数课例{i}") for i in range(4)]):
        one_batch_each(index, changelog, [doc])
        files = set(os.listdir(live(index.home)))
        # Each batch adds a segment and deletes no segment file (only the older tables of
        # contents, which an open reader has already read).
        assert {f for f in seen if not f.startswith("_MAIN_")} <= files
        seen = files
    changelog.put(resource(3, "改过的标题 分数"))  # a deletion inside an older segment
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert index.segment_count() > MAX_SEGMENTS and index.needs_compaction()
    before, before_ids, seq = every_answer(index), index.document_ids(), index.applied_seq()
    old = live(index.home)

    assert index.compact()
    assert live(index.home) != old and index.segment_count() <= 2
    assert not index.needs_compaction()
    assert every_answer(index) == before
    assert index.document_ids() == before_ids and index.applied_seq() == seq
    # The generation live before stays (the fallback), untouched.
    assert generations(index.home) == [old.name, live(index.home).name]
    # Batches continue on the new generation; another compaction prunes the oldest one.
    one_batch_each(index, changelog, [resource(40 + i, f"新课例{i}") for i in range(MAX_SEGMENTS)])
    assert index.compact()
    assert old.name not in generations(index.home) and len(generations(index.home)) == 2
    assert index.search("新课例", audience=ADMIN).total == MAX_SEGMENTS


def test_compaction_keeps_a_generation_another_searcher_still_reads(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    one_batch_each(index, changelog, small_corpus())
    first = live(index.home)
    # A searcher of another process, opened on the first generation, nothing read yet: its
    # readers lock keeps the generation through two compactions (this process's own searchers
    # are left out of the pruner's sight).
    readers = Generations(index.home).hold_readers(first)
    assert readers is not None
    try:
        for round_ in range(2):
            one_batch_each(index, changelog, [resource(30 + round_, "补充的课例")] * 2)
            assert index.compact()
            with index._generations.writer_lock():
                index._generations.prune(lambda generation: False)
        assert first.name in generations(index.home)
    finally:
        Generations.release_readers(readers)
    with index._generations.writer_lock():
        index._generations.prune(lambda generation: False)
    assert first.name not in generations(index.home)


def _damage(generation: Path, suffix: str) -> Path:
    """Overwrite the first segment file ending in suffix with garbage of the same length."""
    target = sorted(generation.glob(f"MAIN_*{suffix}"))[0]
    size = target.stat().st_size
    target.write_bytes(b"\x8f" * size)
    return target


def test_a_damaged_segment_is_found_answered_around_and_rebuilt(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    one_batch_each(index, changelog, small_corpus())
    assert index.compact()  # the generation before stays as the fallback
    assert index.check_health() == []
    expected = every_answer(index)
    damaged = live(index.home)
    _damage(damaged, "._stored.col")  # what every hit reads

    # Another process (a fresh object here: its own searchers) searching: the first failure is
    # retried, the second health-checks the generation, which is marked, and the answer comes
    # from the previous generation.
    web = SearchIndex(index.home)
    try:
        assert every_answer(web) == expected
        assert (damaged / DAMAGED_FILE).exists()
        assert web.damaged() and index.damaged()
        problems = index.check_health()
        assert problems and all(p.startswith(damaged.name) for p in problems)
        assert every_answer(index) == expected  # this object follows the mark too

        index.rebuild(changelog.resources.values(), applied_seq=changelog.last_seq)
        assert not index.damaged() and index.check_health() == []
        assert every_answer(web) == expected == every_answer(index)
        with index._generations.writer_lock():
            index._generations.prune(lambda generation: False)
        web.close()
        with index._generations.writer_lock():
            index._generations.prune(lambda generation: False)
        assert damaged.name not in generations(index.home)  # a damaged one is not kept
    finally:
        web.close()


def test_a_truncated_postings_file_is_reported(index: SearchIndex, changelog: ChangeLog) -> None:
    one_batch_each(index, changelog, small_corpus())
    assert index.compact()
    postings = sorted(live(index.home).glob("MAIN_*.pst"))[0]
    with open(postings, "r+b") as handle:
        handle.truncate(postings.stat().st_size // 2)
    assert index.check_health()
    assert index.damaged()


def test_with_no_earlier_generation_a_damaged_index_says_so(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    one_batch_each(index, changelog, small_corpus())
    for stored in live(index.home).glob("MAIN_*._stored.col"):  # one per batch's segment
        stored.write_bytes(b"\x8f" * stored.stat().st_size)
    with pytest.raises(SearchIndexDamaged):
        index.search("", audience=ADMIN, per_page=50)
    assert index.damaged()


def test_a_search_that_fails_on_a_healthy_index_raises_its_own_error(loaded: SearchIndex) -> None:
    with pytest.raises(TypeError):
        loaded.search("分数", audience=ADMIN, filters={"subject": 5})  # type: ignore[dict-item]
    assert not loaded.damaged()


def _hold_writer_lock(home: str, held, release) -> None:
    with Generations(Path(home)).writer_lock():
        held.set()
        release.wait(60)


def test_apply_pending_waits_at_most_its_timeout(index: SearchIndex, changelog: ChangeLog) -> None:
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_writer_lock, args=(str(index.home), held, release))
    holder.start()
    try:
        assert held.wait(30)
        changelog.put(resource(1, "等锁的课例"))
        started = time.monotonic()
        assert index.apply_pending(changelog.fetch_changes, changelog.load_documents, timeout=0.5) is None
        assert 0.4 < time.monotonic() - started < 1.5
        assert index.compact(timeout=0.2) is False
        assert index.applied_seq() == 0
    finally:
        release.set()
        holder.join(30)
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents, timeout=0.5) == 1


def test_searches_stay_whole_while_batches_and_a_compaction_run(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    """In one process: 4 threads search while a thread applies batches and compacts."""
    one_batch_each(index, changelog, small_corpus())
    errors: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                result = index.search("分数", audience=ADMIN)
                assert result.total >= 3 and all(h.highlights for h in result.hits)
            except BaseException as error:  # noqa: BLE001
                errors.append(error)
                return

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    compactions = 0
    for i in range(3 * (MAX_SEGMENTS + 1)):
        one_batch_each(index, changelog, [resource(100 + i, f"分数新课例{i}")])
        if index.needs_compaction():
            compactions += index.compact()
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert compactions >= 2
    assert index.search("分数新课例", audience=ADMIN).total == 3 * (MAX_SEGMENTS + 1)


def test_compaction_merges_the_small_segments_not_the_library(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    """After a rebuild on two cores the index is two large segments; the uploads that follow merge
    among themselves (a merge of the whole library took minutes at 100k), and every document
    stays findable."""
    index.rebuild((resource(i, f"课例{i} 分数") for i in range(1, 401)), 0, procs=2)
    large = index.segment_count()
    assert large == 2
    one_batch_each(index, changelog, [resource(1000 + i, f"新上传{i} 分数") for i in range(MAX_SEGMENTS)])
    assert index.needs_compaction()
    assert index.compact()
    assert index.segment_count() == large + 1  # the two halves kept, the uploads merged into one
    assert index.search("分数", audience=ADMIN, per_page=1).total == 400 + MAX_SEGMENTS
    assert index.doc_count() == 400 + MAX_SEGMENTS
