"""Query-string choices shared by the listing pages: page, sort, stage (library.validation types)."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import Interval
from flask import request
from pydantic import Field

from library.studios import service as studios
from library.studios.models import Stage
from library.validation import ASCII_INT, BLANK, Code, Schema, label, parse

MAX_PAGE = 10_000


class ListingArgs(Schema):
    """`?page=2&sort=downloads&stage=junior` on the home, subject and studio pages."""

    page: Annotated[int, Interval(ge=1, le=MAX_PAGE), ASCII_INT] = Field(1, title=label("页码"))
    sort: Literal["newest", "downloads", "title"] = Field("newest", title=label("排序"))
    stage: Annotated[Code | None, BLANK] = Field(None, title=label("学段"))
    kind: Annotated[Code | None, BLANK] = Field(None, title=label("成果类型"))


def listing_args() -> ListingArgs:
    """This request's choices, or InvalidInput (a 400 naming the field: `page=²`, `page=10⁹⁹`)."""
    return parse(ListingArgs, request.args)


def page_number() -> int:
    """The `page` asked for (1 when not given)."""
    return listing_args().page


def sort_choice() -> str:
    """The `sort` asked for; newest first when not given."""
    return listing_args().sort


def stage_choice(stages: list[Stage]) -> str | None:
    """The stage switcher's choice (学前/小学/初中/高中), or None for all stages (an unknown code
    from an old link shows every stage)."""
    code = listing_args().stage
    return code if code in {s.code for s in stages} else None


def stage_list() -> list[Stage]:
    """The stages, in the switcher's order."""
    return studios.vocabularies()[1]
