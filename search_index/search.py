"""One search over an open Whoosh searcher: a page of hits, the exact total and facet counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from whoosh import query
from whoosh.query import Query
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher
from whoosh.sorting import Count, FieldFacet

from search_index import highlights
from search_index.documents import Audience, Hit, SearchResult
from search_index.querying import (
    FILTER_FIELDS,
    active_filter_fields,
    filter_query,
    meta_mask,
    query_words,
    sort_facet,
    text_query,
)
from search_index.schema import NO_YEAR

MAX_PER_PAGE = 100
FACET_FIELDS: tuple[str, ...] = FILTER_FIELDS


def _facet_counts(groups: Mapping[object, int]) -> dict[str, int]:
    """Counts keyed by value as text, most frequent first; documents without a value left out."""
    counts: dict[str, int] = {}
    for key, count in groups.items():
        if key is None or key == "" or key == NO_YEAR or key == b"":
            continue
        counts[str(key)] = counts.get(str(key), 0) + count
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _count_facets(
    searcher: Searcher, q: Query, filt: Query | None, fields: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Counts per value of each field over the matches, read from the sortable columns."""
    if not fields:
        return {}
    groupedby = {name: FieldFacet(name, maptype=Count) for name in fields}
    results = searcher.search(
        q, limit=None, scored=False, filter=filt, mask=meta_mask(), groupedby=groupedby
    )
    return {name: _facet_counts(results.groups(name)) for name in fields}


def _hit(found: WhooshHit, q: Query | None, searcher: Searcher, *, scored: bool) -> Hit:
    """Our Hit for a Whoosh hit, with highlights for the text fields that match."""
    stored = found.fields()
    analyzer = searcher.schema["title"].analyzer
    marks: dict[str, str] = {}
    fragment = highlights.whole(stored.get("title", ""), query_words(q, "title"), analyzer)
    if fragment:
        marks["title"] = fragment
    for field in ("abstract", "body"):
        fragment = highlights.snippet(stored.get(field, ""), query_words(q, field), analyzer)
        if fragment:
            marks[field] = fragment
    # A sorted search reports its sort key as the score; only relevance has a meaningful one.
    score = float(found.score or 0.0) if scored else 0.0
    return Hit(id=int(stored["id"]), score=score, highlights=marks)


def empty_result(page: int, per_page: int) -> SearchResult:
    """The answer when there is nothing to search yet."""
    return SearchResult(
        total=0,
        page=max(1, int(page)),
        per_page=min(MAX_PER_PAGE, max(1, int(per_page))),
        hits=[],
        facets={name: {} for name in FACET_FIELDS},
    )


def run_search(
    searcher: Searcher,
    text: str,
    *,
    filters: Mapping[str, Sequence[str]] | None,
    audience: Audience,
    page: int,
    per_page: int,
    sort: str,
) -> SearchResult:
    """Search text with filters for audience, return the page asked for and facet counts."""
    page = max(1, int(page))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page)))
    user_query = text_query(text, searcher.schema)
    q = user_query if user_query is not None else query.Every()
    filt = filter_query(filters, audience)

    # Facets of fields without an active filter share the main search's matches; a field with an
    # active filter counts over the matches of every *other* filter, so its own values stay visible.
    active = active_filter_fields(filters)
    shared = [name for name in FACET_FIELDS if name not in active]
    sortedby = sort_facet(sort, has_text=user_query is not None)
    results = searcher.search(
        q,
        limit=page * per_page,
        filter=filt,
        mask=meta_mask(),
        sortedby=sortedby,
        groupedby={name: FieldFacet(name, maptype=Count) for name in shared} or None,
    )
    facets = {name: _facet_counts(results.groups(name)) for name in shared}
    for name in FACET_FIELDS:
        if name in active:
            facets.update(
                _count_facets(searcher, q, filter_query(filters, audience, skip=name), [name])
            )

    start = (page - 1) * per_page
    end = min(start + per_page, results.scored_length())
    scored = sortedby is None
    hits = [_hit(results[i], user_query, searcher, scored=scored) for i in range(start, end)]
    return SearchResult(
        total=len(results),
        page=page,
        per_page=per_page,
        hits=hits,
        facets={name: facets[name] for name in FACET_FIELDS},
    )
