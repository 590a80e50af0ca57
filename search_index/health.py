"""The health check of a generation: every segment opened, every file of it read through.

A damaged file (truncated, overwritten, half copied) shows only when a query happens to read
the part that is damaged, so the check reads everything a search may read: each segment's
stored fields of every document, every column, the term dictionary and the postings of every
term (document numbers and values, counted against the term's document frequency), and the
sidecar's document numbers against Whoosh's own. It costs about as much as reading the index
once, so it runs on demand (`flask index-check`) and when a search fails, never per query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from whoosh.fields import Schema
from whoosh.index import open_dir

from search_index.codec import IDS_EXT, INDEX_EXT, Sidecar
from search_index.whoosh_internals import segment_key

MAX_PROBLEMS = 20


def check_generation(generation: Path, schema: Schema) -> list[str]:
    """What is wrong with the generation in that directory; empty when every part reads."""
    try:
        reader = open_dir(str(generation), schema=schema).reader()
    except Exception as error:  # noqa: BLE001 - any failure to open is damage to report
        return [f"{generation.name}: cannot be opened: {error!r}"]
    problems: list[str] = []
    try:
        for segment, _offset in reader.leaf_readers():
            try:
                name = segment.segment().segment_id()
            except Exception:  # noqa: BLE001
                name = "?"
            try:
                problems += [f"{generation.name}/{name}: {p}" for p in _check_segment(segment)]
            except Exception as error:  # noqa: BLE001 - whatever a damaged file raises
                problems.append(f"{generation.name}/{name}: {error!r}")
            if len(problems) >= MAX_PROBLEMS:
                break
    finally:
        try:
            reader.close()
        except Exception:  # noqa: BLE001 - closing a damaged reader; nothing more to learn
            pass
    return problems[:MAX_PROBLEMS]


def _check_segment(segment: Any) -> list[str]:
    problems: list[str] = []
    count = segment.doc_count_all()
    for docnum in range(count):
        if not isinstance(segment.stored_fields(docnum), dict):
            return [f"document {docnum}: stored fields unreadable"]
    schema = segment.schema
    for name in schema.names():
        field = schema[name]
        if field.column_type is not None and segment.has_column(name):
            values = list(segment.column_reader(name))
            if len(values) != count:
                problems.append(f"column {name}: {len(values)} values for {count} documents")
    # The reader's postings leave deleted documents out; the term dictionary counts them.
    deletions = segment.has_deletions()
    whoosh_ids: dict[tuple[str, bytes], np.ndarray] = {}
    for fieldname, btext in segment.all_terms():
        matcher = segment.postings(fieldname, btext)
        ids = []
        while matcher.is_active():
            ids.append(matcher.id())
            matcher.value()  # the posting's weight and positions, as stored
            matcher.next()
        frequency = segment.doc_frequency(fieldname, btext)
        counted = len(ids) <= frequency if deletions else len(ids) == frequency
        if not counted or ids != sorted(set(ids)) or (ids and ids[-1] >= count):
            problems.append(f"postings of {fieldname}:{btext!r} disagree with the term dictionary")
            continue
        whoosh_ids[fieldname, btext] = np.asarray(ids, dtype=np.int32)
    key = segment_key(segment)
    if key is not None:
        stem = str(Path(key[0]) / key[1])
        sidecar = Sidecar.load(segment)
        if sidecar is None:
            if Path(stem + INDEX_EXT).exists() or Path(stem + IDS_EXT).exists():
                problems.append("the postings sidecar cannot be read")
        else:
            for fieldname, btext in sidecar.terms():
                found = sidecar.ids(fieldname, btext)
                expected = whoosh_ids.get((fieldname, btext))
                if found is not None and deletions:
                    found = found[[not segment.is_deleted(int(d)) for d in found]]
                if found is None or expected is None or not np.array_equal(found, expected):
                    problems.append(f"sidecar of {fieldname}:{btext!r} disagrees with the postings")
                    break
    return problems
