"""The search change log, written by the session itself: a flush listener notes every resource
whose search document a flush changes, in the same transaction, so no service can forget one.

What changes a resource's document:

- a new, changed or deleted `Resource` (deleted: a `delete` entry);
- a new, changed or deleted `ResourceFile` (its text is the document's body);
- a `Subject` whose names change (every resource of the subject carries its name);
- a `Studio` whose name or slug changes (every resource of the studio);
- a counted download (`download_count`, the "most downloaded" order). Assign it as a SQL
  expression on the object (`resource.download_count = Resource.download_count + 1`): the flush
  sees the change and the database still does the increment.

After a commit that logged a change the index is brought up to date at once in the embedded
default (`indexing.after_commit`, bounded); a download alone waits for the worker, so a download
never waits for the index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from library.db import LibrarySession, on_commit, utcnow
from library.resources.models import Resource, ResourceFile
from library.search import indexing
from library.search.models import ChangeLog
from library.studios.models import Studio, Subject

# Attributes whose change alone does not need the index at once (the worker applies it).
_QUIET = frozenset({"download_count", "updated_at"})
_SUBJECT_NAMES = ("name_zh", "name_en")
_STUDIO_NAMES = ("name", "slug")


def _changed(obj: object) -> set[str]:
    """The attributes of a flushed object whose value this flush changes."""
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _resource_ids(session: Session, where: Any) -> list[int]:
    return list(session.connection().scalars(select(Resource.id).where(where)))


Pending = list[tuple[Callable[[], int | None], str, bool]]  # (resource id, op, quiet)
_PENDING = "library.search.changes"


def _known(rid: int) -> Callable[[], int | None]:
    return lambda: rid


def _collect(session: Session) -> Pending:
    """What this flush changes, read before it runs (after it, an attribute assigned a SQL
    expression has no history left); new rows' ids are read once the flush has given them."""
    found: Pending = []

    def note(get_id: Callable[[], int | None], op: str = "upsert", quiet: bool = False) -> None:
        found.append((get_id, op, quiet))

    def resource_id(obj: Resource | ResourceFile) -> Callable[[], int | None]:
        return (lambda: obj.id) if isinstance(obj, Resource) else (lambda: obj.resource_id)

    for obj in session.deleted:
        if isinstance(obj, Resource):
            note(resource_id(obj), "delete")
        elif isinstance(obj, ResourceFile):
            note(resource_id(obj))
    for obj in session.new:
        if isinstance(obj, (Resource, ResourceFile)):
            note(resource_id(obj))
    for obj in session.dirty:
        if isinstance(obj, (Resource, ResourceFile)):
            changed = _changed(obj)
            if changed:
                note(resource_id(obj), quiet=changed <= _QUIET)
        elif isinstance(obj, Subject) and _changed(obj) & set(_SUBJECT_NAMES):
            for rid in _resource_ids(session, Resource.subject_code == obj.code):
                note(_known(rid))
        elif isinstance(obj, Studio) and _changed(obj) & set(_STUDIO_NAMES):
            for rid in _resource_ids(session, Resource.studio_id == obj.id):
                note(_known(rid))
    return found


@event.listens_for(LibrarySession, "before_flush")
def _note_changes(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    found = _collect(session)
    if found:
        session.info.setdefault(_PENDING, []).extend(found)


@event.listens_for(LibrarySession, "after_flush")
def _log_changes(session: Session, _flush: UOWTransaction) -> None:
    pending: Pending = session.info.pop(_PENDING, [])
    ops: dict[int, str] = {}
    urgent = False
    for get_id, op, quiet in pending:
        rid = get_id()
        if rid is None or ops.get(rid) == "delete":
            continue
        ops[rid] = op
        urgent = urgent or not quiet
    if not ops:
        return
    now = utcnow()
    session.connection().execute(
        insert(ChangeLog),
        [{"entity": "resource", "entity_id": rid, "op": op, "created_at": now}
         for rid, op in sorted(ops.items())],
    )
    if urgent:
        on_commit(session, "search index", indexing.after_commit)
