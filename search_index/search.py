"""One search over an open Whoosh searcher: a page of hits, the exact total, facets, suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from whoosh.query import Query
from whoosh.searching import Searcher

from search_index import highlights, spelling
from search_index.analysis import education_terms, is_han, synonyms, words
from search_index.documents import Audience, Hit, SearchResult
from search_index.columns import numeric
from search_index.engine import View, view_of
from search_index.facets import facet_counts
from search_index.ordering import top
from search_index.spelling import Deadline
from search_index.querying import (
    FILTER_FIELDS,
    ParsedQuery,
    active_filter_fields,
    filter_query,
    parse,
    user_query,
)
from search_index.schema import GRAM_FIELD, PINYIN_FIELD, TEXT_FIELDS
from search_index.understanding import Reading, Vocabulary, read

MAX_PER_PAGE = 100
# Counted for the page's sidebar; the other filter fields (volume, unit, project level and status)
# filter without counts. Visibility is counted within the audience (a school's 可借阅 count).
FACET_FIELDS: tuple[str, ...] = (
    "subject", "stage", "grade", "edition", "kind", "studio", "award_level", "year", "visibility",
)  # fmt: skip
SNIPPET_FIELDS: tuple[str, ...] = ("abstract", "body")
MAX_RELATED = 8
MIN_SUGGESTION_CHARS = 2  # no suggestion proposes a shorter word
MIN_ASCII_SUGGESTION_CHARS = 3  # … nor a Latin one shorter than this (two letters are a fragment)
MIN_PINYIN_CHARS = 5  # typed Latin letters this long may be corrected as pinyin
SUGGEST_BUDGET_S = 0.040  # suggestions not found by then are left out


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


def _execute(
    view: View, q: Query | None, allowed: np.ndarray, scored: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The matches of q the searcher may see, and their scores when scored."""
    found = view.evaluate(q, scored=scored)
    return found.mask & allowed, found.score


def _count(view: View, q: Query, allowed: np.ndarray) -> int:
    return int(np.count_nonzero(view.evaluate(q, scored=False).mask & allowed))


def _visible_in(view: View, name: str, word: str, allowed: np.ndarray) -> bool:
    """Whether a resource the searcher may show (allowed) has word in field name."""
    if not view.doc_frequency(name, word):
        return False
    ids = view.ids(name, word)
    return bool(ids.size and allowed[ids].any())


def _known(view: View, word: str, allowed: np.ndarray) -> bool:
    """Whether a resource this searcher may see has word in a word field (or, for Chinese, as
    characters). Counted under the audience filter: a term only a hidden draft contains must not
    surface as a suggestion."""
    fields = list(TEXT_FIELDS) + [GRAM_FIELD if is_han(word) else PINYIN_FIELD]
    return any(_visible_in(view, name, word, allowed) for name in fields)


def _frequency(view: View, name: str, word: str) -> int:
    try:
        return int(view.reader.frequency(name, word))
    except (KeyError, ValueError):
        return 0


def _correction(view: View, word: str, allowed: np.ndarray, deadline: Deadline) -> str | None:
    """The most frequent indexed word one edit away from word, in titles or keywords (or, for
    an ASCII word, pinyin), found in a resource the searcher may show; None when there is none
    or the deadline passed."""
    # Typed pinyin is corrected against the pinyin of titles only when it is long enough to be
    # syllables (fenshu); short letters would be "corrected" into some title's initials (pbl → lbx).
    pinyin = word.isascii() and len(word) >= MIN_PINYIN_CHARS
    fields = ("title", "keywords", PINYIN_FIELD) if pinyin else ("title", "keywords")
    shortest = MIN_ASCII_SUGGESTION_CHARS if word.isascii() else MIN_SUGGESTION_CHARS
    segments = [segment for _, segment in view.segments]
    best: tuple[int, str] | None = None
    for name in fields:
        if deadline.passed:
            return None
        found = spelling.candidates(segments, name, word, deadline)
        if found is None:
            return None  # the vocabulary is still being read: no correction this time
        # As Whoosh's corrector ranked them: the three most frequent in the field, then the
        # one found in the most resources.
        ranked = sorted(
            (c for c in found if len(c) >= shortest),
            key=lambda c: (-_frequency(view, name, c), c),
        )
        kept = 0
        for candidate in ranked:
            if kept == 3:
                break
            if not _visible_in(view, name, candidate, allowed):
                continue
            kept += 1
            frequency = view.doc_frequency(name, candidate)
            if best is None or frequency > best[0]:
                best = (frequency, candidate)
    return best[1] if best else None


def _chunk_fix(
    view: View, chunk: str, allowed: np.ndarray, deadline: Deadline
) -> str | None:
    """chunk itself when it finds something, else a correction of it (whole, then word by word);
    None when nothing better is found before the deadline."""
    q = user_query(parse(chunk))
    if q is None or _count(view, q, allowed):
        return chunk
    if len(chunk) >= MIN_SUGGESTION_CHARS and (fix := _correction(view, chunk, allowed, deadline)):
        return fix
    pieces = words(chunk)
    fixed = []
    for piece in pieces:
        if len(piece) < MIN_SUGGESTION_CHARS or deadline.passed or _known(view, piece, allowed):
            fixed.append(piece)
        else:
            fixed.append(_correction(view, piece, allowed, deadline) or piece)
    return ("" if all(is_han(p) for p in fixed) else " ").join(fixed) if fixed != pieces else None


def _suggest(
    view: View, parsed: ParsedQuery, allowed: np.ndarray, deadline: Deadline
) -> tuple[str | None, list[str]]:
    """A corrected query that finds something, and related terms that occur in the index.

    Both are optional: what is not found before the deadline is left out, so a search with
    suggestions costs at most SUGGEST_BUDGET_S more than one without. Every word they propose
    has at least two characters and occurs in a resource the audience may see.
    """
    chunks = parsed.plain.lower().split()
    corrected = [_chunk_fix(view, chunk, allowed, deadline) or chunk for chunk in chunks]
    did_you_mean = None
    if corrected != chunks and not deadline.passed:
        candidate = " ".join(corrected)
        q = user_query(parse(candidate))
        if q is not None and _count(view, q, allowed):
            did_you_mean = candidate
    typed = [c.words[0] for c in parsed.required if not c.phrase and len(c.words) == 1]
    related: list[str] = []
    for word in typed:
        candidates = list(synonyms(word))
        if is_han(word) and len(word) >= 2:
            candidates += [t for t in education_terms() if t != word and (word in t or t in word)]
        for term in candidates:
            if len(related) >= MAX_RELATED or deadline.passed:
                break
            if (
                len(term) >= MIN_SUGGESTION_CHARS
                and term not in related
                and term not in typed
                and _known(view, term, allowed)
            ):
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
    vocabulary: Vocabulary | None = None,
) -> SearchResult:
    """Search text with filters for audience, return the page asked for, facets, suggestions.

    With a vocabulary, words naming a filter value become that filter (search_index.understanding);
    the result lists them in `understood`."""
    page = max(1, int(page))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page)))
    view = view_of(searcher)
    reading: Reading = read(parse(text), vocabulary, filters)

    # Narrow first (fast, and what was meant almost always); then wider recall with every word;
    # each with the words understood as filters, then giving them back as text one by one; last,
    # any of the words, which the page must say.
    while True:
        parsed, used = reading.parsed, reading.filters(filters)
        scored = bool(parsed.required or parsed.optional) and sort not in ("newest", "downloads")
        allowed = view.filter_mask(filter_query(used, audience))
        match, q = "all", user_query(parsed, match="all", wide=False)
        mask, score = _execute(view, q, allowed, scored)
        total = int(np.count_nonzero(mask))
        if not total and parsed.required:
            wider = user_query(parsed, match="all")
            if wider is not None:
                wide_mask, wide_score = _execute(view, wider, allowed, scored)
                if np.count_nonzero(wide_mask):
                    q, mask, score, total = wider, wide_mask, wide_score, int(np.count_nonzero(wide_mask))
        if total or not reading.understood:
            break
        reading = reading.give_back()
    if not total and len(parsed.required) > 1:
        wider = user_query(parsed, match="any")
        if wider is not None:
            wide_mask, wide_score = _execute(view, wider, allowed, scored)
            if np.count_nonzero(wide_mask):
                q, mask, score, match = wider, wide_mask, wide_score, "any"
                total = int(np.count_nonzero(mask))
    filters = used
    counts = _facets(view, q, mask, filters, audience) if facets else {}
    did_you_mean: str | None = None
    related: list[str] = []
    if parsed.required and (match == "any" or not total):
        did_you_mean, related = _suggest(view, parsed, allowed, Deadline(SUGGEST_BUDGET_S))

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
        understood=[meaning for meaning, _clauses in reading.understood],
    )
