"""What the textbook pages and `/api/v1/textbooks` take, and what the API answers."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import BaseModel, Field

from library.validation import ASCII_INT, BLANK, Code, Schema, label


class TextbookQuery(Schema):
    """A subject and stage's textbook tree (`?subject=math&stage=primary`)."""

    subject: Code = Field(title=label("学科"), description="学科代码，如 math")
    stage: Code = Field(title=label("学段"), description="学段代码，如 primary")


class PlaceQuery(Schema):
    """A node of the tree on the textbook page: edition, 册 (grade.volume), unit, lesson."""

    edition: Annotated[Code | None, BLANK] = Field(None, title=label("教材版本"))
    book: Annotated[Code | None, BLANK] = Field(None, title=label("册次"), description="年级.册次，如 p3.upper")
    unit: Annotated[Code | None, BLANK] = Field(None, title=label("单元"))
    lesson: Annotated[Annotated[str, Field(max_length=200)] | None, BLANK] = Field(None, title=label("课"))
    page: Annotated[int, Interval(ge=1, le=10_000), ASCII_INT] = Field(1, title=label("页码"))


class PinForm(Schema):
    """我的教材: subject + edition + grade."""

    subject: Code = Field(title=label("学科"))
    stage: Code = Field(title=label("学段"))
    edition: Annotated[Code | None, BLANK] = Field(None, title=label("教材版本"))
    grade: Annotated[Code | None, BLANK] = Field(None, title=label("年级"))


class LessonNode(BaseModel):
    key: str
    name: str
    count: int


class UnitNode(BaseModel):
    key: str
    name: str
    count: int
    lessons: list[LessonNode]


class BookNode(BaseModel):
    key: str = Field(description="年级代码.册次代码，如 p3.upper；任一可空")
    name: str
    count: int
    units: list[UnitNode]


class EditionNode(BaseModel):
    key: str = Field(description="版本代码；none 为未注明版本")
    name: str
    count: int
    books: list[BookNode]


class TextbookTree(BaseModel):
    """版本 → 册 → 单元 → 课, with how many outputs the caller may see at each node; `unplaced`
    outputs of the subject and stage have no textbook position."""

    subject: str
    stage: str
    total: int
    placed: int
    unplaced: int
    editions: list[EditionNode]
