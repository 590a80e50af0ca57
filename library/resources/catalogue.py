"""Browsing: what the home, subject and studio pages list and count.

None of it reads every visible row per request (issue 15). What an actor sees is split in two
disjoint parts (`library.policy`):

- the audience (`audience_clause`): the published outputs search serves them. Their counts come
  from the search index's facet arrays (`SearchIndex.counts`, cached per index commit); their
  rows from the database, newest or most downloaded first, by an index that serves the
  ORDER BY … LIMIT (migration 0010: (status, created_at, id), (subject_code, status, …),
  (studio_id, status, …));
- what else they may see (`beyond_audience_clause`): drafts of the studios they review and their
  own unpublished uploads — small, counted and listed from the database through indexes on
  (studio_id, status) and (uploader_id, status, visibility).

Admins see everything: the published part and every unpublished output (those two lists again),
counted over every document in the index. The database stays the truth of what is shown: rows are only ever
read under the actor's clauses; only counts come from the index (lagging it by a commit at most,
or from the database when the index cannot answer).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Integer, func, literal, select, union_all
from sqlalchemy.orm import defaultload, defer, lazyload, selectinload

from library import policy
from library.accounts.models import User
from library.db import Page, get_session
from library.resources.models import AWARD_LEVELS, PROJECT_STATUSES, Resource, ResourceFile
from library.studios.models import Studio
from search_index import Audience

log = logging.getLogger(__name__)

PAGE_SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Resource.created_at.desc(), Resource.id.desc()),
    "downloads": (Resource.download_count.desc(), Resource.id.desc()),
    "title": (Resource.title, Resource.id),
}
# The same orders in Python, to merge the two parts' rows: (key of a row, descending?).
_SORT_KEYS: dict[str, tuple[Any, bool]] = {
    "newest": (lambda row: (row.created_at, row.id), True),
    "downloads": (lambda row: (row.download_count, row.id), True),
    "title": (lambda row: (row.title, row.id), False),
}
# Index fields of the filters the catalogue passes as column values.
_INDEX_FIELDS = {"subject_code": "subject", "stage_code": "stage", "kind": "kind"}
PROJECTS_SHOWN = 10  # per status on a studio page; the rest through the search page


@dataclass
class Counts:
    """How many resources the actor sees, in all and per value of some fields (studio by slug)."""

    total: int = 0
    by: dict[str, dict[str, int]] = field(default_factory=dict)

    def of(self, name: str) -> dict[str, int]:
        return self.by.get(name, {})


def _branches(actor: User | None) -> list[tuple[Any, bool]]:
    """The disjoint conditions whose rows together are what the actor sees, each with whether a
    page's filters may pick its index (see `_where`)."""
    beyond = policy.beyond_audience_clause(actor)
    return [(policy.audience_clause(actor), True)] + (
        [(beyond, policy.is_admin(actor))] if beyond is not None else [])


def _unindexed(column: Any) -> Any:
    """The column in an expression no index serves (`studio_id + 0`, `subject_code || ''`)."""
    return column + 0 if isinstance(column.type, Integer) else column.concat("")


def _where(where: Mapping[str, Any], *, indexed: bool = True) -> list[Any]:
    """Column filters (subject_code=…, studio_id=…, kind=…). Not indexed for a user's own
    uploads and reviewed drafts: with no statistics SQLite would read every row of the studio or
    subject by its index rather than the few of (uploader_id, status) or (studio_id, status)."""
    return [(getattr(Resource, name) if indexed else _unindexed(getattr(Resource, name))) == value
            for name, value in where.items() if value is not None]


# A listed resource shows its studio's name, never the studio's own subject and stage: joined
# in as well (Studio.subject and .stage are joined eagerly), they made every list statement a
# five-table join whose planning took 3.3 ms on PostgreSQL against 0.3 ms to run it (at 100k).
LISTED = (defaultload(Resource.studio).lazyload(Studio.subject), defaultload(Resource.studio).lazyload(Studio.stage))


def card_options() -> tuple[Any, ...]:
    """Cards show the cover file: load every row's files in one statement (their extracted text
    stays in the database; `derive_error`, short, is loaded: the API answer shows it); and the
    studio without its subject and stage (LISTED)."""
    return (selectinload(Resource.files).options(defer(ResourceFile.text)), *LISTED)


def _rows(
    actor: User | None, where: Mapping[str, Any], sort: str, offset: int, limit: int, *, files: bool,
    exclude_id: int | None = None,
) -> list[Resource]:
    """The rows of one page of what the actor sees under the column filters, in the sort order.

    Each part is its own ORDER BY … LIMIT (one index range each, no sort of every row); with two
    parts their first offset + limit ids are merged here and the page's rows read by id."""
    session = get_session()
    order = PAGE_SORTS.get(sort, PAGE_SORTS["newest"])
    options = [*card_options()] if files else [*LISTED]
    other = [Resource.id != exclude_id] if exclude_id is not None else []
    branches = _branches(actor)
    if len(branches) == 1:
        stmt = (select(Resource).where(branches[0][0], *_where(where), *other)
                .order_by(*order).offset(offset).limit(limit))
        return list(session.scalars(stmt.options(*options)).unique())
    key, descending = _SORT_KEYS.get(sort, _SORT_KEYS["newest"])
    keyed: list[Any] = []
    for branch, indexed in branches:
        keyed += session.execute(
            select(Resource.id, Resource.created_at, Resource.download_count, Resource.title)
            .where(branch, *_where(where, indexed=indexed), *other)
            .order_by(*order)
            .limit(offset + limit)
        ).all()
    keyed.sort(key=key, reverse=descending)
    ids = [row.id for row in keyed[offset : offset + limit]]
    if not ids:
        return []
    found = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(ids)).options(*options)).unique()}
    return [found[i] for i in ids if i in found]


def _index_audience(actor: User | None) -> Audience:
    return Audience(everything=True) if policy.is_admin(actor) else policy.audience(actor)


def count_visible(
    actor: User | None, fields: Sequence[str] = (), *, studio: Studio | None = None, **where: str | None
) -> Counts:
    """How many resources the actor sees (filtered by subject_code, stage_code, kind, a studio),
    in all and per value of fields ("studio" by slug, "subject", "kind", "stage").

    The audience's part from the search index's facet arrays, the rest (drafts of reviewed
    studios, one's own uploads) from the database; everything from the database when the index
    cannot answer."""
    filters: dict[str, list[str]] = {_INDEX_FIELDS[k]: [v] for k, v in where.items() if v is not None}
    columns: dict[str, Any] = dict(where)
    if studio is not None:
        filters["studio"] = [studio.slug]
        columns["studio_id"] = studio.id
    try:
        total, by = current_app.extensions["search_index"].counts(
            fields, audience=_index_audience(actor), filters=filters
        )
    except Exception:  # noqa: BLE001 - the pages still count, from the database
        log.exception("the search index could not count; counting in the database")
        return _count_in_database(policy.visible_clause(actor), _where(columns), fields)
    counts = Counts(total, {name: dict(values) for name, values in by.items()})
    beyond = None if policy.is_admin(actor) else policy.beyond_audience_clause(actor)
    if beyond is not None:
        more = _count_in_database(beyond, _where(columns, indexed=False), fields)
        counts.total += more.total
        for name in fields:
            merged = Counter(counts.by.get(name, {}))
            merged.update(more.of(name))
            counts.by[name] = dict(merged)
    return counts


_GROUP_COLUMNS = {"studio": Studio.slug, "subject": Resource.subject_code, "kind": Resource.kind,
                  "stage": Resource.stage_code}


def _count_in_database(condition: Any, conditions: list[Any], fields: Sequence[str]) -> Counts:
    """Counts of the rows matching condition in one GROUP BY (of the fields asked for)."""
    columns = [_GROUP_COLUMNS[name] for name in fields]
    stmt = select(*columns, func.count(Resource.id)).where(condition, *conditions)
    if "studio" in fields:
        stmt = stmt.join(Studio, Studio.id == Resource.studio_id)
    rows = get_session().execute(stmt.group_by(*columns) if columns else stmt).all()
    counts = Counts(0, {name: {} for name in fields})
    for row in rows:
        n = int(row[-1])
        counts.total += n
        for name, value in zip(fields, row[:-1], strict=True):
            counts.by[name][value] = counts.by[name].get(value, 0) + n
    return counts


def list_resources(
    actor: User | None, *, page: int = 1, per_page: int = 20, sort: str = "newest", exclude_id: int | None = None,
    total: int | None = None, files: bool = True, studio: Studio | None = None, **where: Any,
) -> Page[Resource]:
    """Resources the actor may see, filtered by column values (subject_code=…, stage_code=…,
    kind=…) and a studio. total: the count when the caller has it (else it is counted);
    files=False leaves the cover files unloaded (for lists without cards)."""
    page = max(1, page)
    columns = {**where, "studio_id": studio.id} if studio is not None else where
    items = _rows(actor, columns, sort, (page - 1) * per_page, per_page, files=files, exclude_id=exclude_id)
    if total is None:
        total = count_visible(actor, studio=studio, **where).total
    return Page(items, page, per_page, total)


def first(actor: User | None, limit: int, *, sort: str = "newest", files: bool = True, **where: Any) -> list[Resource]:
    """The first rows of a list (the home page's columns), without counting."""
    return _rows(actor, where, sort, 0, limit, files=files)


def kind_counts(actor: User | None, studio: Studio) -> dict[str, int]:
    """Visible resources of a studio per kind (for studio pages)."""
    return count_visible(actor, ("kind",), studio=studio).of("kind")


def award_wall(actor: User | None, studio_id: int, limit: int = 12) -> list[Resource]:
    """A studio's award-winning outputs, highest level first, then newest.

    One statement: per level the newest `limit` (each an ORDER BY … LIMIT over
    (studio_id, award_level, year, id), migration 0012), joined in level order and cut at
    `limit`; the wall shows no studio, subject or stage, so none is joined in."""
    newest = _newest_per_group(actor, studio_id, Resource.award_level, AWARD_LEVELS, limit)
    return list(get_session().scalars(_rows_of(newest).limit(limit)))


def _rows_of(newest: Any) -> Any:
    """The resources _newest_per_group picked, group by group, newest first; without their
    studio, subject and stage (neither the wall nor the project list shows them)."""
    return (select(Resource)
            .join(newest, newest.c.rid == Resource.id)
            .options(lazyload(Resource.studio), lazyload(Resource.subject), lazyload(Resource.stage))
            .order_by(newest.c.rank, Resource.year.desc(), Resource.id.desc()))


def _newest_per_group(actor: User | None, studio_id: int, column: Any, values: Sequence[str | None],
                      limit: int, *where: Any) -> Any:
    """(rid, rank) of the newest `limit` visible resources of a studio for each value of column
    (None: the column is empty), rank being the value's place in `values`: a UNION ALL of one
    index range each, so its cost is the groups', not the studio's size."""
    visible = policy.visible_clause(actor)
    parts = []
    for rank, value in enumerate(values):
        match = column.is_(None) if value is None else column == value
        parts.append(select(
            select(Resource.id.label("rid"), literal(rank).label("rank"))
            .where(Resource.studio_id == studio_id, match, *where, visible)
            .order_by(Resource.year.desc(), Resource.id.desc())
            .limit(limit)
            .subquery()
        ))
    return union_all(*parts).subquery()


@dataclass
class ProjectGroup:
    """A studio's research projects of one status: the newest few, and how many in all."""

    items: list[Resource]
    total: int


def projects_by_status(actor: User | None, studio_id: int, shown: int = PROJECTS_SHOWN) -> dict[str, ProjectGroup]:
    """A studio's research projects grouped by status (立项, 在研, 结题; then those without one),
    each group newest first: at most `shown` of each (one statement, an index range per status
    over (studio_id, kind, project_status, year, id), migration 0012), with its size (one count
    per status from the same index)."""
    session = get_session()
    is_project = Resource.kind == "research_project"
    statuses: list[str | None] = [*PROJECT_STATUSES, None]
    newest = _newest_per_group(actor, studio_id, Resource.project_status, statuses, shown, is_project)
    rows = session.scalars(_rows_of(newest))
    groups: dict[str, ProjectGroup] = {s or "": ProjectGroup([], 0) for s in statuses}
    for resource in rows:
        groups[resource.project_status or ""].items.append(resource)
    sizes = session.execute(
        select(Resource.project_status, func.count())
        .where(Resource.studio_id == studio_id, is_project, policy.visible_clause(actor))
        .group_by(Resource.project_status)
    ).all()
    for status, size in sizes:
        if (status or "") in groups:
            groups[status or ""].total += int(size)
    return {s: group for s, group in groups.items() if group.items}


def related(actor: User | None, resource: Resource, limit: int = 4) -> dict[str, list[Resource]]:
    """Other resources of the same subject and stage (most downloaded), and the studio's newest."""
    same_subject = _rows(actor, {"subject_code": resource.subject_code, "stage_code": resource.stage_code},
                         "downloads", 0, limit, files=False, exclude_id=resource.id)
    same_studio = _rows(actor, {"studio_id": resource.studio_id}, "newest", 0, limit, files=False,
                        exclude_id=resource.id)
    return {"subject": same_subject, "studio": same_studio}
