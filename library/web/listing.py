"""Query-string choices shared by the listing pages: page, sort, stage."""

from __future__ import annotations

from flask import request

from library.resources import catalogue
from library.studios import service as studios
from library.studios.models import Stage


def page_number() -> int:
    """The `page` asked for, 1 when it is missing or not a positive number."""
    return max(1, request.args.get("page", 1, type=int) or 1)


def sort_choice() -> str:
    """The `sort` asked for, if the listing pages offer it; newest first otherwise."""
    sort = request.args.get("sort", "newest")
    return sort if sort in catalogue.PAGE_SORTS else "newest"


def stage_choice(stages: list[Stage]) -> str | None:
    """The stage switcher's choice (学前/小学/初中/高中), or None for all stages."""
    code = request.args.get("stage") or None
    return code if code in {s.code for s in stages} else None


def stage_list() -> list[Stage]:
    """The stages, in the switcher's order."""
    return studios.vocabularies()[1]
