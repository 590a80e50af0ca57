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
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.fields import DATETIME, NUMERIC
from whoosh.formats import Positions
from whoosh.query.qcore import _NullQuery
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from search_index.codec import Sidecar
from search_index.schema import META_ID, NO_YEAR

SEGMENT_CACHE_BYTES = 128 * 2**20  # term id arrays per segment, per process
POSTINGS_CACHE_BYTES = 16 * 2**20  # id arrays of terms and phrases, per searcher
FILTER_CACHE_SIZE = 64  # audience and facet-filter masks, per searcher

_BYTE_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
_VIEW_ATTR = "_library_view"
_view_lock = threading.Lock()


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


def _leaf(matcher: Any) -> Any:
    """The on-disk leaf matcher under Whoosh's deletion filter, if any."""
    while not isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "child"):
        matcher = matcher.child
    return matcher


def _block_ids(matcher: Any) -> np.ndarray:
    """Every document number of a leaf matcher, decoded a block at a time (deletions included)."""
    if not isinstance(matcher, W3LeafMatcher) or matcher._byteids:
        return np.fromiter(matcher.all_ids(), dtype=np.int32)
    parts: list[np.ndarray] = []
    while matcher.is_active():
        matcher._read_data()  # one unpickling per block of up to 128 postings
        # the block's ids are delta-encoded
        parts.append(np.cumsum(np.asarray(matcher._data[0], dtype=np.int32), dtype=np.int32))
        matcher._next_block()
    if not parts:
        return np.empty(0, dtype=np.int32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _SegmentPostings:
    """Term id arrays per segment, shared by every searcher of the process.

    A segment's postings never change (deletions are masked separately), so a searcher reopened
    after a commit reuses the arrays of the segments it shares with the previous one and reads
    only the new, small segment.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._arrays: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            found = self._arrays.get(key)
            if found is not None:
                self._arrays.move_to_end(key)
            return found

    def put(self, key: tuple, ids: np.ndarray) -> None:
        with self._lock:
            if key in self._arrays:
                return
            self._arrays[key] = ids
            self._bytes += ids.nbytes
            while self._bytes > self.budget and len(self._arrays) > 1:
                _, dropped = self._arrays.popitem(last=False)
                self._bytes -= dropped.nbytes


_SEGMENT_POSTINGS = _SegmentPostings(SEGMENT_CACHE_BYTES)


def _term_bytes(segment: Any, field: str, text: Any) -> bytes | None:
    try:
        return segment.schema[field].to_bytes(text)
    except (KeyError, ValueError, TypeError):
        return None


def _doc_positions(
    segment: Any, field: str, word: str, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(document, position) pairs of word in those of docs (sorted, local) that have it.

    From the sidecar when the term is frequent enough to be there (only the candidates' slices
    are read); otherwise from Whoosh's posting blocks, skipping blocks without a candidate.
    """
    sidecar = Sidecar.open(segment)
    btext = _term_bytes(segment, field, word)
    run = sidecar.positions(field, btext) if sidecar is not None and btext is not None else None
    if run is not None:
        ids, counts, positions = run
        at = np.searchsorted(ids, docs)
        at_clipped = np.minimum(at, ids.size - 1)
        present = (at < ids.size) & (ids[at_clipped] == docs)
        rows = at_clipped[present]
        ends = np.cumsum(counts, dtype=np.int64)
        sizes = counts[rows].astype(np.int64)
        firsts = ends[rows] - sizes
        total = int(sizes.sum())
        # positions[firsts[i] : firsts[i] + sizes[i]] for every row, as one gather
        shift = np.repeat(firsts - (np.cumsum(sizes) - sizes), sizes)
        picked = positions[shift + np.arange(total, dtype=np.int64)].astype(np.int64)
        return np.repeat(docs[present], sizes), picked
    wanted = docs.tolist()
    out_docs: list[int] = []
    out_positions: list[int] = []
    try:
        matcher = _leaf(segment.postings(field, word))
    except (TermNotFound, KeyError, ValueError):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    decode = segment.schema[field].format.decode_positions
    i = 0
    while i < len(wanted) and matcher.is_active():
        if matcher._maxid < wanted[i]:
            matcher._next_block()  # reads the next block's header only
            continue
        matcher._read_data()
        ids, _, values = matcher._data
        block = np.cumsum(np.asarray(ids, dtype=np.int64))  # delta-encoded ids
        end = i
        while end < len(wanted) and wanted[end] <= matcher._maxid:
            end += 1
        for doc, n in zip(
            wanted[i:end], np.searchsorted(block, wanted[i:end]).tolist(), strict=True
        ):
            if n < block.size and block[n] == doc:
                found = decode(values[n])
                out_docs.extend([doc] * len(found))
                out_positions.extend(found)
        i = end
        matcher._next_block()
    return np.asarray(out_docs, dtype=np.int64), np.asarray(out_positions, dtype=np.int64)


def _segment_ids(segment: Any, field: str, text: Any) -> np.ndarray:
    """A term's document numbers within one segment (local numbers, deletions included)."""
    sidecar = Sidecar.open(segment)
    btext = _term_bytes(segment, field, text)
    found = sidecar.ids(field, btext) if sidecar is not None and btext is not None else None
    if found is not None:
        return found
    key = (getattr(segment, "_segid", None) or id(segment), field, text)
    found = _SEGMENT_POSTINGS.get(key)
    if found is not None:
        return found
    try:
        matcher = segment.postings(field, text)
    except (TermNotFound, KeyError, ValueError):
        found = np.empty(0, dtype=np.int32)
    else:
        found = _block_ids(_leaf(matcher))
    if key[0] != id(segment):
        _SEGMENT_POSTINGS.put(key, found)
    return found


class View:
    """One searcher's documents as arrays: live documents, term id arrays, columns, facets."""

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
        self._numeric: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._ranks: dict[str, np.ndarray] = {}
        self._norms: dict[str, np.ndarray | None] = {}

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
            ids = _segment_ids(segment, field, text)
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
                docs, positions = _doc_positions(segment, field, word, local)
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
        if isinstance(q, _NullQuery):
            return Evaluated(
                np.zeros(self.n, dtype=bool), np.zeros(self.n, np.float32) if scored else None
            )
        if isinstance(q, wq.Term):
            ids = self.ids(q.fieldname, q.text)
            return self._leaf_result(ids, q.boost, scored, self.length_norm(q.fieldname))
        if isinstance(q, wq.Phrase):
            ids = self.phrase_ids(q)
            return self._leaf_result(ids, q.boost, scored, self.length_norm(q.fieldname))
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

    def length_norm(self, field: str) -> np.ndarray | None:
        """BM25's factor for one occurrence in each document's field, when lengths are kept."""
        if field in self._norms:
            return self._norms[field]
        found = False
        norms: np.ndarray | None = None
        lengths = np.zeros(self.n, dtype=np.float32)
        for offset, segment in self.segments:
            perdoc = getattr(segment, "_perdoc", None)
            count = segment.doc_count_all()
            name = f"_{field}_len"
            if perdoc is None or not perdoc.has_column(name):
                continue
            column = perdoc.column_reader(name, LENGTHS_COLUMN)
            stored = min(column._count, count)
            raw = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
            lengths[offset : offset + stored] = _BYTE_LENGTHS[raw]
            found = True
        if found:
            average = float(lengths[self.live].mean()) or 1.0
            k1, b = 1.2, 0.75
            norm = (k1 + 1) / (1 + k1 * (1 - b + b * lengths / average))
            norms = np.maximum(norm, 1.0).astype(np.float32)  # reward short, never punish long
        self._norms[field] = norms
        return norms

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

    # ------------------------------------------------------------ columns

    def numeric(self, field: str) -> np.ndarray:
        """A numeric column of every document, in the column's own integer type."""
        found = self._numeric.get(field)
        if found is not None:
            return found
        column_type = self.reader.schema[field].column_type
        dtype = np.dtype(column_type._typecode)
        out = np.full(self.n, column_type._default, dtype=dtype)
        for offset, segment in self.segments:
            count = segment.doc_count_all()
            if not segment.has_column(field):
                continue
            column = segment.column_reader(field, translate=False)
            if hasattr(column, "_fixedlen") and hasattr(column, "_count"):
                stored = min(column._count, count)
                raw = column._dbfile.get(column._basepos, stored * column._fixedlen)
                values = np.frombuffer(raw, dtype=dtype.newbyteorder(">"))
                out[offset : offset + stored] = values
            else:
                out[offset : offset + count] = np.fromiter(column, dtype=dtype, count=count)
        fieldobj = self.reader.schema[field]
        if isinstance(fieldobj, NUMERIC) and not isinstance(fieldobj, DATETIME) and fieldobj.signed:
            # Whoosh stores signed numbers shifted into unsigned sortable form.
            if dtype.itemsize == 8:
                out = (out.astype(np.uint64) ^ np.uint64(1 << 63)).view(np.int64)
            else:
                out = out.astype(np.int64) - (1 << (8 * dtype.itemsize - 1))
        self._numeric[field] = out
        return out

    def dense(self, field: str) -> np.ndarray:
        """A numeric column as dense ranks of its values (safe to negate for descending order)."""
        return np.unique(self.numeric(field), return_inverse=True)[1].astype(np.int64)

    def codes(self, field: str) -> tuple[np.ndarray, list[str]]:
        """Per document, the index of its value of field in the returned list (0: no value)."""
        found = self._codes.get(field)
        if found is not None:
            return found
        if field == "year":
            years = self.numeric("year")
            values, inverse = np.unique(years, return_inverse=True)
            labels = ["" if v == NO_YEAR else str(int(v)) for v in values]
            found = (inverse.astype(np.int32), labels)
        else:
            codes = np.zeros(self.n, dtype=np.int32)
            labels = [""]
            for term in self.reader.field_terms(field):
                if not term:
                    continue
                labels.append(str(term))
                codes[self.ids(field, term)] = len(labels) - 1
            found = (codes, labels)
        self._codes[field] = found
        return found

    def facet_counts(self, field: str, mask: np.ndarray) -> dict[str, int]:
        """Counts per value of field over mask, most frequent first; no-value left out."""
        codes, labels = self.codes(field)
        counts = np.bincount(codes[mask], minlength=len(labels))
        found = {labels[i]: int(counts[i]) for i in np.flatnonzero(counts) if labels[i]}
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))

    def rank(self, name: str, keys: Callable[[], Sequence[np.ndarray]]) -> np.ndarray:
        """Each document's position in a fixed order (np.lexsort keys, last key first)."""
        found = self._ranks.get(name)
        if found is None:
            order = np.lexsort(tuple(keys()))
            found = np.empty(self.n, dtype=np.int64)
            found[order] = np.arange(self.n, dtype=np.int64)
            self._ranks[name] = found
        return found

    # ------------------------------------------------------------ ordering

    def top(
        self, mask: np.ndarray, score: np.ndarray | None, sort: str, limit: int
    ) -> list[tuple[int, float]]:
        """The first limit (docnum, score) of mask in the sort order; ties by resource id."""
        docs = np.flatnonzero(mask)
        if not docs.size or limit <= 0:
            return []
        if score is not None:
            values = score[docs]
            rid = self.numeric("rid")[docs]
            if docs.size > limit:
                cut = np.partition(-values, limit - 1)[limit - 1]
                keep = -values <= cut
                docs, values, rid = docs[keep], values[keep], rid[keep]
            order = np.lexsort((rid, -values))[:limit]
            return [(int(docs[i]), float(values[i])) for i in order]
        if sort == "downloads":
            rank = self.rank(
                "downloads",
                lambda: (self.numeric("rid"), -self.dense("created"), -self.dense("downloads")),
            )
        else:
            rank = self.rank("newest", lambda: (self.numeric("rid"), -self.dense("created")))
        positions = rank[docs]
        if docs.size > limit:
            picked = np.argpartition(positions, limit - 1)[:limit]
            docs, positions = docs[picked], positions[picked]
        order = np.argsort(positions)
        return [(int(docs[i]), 0.0) for i in order]
