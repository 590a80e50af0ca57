"""SearchIndex: the live index generation, the change-log indexer, rebuilds and searching."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex, LockError, create_in, open_dir
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from search_index import selfcheck
from search_index.codec import LibraryCodec
from search_index.documents import Audience, Change, ResourceDocument, SearchResult
from search_index.engine import view_of
from search_index.facets import facet_counts
from search_index.generations import DAMAGED_FILE, Generations
from search_index.health import check_generation
from search_index.schema import (
    META_ID,
    SCHEMA_VERSION,
    build_schema,
    document_fields,
    meta_fields,
)
from search_index.querying import filter_query
from search_index.search import empty_result, run_search
from search_index.understanding import Vocabulary
from search_index.searchers import (
    SearcherPool,
    generation_in_use,
    known_damaged,
    note_damaged,
)

log = logging.getLogger(__name__)

# Our flock already serialises writers; Whoosh's own lock only guards against strangers.
WRITER_TIMEOUT_SECONDS = 60.0
# A rebuild's Whoosh writers buffer postings in memory up to `limitmb` (Whoosh's estimate of
# their size) before sorting them into a run on disk. Measured (bench.importing, 30k rows, 2
# processes), a writer process's resident memory grows about 1.3 x its limit, on top of the ~245
# MiB every process of the app holds (jieba's dictionary and pypinyin's tables, which the
# sub-writers inherit from the process that forks them, and need): 256 MB each peaked at 582 MiB,
# 128 at 405, 64 at 321, at the same rate. So REBUILD_LIMIT_MB is the budget of all the writer
# processes together, split between them, and no one gets more than REBUILD_PROCESS_LIMIT_MB
# (a single-process rebuild — a sync repairing a damaged index, `reindex --procs 1` — included).
REBUILD_LIMIT_MB = 256
REBUILD_PROCESS_LIMIT_MB = 128
REBUILD_MIN_LIMIT_MB = 16
# Change-log batches commit without merging (a merge deletes the merged segments' files, which a
# searcher in another process may not have opened yet); past this many segments a compaction
# merges them in a new generation beside the live one.
MAX_SEGMENTS = 8


class SearchIndexBusy(RuntimeError):
    """Whoosh's writer lock stayed taken by something outside our writer lock."""


class SearchIndexDamaged(RuntimeError):
    """The live generation is damaged and no earlier generation is kept to answer from; a
    rebuild from the database repairs it."""


def _compaction_policy(writer: IndexWriter, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy, tiered so that a merge costs what the small segments hold, not the
    library: from the smallest segment up, each joins the merge while it holds no more than four
    times what is merged so far (the two smallest always do); the first that is much larger, and
    every larger one, is kept (after a rebuild on two cores the index is two halves of 50,000: a handful of new uploads
    merge among themselves, not with 100,000 documents, which took minutes in the worker). A
    segment that has lost a fifth of its documents to deletions is always merged (rewritten
    without them). Returns the segments kept as they are."""
    if len(segments) <= 1:
        return list(segments)
    merged: list[Any] = []
    kept: list[Any] = []
    so_far = 0
    for segment in sorted(segments, key=lambda segment: segment.doc_count_all()):
        size = segment.doc_count_all()
        # The two smallest always merge, so a compaction leaves fewer segments than it found.
        if kept or (len(merged) >= 2 and size > 4 * so_far):
            kept.append(segment)
        else:
            merged.append(segment)
            so_far += size
    for segment in list(kept):
        if segment.deleted_count() * 5 > segment.doc_count_all():
            kept.remove(segment)
            merged.append(segment)
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    return kept


def _copy_generation(source: Path, target: Path) -> None:
    """Copy a generation's index files (not our lock files, marks or Whoosh's lock) as bytes:
    the copy shares no file with the source, so damage to one is not damage to the other."""
    for entry in os.scandir(source):
        name = entry.name
        if name.startswith(".") or name == DAMAGED_FILE or name.endswith("WRITELOCK"):
            continue
        if entry.is_file():
            shutil.copyfile(entry.path, target / name)


def _read_applied_seq(searcher: Searcher) -> int:
    """The applied change-log sequence recorded in the meta document (0 when none)."""
    meta = searcher.document(id=META_ID)
    return int(meta.get("applied_seq", 0)) if meta else 0


def _read_schema_version(searcher: Searcher) -> int:
    """The schema version the generation was built with (1 for generations before it was kept)."""
    meta = searcher.document(id=META_ID)
    return int(meta.get("schema_version") or 1) if meta else 1


def rebuild_limit_mb(procs: int) -> int:
    """The posting buffer (MB, Whoosh's `limitmb`) of each writer process of a rebuild in procs
    processes: REBUILD_LIMIT_MB split between them, at most REBUILD_PROCESS_LIMIT_MB each."""
    share = REBUILD_LIMIT_MB // max(1, procs)
    return max(REBUILD_MIN_LIMIT_MB, min(REBUILD_PROCESS_LIMIT_MB, share))


def _writer(ix: FileIndex, **options: object) -> IndexWriter:
    """A Whoosh writer (our codec, segments as separate files: see search_index.codec),
    with Whoosh's LockError turned into SearchIndexBusy."""
    try:
        return ix.writer(
            timeout=WRITER_TIMEOUT_SECONDS,
            delay=0.05,
            codec=LibraryCodec(),
            compound=False,
            **options,
        )
    except LockError as error:
        raise SearchIndexBusy(f"the index writer lock in {ix.storage} is held") from error


class SearchIndex:
    """The search index under one home directory, shared by every thread of a process."""

    def __init__(self, home: Path) -> None:
        selfcheck.ensure()  # the installed Whoosh has what the fast paths need, or a clear error
        self.home = Path(home)
        self._schema = build_schema()
        self._generations = Generations(self.home)
        self._searchers = SearcherPool(self._generations, self._schema)
        self._health_lock = threading.Lock()
        self._healthy: dict[Path, frozenset[str]] = {}  # generation → its files when it passed
        # Segments are separate files, each searcher holds them open: an index object dropped
        # without close() (an app discarded by a test, a short-lived CLI) still closes them.
        self._finalizer = weakref.finalize(self, self._searchers.close)

    def ensure(self) -> None:
        """Create the home directory and an empty first generation unless one is live."""
        if self._generations.current() is not None:
            return
        with self._generations.writer_lock():
            if self._generations.current() is not None:
                return  # another process created it while we waited
            generation = self._generations.allocate()
            ix = create_in(str(generation), self._schema)
            writer = _writer(ix)
            writer.add_document(**meta_fields(0))
            writer.commit()
            self._generations.set_current(generation)

    def applied_seq(self) -> int:
        """The last change-log sequence applied to the live generation (0 when new)."""
        with self._searchers.lease() as searcher:
            return 0 if searcher is None else _read_applied_seq(searcher)

    def outdated(self) -> bool:
        """Whether the live generation was built with another schema or analysis (rebuild it)."""
        with self._searchers.lease() as searcher:
            return searcher is not None and _read_schema_version(searcher) != SCHEMA_VERSION

    def apply_pending(
        self,
        fetch_changes: Callable[[int], Sequence[Change]],
        load_documents: Callable[[Sequence[int]], Mapping[int, ResourceDocument]],
        *,
        blocking: bool = True,
        timeout: float | None = None,
        batch: int = 500,
    ) -> int | None:
        """Apply the change log after the recorded sequence; None if another writer is busy
        (at once when not blocking; after timeout seconds, when one is given, when blocking).

        Each batch of documents is committed together with its last sequence, so the index and
        the sequence it records never disagree, and a crash only means re-applying a batch.
        Batches commit without merging: no file of the live generation is ever deleted under a
        searcher (compact() merges, in a new generation). Raises SearchIndexBusy (never Whoosh's
        LockError) only if something other than a SearchIndex held Whoosh's own lock for
        WRITER_TIMEOUT_SECONDS.
        """
        self.ensure()
        batch = max(1, batch)
        with self._generations.writer_lock(blocking=blocking, timeout=timeout) as locked:
            if not locked:
                return None
            generation = self._generations.current()
            assert generation is not None  # ensure() made one and only writers replace it
            ix = open_dir(str(generation), schema=self._schema)
            with ix.searcher() as searcher:
                applied = _read_applied_seq(searcher)
                version = _read_schema_version(searcher)
            while True:
                changes = [c for c in fetch_changes(applied) if c.seq > applied]
                if not changes:
                    return applied
                for start in range(0, len(changes), batch):
                    try:
                        applied = self._apply_batch(
                            ix, changes[start : start + batch], load_documents, version
                        )
                    except SearchIndexBusy:
                        if blocking and timeout is None:
                            raise
                        return None  # what was committed so far is recorded in the index

    def _apply_batch(
        self,
        ix: FileIndex,
        changes: Sequence[Change],
        load_documents: Callable[[Sequence[int]], Mapping[int, ResourceDocument]],
        version: int,
    ) -> int:
        """Write one batch of changes and its last sequence in one commit; return that sequence."""
        ids = list(dict.fromkeys(c.resource_id for c in changes))
        documents = load_documents(ids)
        last = max(c.seq for c in changes)
        writer = _writer(ix)
        try:
            for resource_id in ids:
                doc = documents.get(resource_id)
                if doc is None:
                    writer.delete_by_term("id", str(resource_id))
                else:
                    writer.update_document(**document_fields(doc))
            # An outdated generation keeps its old version: only a rebuild makes it current.
            writer.update_document(**meta_fields(last, version))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(merge=False)
        return last

    def segment_count(self) -> int:
        """How many segments the live generation has (0 when there is none)."""
        live = self._generations.current()
        if live is None:
            return 0
        try:
            with open_dir(str(live), schema=self._schema).reader() as reader:
                return len(reader.leaf_readers())
        except Exception:  # noqa: BLE001 - pruned under us, or damaged: not for compaction to say
            return 0

    def needs_compaction(self) -> bool:
        """Whether the live generation has more than MAX_SEGMENTS segments (and is not damaged:
        a damaged one is rebuilt, not compacted)."""
        return not self.damaged() and self.segment_count() > MAX_SEGMENTS

    def compact(self, *, timeout: float | None = None) -> bool:
        """Merge the live generation's segments into a new generation and swap it in.

        Holds the writer lock throughout, so no change-log batch is committed meanwhile (and none
        is lost): they wait, or with a timeout leave their changes in the log for the next sync.
        The new generation starts as a byte copy of the live one's files, then Whoosh merges
        inside it (`_compaction_policy`): the live generation's files are never touched, so its
        searchers keep answering. Returns False when the lock stayed taken for timeout seconds
        or there was nothing to merge.
        """
        with self._generations.writer_lock(timeout=timeout) as locked:
            if not locked:
                return False
            live = self._generations.current()
            if live is None or self.damaged() or self.segment_count() <= 1:
                return False
            with self._generations.building(locked=True) as generation:
                _copy_generation(live, generation)
                ix = open_dir(str(generation), schema=self._schema)
                writer = _writer(ix)
                writer.commit(mergetype=_compaction_policy)
                with open_dir(str(live), schema=self._schema).reader() as before:
                    expected = before.doc_count()
                with ix.reader() as after:
                    written = after.doc_count()
                if written != expected:
                    raise RuntimeError(
                        f"the compaction kept {written} of {expected} documents; the live index "
                        "is unchanged"
                    )
                self._generations.set_current(generation)
            self._searchers.drop_idle()
            self._generations.prune(generation_in_use)
        return True

    def damaged(self) -> bool:
        """Whether the live generation is known to be damaged (by this process, or marked by the
        health check of any): a rebuild from the database repairs it."""
        live = self._generations.current()
        return live is not None and (known_damaged(live) or self._generations.is_damaged(live))

    def check_health(self) -> list[str]:
        """Open every segment of the live generation and read all of it (stored fields, columns,
        postings, sidecar); what is wrong, empty when healthy. A damaged generation is marked,
        so searches answer from the previous generation until a rebuild replaces it."""
        live = self._generations.current()
        if live is None:
            return []
        problems = check_generation(live, self._schema)
        if problems:
            self._note_damage(live, problems)
        return problems

    def _note_damage(self, generation: Path, problems: list[str]) -> None:
        log.error("search index generation %s is damaged: %s", generation, "; ".join(problems))
        note_damaged(generation)
        self._generations.mark_damaged(generation, problems)

    def _found_damaged(self, generation: Path) -> bool:
        """After a search failed twice on generation: whether it is damaged (checked once per
        state of its files, so a query that fails for another reason does not check it again)."""
        with self._health_lock:
            if known_damaged(generation):
                return True
            if self._generations.is_damaged(generation):
                note_damaged(generation)
                return True
            try:
                files = frozenset(os.listdir(generation))
            except OSError:
                return False  # pruned under us: not damage
            if self._healthy.get(generation) == files:
                return False
            problems = check_generation(generation, self._schema)
            if not problems:
                self._healthy[generation] = files
                return False
            self._note_damage(generation, problems)
            return True

    def rebuild(
        self, documents: Iterable[ResourceDocument], applied_seq: int, *, procs: int = 1
    ) -> None:
        """Build a new generation from documents beside the live one, then swap it in.

        Searches keep answering from the old generation until the swap; afterwards
        apply_pending continues from applied_seq.
        """
        with self._generations.building() as generation:
            ix = create_in(str(generation), self._schema)
            # With procs > 1, Whoosh's MpWriter gives every sub-writer the same options.
            options: dict[str, object] = {"limitmb": rebuild_limit_mb(procs)}
            if procs > 1:
                options.update(procs=procs, multisegment=True)
            writer = _writer(ix, **options)
            added = 0
            try:
                for doc in documents:
                    writer.add_document(**document_fields(doc))
                    added += 1
                writer.add_document(**meta_fields(applied_seq))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            # Whoosh's multi-process writer ignores a writer process that died (a bad value, out
            # of memory): its documents would be silently missing. Never make such a build live.
            with ix.reader() as reader:
                written = reader.doc_count()
            if written != added + 1:
                raise RuntimeError(
                    f"the rebuild wrote {written - 1} of {added} resources (a writer process "
                    "failed; its error is above); the live index is unchanged"
                )
            with self._generations.writer_lock():
                self._generations.set_current(generation)
                self._searchers.drop_idle()
                self._generations.prune(generation_in_use)

    def search(
        self,
        q: str,
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        audience: Audience,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        facets: bool = True,
        vocabulary: Vocabulary | None = None,
    ) -> SearchResult:
        """Search the live generation as audience sees it; empty q means every visible resource.

        vocabulary: the words to understand as filters (search_index.understanding).

        facets=False skips the facet counts (their dict is then empty), for callers that
        show none.

        A search that raises is tried again on a fresh searcher (files may have moved under the
        old one); if that fails too, the generation is health-checked: when damaged, it is
        marked and the search answers from the previous generation (SearchIndexDamaged when
        none is kept); when healthy, the error is the search's own and is raised.
        """
        failure: Exception | None = None
        for attempt in range(3):
            generation: Path | None = None
            try:
                with self._searchers.lease_pooled() as pooled:
                    if pooled is None:
                        return empty_result(page, per_page)
                    generation = pooled.generation
                    return run_search(
                        pooled.searcher,
                        q,
                        filters=filters,
                        audience=audience,
                        page=page,
                        per_page=per_page,
                        sort=sort,
                        facets=facets,
                        vocabulary=vocabulary,
                    )
            except (SearchIndexDamaged, RuntimeError) as error:
                if isinstance(error, SearchIndexDamaged) or "closed" in str(error):
                    raise
                failure = error
            except Exception as error:  # noqa: BLE001 - judged below: damage, or raised
                failure = error
            if generation is None:
                generation = self._searchers.serving()
            if generation is None:
                raise failure
            if attempt == 0:
                continue
            if not self._found_damaged(generation):
                raise failure
            if self._searchers.serving() == generation:
                break  # damaged, and no earlier generation to answer from
        raise SearchIndexDamaged(
            "the search index is damaged and no earlier generation is kept; rebuild it"
        ) from failure

    def counts(
        self,
        fields: Sequence[str],
        *,
        audience: Audience,
        filters: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """How many resources audience sees under filters, and how many per value of each facet
        field: the catalogue pages' counts, without a query, a page or a retry. The audience and
        filter mask is cached per searcher (so per commit); each field is one bincount."""
        with self._searchers.lease() as searcher:
            if searcher is None:
                return 0, {name: {} for name in fields}
            view = view_of(searcher)
            mask = view.filter_mask(filter_query(filters, audience))
            return int(mask.sum()), {name: facet_counts(view, name, mask) for name in fields}

    def document_ids(self) -> set[int]:
        """Every resource id in the live generation, for consistency checks against the database."""
        with self._searchers.lease() as searcher:
            if searcher is None:
                return set()
            reader = searcher.reader()
            column = reader.column_reader("id")
            ids = (column[docnum] for docnum in reader.all_doc_ids())
            return {int(value) for value in ids if value and value != META_ID}

    def doc_count(self) -> int:
        """How many resources the live generation holds."""
        with self._searchers.lease() as searcher:
            if searcher is None:
                return 0
            meta = 1 if searcher.document_number(id=META_ID) is not None else 0
            return searcher.doc_count() - meta

    def close(self) -> None:
        """Close the searchers this object holds; it must not be used afterwards."""
        self._finalizer()
