"""What a search takes (the query string of /search and /api/v1/search) and what the API answers."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import Interval, MaxLen
from pydantic import BaseModel, BeforeValidator, Field

from library.validation import ASCII_INT, BLANK, CONTROL, Code, Schema, Year, as_text, label

MAX_QUERY = 200


MAX_FILTER_VALUES = 20


def query_text(value: object) -> str:
    """The words typed: control characters become spaces, and a pasted paragraph is cut to 200
    characters rather than refused (the search box is not a form to correct)."""
    return CONTROL.sub(" ", as_text(value)).strip()[:MAX_QUERY]


Filter = Annotated[list[Code], MaxLen(MAX_FILTER_VALUES)]
FILTERS = ("subject", "stage", "kind", "studio", "year", "award_level", "grade", "edition", "volume", "unit",
           "project_level", "project_status", "visibility")


class SearchQuery(Schema):
    """`q`, facet filters (each may repeat: `subject=math&subject=chinese`), sort and page."""

    q: Annotated[str, BeforeValidator(query_text), Field(max_length=MAX_QUERY,
                                                           description="检索词；也可写 subject:math year:2024")] = ""
    subject: Filter = Field([], title=label("学科"))
    stage: Filter = Field([], title=label("学段"))
    kind: Filter = Field([], title=label("成果类型"))
    studio: Filter = Field([], title=label("工作室"))
    award_level: Filter = Field([], title=label("获奖级别"))
    year: Annotated[list[Year], MaxLen(MAX_FILTER_VALUES)] = Field([], title=label("年份"))
    grade: Filter = Field([], title=label("年级"), description="年级代码，如 p3、j1、s2")
    edition: Filter = Field([], title=label("教材版本"), description="版本代码，如 pep")
    volume: Filter = Field([], title=label("册次"), description="如 upper、lower、compulsory-1")
    unit: Filter = Field([], title=label("单元"), description="单元序号，如 3")
    project_level: Filter = Field([], title=label("课题级别"))
    project_status: Filter = Field([], title=label("课题状态"))
    visibility: Filter = Field([], title=label("可见范围"),
                               description="lendable：只看可借阅的成果（帮扶学校可以申请借阅）")
    sort: Literal["relevance", "newest", "downloads"] = Field("relevance", title=label("排序"))
    page: Annotated[int, Interval(ge=1, le=10_000), ASCII_INT] = Field(1, title=label("页码"))
    per_page: Annotated[Annotated[int, Interval(ge=1, le=100), ASCII_INT] | None, BLANK] = Field(
        None, title=label("每页条数"))

    def filters(self) -> dict[str, list[str]]:
        """The facet filters given, as the index takes them."""
        out: dict[str, list[str]] = {}
        for name in FILTERS:
            values = [str(v) for v in getattr(self, name) if str(v)]
            if values:
                out[name] = list(dict.fromkeys(values))
        return out


class SearchHit(BaseModel):
    id: int
    title: str
    kind: str
    subject: str
    stage: str
    studio: str
    year: int | None
    award_level: str | None
    highlight: dict[str, str]
    url: str


class UnderstoodWord(BaseModel):
    """A typed word taken as a filter: 初中 → {"word": "初中", "field": "stage", "value": "junior"}.
    Quote it ("初中") to search it as text instead."""

    word: str
    field: str
    value: str


class SearchResults(BaseModel):
    """One page of hits in rank order, facet counts over every match, and what the engine did:
    `match` is "all" (every word matched) or "any" (none had all, these match some); `understood`
    the words that became filters (学段、年级、学科、类型、级别、课题状态、版本、册次、单元)."""

    total: int
    page: int
    per_page: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
    match: Literal["all", "any"]
    did_you_mean: str | None
    related: list[str]
    understood: list[UnderstoodWord]
