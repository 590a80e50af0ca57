"""Long-lived Whoosh searchers, reused across queries and refreshed when the index changes."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from whoosh.fields import Schema
from whoosh.index import EmptyIndexError, open_dir
from whoosh.searching import Searcher

from search_index.engine import release_view
from search_index.generations import Generations

# Generations this process has searchers open on (any SearchIndex object), so a rebuild in this
# process never deletes a directory one of its own searchers still reads.
_open_lock = threading.Lock()
_open_counts: Counter[Path] = Counter()
# Generations this process found damaged (health check failed, or marked so by another process):
# searches answer from the fallback generation instead until a rebuild replaces them.
_damaged: set[Path] = set()

_OPEN_ATTEMPTS = 3


def generation_in_use(generation: Path) -> bool:
    """Whether a searcher of this process is open on generation."""
    with _open_lock:
        return _open_counts[generation] > 0


def known_damaged(generation: Path) -> bool:
    """Whether this process knows generation to be damaged."""
    with _open_lock:
        return generation in _damaged


def note_damaged(generation: Path) -> None:
    """Remember that generation is damaged: searches of this process leave it."""
    with _open_lock:
        _damaged.add(generation)


class _Pooled:
    """A searcher and the generation directory it reads."""

    __slots__ = ("generation", "readers", "searcher")

    def __init__(self, generation: Path, searcher: Searcher, readers: int) -> None:
        self.generation = generation
        self.searcher = searcher
        self.readers = readers  # the readers lock held for it (see Generations.hold_readers)


class SearcherPool:
    """Searchers of the live generation, each used by one thread at a time.

    A Whoosh searcher is not safe to share between concurrent threads (posting readers seek and
    read a shared file object), so each query leases one; with one thread there is exactly one
    long-lived searcher. A leased searcher is reopened when its generation has new commits or
    when CURRENT names another generation. While the live generation is known to be damaged,
    searchers are leased on the fallback generation (`Generations.fallback`) instead.
    """

    max_idle = 8

    def __init__(self, generations: Generations, schema: Schema) -> None:
        self._generations = generations
        self._schema = schema
        self._lock = threading.Lock()
        self._idle: list[_Pooled] = []
        self._closed = False

    @contextlib.contextmanager
    def lease(self) -> Iterator[Searcher | None]:
        """A fresh searcher of the live generation for this thread, or None when there is none."""
        with self.lease_pooled() as pooled:
            yield None if pooled is None else pooled.searcher

    @contextlib.contextmanager
    def lease_pooled(self) -> Iterator[_Pooled | None]:
        """Like lease(), with the generation the searcher reads; a searcher whose block raised
        is closed rather than reused."""
        pooled = self._take()
        if pooled is None:
            yield None
            return
        try:
            yield pooled
        except BaseException:
            _close(pooled)
            raise
        self._give_back(pooled)

    def serving(self) -> Path | None:
        """The generation searches read: the live one, or its fallback while it is damaged."""
        live = self._generations.current()
        if live is None or not known_damaged(live):
            return live
        return self._generations.fallback(known_damaged) or live

    def drop_idle(self) -> None:
        """Close idle searchers that are not on the live generation."""
        live = self._generations.current()
        with self._lock:
            stale = [p for p in self._idle if p.generation != live]
            self._idle = [p for p in self._idle if p.generation == live]
        for pooled in stale:
            _close(pooled)

    def close(self) -> None:
        """Close every idle searcher; leased ones close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for pooled in idle:
            _close(pooled)

    def _take(self) -> _Pooled | None:
        """Take an idle searcher (refreshed) or open one; retry if the generation vanishes."""
        failure: Exception | None = None
        for _ in range(_OPEN_ATTEMPTS):
            live = self.serving()
            if live is None:
                return None
            with self._lock:
                if self._closed:
                    raise RuntimeError("the search index is closed")
                stale = [p for p in self._idle if p.generation != live]
                self._idle = [p for p in self._idle if p.generation == live]
                pooled = self._idle.pop() if self._idle else None
            for old in stale:
                _close(old)
            try:
                if pooled is not None and pooled.searcher.up_to_date():
                    return pooled
                # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 its reader reuse keeps the old
                # copy of a segment that gained deletions, so deleted documents keep matching.
                if pooled is not None:
                    _close(pooled)
                    pooled = None
                if self._generations.is_damaged(live) and not known_damaged(live):
                    note_damaged(live)  # marked by another process: read the fallback instead
                    failure = OSError(f"{live} is marked damaged")
                    continue
                return self._open(live)
            except (OSError, EmptyIndexError) as error:
                # A rebuild in another process pruned this generation: read CURRENT again.
                if pooled is not None:
                    _close(pooled)
                failure = error
        assert failure is not None
        raise failure

    def _give_back(self, pooled: _Pooled) -> None:
        """Return a leased searcher to the idle list, or close it if unwanted."""
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(pooled)
                return
        _close(pooled)

    def _open(self, generation: Path) -> _Pooled:
        """Open a new searcher on generation, holding its readers lock, and count it as open."""
        readers = self._generations.hold_readers(generation)
        if readers is None:
            raise FileNotFoundError(f"{generation} is being pruned")
        try:
            searcher = open_dir(str(generation), schema=self._schema).searcher()
        except BaseException:
            Generations.release_readers(readers)
            raise
        with _open_lock:
            _open_counts[generation] += 1
        return _Pooled(generation, searcher, readers)


def _close(pooled: _Pooled) -> None:
    """Close a pooled searcher and stop counting it as open."""
    # Closing only releases file handles; a failure (files already pruned) leaves nothing to do.
    with contextlib.suppress(Exception):
        release_view(pooled.searcher)
        pooled.searcher.close()
    Generations.release_readers(pooled.readers)
    with _open_lock:
        _open_counts[pooled.generation] -= 1
        if _open_counts[pooled.generation] <= 0:
            del _open_counts[pooled.generation]
