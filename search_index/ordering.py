"""The page asked for: the first documents of a result set by score or by a fixed order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from search_index import columns

if TYPE_CHECKING:
    from search_index.engine import View


def rank(view: View, name: str, keys: Callable[[], Sequence[np.ndarray]]) -> np.ndarray:
    """Each document's position in a fixed order (np.lexsort keys, last key first)."""

    def make() -> np.ndarray:
        order = np.lexsort(tuple(keys()))
        found = np.empty(view.n, dtype=np.int64)
        found[order] = np.arange(view.n, dtype=np.int64)
        return found

    return view.memo("rank", name, make)


def top(
    view: View, mask: np.ndarray, score: np.ndarray | None, sort: str, limit: int
) -> list[tuple[int, float]]:
    """The first limit (docnum, score) of mask in the sort order; ties by resource id."""
    docs = np.flatnonzero(mask)
    if not docs.size or limit <= 0:
        return []
    if score is not None:
        values = score[docs]
        rid = columns.numeric(view, "rid")[docs]
        if docs.size > limit:
            cut = np.partition(-values, limit - 1)[limit - 1]
            keep = -values <= cut
            docs, values, rid = docs[keep], values[keep], rid[keep]
        order = np.lexsort((rid, -values))[:limit]
        return [(int(docs[i]), float(values[i])) for i in order]

    def newest() -> tuple[np.ndarray, ...]:
        return columns.numeric(view, "rid"), -columns.dense(view, "created")

    if sort == "downloads":
        order_keys = lambda: (*newest(), -columns.dense(view, "downloads"))  # noqa: E731
        positions = rank(view, "downloads", order_keys)[docs]
    else:
        positions = rank(view, "newest", newest)[docs]
    if docs.size > limit:
        picked = np.argpartition(positions, limit - 1)[:limit]
        docs, positions = docs[picked], positions[picked]
    order = np.argsort(positions)
    return [(int(docs[i]), 0.0) for i in order]
