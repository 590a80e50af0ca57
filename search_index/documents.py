"""Plain data crossing the index boundary: documents, audiences, changes and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ResourceDocument:
    """One resource as the index sees it, built by the app from its database row and files."""

    id: int
    title: str
    kind: str  # lesson_video | award_case | excellent_case | research_project | paper | other
    subject: str  # subject code, e.g. "math"
    stage: str  # preschool | primary | junior | senior
    studio: str  # studio slug
    year: int | None
    award_level: str | None  # national | provincial | prefecture | county | school
    visibility: str  # public | internal | studio | lendable
    status: str  # draft | submitted | published | returned | withdrawn
    authors: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    abstract: str = ""
    body: str = ""  # text extracted from the resource's PDF/DOCX/PPTX files, joined
    created: datetime | None = None  # naive UTC
    downloads: int = 0
    studio_name: str = ""  # shown names, searchable and typed in pinyin (王丽数学工作室 → wlsx…)
    subject_name: str = ""  # 数学; the code stays in `subject` for filters
    # Where it sits in a textbook, as codes for filters (grade p3, edition pep, volume upper, unit 3)
    # and as the words a teacher reads (人教版 三年级 上册 第三单元 测量), searchable with the names.
    grade: str = ""
    edition: str = ""
    volume: str = ""
    unit: int | None = None
    textbook_words: str = ""
    project_level: str | None = None
    project_status: str | None = None


@dataclass(frozen=True)
class Audience:
    """Who is searching: decides which documents they may see."""

    visibilities: frozenset[str] = frozenset({"public"})
    studios: frozenset[str] = frozenset()  # studio slugs where the searcher is a member
    everything: bool = False  # admins
    # visible iff everything, or
    # (status == "published" and (visibility in visibilities or studio in studios))


@dataclass(frozen=True)
class Change:
    """One change-log row: resource_id must be re-read from the database (or deleted) at seq."""

    seq: int
    resource_id: int


@dataclass
class Hit:
    """One found resource: its id, its score and HTML highlight fragments by field name."""

    id: int
    score: float
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    """One page of hits, the exact number of matches, facet counts and what to suggest.

    match is "all" when every word had to match, "any" when nothing had all of them and the
    search fell back to any of them (the page must say so). did_you_mean is a corrected query
    that finds something, offered when nothing was found; related are nearby terms that do.
    """

    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    match: str = "all"
    did_you_mean: str | None = None
    related: list[str] = field(default_factory=list)
    understood: list[Understood] = field(default_factory=list)


@dataclass(frozen=True)
class Understood:
    """A typed word the search took as a filter: 初中 → ("stage", "junior")."""

    word: str
    field: str
    value: str
