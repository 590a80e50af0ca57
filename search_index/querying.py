"""Turning what a teacher typed, the chosen filters and the audience into Whoosh queries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from whoosh import query
from whoosh.fields import Schema
from whoosh.qparser import (
    EveryPlugin,
    MultifieldParser,
    RangePlugin,
    WildcardPlugin,
)
from whoosh.query import Query
from whoosh.sorting import FacetType, FieldFacet, MultiFacet

from search_index.analysis import segment
from search_index.documents import Audience
from search_index.schema import META_ID, TEXT_FIELDS

MAX_QUERY_CHARS = 200
FILTER_FIELDS: tuple[str, ...] = ("subject", "stage", "kind", "studio", "award_level", "year")

_DANGLING_OPERATORS = re.compile(
    r"^(?:\s*\b(?:AND|OR|ANDNOT|ANDMAYBE)\b)+|(?:\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b\s*)+$"
)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def clean_query_text(text: str) -> str:
    """Drop control and format characters, unify quotes, balance them and cap the length."""
    kept = [
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
        for ch in text[: MAX_QUERY_CHARS * 2]
    ]
    cleaned = "".join(kept).replace("“", '"').replace("”", '"').strip()[:MAX_QUERY_CHARS]
    if cleaned.count('"') % 2:
        head, _, tail = cleaned.rpartition('"')
        cleaned = head + " " + tail
    # "分数 AND" would otherwise require the literal word "and"; keep the text if nothing is left.
    trimmed = _DANGLING_OPERATORS.sub("", cleaned).strip()
    return trimmed or cleaned


def _spaced(text: str) -> str:
    """Put spaces between the Chinese words outside quotes, so each word may match any field."""
    parts = text.split('"')
    for i in range(0, len(parts), 2):
        parts[i] = _HAN_RUN.sub(
            lambda m: " ".join(word for word, *_ in segment(m.group(0), fine=False)), parts[i]
        )
    return '"'.join(parts)


def _has_error(q: Query) -> bool:
    """Whether the parser marked any part of q as a syntax error."""
    return bool(getattr(q, "error", None)) or any(_has_error(c) for c in q.children())


def plain_terms_query(text: str, schema: Schema) -> Query:
    """Every word of text in any text field, ignoring all query syntax."""
    analyzer = schema["title"].analyzer
    words = dict.fromkeys(t.text for t in analyzer(text, mode="query"))
    if not words:
        return query.NullQuery
    return query.And(
        [query.Or([query.Term(field, word) for field in TEXT_FIELDS]) for word in words]
    )


def text_query(text: str, schema: Schema) -> Query | None:
    """The query for what was typed; None means "everything". Never raises on odd input."""
    cleaned = clean_query_text(text)
    if not cleaned:
        return None
    parser = MultifieldParser(
        list(TEXT_FIELDS), Schema(**{name: schema[name] for name in TEXT_FIELDS})
    )
    # Teachers type words, not syntax: wildcards and ranges only make slow or surprising queries.
    parser.remove_plugin_class(WildcardPlugin)
    parser.remove_plugin_class(RangePlugin)
    parser.remove_plugin_class(EveryPlugin)
    try:
        parsed = parser.parse(_spaced(cleaned))
        if not _has_error(parsed):
            return parsed.normalize()
    except Exception:  # whoosh's parser has many corner cases; plain words are the safe answer
        pass
    return plain_terms_query(cleaned, schema)


def query_words(q: Query | None, fieldname: str) -> frozenset[str]:
    """The words q looks for in one field, for highlighting."""
    if q is None:
        return frozenset()
    return frozenset(
        str(text) for field, text in q.iter_all_terms() if field == fieldname and text
    )


def audience_query(audience: Audience) -> Query | None:
    """What the audience may see; None when they may see everything."""
    if audience.everything:
        return None
    allowed: list[Query] = [query.Term("visibility", v) for v in sorted(audience.visibilities)]
    allowed += [query.Term("studio", s) for s in sorted(audience.studios)]
    if not allowed:
        return query.NullQuery
    return query.And([query.Term("status", "published"), query.Or(allowed)])


def _field_filter(field: str, values: Sequence[str]) -> Query | None:
    """Any of values in field; None when no usable value was given."""
    if field == "year":
        years = sorted({int(v) for v in values if str(v).strip().lstrip("-").isdigit()})
        terms: list[Query] = [query.Term("year", y) for y in years]
    else:
        terms = [query.Term(field, str(v)) for v in dict.fromkeys(values) if str(v)]
    if not terms:
        return query.NullQuery if values else None
    return terms[0] if len(terms) == 1 else query.Or(terms)


def filter_query(
    filters: Mapping[str, Sequence[str]] | None, audience: Audience, *, skip: str | None = None
) -> Query | None:
    """Audience and filters AND-ed (values of one field OR-ed), leaving out the skip field."""
    parts: list[Query] = []
    seen = audience_query(audience)
    if seen is not None:
        parts.append(seen)
    for field in FILTER_FIELDS:
        if field == skip or not filters or field not in filters:
            continue
        values = filters[field]
        part = _field_filter(field, [values] if isinstance(values, str) else list(values))
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else query.And(parts)


def active_filter_fields(filters: Mapping[str, Sequence[str]] | None) -> set[str]:
    """The filter fields that actually restrict the search."""
    if not filters:
        return set()
    return {field for field in FILTER_FIELDS if filters.get(field)}


def meta_mask() -> Query:
    """The meta document, hidden from every search."""
    return query.Term("id", META_ID)


def sort_facet(sort: str, *, has_text: bool) -> FacetType | None:
    """The sort order for a sort name; None means by relevance."""
    newest = FieldFacet("created", reverse=True)
    if sort == "newest" or (sort not in ("downloads",) and not has_text):
        return newest
    if sort == "downloads":
        return MultiFacet([FieldFacet("downloads", reverse=True), newest])
    return None
