"""The one door to Whoosh's private parts: every private Whoosh name this package uses is here.

The engine is fast because it reads Whoosh's files a block or a column at a time rather than a
posting at a time, and the codec because it takes each term's postings as Whoosh writes them.
Neither is possible through Whoosh's public API, so the few private attributes they need are
reached from this module only. When a `SearchIndex` is made, `search_index.selfcheck` runs
`missing()` (every such name must still be there) and then compares each fast path's answer with
Whoosh's public API on a small index written for the purpose: a Whoosh release that renames or
changes one makes the index refuse to open with a message naming it, instead of quietly taking a
slow path (or a wrong one).

What is private, and why:

- writing: `W3PostingsWriter`'s current block (`_ids`, `_weights`, `_values`, `_maxweight`,
  `_minlength`, `_maxlength`, `_blocklimit`, `_write_block`) and `W3Codec`'s block settings
  (`_blocklimit`, `_compression`, `_inlinelimit`); `W3FieldWriter`'s current field and term
  (`_fieldname`, `_btext`, `_postwriter`) and its file maker (`_create_file`);
- reading postings: `W3LeafMatcher`'s block reader (`_read_data`, `_data`, `_next_block`,
  `_byteids`); the block's last id is public (`block_max_id()`);
- reading columns: a numeric column type's struct typecode (`NumericColumn._typecode`); the
  bytes themselves are read from the column's file, named by the public
  `W3Codec.column_filename`, in the layout `FixedBytesColumn` writes (fixed-width big-endian
  values from offset 0, documents past the last written one take the default); the field-length
  column's name follows `whoosh.codec.whoosh3._lenfield`.

Everything else (`reader.storage()`, `reader.segment()`, `segment.segment_id()`,
`query.NullQuery`) is public and used as such.
"""

from __future__ import annotations

import io
import os
from array import array
from typing import Any

import numpy as np
import whoosh
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
from whoosh.columns import NumericColumn
from whoosh.filedb.structfile import StructFile

WHOOSH_VERSION = whoosh.versionstring()


class WhooshInternalsMissing(RuntimeError):
    """The installed Whoosh lacks (or changed) an internal the search engine's fast paths need."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"whoosh-reloaded {WHOOSH_VERSION} is not the Whoosh this search engine was written "
            "against: " + "; ".join(problems) + ". Install the whoosh-reloaded version pinned in "
            "pyproject.toml, or adapt search_index/whoosh_internals.py to the new one."
        )


# ---------------------------------------------------------------- the check


def _has(obj: Any, *names: str) -> list[str]:
    holder = obj if isinstance(obj, type) else type(obj)
    return [f"{holder.__name__}.{name} is gone" for name in names if not hasattr(obj, name)]


def _sets(cls: type, name: str) -> bool:
    """Whether a method of cls (or of its bases) names the attribute name."""
    for klass in cls.__mro__:
        for value in vars(klass).values():
            code = getattr(value, "__code__", None)
            if code is not None and name in code.co_names:
                return True
    return False


def missing() -> list[str]:
    """Every internal this module needs that the installed Whoosh does not have."""
    problems = _has(W3Codec(), "_blocklimit", "_compression", "_inlinelimit", "column_filename")
    writer = W3PostingsWriter(StructFile(io.BytesIO()), blocklimit=128)
    problems += _has(writer, "_write_block", "_new_block", "_blocklimit")
    if hasattr(writer, "_new_block"):
        writer._new_block()
        problems += _has(
            writer, "_ids", "_weights", "_values", "_maxweight", "_minlength", "_maxlength"
        )
    problems += _has(W3FieldWriter, "_create_file", "start_field", "finish_term")
    problems += _has(W3LeafMatcher, "_read_data", "_next_block", "block_max_id", "is_active")
    problems += _has(NumericColumn("I"), "_typecode")
    # Attributes Whoosh sets on its objects as it goes: some method of the class must set them.
    for cls, names in (
        (W3FieldWriter, ("_fieldname", "_btext", "_postwriter")),
        (W3LeafMatcher, ("_byteids", "_data")),
    ):
        problems += [f"{cls.__name__} no longer keeps {name}" for name in names
                     if not _sets(cls, name)]
    return problems


# ---------------------------------------------------------------- writing


class CapturingPostingsWriter(W3PostingsWriter):
    """W3's postings writer that keeps the current term's document numbers and values, a block
    at a time (cheaper than a Python call per posting), and adds postings without Whoosh's
    per-posting type assertions (it takes every posting of a build: ~150 per resource without
    body text, ~430 with)."""

    # Kept by Whoosh's writer (set in _new_block, which every block starts with).
    _maxweight: float
    _minlength: int | None
    _maxlength: int

    @classmethod
    def for_codec(cls, codec: W3Codec, dbfile: Any, byteids: bool) -> CapturingPostingsWriter:
        return cls(
            dbfile,
            blocklimit=codec._blocklimit,
            byteids=byteids,
            compression=codec._compression,
            inlinelimit=codec._inlinelimit,
        )

    def add_posting(
        self, id_: int, weight: float, vbytes: bytes, length: int | None = None
    ) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def start_postings(self, format_: Any, terminfo: Any) -> None:
        super().start_postings(format_, terminfo)
        self.term_ids = array("I")
        self.term_values: list[bytes] = []

    def _write_block(self, last: bool = False) -> None:
        self.term_ids.extend(self._ids)
        self.term_values.extend(self._values)
        super()._write_block(last)


class TermFieldWriter(W3FieldWriter):
    """W3's field writer that hands each finished term's postings to `term_finished`.

    The codec's postings writer must be a CapturingPostingsWriter."""

    def create_file(self, ext: str) -> Any:
        """A new file of this segment named with the extension ext."""
        return self._create_file(ext)

    def finish_term(self) -> None:
        postwriter = self._postwriter
        super().finish_term()  # writes the last block
        self.term_finished(
            self._fieldname, self._btext, postwriter.term_ids, postwriter.term_values
        )

    def term_finished(
        self, fieldname: str, btext: bytes, ids: array, values: list[bytes]
    ) -> None:
        """Called with every term's document numbers and posting values, in writing order."""


# ---------------------------------------------------------------- reading postings


def is_null(q: Any) -> bool:
    """Whether q is Whoosh's NullQuery (matches nothing)."""
    return isinstance(q, type(wq.NullQuery))


def leaf(matcher: Any) -> Any:
    """The on-disk leaf matcher under Whoosh's deletion filter, if any, at its first posting.

    `SegmentReader.postings` wraps the list in a FilterMatcher when the reader has deletions,
    and the filter moves the list past its leading deleted documents as it is made: rewound
    (the public `Matcher.reset()`), the leaf gives every posting, deleted or not, whichever
    reader asked. The process-wide segment cache (`search_index.postings`) depends on it.
    """
    wrapped = False
    while not isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "child"):
        matcher = matcher.child
        wrapped = True
    if wrapped:
        matcher.reset()
    return matcher


class Blocks:
    """A term's posting blocks in a segment, one at a time: the last document number of the
    current block (from its header, cheap), and on request its documents and values (one
    unpickling of up to 128 postings)."""

    def __init__(self, matcher: Any) -> None:
        self._matcher = leaf(matcher)
        if not isinstance(self._matcher, W3LeafMatcher) or self._matcher._byteids:
            raise TypeError(f"not a W3 posting list: {self._matcher!r}")

    def active(self) -> bool:
        return bool(self._matcher.is_active())

    def max_id(self) -> int:
        return int(self._matcher.block_max_id())

    def read(self) -> tuple[np.ndarray, Any]:
        """The block's document numbers (int64, ascending) and its posting values."""
        self._matcher._read_data()
        ids, _, values = self._matcher._data
        return np.cumsum(np.asarray(ids, dtype=np.int64)), values  # ids are delta-encoded

    def next(self) -> None:
        """Move to the next block (reads its header only)."""
        self._matcher._next_block()


def block_ids(matcher: Any) -> np.ndarray:
    """Every document number of a term's postings (int32, deletions included), a block at a time;
    a posting list that is not W3's on-disk one (an in-memory segment) a posting at a time."""
    try:
        blocks = Blocks(matcher)
    except TypeError:
        return np.fromiter(leaf(matcher).all_ids(), dtype=np.int32)
    parts: list[np.ndarray] = []
    while blocks.active():
        parts.append(blocks.read()[0].astype(np.int32))
        blocks.next()
    if not parts:
        return np.empty(0, dtype=np.int32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


# ---------------------------------------------------------------- segments and columns


def segment_folder(reader: Any) -> str | None:
    """The directory of a segment reader's files, or None for an in-memory index."""
    folder = getattr(reader.storage(), "folder", None)
    return str(folder) if folder is not None else None


def segment_key(reader: Any) -> tuple[str, str] | None:
    """A process-wide name for a segment reader's segment (folder, segment id), None when its
    files are not on disk."""
    folder = segment_folder(reader)
    return None if folder is None else (folder, reader.segment().segment_id())


def lengths_column(field: str) -> str:
    """The name of the column in which Whoosh keeps a field's per-document lengths (one byte)."""
    return f"_{field}_len"


def numeric_dtype(column_type: Any) -> np.dtype:
    """The numpy type of a NumericColumn's values as Whoosh stores them (big-endian)."""
    return np.dtype(column_type._typecode).newbyteorder(">")


def fixed_column(reader: Any, name: str, dtype: np.dtype, count: int) -> np.ndarray | None:
    """The stored values of a fixed-width column of a segment reader (dtype, as many as written:
    at most count, the documents after the last written one have the column's default), or None
    when the segment has no such column."""
    storage = reader.storage()
    filename = W3Codec.column_filename(reader.segment(), name)
    if not storage.file_exists(filename):
        return None
    path = os.path.join(segment_folder(reader) or "", filename)
    if os.path.isfile(path):
        values = np.fromfile(path, dtype=dtype, count=count)
    else:
        with storage.open_file(filename) as column_file:
            raw = column_file.read(storage.file_length(filename))
        values = np.frombuffer(raw, dtype=dtype)[:count]
    return values
