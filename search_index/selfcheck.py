"""Check, once per process, that the engine's fast paths read what Whoosh's public API reads.

`whoosh_internals.missing()` makes sure the private names are there; this writes a small index
in a temporary directory with the library's codec and compares each fast path's answer with the
slow, public one: a term's documents from the sidecar and from the posting blocks, positions
from both, a numeric column and the field lengths read from their files. A Whoosh that changed
what one of those means (not only its name) makes `SearchIndex` refuse to open, with the
path named, instead of answering searches wrongly. About 20 ms.
"""

from __future__ import annotations

import tempfile
import threading
from typing import Any

import numpy as np
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, TEXT, Schema
from whoosh.index import create_in

from search_index import whoosh_internals as wi
from search_index.codec import SIDECAR_MIN_DF, LibraryCodec, PackedPositions, Sidecar

_checked = False
_lock = threading.Lock()

_COMMON, _RARE = "common", "rare"
_DOCS = SIDECAR_MIN_DF + 8  # the common word is in every document: the sidecar keeps it


def _schema() -> Schema:
    text = TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=True)
    text.format = PackedPositions()
    return Schema(text=text, number=COLUMN(NumericColumn("I")))


def _text(i: int) -> str:
    words = [f"w{i}"] * (i % 5) + [_COMMON]
    if i % 7 == 3:
        words.append(_RARE)
    return " ".join(words)


def _compare(reader: Any) -> list[str]:
    from search_index.columns import _BYTE_LENGTHS, _LENGTH_DTYPE
    from search_index.postings import doc_positions

    problems: list[str] = []
    count = reader.doc_count_all()

    def public_ids(word: str) -> list[int]:
        return list(reader.postings("text", word).all_ids())

    def public_positions(word: str) -> list[tuple[int, int]]:
        matcher = reader.postings("text", word)
        return [(d, p) for d, ps in matcher.items_as("positions") for p in ps]

    sidecar = Sidecar.open(reader)
    if sidecar is None:
        problems.append("the postings sidecar was not written or cannot be read")
    else:
        ids = sidecar.ids("text", _COMMON.encode())
        if ids is None or ids.tolist() != public_ids(_COMMON):
            problems.append("the sidecar's document numbers differ from Whoosh's postings")
    if wi.block_ids(reader.postings("text", _RARE)).tolist() != public_ids(_RARE):
        problems.append("document numbers read a block at a time differ from Whoosh's postings")
    everyone = np.arange(count, dtype=np.int64)
    for word in (_COMMON, _RARE):  # the sidecar's positions, then the blocks'
        docs, positions = doc_positions(reader, "text", word, everyone)
        if list(zip(docs.tolist(), positions.tolist(), strict=True)) != public_positions(word):
            problems.append(f"positions of a {word} word differ from Whoosh's postings")
    numbers = wi.fixed_column(reader, "number", wi.numeric_dtype(NumericColumn("I")), count)
    public = list(reader.column_reader("number"))
    if numbers is None or numbers.tolist() + [0] * (count - numbers.size) != public:
        problems.append("a numeric column read from its file differs from Whoosh's column reader")
    raw = wi.fixed_column(reader, wi.lengths_column("text"), _LENGTH_DTYPE, count)
    lengths = [reader.doc_field_length(d, "text") for d in range(count)]
    if raw is None or _BYTE_LENGTHS[raw].tolist() != lengths:
        problems.append("field lengths read from their column differ from Whoosh's")
    if wi.segment_key(reader) is None:
        problems.append("a segment on disk has no process-wide name (folder, segment id)")
    return problems


def run() -> list[str]:
    """What differs between the fast paths and Whoosh's public API (empty when nothing)."""
    problems = wi.missing()
    if problems:
        return problems
    with tempfile.TemporaryDirectory(prefix="library-whoosh-check-") as folder:
        ix = create_in(folder, _schema())
        try:
            writer = ix.writer(codec=LibraryCodec(), compound=False)
            for i in range(_DOCS):
                writer.add_document(text=_text(i), number=i * 1000 + 7)
            writer.commit()
            with ix.reader() as reader:
                try:
                    return _compare(reader)
                finally:
                    Sidecar.forget(reader)
        finally:
            ix.close()


def ensure() -> None:
    """Raise WhooshInternalsMissing unless the fast paths agree with Whoosh (checked once)."""
    global _checked
    if _checked:
        return
    with _lock:
        if _checked:
            return
        problems = run()
        if problems:
            raise wi.WhooshInternalsMissing(problems)
        _checked = True
