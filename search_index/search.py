"""One search over an open Whoosh searcher: a page of hits, the exact total, facets, suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from whoosh import query
from whoosh.query import Query
from whoosh.searching import Searcher

from search_index import highlights
from search_index.analysis import education_terms, is_han, synonyms, words
from search_index.documents import Audience, Hit, SearchResult
from search_index.columns import numeric
from search_index.engine import View, view_of
from search_index.facets import facet_counts
from search_index.ordering import top
from search_index.querying import (
    FILTER_FIELDS,
    ParsedQuery,
    active_filter_fields,
    filter_query,
    parse,
    user_query,
)
from search_index.schema import GRAM_FIELD, PINYIN_FIELD, TEXT_FIELDS

MAX_PER_PAGE = 100
FACET_FIELDS: tuple[str, ...] = FILTER_FIELDS
SNIPPET_FIELDS: tuple[str, ...] = ("abstract", "body")
MAX_RELATED = 8


def _hit(searcher: Searcher, docnum: int, score: float, words: Sequence[str]) -> Hit:
    """Our Hit for a document number, with highlights from the text fields the words occur in."""
    stored = searcher.stored_fields(docnum)
    marks: dict[str, str] = {}
    for name in ("title", "keywords"):
        fragment = highlights.whole(stored.get(name, ""), words)
        if fragment:
            marks[name] = fragment
    for name in SNIPPET_FIELDS:
        fragment = highlights.snippet(stored.get(name, ""), words)
        if fragment:
            marks[name] = fragment
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
    view = view_of(searcher)
    return int(np.count_nonzero(view.evaluate(q, scored=False).mask & view.filter_mask(filt)))


def _known(searcher: Searcher, word: str, filt: Query | None) -> bool:
    """Whether a resource this searcher may see has word in a word field (or, for Chinese, as
    characters). Counted under the audience filter: a term only a hidden draft contains must not
    surface as a suggestion."""
    fields = list(TEXT_FIELDS) + [GRAM_FIELD if is_han(word) else PINYIN_FIELD]
    return any(
        searcher.doc_frequency(name, word) and _count(searcher, query.Term(name, word), filt)
        for name in fields
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
        p if _known(searcher, p, filt) or len(p) < 2 else (_correction(searcher, p) or p)
        for p in pieces
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


def _facets(
    view: View, q: Query | None, mask: np.ndarray, filters: Mapping[str, Sequence[str]] | None,
    audience: Audience,
) -> dict[str, dict[str, int]]:
    """Counts per value of every facet field over the matches. A field with an active filter
    counts over the matches of every *other* filter, so its own values stay visible."""
    counts: dict[str, dict[str, int]] = {}
    active = active_filter_fields(filters)
    matched = None
    for name in FACET_FIELDS:
        if name in active:
            if matched is None:
                matched = view.evaluate(q, scored=False).mask
            others = view.filter_mask(filter_query(filters, audience, skip=name))
            counts[name] = facet_counts(view, name, matched & others)
        else:
            counts[name] = facet_counts(view, name, mask)
    return counts


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
    view = view_of(searcher)
    filt = filter_query(filters, audience)
    allowed = view.filter_mask(filt)
    scored = bool(parsed.required) and sort not in ("newest", "downloads")

    def execute(q: Query | None) -> tuple[np.ndarray, np.ndarray | None]:
        found = view.evaluate(q, scored=scored)
        return found.mask & allowed, found.score

    # Narrow first (fast, and what was meant almost always); then wider recall with every word;
    # then any of the words, which the page must say.
    match, q = "all", user_query(parsed, match="all", wide=False)
    mask, score = execute(q)
    total = int(np.count_nonzero(mask))
    if not total and parsed.required:
        stages = [("all", user_query(parsed, match="all"))]
        if len(parsed.required) > 1:
            stages.append(("any", user_query(parsed, match="any")))
        for stage, wider in stages:
            wide_mask, wide_score = execute(wider) if wider is not None else (mask, score)
            if wider is not None and np.count_nonzero(wide_mask):
                q, mask, score, match = wider, wide_mask, wide_score, stage
                total = int(np.count_nonzero(mask))
                break
    counts = _facets(view, q, mask, filters, audience) if facets else {}
    did_you_mean: str | None = None
    related: list[str] = []
    if parsed.required and (match == "any" or not total):
        did_you_mean, related = _suggest(searcher, parsed, filt)

    start = (page - 1) * per_page
    if scored and score is not None:
        score = score * (numeric(view, "boost").astype(np.float32) / 1000)
    ranked = top(view, mask, score if scored else None, sort, start + per_page)[start:]
    words = parsed.highlight_words()
    hits = [_hit(searcher, docnum, value if scored else 0.0, words) for docnum, value in ranked]
    return SearchResult(
        total=total,
        page=page,
        per_page=per_page,
        hits=hits,
        facets=counts,
        match=match,
        did_you_mean=did_you_mean,
        related=related,
    )
