"""Who may delete a stored object: nobody while a committed row or an upload in flight uses it.

Objects are stored by content (`originals/<sha256>`, `derived/<sha256>/…`), so two uploads of
the same bytes share one object, and an upload that finds its object already stored does not
own it until its row commits. Without claims, deleting the only resource that held the object
in between (or a concurrent upload of the same bytes failing and cleaning up) removed it: the new
resource answered 201 and its download 404.

The protocol, in `storage_claims` (each step its own committed transaction, so it holds on
SQLite and on PostgreSQL under READ COMMITTED):

- an upload commits a `use` claim on its keys *before* it looks for or stores the objects, then
  waits while a `delete` claim on one of them is live; it releases its claim after its rows have
  committed (or, failing, after it has cleaned up);
- a deleter commits a `delete` claim on the keys, then deletes only those that no file row and no
  live `use` claim refers to, then releases its claim.

Whichever claim commits second, its owner's check sees the first: either the deleter sees the
upload and keeps the object, or the upload waits until the deletion is over and then finds the
object gone and stores it again. A crashed process leaves a claim that lapses (`USE_LIFETIME`,
`DELETE_LIFETIME`); the worst a crash leaves is an orphan for `flask storage-check`, never a row
without its object.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from library.db import utcnow
from library.resources.models import ResourceFile, StorageClaim
from library.resources.objects import parse_page_key
from storage import Storage, StorageError

log = logging.getLogger(__name__)

# An upload claims once its body has arrived: storing it and committing takes minutes at most.
USE_LIFETIME = timedelta(hours=6)
DELETE_LIFETIME = timedelta(minutes=2)  # deleting a few objects takes seconds
WAIT_SECONDS = 10.0  # how long an upload waits for a deletion of its object to finish


def _session() -> Session:
    return current_app.extensions["db_sessionmaker"]()


def _add(keys: set[str], purpose: str) -> str:
    token = uuid.uuid4().hex
    if keys:
        with _session() as session, session.begin():
            session.add_all(StorageClaim(key=k, purpose=purpose, token=token) for k in sorted(keys))
    return token


def release(token: str) -> None:
    """Drop every claim made under token."""
    with _session() as session, session.begin():
        session.execute(delete(StorageClaim).where(StorageClaim.token == token))


def claim_for_use(keys: Iterable[str]) -> str:
    """Claim keys for an upload in flight (before looking for or storing their objects); returns
    the token to `release` once the upload's rows have committed or it has cleaned up."""
    wanted = {k for k in keys if k}
    token = _add(wanted, "use")
    deadline = time.monotonic() + WAIT_SECONDS
    while wanted:
        with _session() as session:
            busy = session.scalar(select(StorageClaim.id).where(
                StorageClaim.key.in_(wanted), StorageClaim.purpose == "delete",
                StorageClaim.created_at > utcnow() - DELETE_LIFETIME).limit(1))
        if busy is None:
            break
        if time.monotonic() > deadline:
            release(token)
            raise StorageError("a deletion of the same content is still running; try again")
        time.sleep(0.05)
    return token


def _live_use_claims(session: Session, wanted: set[str]) -> set[str]:
    return set(session.scalars(select(StorageClaim.key).where(
        StorageClaim.key.in_(wanted), StorageClaim.purpose == "use",
        StorageClaim.created_at > utcnow() - USE_LIFETIME)))


def in_use(keys: Iterable[str]) -> set[str]:
    """Which of keys a committed file row or a live `use` claim refers to."""
    wanted = {k for k in keys if k}
    if not wanted:
        return set()
    with _session() as session:
        rows = session.execute(
            select(ResourceFile.storage_key, ResourceFile.thumbnail_key, ResourceFile.poster_key).where(
                or_(ResourceFile.storage_key.in_(wanted), ResourceFile.thumbnail_key.in_(wanted),
                    ResourceFile.poster_key.in_(wanted)))
        )
        used = {k for row in rows for k in row if k in wanted} | _live_use_claims(session, wanted)
        return used | _pages_in_use(session, wanted)


def _pages_in_use(session: Session, wanted: set[str]) -> set[str]:
    """Which of the page images among wanted a row of their content still counts (preview_pages)."""
    pages = {key: parsed for key in wanted if (parsed := parse_page_key(key))}
    if not pages:
        return set()
    counts: dict[str, int] = {}
    for sha256, count in session.execute(select(ResourceFile.sha256, ResourceFile.preview_pages).where(
            ResourceFile.sha256.in_({sha for sha, _n in pages.values()}))):
        counts[sha256] = max(counts.get(sha256, 0), count or 0)
    return {key for key, (sha256, number) in pages.items() if number <= counts.get(sha256, 0)}


def staged_in_use(keys: Iterable[str]) -> set[str]:
    """Which of keys a committed `staged` row or a live `use` claim refers to."""
    wanted = {k for k in keys if k}
    if not wanted:
        return set()
    with _session() as session:
        staged = set(session.scalars(select(ResourceFile.storage_key).where(
            ResourceFile.storage_key.in_(wanted), ResourceFile.location == "staged")))
        return staged | _live_use_claims(session, wanted)


def _delete(keys: Iterable[str], used: Callable[[set[str]], set[str]],
            remove: Callable[[str], None]) -> list[str]:
    """Under a deletion claim, remove each of keys that used() does not name; return those removed."""
    wanted = {k for k in keys if k}
    if not wanted:
        return []
    token = _add(wanted, "delete")
    deleted = []
    try:
        for key in sorted(wanted - used(wanted)):
            try:
                remove(key)
                deleted.append(key)
            except StorageError:
                log.exception("could not delete %s (an orphan for flask storage-check)", key)
    finally:
        release(token)
    return deleted


def delete_unused(storage: Storage, keys: Iterable[str]) -> list[str]:
    """Delete those of keys no committed row and no upload in flight uses, from the storage and
    from the staging area (an original not moved yet); return the deleted."""
    staging = current_app.extensions.get("staging")

    def remove(key: str) -> None:
        if staging is not None:
            staging.delete(key)
        storage.delete(key)

    return _delete(keys, in_use, remove)


def delete_unused_staged(staging: Storage, keys: Iterable[str]) -> list[str]:
    """Delete the staged copies of keys no staged row and no upload in flight uses (after a move
    committed: the bucket has them); return the deleted."""
    return _delete(keys, staged_in_use, staging.delete)


def sweep_lapsed() -> int:
    """Remove claims past their lifetime (left by crashed processes); returns how many."""
    now = utcnow()
    with _session() as session, session.begin():
        result = session.execute(delete(StorageClaim).where(or_(
            (StorageClaim.purpose == "use") & (StorageClaim.created_at <= now - USE_LIFETIME),
            (StorageClaim.purpose == "delete") & (StorageClaim.created_at <= now - DELETE_LIFETIME))))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
