"""What a teacher typed → a parsed query → Whoosh queries; filters, audiences and sort orders.

The query language, deliberately small and never an error:

- words separated by spaces (or not: Chinese is segmented) must all match; the caller falls back
  to any of them when all of them find nothing;
- ``"…"`` (or “…”) is a phrase: its words in that order;
- ``-word`` or ``-"…"`` excludes resources that match it;
- ``field:value`` restricts: ``title:``, ``keywords:``, ``abstract:``, ``body:``, ``author:`` to one
  text field; ``subject:math``, ``stage:``, ``kind:``, ``studio:``, ``year:``, ``award:`` filter
  like the facets (and ``grade:``, ``edition:``, ``volume:``, ``unit:``, ``project_level:``,
  ``project_status:``). Anything else is searched as plain words.

Words that name a filter value (初中, 物理, 人教版 …) are turned into filters afterwards, by
search_index.understanding, with the vocabulary the app passes in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from whoosh import query
from whoosh.query import Query

from search_index.analysis import fold, is_han, jieba_frequencies, query_grams, synonyms, words
from search_index.documents import Audience
from search_index.schema import (
    EXACT_TITLE_FIELD,
    GRAM_BOOST,
    GRAM_FIELD,
    PINYIN_BOOST,
    PINYIN_FIELD,
    TEXT_FIELD_BOOSTS,
    TEXT_FIELDS,
    exact_title,
)

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 12
FILTER_FIELDS: tuple[str, ...] = (
    "subject", "stage", "kind", "studio", "award_level", "year",
    "grade", "edition", "volume", "unit", "project_level", "project_status",
    "visibility",  # 可借阅 (lendable) for school accounts, always within the audience
)  # fmt: skip
SYNONYM_WEIGHT = 0.6
SPLIT_WEIGHT = 0.5
OPTIONAL_WEIGHT = 0.2  # an understood word's text match, beside the words that must match
EXACT_TITLE_BOOST = 1000.0

# Typed names of the restricting prefixes → the index field they restrict.
TEXT_PREFIXES = {
    "title": "title", "标题": "title",
    "keywords": "keywords", "keyword": "keywords", "关键词": "keywords",
    "abstract": "abstract", "摘要": "abstract",
    "body": "body", "正文": "body",
    "author": "authors", "authors": "authors", "作者": "authors",
}  # fmt: skip
FILTER_PREFIXES = {
    "subject": "subject", "stage": "stage", "kind": "kind", "studio": "studio",
    "year": "year", "award": "award_level", "award_level": "award_level",
    "grade": "grade", "edition": "edition", "volume": "volume", "unit": "unit",
    "project_level": "project_level", "project_status": "project_status",
}  # fmt: skip
# Words too common to require: dropped from a query that has other words.
STOP_WORDS = frozenset(
    "的 了 和 与 及 在 是 之 中 对 把 被 也 而 或 等 并 an the of and or".split()
)
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})

_CHUNK = re.compile(r'(-?)(?:([^\s:"]+):)?(?:"([^"]*)"?|(\S+))')


@dataclass
class Clause:
    """One requirement: a word (with synonyms) or a phrase, in every text field or one."""

    words: list[str]
    phrase: bool = False
    field: str | None = None
    chunk: int | None = None  # which bare typed chunk the word came from (understanding joins them)

    @property
    def text(self) -> str:
        joined = "".join(self.words) if all(is_han(w) for w in self.words) else " ".join(self.words)
        return f'"{joined}"' if self.phrase else joined


@dataclass
class ParsedQuery:
    """What was typed, taken apart."""

    required: list[Clause] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    plain: str = ""  # the positive free text, for the exact-title match
    # Words taken as filters (search_index.understanding) still rank: a match is a bonus.
    optional: list[Clause] = field(default_factory=list)
    # Every bare word as typed, stop words too, with its chunk: what understanding reads (中 班).
    bare: list[tuple[int, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.required or self.excluded or self.filters or self.optional)

    def highlight_words(self) -> list[str]:
        """The words to mark in results: typed words, their synonyms and phrases whole."""
        found: list[str] = []
        for clause in [*self.required, *self.optional]:
            if clause.phrase and len(clause.words) > 1:
                found.append(clause.text.strip('"'))
                continue
            for word in clause.words:
                found.append(word)
                if not clause.phrase:
                    found.extend(synonyms(word))
        return list(dict.fromkeys(w for w in found if w))


def clean_query_text(text: str) -> str:
    """Drop control and format characters, unify quotes and cap the length."""
    kept = [
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
        for ch in text[: MAX_QUERY_CHARS * 2]
    ]
    cleaned = "".join(kept)
    for quote in "“”„‟＂「」『』":
        cleaned = cleaned.replace(quote, '"')
    return fold(cleaned).strip()[:MAX_QUERY_CHARS]


def parse(text: str) -> ParsedQuery:
    """Take a typed query apart; never raises."""
    parsed = ParsedQuery()
    plain: list[str] = []
    for number, match in enumerate(_CHUNK.finditer(clean_query_text(text))):
        negative, prefix, quoted, bare = match.groups()
        if bare in OPERATORS and not prefix:
            continue  # teachers type words, not boolean syntax
        value = quoted if quoted is not None else bare
        key = prefix.lower() if prefix else None
        if key in FILTER_PREFIXES and not negative and value and value.strip():
            parsed.filters.setdefault(FILTER_PREFIXES[key], []).append(value.strip().lower())
            continue
        restrict = TEXT_PREFIXES.get(key) if key else None
        if key and restrict is None:
            value = f"{prefix} {value}"  # an unknown prefix is just more words
        found = [w for w in words(value or "") if w]
        if not found:
            continue
        if negative:
            parsed.excluded.append(Clause(found, phrase=len(found) > 1, field=restrict))
        elif quoted is not None:
            parsed.required.append(Clause(found, phrase=True, field=restrict))
            plain.append(value)
        else:
            bare_chunk = number if restrict is None and not key else None
            parsed.required.extend(Clause([w], field=restrict, chunk=bare_chunk) for w in found)
            if bare_chunk is not None:
                parsed.bare.extend((number, w) for w in found)
            plain.append(value)
    content = [c for c in parsed.required if c.phrase or c.words[0] not in STOP_WORDS]
    if content:
        parsed.required = content
    parsed.required = _dedupe(parsed.required)[:MAX_CLAUSES]
    parsed.excluded = _dedupe(parsed.excluded)[:MAX_CLAUSES]
    parsed.plain = " ".join(plain)
    return parsed


def _dedupe(clauses: list[Clause]) -> list[Clause]:
    seen: set[tuple[tuple[str, ...], bool, str | None]] = set()
    kept = []
    for clause in clauses:
        key = (tuple(clause.words), clause.phrase, clause.field)
        if key not in seen:
            seen.add(key)
            kept.append(clause)
    return kept


def _word_query(
    word: str, weight: float, fields: Sequence[str], recall: bool, wide: bool
) -> list[Query]:
    """A word (maybe several jieba words, from a synonym) in the given fields and recall fields.

    A one- or two-character word is always looked up among the characters and pairs; a longer
    one only when wide (a phrase over pairs is slow, and jieba's sub-words usually find it).
    """
    parts = words(word)
    if not parts:
        return []
    found: list[Query] = []
    for name in fields:
        boost = TEXT_FIELD_BOOSTS[name] * weight
        if len(parts) == 1:
            found.append(query.Term(name, parts[0], boost=boost))
        else:
            found.append(query.Phrase(name, parts, boost=boost))
    if recall:
        joined = "".join(parts)
        if is_han(joined):
            pairs = query_grams(joined)
            boost = GRAM_BOOST * weight
            if len(pairs) == 1:
                found.append(query.Term(GRAM_FIELD, pairs[0], boost=boost))
            elif wide:
                found.append(query.Phrase(GRAM_FIELD, pairs, boost=boost))
        elif joined.isascii() and joined.isalpha() and len(parts) == 1:
            found.append(query.Term(PINYIN_FIELD, joined, boost=PINYIN_BOOST * weight))
    return found


def split_word(word: str) -> list[str]:
    """A long Chinese word cut into shorter dictionary words, left to right (细胞分裂 → 细胞, 分裂)."""
    if len(word) < 3 or not is_han(word):
        return [word]
    freq = jieba_frequencies()
    pieces: list[str] = []
    i = 0
    while i < len(word):
        for j in range(min(len(word) - (i == 0), i + 4), i, -1):
            if j - i == 1 or freq.get(word[i:j]):
                pieces.append(word[i:j])
                i = j
                break
    return pieces


def clause_query(clause: Clause, *, wide: bool = True) -> Query:
    """The Whoosh query of one clause; wide adds the slower recall alternatives."""
    fields = [clause.field] if clause.field else list(TEXT_FIELDS)
    recall = clause.field is None
    if clause.phrase:
        text = "".join(clause.words) if all(is_han(w) for w in clause.words) else ""
        parts: list[Query] = []
        for name in fields:
            boost = TEXT_FIELD_BOOSTS[name]
            if len(clause.words) == 1:
                parts.append(query.Term(name, clause.words[0], boost=boost))
            else:
                parts.append(query.Phrase(name, clause.words, boost=boost))
        if recall and text:
            pairs = query_grams(text)
            parts.append(
                query.Term(GRAM_FIELD, pairs[0], boost=GRAM_BOOST)
                if len(pairs) == 1
                else query.Phrase(GRAM_FIELD, pairs, boost=GRAM_BOOST)
            )
        return query.Or(parts)
    word = clause.words[0]
    parts = _word_query(word, 1.0, fields, recall, wide)
    for other in synonyms(word):
        # Synonyms match whole words only: the typed word alone gets the recall fields' bonus.
        parts += _word_query(other, SYNONYM_WEIGHT, fields, recall and wide, wide)
    pieces = split_word(word) if wide else [word]
    if len(pieces) > 1:
        # The document may have the parts where the query has the compound (细胞的分裂 ~ 细胞分裂).
        split = [query.Or(_word_query(p, SPLIT_WEIGHT, fields, recall, wide)) for p in pieces]
        parts.append(query.And(split))
    return query.Or(parts) if parts else query.NullQuery


def user_query(parsed: ParsedQuery, *, match: str = "all", wide: bool = True) -> Query | None:
    """The query for a parsed text; None means "everything".

    match is "all" or "any" of the words; wide=False leaves out the slow recall alternatives
    (pair phrases, compound splitting), which a search adds only when the narrow query finds
    nothing.
    """
    if parsed.empty:
        return None
    positives = [clause_query(c, wide=wide) for c in parsed.required]
    if not positives:
        main: Query = query.Every()
    elif len(positives) == 1:
        main = positives[0]
    else:
        main = query.And(positives) if match == "all" else query.Or(positives)
    restrictions = [
        part for name, values in parsed.filters.items() if (part := _field_filter(name, values))
    ]
    if restrictions:
        main = query.And([main, *restrictions])
    if parsed.excluded:
        main = query.AndNot(main, query.Or([clause_query(c) for c in parsed.excluded]))
    if parsed.optional:
        # Weak: the filter already chose them; their words only order what the text found.
        bonus = query.Or([clause_query(c, wide=False) for c in parsed.optional], boost=OPTIONAL_WEIGHT)
        main = query.AndMaybe(main, bonus)
    if parsed.required and parsed.plain:
        title = query.Term(EXACT_TITLE_FIELD, exact_title(parsed.plain), boost=EXACT_TITLE_BOOST)
        main = query.AndMaybe(main, title)
    return main


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
        years = sorted({int(v) for v in values if str(v).strip().isascii() and str(v).strip().isdigit() and len(str(v)) < 6})
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
    for field_name in FILTER_FIELDS:
        if field_name == skip or not filters or field_name not in filters:
            continue
        values = filters[field_name]
        part = _field_filter(field_name, [values] if isinstance(values, str) else list(values))
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else query.And(parts)


def active_filter_fields(filters: Mapping[str, Sequence[str]] | None) -> set[str]:
    """The filter fields that actually restrict the search."""
    if not filters:
        return set()
    return {name for name in FILTER_FIELDS if filters.get(name)}
