"""Whoosh's W3 codec plus a postings sidecar per segment, and positions that are cheap to read.

Whoosh keeps a term's postings in blocks of 128, each one zlib-compressed pickle holding the
document numbers together with every posting's weight and positions, and pickles each posting's
positions once more inside. Reading only the documents of a term found in most of 100,000
resources (的, 教学, 中) therefore means unpickling hundreds of blocks with their positions:
100–300 ms the first time a process needs it, and as much again for the positions a phrase
needs. So, while Whoosh writes those blocks, the field writer below also writes each frequent
term's postings as plain little-endian arrays:

- `.lid`: its document numbers, int32;
- `.lps` (word fields only): how many positions each of those documents has (uint16), then the
  positions themselves, document after document, as uint16 when the term's positions all fit
  (almost always: body text is cut at 50,000 characters) or else uint32;
- `.lix`: where each term's runs start (a pickled dict).

`search_index.postings` reads them memory-mapped with `numpy.frombuffer`: a term's documents for
queries, and for phrases only the positions of the candidate documents. The files belong to the
segment (Whoosh names them after it): they are rewritten by every merge (which writes through
this same writer) and deleted with the segment. Segments without them (an older schema) are read
from Whoosh's blocks.

Segments are written as separate files, not one compound file (`SearchIndex` asks for
`compound=False`): Whoosh opens a file inside a compound segment by copying it into memory, so
every searcher process held its own copy of the postings (1.2 GB at 100,000 resources);
separate files are read through the page cache, shared by every process.

Positions of the word fields are written by `PackedPositions` (a marker byte, then uint32s)
rather than Whoosh's pickled deltas: cheaper to write, and the sidecar copies them as they are.
It still reads the pickled form, so a generation built before it stays searchable until the
rebuild that a schema-version change triggers has replaced it.

Also: no per-posting length statistics (`length_stats`). W3 would look up each posting's field
length to keep block min/max lengths for its own BM25 skipping, which our engine never uses;
for fields without lengths that lookup is one file-system `stat` per posting.
"""

from __future__ import annotations

import mmap
import os
import pickle
import secrets
import threading
from array import array
from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.formats import Positions
from whoosh.util import IDCHARS

from search_index.whoosh_internals import CapturingPostingsWriter, TermFieldWriter, segment_key

IDS_EXT = ".lid"  # int32 document numbers of frequent terms, term after term
POSITIONS_EXT = ".lps"  # position counts, then positions, of those postings (word fields)
INDEX_EXT = ".lix"  # pickled {(field name, term bytes): Run} into the files above
SIDECAR_MIN_DF = 32  # rarer terms fit in one or two Whoosh blocks: cheap to read as they are
MAX_COUNT = 0xFFFF  # a posting with more positions keeps its term's positions out of the sidecar

PACKED = b"\xff"  # first byte of a PackedPositions value; Whoosh's own start with a 0 byte
_UINT32 = np.dtype("<u4")
SEGMENT_ID_LENGTH = 16  # as Whoosh's own

# A term's runs: (first id, number of ids, byte offset of its counts and positions or -1 when
# they are not kept, bytes per position).
Run = tuple[int, int, int, int]


class PackedPositions(Positions):
    """Positions as a marker byte and little-endian uint32s instead of pickled deltas.

    Reads Whoosh's pickled form too (a generation written before this format existed).
    """

    def encode(self, poslist: list[int]) -> bytes:
        return PACKED + array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if valuestring[:1] == PACKED:
            return np.frombuffer(valuestring, dtype=_UINT32, offset=1).tolist()
        return super().decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        if valuestring[:1] == PACKED:
            return (len(valuestring) - 1) // 4
        return super().decode_frequency(valuestring)


class LibraryCodec(W3Codec):
    """W3Codec whose segments carry the postings sidecar."""

    length_stats = False

    def new_segment(self, storage: Any, indexname: str) -> Any:
        """A new segment named from the operating system's randomness, never one the storage
        already has files of.

        Whoosh names segments with the global `random` module, whose state anything in the
        process may set: Hypothesis seeds it with 0 before every example (and the API fuzz
        test's server threads share it), so two commits drew the same name, and the second
        writer's files (opened for writing) truncated those of the live segment of that name.
        """
        segment = super().new_segment(storage, indexname)
        taken = {name.split(".", 1)[0] for name in storage.list()}
        while True:
            segment.segid = "".join(secrets.choice(IDCHARS) for _ in range(SEGMENT_ID_LENGTH))
            if segment.segment_id() not in taken:
                return segment

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _SidecarFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return CapturingPostingsWriter.for_codec(self, dbfile, byteids)


class _SidecarFieldWriter(TermFieldWriter):
    def __init__(self, codec: W3Codec, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._ids_file = self.create_file(IDS_EXT)
        self._positions_file = self.create_file(POSITIONS_EXT)
        self._runs: dict[tuple[str, bytes], Run] = {}
        self._ids_written = 0  # values in IDS_EXT so far
        self._positions_written = 0  # bytes in POSITIONS_EXT so far
        self._packed = False  # the current field's positions are PackedPositions

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        self._packed = isinstance(fieldobj.format, PackedPositions)

    def term_finished(
        self, fieldname: str, btext: bytes, ids: array, values: list[bytes]
    ) -> None:
        if len(ids) < SIDECAR_MIN_DF:
            return
        first_position, width = -1, 0
        if self._packed and len(values) == len(ids) and all(v[:1] == PACKED for v in values):
            counts = array("H", [min((len(v) - 1) // 4, MAX_COUNT) for v in values])
            if max(counts) < MAX_COUNT:
                positions = np.frombuffer(b"".join(v[1:] for v in values), dtype=_UINT32)
                if positions.size and int(positions.max()) <= 0xFFFF:
                    positions = positions.astype("<u2")
                first_position, width = self._positions_written, positions.itemsize
                self._positions_file.write(counts.tobytes())
                self._positions_file.write(positions.tobytes())
                self._positions_written += len(counts) * 2 + positions.nbytes
        self._runs[(fieldname, btext)] = (self._ids_written, len(ids), first_position, width)
        self._ids_file.write(ids.tobytes())  # little-endian on x86-64 and arm64
        self._ids_written += len(ids)

    def close(self) -> None:
        for sidefile in (self._ids_file, self._positions_file):
            sidefile.close()
        with self.create_file(INDEX_EXT) as out:
            out.write(pickle.dumps(self._runs, protocol=pickle.HIGHEST_PROTOCOL))
        super().close()


class Sidecar:
    """One segment's sidecar: a term's documents and positions.

    Opened once per segment for the whole process (`open`): a segment never changes, and every
    change-log commit reopens the searchers, which would otherwise unpickle each large segment's
    `.lix` again (~40 ms at 100,000 resources). The most recently used ones stay open.
    """

    _CACHE_SIZE = 32
    _cache: OrderedDict[tuple[str, str], Sidecar | None] = OrderedDict()
    _cache_lock = threading.Lock()

    def __init__(self, ids: memoryview, positions: memoryview, runs: dict[tuple[str, bytes], Run]):
        self._ids = ids
        self._positions = positions
        self._runs = runs

    @classmethod
    def open(cls, reader: Any) -> Sidecar | None:
        """The sidecar of a Whoosh SegmentReader's segment, or None when it has none (an older
        schema, a compound segment, damaged files: Whoosh's own postings answer instead)."""
        key = segment_key(reader)
        if key is None:
            return None
        with cls._cache_lock:
            if key in cls._cache:
                cls._cache.move_to_end(key)
                return cls._cache[key]
        found = cls._read(os.path.join(*key))
        with cls._cache_lock:
            cls._cache[key] = found
            while len(cls._cache) > cls._CACHE_SIZE:
                cls._cache.popitem(last=False)
        return found

    @classmethod
    def load(cls, reader: Any) -> Sidecar | None:
        """The sidecar read afresh from disk (no process cache), for the health check; None when
        the segment has none or its files are damaged."""
        key = segment_key(reader)
        return None if key is None else cls._read(os.path.join(*key))

    def terms(self) -> list[tuple[str, bytes]]:
        """Every (field name, term bytes) the sidecar holds."""
        return list(self._runs)

    @classmethod
    def forget(cls, reader: Any) -> None:
        """Drop a segment's sidecar from the process cache (its files are going away)."""
        key = segment_key(reader)
        with cls._cache_lock:
            cls._cache.pop(key, None)  # type: ignore[arg-type]

    @classmethod
    def _read(cls, stem: str) -> Sidecar | None:
        try:
            with open(stem + INDEX_EXT, "rb") as index_file:
                runs = pickle.load(index_file)
            ids, positions = (_mapped(stem + ext) for ext in (IDS_EXT, POSITIONS_EXT))
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            return None  # none, damaged or partly written
        if runs:
            first, count, *_ = next(reversed(runs.values()))  # runs are written in file order
            if (first + count) * 4 > len(ids):
                return None  # truncated
        return cls(ids, positions, runs)

    def ids(self, field: str, btext: bytes) -> np.ndarray | None:
        """The term's document numbers (int32, sorted), or None when the sidecar lacks the term."""
        run = self._runs.get((field, btext))
        if run is None:
            return None
        first, count = run[0], run[1]
        return np.frombuffer(self._ids, dtype="<i4", count=count, offset=first * 4)

    def positions(
        self, field: str, btext: bytes
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(document numbers, each one's position count, all positions), or None when not kept."""
        run = self._runs.get((field, btext))
        if run is None or run[2] < 0:
            return None
        first, count, first_position, width = run
        ids = np.frombuffer(self._ids, dtype="<i4", count=count, offset=first * 4)
        counts = np.frombuffer(self._positions, dtype="<u2", count=count, offset=first_position)
        total = int(counts.sum(dtype=np.int64))
        positions = np.frombuffer(
            self._positions,
            dtype="<u2" if width == 2 else _UINT32,
            count=total,
            offset=first_position + count * 2,
        )
        return ids, counts, positions


def _mapped(path: str) -> memoryview:
    """A file's bytes, memory-mapped: nothing copied, pages shared by every process."""
    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return memoryview(b"")
        return memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
