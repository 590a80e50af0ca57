"""BM25F multiplied by each resource's own mild boost (award level, recency), read from a column."""

from __future__ import annotations

from typing import Any

from whoosh.scoring import BM25F, BaseScorer

from search_index.schema import MAX_DOC_BOOST


class _BoostedScorer(BaseScorer):
    """A term scorer whose scores are multiplied by the document's boost column."""

    def __init__(self, inner: BaseScorer, boosts: Any) -> None:
        self._inner = inner
        self._boosts = boosts

    def supports_block_quality(self) -> bool:
        return self._inner.supports_block_quality()

    def score(self, matcher: Any) -> float:
        return self._inner.score(matcher) * ((self._boosts[matcher.id()] or 1000) / 1000)

    def max_quality(self) -> float:
        return self._inner.max_quality() * MAX_DOC_BOOST

    def block_quality(self, matcher: Any) -> float:
        return self._inner.block_quality(matcher) * MAX_DOC_BOOST


class BoostedBM25F(BM25F):
    """BM25F where a better-awarded, more recent resource scores a little higher (≤ ×1.25)."""

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> BaseScorer:
        inner = super().scorer(searcher, fieldname, text, qf=qf)
        reader = searcher.reader()
        if not reader.has_column("boost"):
            return inner
        return _BoostedScorer(inner, reader.column_reader("boost"))
