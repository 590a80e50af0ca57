"""The Whoosh schema and how a ResourceDocument becomes index fields."""

from __future__ import annotations

from typing import Any

from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, Schema

from search_index.analysis import chinese_analyzer
from search_index.documents import ResourceDocument

# Bump when the schema or the analysis changes, so the app knows a rebuild is due.
SCHEMA_VERSION = 1

# Searched by the query parser, best evidence first; the boost scales each field's term weights.
TEXT_FIELD_BOOSTS: dict[str, float] = {
    "title": 5.0,
    "keywords": 3.0,
    "authors": 2.0,
    "abstract": 1.5,
    "body": 1.0,
}
TEXT_FIELDS: tuple[str, ...] = tuple(TEXT_FIELD_BOOSTS)

# Exact-value fields, sortable so filters and facet counts read columns, not stored documents.
KEYWORD_FIELDS: tuple[str, ...] = (
    "subject",
    "stage",
    "kind",
    "studio",
    "award_level",
    "visibility",
    "status",
)

# Text extracted from files can be long: this much of it is indexed and stored, the same amount,
# so every body match can be shown as a snippet and jieba's cost per resource stays bounded.
BODY_CHARS = 50_000

# The one non-resource document: it carries the applied change-log sequence, committed atomically
# with the documents it describes. Searches always mask it out.
META_ID = "__meta__"
NO_YEAR = 0  # column value of a document without a year


def build_schema() -> Schema:
    """The index schema; every text field uses the Chinese analyzer and is stored for highlights."""
    analyzer = chinese_analyzer()
    fields: dict[str, Any] = {
        "id": ID(unique=True, stored=True, sortable=True),
        "year": NUMERIC(int, bits=32, stored=True, sortable=True, default=NO_YEAR),
        "created": DATETIME(stored=True, sortable=True),
        "downloads": NUMERIC(int, bits=64, stored=True, sortable=True, default=0),
        "applied_seq": STORED(),
        "schema_version": STORED(),
    }
    for name, boost in TEXT_FIELD_BOOSTS.items():
        fields[name] = TEXT(analyzer=analyzer, stored=True, field_boost=boost)
    for name in KEYWORD_FIELDS:
        fields[name] = ID(stored=True, sortable=True)
    return Schema(**fields)


def document_fields(doc: ResourceDocument) -> dict[str, Any]:
    """The fields to hand to a Whoosh writer for one resource (None values are left out)."""
    fields: dict[str, Any] = {
        "id": str(doc.id),
        "title": doc.title,
        "keywords": ", ".join(doc.keywords),
        "authors": ", ".join(doc.authors),
        "abstract": doc.abstract,
        "body": doc.body[:BODY_CHARS],
        "subject": doc.subject,
        "stage": doc.stage,
        "kind": doc.kind,
        "studio": doc.studio,
        "visibility": doc.visibility,
        "status": doc.status,
        "downloads": doc.downloads,
    }
    if doc.award_level:
        fields["award_level"] = doc.award_level
    if doc.year is not None:
        fields["year"] = doc.year
    if doc.created is not None:
        fields["created"] = doc.created
    return fields


def meta_fields(applied_seq: int) -> dict[str, Any]:
    """The fields of the meta document recording the applied change-log sequence."""
    return {"id": META_ID, "applied_seq": applied_seq, "schema_version": SCHEMA_VERSION}
