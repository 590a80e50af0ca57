"""SearchIndex: the live index generation, the change-log indexer, rebuilds and searching."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from whoosh.index import FileIndex, LockError, create_in, open_dir
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from search_index import selfcheck
from search_index.codec import LibraryCodec
from search_index.documents import Audience, Change, ResourceDocument, SearchResult
from search_index.generations import Generations
from search_index.schema import (
    META_ID,
    SCHEMA_VERSION,
    build_schema,
    document_fields,
    meta_fields,
)
from search_index.search import empty_result, run_search
from search_index.searchers import SearcherPool, generation_in_use

# Our flock already serialises writers; Whoosh's own lock only guards against strangers.
WRITER_TIMEOUT_SECONDS = 60.0
REBUILD_LIMIT_MB = 256


class SearchIndexBusy(RuntimeError):
    """Whoosh's writer lock stayed taken by something outside our writer lock."""


def _read_applied_seq(searcher: Searcher) -> int:
    """The applied change-log sequence recorded in the meta document (0 when none)."""
    meta = searcher.document(id=META_ID)
    return int(meta.get("applied_seq", 0)) if meta else 0


def _read_schema_version(searcher: Searcher) -> int:
    """The schema version the generation was built with (1 for generations before it was kept)."""
    meta = searcher.document(id=META_ID)
    return int(meta.get("schema_version") or 1) if meta else 1


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
        batch: int = 500,
    ) -> int | None:
        """Apply the change log after the recorded sequence; None if another writer is busy.

        Each batch of documents is committed together with its last sequence, so the index and
        the sequence it records never disagree, and a crash only means re-applying a batch.
        Raises SearchIndexBusy (never Whoosh's LockError) only if something other than a
        SearchIndex held Whoosh's own lock for WRITER_TIMEOUT_SECONDS.
        """
        self.ensure()
        batch = max(1, batch)
        with self._generations.writer_lock(blocking=blocking) as locked:
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
                        if blocking:
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
        writer.commit()
        return last

    def rebuild(
        self, documents: Iterable[ResourceDocument], applied_seq: int, *, procs: int = 1
    ) -> None:
        """Build a new generation from documents beside the live one, then swap it in.

        Searches keep answering from the old generation until the swap; afterwards
        apply_pending continues from applied_seq.
        """
        with self._generations.building() as generation:
            ix = create_in(str(generation), self._schema)
            options: dict[str, object] = {"limitmb": REBUILD_LIMIT_MB}
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
    ) -> SearchResult:
        """Search the live generation as audience sees it; empty q means every visible resource.

        facets=False skips the facet counts (their dict is then empty), for callers that
        show none.
        """
        with self._searchers.lease() as searcher:
            if searcher is None:
                return empty_result(page, per_page)
            return run_search(
                searcher,
                q,
                filters=filters,
                audience=audience,
                page=page,
                per_page=per_page,
                sort=sort,
                facets=facets,
            )

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
