"""Facet counts: per-searcher value codes of a field, counted over a result set."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from search_index import columns
from search_index.schema import NO_YEAR

if TYPE_CHECKING:
    from search_index.engine import View


def codes(view: View, field: str) -> tuple[np.ndarray, list[str]]:
    """Per document, the index of its value of field in the returned list (0: no value)."""
    return view.memo("codes", field, lambda: _codes(view, field))


def _codes(view: View, field: str) -> tuple[np.ndarray, list[str]]:
    if field == "year":
        values, inverse = np.unique(columns.numeric(view, "year"), return_inverse=True)
        labels = ["" if v == NO_YEAR else str(int(v)) for v in values]
        return inverse.astype(np.int32), labels
    found = np.zeros(view.n, dtype=np.int32)
    labels = [""]
    for term in view.reader.field_terms(field):
        if not term:
            continue
        labels.append(str(term))
        found[view.ids(field, term)] = len(labels) - 1
    return found, labels


def facet_counts(view: View, field: str, mask: np.ndarray) -> dict[str, int]:
    """Counts per value of field over mask, most frequent first; no-value left out."""
    found_codes, labels = codes(view, field)
    counts = np.bincount(found_codes[mask], minlength=len(labels))
    found = {labels[i]: int(counts[i]) for i in np.flatnonzero(counts) if labels[i]}
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
