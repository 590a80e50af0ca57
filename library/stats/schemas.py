"""What the statistics pages and API take (a year, an activity) and what the API answers."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from annotated_types import Interval, MaxLen
from pydantic import BaseModel, BeforeValidator, Field

from library.stats.models import ACTIVITY_KINDS
from library.validation import (
    ASCII_INT,
    BLANK,
    Day,
    LongText,
    RowId,
    Schema,
    Title,
    Year,
    ascii_int,
    label,
    split_items,
)

MAX_PARTICIPANTS = 100_000


def split_row_ids(value: object) -> list[int]:
    """Row ids from a JSON list, '3, 5；8', or a form's fields where each may hold several ('3, 5'
    typed in one box). A shared type the core's `Ids` could become: it splits list items too."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[int] = []
    for item in items:
        if isinstance(item, str):
            out.extend(ascii_int(part) for part in split_items(item))
        else:
            out.append(ascii_int(item))
    return list(dict.fromkeys(out))


RowIds = Annotated[list[RowId], BeforeValidator(split_row_ids), MaxLen(500)]


ActivityKind = Literal["training", "teaching_research", "live", "outreach", "other"]
assert get_args(ActivityKind) == ACTIVITY_KINDS


Participants = Annotated[int, ASCII_INT, Interval(ge=0, le=MAX_PARTICIPANTS)]


class YearQuery(Schema):
    """`?year=2024`; without it, the current year."""

    year: Annotated[Year | None, BLANK] = Field(None, title=label("年份"))


class CityQuery(YearQuery):
    """The city overview: a year, the column to sort by and the direction."""

    sort: Literal["name", "outputs", "lesson_video", "award_case", "excellent_case", "research_project",
                  "paper", "views", "downloads", "loans", "loans_under_agreements", "schools_helped",
                  "activities", "participants"] = Field("outputs", title=label("排序"))
    dir: Annotated[Literal["asc", "desc"] | None, BLANK] = Field(None, title=label("排序方向"))


class ActivityBody(Schema):
    """An activity a studio held: title, kind, date, participants, schools reached, related outputs."""

    title: Title = Field(min_length=1, title=label("活动名称"))
    kind: Annotated[ActivityKind | None, BLANK] = Field(None, title=label("活动类型"))
    held_on: Day = Field(title=label("活动日期"))
    participants: Annotated[Participants | None, BLANK] = Field(None, title=label("参与人数"))
    description: Annotated[LongText | None, BLANK] = Field(None, title=label("活动说明"))
    school_ids: RowIds = Field([], title=label("覆盖学校"))
    resource_ids: RowIds = Field([], title=label("相关成果"))


class ActivityRef(Schema):
    """The activity a form's button acts on."""

    activity_id: RowId = Field(title=label("活动记录"))


class SchoolRef(BaseModel):
    id: int
    name: str


class ResourceRef(BaseModel):
    id: int
    title: str


class ActivityOut(BaseModel):
    id: int
    studio: str
    title: str
    kind: str
    held_on: str
    participants: int
    description: str
    schools: list[SchoolRef]
    resources: list[ResourceRef]


class ActivityList(BaseModel):
    items: list[ActivityOut]


class Projects(BaseModel):
    by_level: dict[str, int]
    by_status: dict[str, int]


class StudioFigures(BaseModel):
    """One studio's figures for a year and the ids behind them. `loans` counts a school's repeated
    loans of one output under one agreement once per agreement period (as the assessment does);
    `repeat_loans` are the ones not counted again."""

    studio: str
    studio_name: str
    year: int
    outputs: int
    by_kind: dict[str, int]
    awards_by_level: dict[str, int]
    projects: Projects
    papers: int
    views: int
    downloads: int
    views_by_month: list[int]
    downloads_by_month: list[int]
    loans: int
    loans_under_agreements: int
    loan_ids: list[int]
    repeat_loans: int
    repeat_loan_ids: list[int]
    agreements: int
    agreement_ids: list[int]
    schools_helped: int
    schools: list[SchoolRef]
    activities: int
    activities_by_kind: dict[str, int]
    participants: int
    schools_reached: int
    activity_ids: list[int]
    resource_ids: list[int]


class CityFigures(BaseModel):
    year: int
    studios: list[StudioFigures]
