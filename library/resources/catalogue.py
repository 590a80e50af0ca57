"""Browsing: what the home, subject and studio pages list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from library import policy
from library.accounts.models import User
from library.db import get_session
from library.resources.models import AWARD_LEVELS, PROJECT_STATUSES, Resource

PAGE_SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Resource.created_at.desc(), Resource.id.desc()),
    "downloads": (Resource.download_count.desc(), Resource.id.desc()),
    "title": (Resource.title, Resource.id),
}


@dataclass
class ResourcePage:
    """A page of a resource list."""

    items: list[Resource]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(actor: User | None, where: dict) -> list:
    conditions = [policy.visible_clause(actor)]
    conditions += [getattr(Resource, name) == value for name, value in where.items() if value is not None]
    return conditions


def list_resources(
    actor: User | None, *, page: int = 1, per_page: int = 20, sort: str = "newest", exclude_id: int | None = None,
    **where,
) -> ResourcePage:
    """Resources the actor may see, filtered by column values (subject_code=…, studio_id=…, kind=…)."""
    session = get_session()
    conditions = _conditions(actor, where)
    if exclude_id is not None:
        conditions.append(Resource.id != exclude_id)
    total = session.scalar(select(func.count(Resource.id)).where(*conditions)) or 0
    page = max(1, page)
    items = list(
        session.scalars(
            select(Resource)
            .where(*conditions)
            .order_by(*PAGE_SORTS.get(sort, PAGE_SORTS["newest"]))
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).unique()
    )
    return ResourcePage(items, page, per_page, total)


def kind_counts(actor: User | None, **where) -> dict[str, int]:
    """Visible resources per kind (for studio pages)."""
    conditions = _conditions(actor, where)
    rows = get_session().execute(
        select(Resource.kind, func.count(Resource.id)).where(*conditions).group_by(Resource.kind)
    )
    return dict(rows.all())


def award_wall(actor: User | None, studio_id: int, limit: int = 12) -> list[Resource]:
    """A studio's award-winning outputs, highest level first, then newest."""
    rank = {level: i for i, level in enumerate(AWARD_LEVELS)}
    rows = get_session().scalars(
        select(Resource)
        .where(*_conditions(actor, {"studio_id": studio_id}), Resource.award_level.is_not(None))
        .order_by(Resource.year.desc(), Resource.id.desc())
    ).unique()
    return sorted(rows, key=lambda r: rank.get(r.award_level or "", len(rank)))[:limit]


def projects_by_status(actor: User | None, studio_id: int) -> dict[str, list[Resource]]:
    """A studio's research projects grouped by status (立项, 在研, 结题), each group newest first."""
    rows = get_session().scalars(
        select(Resource)
        .where(*_conditions(actor, {"studio_id": studio_id, "kind": "research_project"}))
        .order_by(Resource.year.desc(), Resource.id.desc())
    ).unique()
    groups: dict[str, list[Resource]] = {status: [] for status in PROJECT_STATUSES}
    for row in rows:
        groups.setdefault(row.project_status or "", []).append(row)
    return {status: items for status, items in groups.items() if items}


def related(actor: User | None, resource: Resource, limit: int = 4) -> dict[str, list[Resource]]:
    """Other resources of the same subject and stage, and others of the same studio."""
    same_subject = list_resources(
        actor, per_page=limit, sort="downloads", exclude_id=resource.id,
        subject_code=resource.subject_code, stage_code=resource.stage_code,
    ).items
    same_studio = list_resources(
        actor, per_page=limit, exclude_id=resource.id, studio_id=resource.studio_id
    ).items
    return {"subject": same_subject, "studio": same_studio}
