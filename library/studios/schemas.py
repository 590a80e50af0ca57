"""What the studios API answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from library.validation import BLANK, Code, Schema, label


class StudioPageQuery(Schema):
    """A studio page's filter: one kind of output (an unknown kind lists nothing)."""

    kind: Annotated[Code | None, BLANK] = Field(None, title=label("成果类型"))


class StudioOut(BaseModel):
    """A studio, its host(s) and how many of its outputs the caller may see."""

    slug: str
    name: str
    subject: str
    stage: str
    hosts: list[str]
    resource_count: int


class StudioList(BaseModel):
    studios: list[StudioOut]


class Term(BaseModel):
    code: str
    name: str
    name_en: str


class Vocabularies(BaseModel):
    subjects: list[Term]
    stages: list[Term]
