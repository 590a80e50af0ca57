"""What an agreement covers: the studio's published lendable outputs in its content scope, listed on
the agreement's page (a school borrows these at once while the agreement is in force)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, func, select

from library.db import get_session
from library.lending.models import Agreement
from library.resources.models import Resource

SHOWN = 50  # outputs listed on the page; the rest are counted and reached through search


@dataclass
class Coverage:
    """The covered outputs (the newest SHOWN of them), how many there are, per kind, and how many
    listed ids are not (or no longer) published lendable outputs of the studio."""

    outputs: list[Resource]
    total: int
    by_kind: dict[str, int] = field(default_factory=dict)
    not_lendable: int = 0  # scope "list": ids listed that cannot be borrowed now

    @property
    def more(self) -> int:
        return self.total - len(self.outputs)


def covered_clause(agreement: Agreement) -> ColumnElement[bool]:
    """A SQL condition on Resource: published, and what `agreements.covers` includes."""
    clauses: list[ColumnElement[bool]] = [
        Resource.studio_id == agreement.studio_id, Resource.status == "published",
        Resource.visibility == "lendable"]
    if agreement.scope == "list":
        ids = list(agreement.scope_resource_ids or [])
        clauses.append(Resource.id.in_(ids) if ids else false())
    elif agreement.scope == "filter":
        if agreement.scope_kinds:
            clauses.append(Resource.kind.in_(agreement.scope_kinds))
        if agreement.scope_subjects:
            clauses.append(Resource.subject_code.in_(agreement.scope_subjects))
    return and_(*clauses)


def coverage(agreement: Agreement, shown: int = SHOWN) -> Coverage:
    """The agreement's covered outputs, newest first, counted in SQL (a studio may have hundreds);
    a listed scope (at most 500 ids) is shown whole, as search cannot find it."""
    session = get_session()
    where = covered_clause(agreement)
    listed = len(set(agreement.scope_resource_ids or [])) if agreement.scope == "list" else 0
    by_kind: dict[str, int] = {kind: n for kind, n in session.execute(
        select(Resource.kind, func.count()).where(where).group_by(Resource.kind))}
    total = sum(by_kind.values())
    outputs = list(session.scalars(select(Resource).where(where)
                                   .order_by(Resource.created_at.desc(), Resource.id.desc()).limit(max(shown, listed))))
    return Coverage(outputs, total, dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
                    max(0, listed - total))


def search_filters(agreement: Agreement) -> dict[str, list[str]] | None:
    """The search page's filters that find exactly the covered outputs, or None for a list of ids
    (search has no filter by id; the agreement's page then lists them all)."""
    if agreement.scope == "list":
        return None
    filters = {"studio": [agreement.studio.slug], "visibility": ["lendable"]}
    if agreement.scope == "filter":
        if agreement.scope_kinds:
            filters["kind"] = list(agreement.scope_kinds)
        if agreement.scope_subjects:
            filters["subject"] = list(agreement.scope_subjects)
    return filters
