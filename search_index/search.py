"""One search over an open Whoosh searcher: a page of hits, the exact total, facets, suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from whoosh import query
from whoosh.idsets import BitSet
from whoosh.query import Query
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher
from whoosh.sorting import Count, FieldFacet

from search_index import highlights
from search_index.analysis import education_terms, is_han, synonyms, words
from search_index.documents import Audience, Hit, SearchResult
from search_index.querying import (
    FILTER_FIELDS,
    ParsedQuery,
    active_filter_fields,
    filter_query,
    meta_mask,
    parse,
    sort_facet,
    user_query,
)
from search_index.schema import GRAM_FIELD, NO_YEAR, PINYIN_FIELD, TEXT_FIELDS

MAX_PER_PAGE = 100
FACET_FIELDS: tuple[str, ...] = FILTER_FIELDS
SNIPPET_FIELDS: tuple[str, ...] = ("abstract", "body")
MAX_RELATED = 8
FILTER_CACHE_SIZE = 64


class _FilterSet(BitSet):
    """A filter's documents; always true, even when empty.

    Whoosh's collector tests a filter with `if allow`: an empty set would mean "no filter" and
    show everything. An empty filter must show nothing.
    """

    def __bool__(self) -> bool:
        return True


def _cached_filter(searcher: Searcher, q: Query | None) -> BitSet | None:
    """The documents q matches, computed once per searcher (a searcher sees one fixed index).

    The audience and facet filters repeat across queries; building their id sets was a third
    of a query's time at 10,000 resources.
    """
    if q is None:
        return None
    cache: dict[str, BitSet] = searcher.__dict__.setdefault("_library_filter_cache", {})
    key = repr(q)
    found = cache.get(key)
    if found is None:
        if len(cache) >= FILTER_CACHE_SIZE:
            cache.clear()
        found = _FilterSet(searcher.docs_for_query(q), size=searcher.doc_count_all())
        cache[key] = found
    return found


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
        q,
        limit=None,
        scored=False,
        filter=_cached_filter(searcher, filt),
        mask=_cached_filter(searcher, meta_mask()),
        groupedby=groupedby,
    )
    return {name: _facet_counts(results.groups(name)) for name in fields}


def _hit(found: WhooshHit, words: Sequence[str], *, scored: bool) -> Hit:
    """Our Hit for a Whoosh hit, with highlights from the text fields the words occur in."""
    stored = found.fields()
    marks: dict[str, str] = {}
    for name in ("title", "keywords"):
        fragment = highlights.whole(stored.get(name, ""), words)
        if fragment:
            marks[name] = fragment
    for name in SNIPPET_FIELDS:
        fragment = highlights.snippet(stored.get(name, ""), words)
        if fragment:
            marks[name] = fragment
    # Relevance sorts by (-score, id); the other orders have no meaningful score.
    key = found.score
    score = float(-key[0]) if scored and isinstance(key, tuple) else 0.0
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


def _count(searcher: Searcher, q: Query, filt: Query | None) -> int:
    return len(
        searcher.search(
            q,
            limit=1,
            scored=False,
            filter=_cached_filter(searcher, filt),
            mask=_cached_filter(searcher, meta_mask()),
        )
    )


def _known(searcher: Searcher, word: str, filt: Query | None) -> bool:
    """Whether a resource this searcher may see has word in a word field (or, for Chinese, as
    characters). Counted under the audience filter: a term only a hidden draft contains must not
    surface as a suggestion."""
    fields = list(TEXT_FIELDS) + [GRAM_FIELD if is_han(word) else PINYIN_FIELD]
    return any(
        searcher.doc_frequency(name, word) and _count(searcher, query.Term(name, word), filt) for name in fields
    )


def _correction(searcher: Searcher, word: str) -> str | None:
    """The most frequent indexed word one edit away from word, in titles or keywords."""
    fields = ("title", "keywords") if not word.isascii() else ("title", "keywords", PINYIN_FIELD)
    best: tuple[int, str] | None = None
    for name in fields:
        for candidate in searcher.corrector(name).suggest(word, limit=3, maxdist=1):
            if candidate == word or (is_han(word) and len(candidate) != len(word)):
                continue
            frequency = searcher.doc_frequency(name, candidate)
            if best is None or frequency > best[0]:
                best = (frequency, candidate)
    return best[1] if best else None


def _chunk_fix(searcher: Searcher, chunk: str, filt: Query | None) -> str | None:
    """chunk itself when it finds something, else a correction of it (whole, then word by word)."""
    q = user_query(parse(chunk))
    if q is None or _count(searcher, q, filt):
        return chunk
    if len(chunk) >= 2 and (fix := _correction(searcher, chunk)):
        return fix
    pieces = words(chunk)
    fixed = [
        p if _known(searcher, p, filt) or len(p) < 2 else (_correction(searcher, p) or p) for p in pieces
    ]
    return ("" if all(is_han(p) for p in fixed) else " ").join(fixed) if fixed != pieces else None


def _suggest(
    searcher: Searcher, parsed: ParsedQuery, filt: Query | None
) -> tuple[str | None, list[str]]:
    """A corrected query that finds something, and related terms that occur in the index."""
    chunks = parsed.plain.lower().split()
    corrected = [_chunk_fix(searcher, chunk, filt) or chunk for chunk in chunks]
    did_you_mean = None
    if corrected != chunks:
        candidate = " ".join(corrected)
        q = user_query(parse(candidate))
        if q is not None and _count(searcher, q, filt):
            did_you_mean = candidate
    typed = [c.words[0] for c in parsed.required if not c.phrase and len(c.words) == 1]
    related: list[str] = []
    for word in typed:
        candidates = list(synonyms(word))
        if is_han(word) and len(word) >= 2:
            candidates += [t for t in education_terms() if t != word and (word in t or t in word)]
        for term in candidates:
            if term not in related and term not in typed and _known(searcher, term, filt):
                related.append(term)
    return did_you_mean, related[:MAX_RELATED]


def run_search(
    searcher: Searcher,
    text: str,
    *,
    filters: Mapping[str, Sequence[str]] | None,
    audience: Audience,
    page: int,
    per_page: int,
    sort: str,
    facets: bool = True,
) -> SearchResult:
    """Search text with filters for audience, return the page asked for, facets, suggestions."""
    page = max(1, int(page))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page)))
    parsed = parse(text)
    filt = filter_query(filters, audience)
    sortedby = sort_facet(sort, has_text=bool(parsed.required))
    # Facets of fields without an active filter share the main search's matches; a field with an
    # active filter counts over the matches of every *other* filter, so its own values stay visible.
    active = active_filter_fields(filters) if facets else set()
    shared = [name for name in FACET_FIELDS if name not in active] if facets else []

    def execute(q: Query):
        return searcher.search(
            q,
            limit=page * per_page,
            filter=_cached_filter(searcher, filt),
            mask=_cached_filter(searcher, meta_mask()),
            sortedby=sortedby,
            groupedby={name: FieldFacet(name, maptype=Count) for name in shared} or None,
        )

    # Narrow first (fast, and what was meant almost always); then wider recall with every word;
    # then any of the words, which the page must say.
    match = "all"
    q = user_query(parsed, match="all", wide=False) or query.Every()
    results = execute(q)
    if not len(results) and parsed.required:
        stages = [("all", user_query(parsed, match="all"))]
        if len(parsed.required) > 1:
            stages.append(("any", user_query(parsed, match="any")))
        for stage, wider in stages:
            if wider is None:
                continue
            found = execute(wider)
            if len(found):
                q, results, match = wider, found, stage
                break

    counts = {name: _facet_counts(results.groups(name)) for name in shared}
    for name in FACET_FIELDS:
        if name in active:
            counts.update(
                _count_facets(searcher, q, filter_query(filters, audience, skip=name), [name])
            )
    did_you_mean, related = None, []
    if parsed.required and (match == "any" or not len(results)):
        did_you_mean, related = _suggest(searcher, parsed, filt)

    start = (page - 1) * per_page
    end = min(start + per_page, results.scored_length())
    words = parsed.highlight_words()
    scored = bool(parsed.required) and sort not in ("newest", "downloads")
    hits = [_hit(results[i], words, scored=scored) for i in range(start, end)]
    return SearchResult(
        total=len(results),
        page=page,
        per_page=per_page,
        hits=hits,
        facets={name: counts[name] for name in FACET_FIELDS} if facets else {},
        match=match,
        did_you_mean=did_you_mean,
        related=related,
    )
