"""Browsing: what the home, subject and studio pages list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from library import policy
from library.db import get_session
from library.models import Resource, User

PAGE_SORTS = {
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


def list_resources(
    actor: User | None, *, page: int = 1, per_page: int = 20, sort: str = "newest", **where
) -> ResourcePage:
    """Resources the actor may see, filtered by column values (subject_code=…, studio_id=…, kind=…)."""
    session = get_session()
    conditions = [policy.visible_clause(actor)]
    conditions += [getattr(Resource, name) == value for name, value in where.items() if value is not None]
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
    conditions = [policy.visible_clause(actor)]
    conditions += [getattr(Resource, name) == value for name, value in where.items()]
    rows = get_session().execute(
        select(Resource.kind, func.count(Resource.id)).where(*conditions).group_by(Resource.kind)
    )
    return dict(rows.all())
