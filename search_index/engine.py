"""Query evaluation over Whoosh's postings with numpy document arrays.

Whoosh stays the index of record (analysis, segments, postings, stored fields, columns); what it
is too slow for at 100,000 resources is evaluating a query in Python one posting at a time —
its matcher tree scores every match and walks every filter document by document. Here the query
tree built by `querying` is evaluated set-wise instead:

- a term's documents are read a posting block at a time into a sorted numpy id array, cached
  per segment for the whole process (segments never change, so a searcher reopened after a
  commit reads only the new segment's postings);
- AND / OR / exclusion / field filters / the audience are boolean arrays over document numbers,
  so the exact total is a count of set bits;
- relevance is accumulated per document from the terms it has (query boost × idf, i.e. BM25 for
  one occurrence; in titles, whose lengths are kept, a short title earns BM25's length bonus),
  multiplied by the document's award/recency boost column; only the page asked for is sorted
  (score, then resource id);
- facet counts are `bincount`s of per-searcher value-code arrays over the result set;
- a phrase is checked on positions only for the documents that have every word, rarest word
  first; results are cached per searcher.

Everything cached on a View (one per searcher) stays valid until the pool replaces the searcher.

The jobs around it have their own modules: `postings` (a term's documents and positions per
segment, the process-wide segment cache), `columns` (numeric columns, title lengths), `facets`
and `ordering`; every private Whoosh name they need is in `whoosh_internals`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.formats import Positions
from whoosh.searching import Searcher

from search_index import columns
from search_index import whoosh_internals as wi
from search_index.postings import doc_positions, segment_ids
from search_index.schema import META_ID

POSTINGS_CACHE_BYTES = 16 * 2**20  # id arrays of terms and phrases, per searcher
FILTER_CACHE_SIZE = 64  # audience and facet-filter masks, per searcher

_VIEW_ATTR = "_library_view"
_view_lock = threading.Lock()
T = TypeVar("T")


def view_of(searcher: Searcher) -> View:
    """The View of a searcher, made on first use (a searcher serves one thread at a time)."""
    found = searcher.__dict__.get(_VIEW_ATTR)
    if found is None:
        with _view_lock:
            found = searcher.__dict__.get(_VIEW_ATTR)
            if found is None:
                found = View(searcher)
                searcher.__dict__[_VIEW_ATTR] = found
    return found


def release_view(searcher: Searcher) -> None:
    """Drop the searcher's View (they reference each other), so its arrays go when the searcher
    closes, not at a later garbage collection."""
    searcher.__dict__.pop(_VIEW_ATTR, None)


class Evaluated:
    """A query's documents (boolean array) and, if scored, the score each of them earns."""

    __slots__ = ("mask", "score")

    def __init__(self, mask: np.ndarray, score: np.ndarray | None) -> None:
        self.mask = mask
        self.score = score


class View:
    """One searcher's documents as arrays: live documents, term id arrays, cached derivations."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.reader = reader
        self.n = reader.doc_count_all()
        if hasattr(reader, "readers"):
            self.segments = list(zip(reader.doc_offsets, reader.readers, strict=True))
        else:
            self.segments = [(0, reader)]
        live = np.ones(self.n, dtype=bool)
        for offset, segment in self.segments:
            if segment.has_deletions():
                deleted = np.fromiter(segment.deleted_docs_set, dtype=np.int64)
                live[offset + deleted] = False
        self._ids: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._ids_bytes = 0
        live[self.ids("id", META_ID)] = False
        self.live = live
        self._filters: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo: dict[tuple[str, str], Any] = {}

    def memo(self, kind: str, key: str, make: Callable[[], T]) -> T:
        """The value kept under (kind, key) for this searcher, made by make() the first time."""
        if (kind, key) not in self._memo:
            self._memo[kind, key] = make()
        found: T = self._memo[kind, key]
        return found

    # ------------------------------------------------------------ postings

    def _remember(self, key: tuple, ids: np.ndarray) -> np.ndarray:
        self._ids[key] = ids
        self._ids_bytes += ids.nbytes
        while self._ids_bytes > POSTINGS_CACHE_BYTES and len(self._ids) > 1:
            _, dropped = self._ids.popitem(last=False)
            self._ids_bytes -= dropped.nbytes
        return ids

    def ids(self, field: str, text: Any) -> np.ndarray:
        """Sorted document numbers having text in field (deleted ones included; mask with live)."""
        key = (field, text)
        found = self._ids.get(key)
        if found is not None:
            self._ids.move_to_end(key)
            return found
        parts: list[np.ndarray] = []
        for offset, segment in self.segments:
            ids = segment_ids(segment, field, text)
            if ids.size:
                parts.append(ids + offset if offset else ids)
        if not parts:
            ids = np.empty(0, dtype=np.int32)
        else:
            ids = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return self._remember(key, ids.astype(np.int32, copy=False))

    def phrase_ids(self, q: wq.Phrase) -> np.ndarray:
        """Documents with the phrase's words at consecutive positions.

        Candidates are the documents having every word; positions are decoded only for them,
        from posting blocks kept for recently used phrase words (教学 recurs in many phrases).
        """
        words = tuple(q.words)
        key = ("\x00phrase", q.fieldname, words, q.slop)
        found = self._ids.get(key)
        if found is not None:
            self._ids.move_to_end(key)
            return found
        frequencies = {word: self.doc_frequency(q.fieldname, word) for word in words}
        if not all(frequencies.values()):
            found = np.empty(0, dtype=np.int32)
        elif q.slop != 1 or not self._has_positions(q.fieldname):
            plain = wq.Phrase(q.fieldname, list(words), slop=q.slop)
            found = np.fromiter(sorted(self.searcher.docs_for_query(plain)), dtype=np.int32)
        else:
            # Candidates have every word (document numbers only: cheap); positions are read
            # rarest word first, and of the common words only the blocks holding a candidate.
            order = sorted(frequencies, key=frequencies.__getitem__)
            candidates = self.ids(q.fieldname, order[0])
            for word in order[1:]:
                candidates = np.intersect1d(
                    candidates, self.ids(q.fieldname, word), assume_unique=True
                )
            found = self._verify_phrase(q.fieldname, words, order, candidates)
        return self._remember(key, found)

    def doc_frequency(self, field: str, text: Any) -> int:
        """How many documents have text in field (from the term dictionary, no postings read)."""
        try:
            return int(self.reader.doc_frequency(field, text))
        except (KeyError, ValueError):
            return 0

    def _has_positions(self, field: str) -> bool:
        return isinstance(self.reader.schema[field].format, Positions)

    def _verify_phrase(
        self, field: str, words: tuple, order: list, candidates: np.ndarray
    ) -> np.ndarray:
        """The candidates where the words stand at consecutive positions.

        Per segment, each word's (document, position) pairs of the candidates still standing
        become keys document << 32 | (position - the word's place in the phrase); the phrase
        starts are the keys every word shares. Rarest word first, so the candidates shrink
        before the common words (的, 教学) are read.
        """
        places = sorted(enumerate(words), key=lambda item: order.index(item[1]))
        found: list[np.ndarray] = []
        for offset, segment in self.segments:
            count = segment.doc_count_all()
            lo, hi = (int(x) for x in np.searchsorted(candidates, [offset, offset + count]))
            if lo == hi:
                continue
            local = (candidates[lo:hi] - offset).astype(np.int64)
            starts: np.ndarray | None = None
            for place, word in places:
                docs, positions = doc_positions(segment, field, word, local)
                keep = positions >= place
                keys = (docs[keep] << 32) | (positions[keep] - place)
                starts = np.unique(keys) if starts is None else np.intersect1d(starts, keys)
                if not starts.size:
                    break
                local = np.unique(starts >> 32)
            if starts is not None and starts.size:
                found.append(np.unique(starts >> 32) + offset)
        if not found:
            return np.empty(0, dtype=np.int32)
        return np.concatenate(found).astype(np.int32)

    def idf(self, df: int) -> float:
        """Whoosh's idf for a term found in df documents."""
        return math.log(self.n / (df + 1)) + 1

    def mask_of(self, ids: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        mask[ids] = True
        return mask

    # ------------------------------------------------------------ evaluation

    def evaluate(self, q: wq.Query | None, *, scored: bool = True) -> Evaluated:
        """The documents q matches (live or not: callers AND with live) and their scores."""
        if q is None or isinstance(q, wq.Every):
            return Evaluated(self.live.copy(), np.zeros(self.n, np.float32) if scored else None)
        if wi.is_null(q):
            return Evaluated(
                np.zeros(self.n, dtype=bool), np.zeros(self.n, np.float32) if scored else None
            )
        if isinstance(q, wq.Term):
            ids = self.ids(q.fieldname, q.text)
            norm = columns.length_norm(self, q.fieldname) if scored else None
            return self._leaf_result(ids, q.boost, scored, norm)
        if isinstance(q, wq.Phrase):
            ids = self.phrase_ids(q)
            norm = columns.length_norm(self, q.fieldname) if scored else None
            return self._leaf_result(ids, q.boost, scored, norm)
        if isinstance(q, wq.AndNot):
            positive = self.evaluate(q.a, scored=scored)
            negative = self.evaluate(q.b, scored=False)
            positive.mask &= ~negative.mask
            return positive
        if isinstance(q, wq.AndMaybe):
            required = self.evaluate(q.a, scored=scored)
            if scored and required.score is not None:
                optional = self.evaluate(q.b, scored=True)
                assert optional.score is not None
                required.score += optional.score
            return required
        if isinstance(q, (wq.And, wq.Or)):
            children = [self.evaluate(child, scored=scored) for child in q.subqueries]
            if not children:
                return self.evaluate(wq.NullQuery, scored=scored)
            mask = children[0].mask.copy()
            for child in children[1:]:
                if isinstance(q, wq.And):
                    mask &= child.mask
                else:
                    mask |= child.mask
            score = None
            if scored:
                score = np.zeros(self.n, np.float32)
                for child in children:
                    assert child.score is not None
                    score += child.score
                if q.boost != 1:
                    score *= q.boost
            return Evaluated(mask, score)
        # Anything else (not produced by querying.py today): Whoosh's own matcher.
        ids = np.fromiter(sorted(self.searcher.docs_for_query(q)), dtype=np.int64)
        return self._leaf_result(ids, getattr(q, "boost", 1.0), scored)

    def _leaf_result(
        self, ids: np.ndarray, boost: float, scored: bool, norm: np.ndarray | None = None
    ) -> Evaluated:
        mask = self.mask_of(ids)
        score = None
        if scored:
            score = np.zeros(self.n, np.float32)
            if ids.size:
                weight = boost * self.idf(int(ids.size))
                score[ids] = weight if norm is None else weight * norm[ids]
        return Evaluated(mask, score)

    def filter_mask(self, q: wq.Query | None) -> np.ndarray:
        """The live documents a filter query allows, cached per searcher."""
        if q is None:
            return self.live
        key = repr(q)
        found = self._filters.get(key)
        if found is None:
            found = self.evaluate(q, scored=False).mask & self.live
            self._filters[key] = found
            while len(self._filters) > FILTER_CACHE_SIZE:
                self._filters.popitem(last=False)
        else:
            self._filters.move_to_end(key)
        return found
