"""Per-document values as arrays over a View: numeric columns and BM25's title-length factor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.fields import DATETIME, NUMERIC
from whoosh.util.numeric import byte_to_length

from search_index import whoosh_internals as wi

T = TypeVar("T")


class View(Protocol):
    """What these functions need of `engine.View` (a protocol, so the engine can call them)."""

    n: int
    reader: Any
    segments: list[tuple[int, Any]]
    live: np.ndarray

    def memo(self, kind: str, key: str, make: Callable[[], T]) -> T: ...

_BYTE_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
_LENGTH_DTYPE = wi.numeric_dtype(LENGTHS_COLUMN)


def numeric(view: View, field: str) -> np.ndarray:
    """A numeric column of every document, in the column's own integer type."""
    return view.memo("numeric", field, lambda: _read_numeric(view, field))


def _read_numeric(view: View, field: str) -> np.ndarray:
    fieldobj = view.reader.schema[field]
    column_type = fieldobj.column_type
    stored_dtype = wi.numeric_dtype(column_type)
    out = np.full(view.n, column_type.default_value(), dtype=stored_dtype.newbyteorder("="))
    for offset, segment in view.segments:
        values = wi.fixed_column(segment, field, stored_dtype, segment.doc_count_all())
        if values is not None:
            out[offset : offset + values.size] = values
    if isinstance(fieldobj, NUMERIC) and not isinstance(fieldobj, DATETIME) and fieldobj.signed:
        # Whoosh stores signed numbers shifted into unsigned sortable form.
        if out.dtype.itemsize == 8:
            out = (out.astype(np.uint64) ^ np.uint64(1 << 63)).view(np.int64)
        else:
            out = out.astype(np.int64) - (1 << (8 * out.dtype.itemsize - 1))
    return out


def dense(view: View, field: str) -> np.ndarray:
    """A numeric column as dense ranks of its values (safe to negate for descending order)."""
    return np.unique(numeric(view, field), return_inverse=True)[1].astype(np.int64)


def lengths(view: View, field: str) -> np.ndarray | None:
    """Each document's length of field (Whoosh's one-byte approximation), None when the field
    keeps no lengths."""
    found = np.zeros(view.n, dtype=np.float32)
    any_column = False
    name = wi.lengths_column(field)
    for offset, segment in view.segments:
        raw = wi.fixed_column(segment, name, _LENGTH_DTYPE, segment.doc_count_all())
        if raw is not None:
            found[offset : offset + raw.size] = _BYTE_LENGTHS[raw]
            any_column = True
    return found if any_column else None


def length_norm(view: View, field: str) -> np.ndarray | None:
    """BM25's factor for one occurrence in each document's field, when lengths are kept."""
    return view.memo("norm", field, lambda: _length_norm(view, field))


def _length_norm(view: View, field: str) -> np.ndarray | None:
    found = lengths(view, field)
    if found is None:
        return None
    average = float(found[view.live].mean()) or 1.0
    k1, b = 1.2, 0.75
    norm = (k1 + 1) / (1 + k1 * (1 - b + b * found / average))
    return np.maximum(norm, 1.0).astype(np.float32)  # reward short, never punish long
