"""The Whoosh schema and how a ResourceDocument becomes index fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.util.times import datetime_to_long

from search_index.analysis import chinese_analyzer, fold, gram_analyzer, pinyin_analyzer
from search_index.codec import PackedPositions
from search_index.documents import ResourceDocument

# Bump when the schema or the analysis changes, so the app knows a rebuild is due.
# 3: rid, created, downloads and boost are columns only (no index terms); n-grams of title and
#    keywords only (the abstract's words are in its word field); field lengths of titles only.
# 4: segments carry a postings sidecar; positions packed (search_index.codec).
# 5: textbook positions (grade, edition, volume, unit) and project level/status as filter fields;
#    the textbook's words with the names.
#    Folding maps look-alike radicals and compatibility ideographs (⼀ → 一) too.
SCHEMA_VERSION = 5

# Word fields (jieba search mode) and the query-time weight of a match in each: a title or keyword
# match is worth more than one in the abstract, and that more than one in the body text.
TEXT_FIELD_BOOSTS: dict[str, float] = {
    "title": 6.0,
    "keywords": 5.0,
    "authors": 3.0,
    "names": 2.0,  # the studio's and the subject's names
    "abstract": 2.0,
    "body": 1.0,
}
TEXT_FIELDS: tuple[str, ...] = tuple(TEXT_FIELD_BOOSTS)
# Fields whose per-document length is kept, so a match in a short title outranks one in a long
# title (BM25's length normalisation for one occurrence).
LENGTH_FIELDS: tuple[str, ...] = ("title",)
STORED_TEXT_FIELDS: tuple[str, ...] = ("title", "keywords", "authors", "abstract", "body")
# Recall fields: every Chinese character and character pair of titles and keywords, and the
# pinyin of titles and names. They find what jieba cut differently; their matches weigh little.
# (The abstract's n-grams were 40 % of a resource's postings and found nothing the judged set or
# the recall tests need: its jieba words and sub-words are indexed.)
GRAM_FIELD = "grams"
GRAM_BOOST = 0.6
GRAM_SOURCES: tuple[str, ...] = ("title", "keywords")
PINYIN_FIELD = "pinyin"
PINYIN_BOOST = 3.0
EXACT_TITLE_FIELD = "title_exact"

# Exact-value fields, sortable so filters and facet counts read columns, not stored documents.
KEYWORD_FIELDS: tuple[str, ...] = (
    "subject",
    "stage",
    "kind",
    "studio",
    "award_level",
    "visibility",
    "status",
    "grade",
    "edition",
    "volume",
    "unit",
    "project_level",
    "project_status",
)

# Text extracted from files can be long: this much of it is indexed and stored, the same amount,
# so every body match can be shown as a snippet and jieba's cost per resource stays bounded.
BODY_CHARS = 50_000

# The one non-resource document: it carries the applied change-log sequence, committed atomically
# with the documents it describes. Searches always mask it out.
META_ID = "__meta__"
NO_YEAR = 0  # column value of a document without a year

# Mild, query-independent boosts: relevance is multiplied by (1 + award + recency), at most 1.25.
AWARD_BOOST: dict[str, float] = {
    "national": 0.15,
    "provincial": 0.12,
    "prefecture": 0.08,
    "county": 0.05,
    "school": 0.02,
}
RECENCY_BOOST = 0.10
RECENCY_FROM = 2015  # resources older than this get no recency boost
RECENCY_YEARS = 12  # … and the full boost is reached this many years later
MAX_DOC_BOOST = 1.0 + max(AWARD_BOOST.values()) + RECENCY_BOOST


def exact_title(text: str) -> str:
    """A title as compared for an exact match: folded, lowercased, without spaces."""
    return "".join(fold(text).lower().split())


def doc_boost(doc: ResourceDocument) -> float:
    """The factor a resource's relevance is multiplied by (award level, then recency)."""
    boost = 1.0 + AWARD_BOOST.get(doc.award_level or "", 0.0)
    when: datetime | None = doc.created
    year = when.year + when.timetuple().tm_yday / 366 if when else (doc.year or RECENCY_FROM)
    boost += RECENCY_BOOST * min(1.0, max(0.0, (year - RECENCY_FROM) / RECENCY_YEARS))
    return round(boost, 4)


def build_schema() -> Schema:
    """The index schema: word fields, recall fields, filter columns and sort columns."""
    analyzer = chinese_analyzer()
    fields: dict[str, Any] = {
        "id": ID(unique=True, stored=True, sortable=True),
        # Sort and ranking values: columns only, read as arrays (search_index.engine); indexing
        # them as terms cost ~14 postings per resource and no query looks them up.
        "rid": COLUMN(NumericColumn("q", default=0)),  # numeric id: the last tie-break
        # Years are filtered by exact value only: one term per year, not Whoosh's 8 range tiers.
        "year": NUMERIC(int, bits=32, shift_step=0, stored=True, sortable=True, default=NO_YEAR),
        "created": COLUMN(NumericColumn("q", default=0)),  # microseconds since 0001-01-01
        "downloads": COLUMN(NumericColumn("q", default=0)),
        "boost": COLUMN(NumericColumn("I", default=1000)),  # per mille
        "applied_seq": STORED(),
        "schema_version": STORED(),
        GRAM_FIELD: TEXT(analyzer=gram_analyzer(), stored=False),
        PINYIN_FIELD: TEXT(analyzer=pinyin_analyzer(), stored=False, phrase=False),
        EXACT_TITLE_FIELD: ID(),
    }
    for name in TEXT_FIELDS:
        fields[name] = TEXT(analyzer=analyzer, stored=name in STORED_TEXT_FIELDS)
    for name in (*TEXT_FIELDS, GRAM_FIELD):
        # Phrase fields: positions packed so the postings sidecar can keep them (search_index.codec).
        fields[name].format = PackedPositions(field_boost=fields[name].format.field_boost)
    for name in (*[f for f in TEXT_FIELDS if f not in LENGTH_FIELDS], GRAM_FIELD, PINYIN_FIELD):
        # Ranking reads term sets and columns (search_index.engine), never Whoosh's BM25: no
        # per-document field lengths to write.
        fields[name].scorable = False
    for name in KEYWORD_FIELDS:
        fields[name] = ID(stored=True, sortable=True)
    return Schema(**fields)


def document_fields(doc: ResourceDocument) -> dict[str, Any]:
    """The fields to hand to a Whoosh writer for one resource (None values are left out)."""
    keywords = ", ".join(doc.keywords)
    short = {"title": doc.title, "keywords": keywords, "abstract": doc.abstract}
    fields: dict[str, Any] = {
        "id": str(doc.id),
        "rid": doc.id,
        "title": doc.title,
        "keywords": keywords,
        "authors": ", ".join(doc.authors),
        "names": "\n".join(n for n in (doc.studio_name, doc.subject_name, doc.textbook_words) if n),
        "abstract": doc.abstract,
        "body": doc.body[:BODY_CHARS],
        GRAM_FIELD: "\n".join(short[name] for name in GRAM_SOURCES if short[name]),
        PINYIN_FIELD: "\n".join(
            n for n in (doc.title, doc.studio_name, doc.subject_name, keywords) if n
        ),
        EXACT_TITLE_FIELD: exact_title(doc.title),
        "subject": doc.subject,
        "stage": doc.stage,
        "kind": doc.kind,
        "studio": doc.studio,
        "visibility": doc.visibility,
        "status": doc.status,
        "downloads": doc.downloads,
        "boost": round(doc_boost(doc) * 1000),
    }
    for name in ("award_level", "grade", "edition", "volume", "project_level", "project_status"):
        if value := getattr(doc, name):
            fields[name] = value
    if doc.unit is not None:
        fields["unit"] = str(doc.unit)
    if doc.year is not None:
        fields["year"] = doc.year
    if doc.created is not None:
        fields["created"] = datetime_to_long(doc.created)
    return fields


def meta_fields(applied_seq: int, schema_version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The fields of the meta document: the applied change-log sequence, the schema it was built with."""
    return {"id": META_ID, "applied_seq": applied_seq, "schema_version": schema_version}
