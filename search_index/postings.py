"""A term's documents and positions in one segment, as numpy arrays.

From the segment's sidecar (`search_index.codec`) when the term is frequent enough to be there,
else from Whoosh's posting blocks (`whoosh_internals.Blocks`). Id arrays read from blocks are
kept per segment for the whole process: a segment never changes (deletions are masked
separately), so a searcher reopened after a commit reuses the arrays of the segments it shares
with the previous one and reads only the new, small segment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound

from search_index import whoosh_internals as wi
from search_index.codec import Sidecar

SEGMENT_CACHE_BYTES = 128 * 2**20  # term id arrays per segment, per process


class SegmentPostings:
    """Term id arrays per segment, shared by every searcher of the process (least recently used
    ones dropped past the byte budget)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._arrays: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0

    def __contains__(self, key: tuple) -> bool:
        with self._lock:
            return key in self._arrays

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


SEGMENT_POSTINGS = SegmentPostings(SEGMENT_CACHE_BYTES)


def term_bytes(segment: Any, field: str, text: Any) -> bytes | None:
    try:
        return segment.schema[field].to_bytes(text)
    except (KeyError, ValueError, TypeError):
        return None


def segment_ids(segment: Any, field: str, text: Any) -> np.ndarray:
    """A term's document numbers within one segment (local numbers, deletions included)."""
    sidecar = Sidecar.open(segment)
    btext = term_bytes(segment, field, text)
    found = sidecar.ids(field, btext) if sidecar is not None and btext is not None else None
    if found is not None:
        return found
    where = wi.segment_key(segment)
    key = (where, field, text)
    if where is not None:
        found = SEGMENT_POSTINGS.get(key)
        if found is not None:
            return found
    try:
        matcher = segment.postings(field, text)
    except (TermNotFound, KeyError, ValueError):
        found = np.empty(0, dtype=np.int32)
    else:
        found = wi.block_ids(matcher)
    if where is not None:
        SEGMENT_POSTINGS.put(key, found)
    return found


def _empty_pairs() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)


def doc_positions(
    segment: Any, field: str, word: str, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(document, position) pairs of word in those of docs (sorted, local) that have it.

    From the sidecar when the term is frequent enough to be there (only the candidates' slices
    are read); otherwise from Whoosh's posting blocks, skipping blocks without a candidate.
    """
    sidecar = Sidecar.open(segment)
    btext = term_bytes(segment, field, word)
    run = sidecar.positions(field, btext) if sidecar is not None and btext is not None else None
    if run is not None:
        return _sidecar_positions(*run, docs)
    try:
        blocks = wi.Blocks(segment.postings(field, word))
    except (TermNotFound, KeyError, ValueError):
        return _empty_pairs()
    decode = segment.schema[field].format.decode_positions
    wanted = docs.tolist()
    out_docs: list[int] = []
    out_positions: list[int] = []
    i = 0
    while i < len(wanted) and blocks.active():
        last = blocks.max_id()
        if last < wanted[i]:
            blocks.next()
            continue
        block, values = blocks.read()
        end = i
        while end < len(wanted) and wanted[end] <= last:
            end += 1
        for doc, n in zip(
            wanted[i:end], np.searchsorted(block, wanted[i:end]).tolist(), strict=True
        ):
            if n < block.size and block[n] == doc:
                found = decode(values[n])
                out_docs.extend([doc] * len(found))
                out_positions.extend(found)
        i = end
        blocks.next()
    return np.asarray(out_docs, dtype=np.int64), np.asarray(out_positions, dtype=np.int64)


def _sidecar_positions(
    ids: np.ndarray, counts: np.ndarray, positions: np.ndarray, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
