"""The derive job: thumbnail, poster, duration and text made from a stored original after its upload
has answered (the file shows `processing` until then, `ready` or `failed` after)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from sqlalchemy.orm import Session

from library.jobs import service as jobs
from library.db import on_commit, on_rollback
from library.resources import claims, ingest
from library.resources.models import ResourceFile
from library.resources.objects import apply_derived, content_keys, page_keys
from library.resources.staging import local_original

DERIVE = "derive"


def derive_file(session: Session, payload: dict) -> str | None:
    """Derive one file; a file that cannot be derived ends `failed` with the reason (not retried:
    the same bytes fail the same way). The change-log row brings its text to the search index."""
    row = session.get(ResourceFile, payload["file_id"])
    twins = _twins(session, payload)  # files of the same content queued with it
    if row is None:  # the resource was deleted meanwhile: derive for a twin still there, if any
        if not twins:
            return None
        row, *twins = twins
    storage = current_app.extensions["storage"]
    with local_original(row) as path:  # the staged file in place while staged
        derived = ingest.derive(path, row.content_type)
    # The derived images are shared by content: claimed until this row refers to them (claims.py).
    token = claims.claim_for_use([*content_keys(row.sha256), *page_keys(row.sha256, len(derived.pages))])
    on_commit(session, "release the derive job's claims", lambda: claims.release(token))
    on_rollback(session, "release the derive job's claims", lambda: claims.release(token))
    stale = apply_derived(storage, row, derived, [])
    if stale:  # fewer pages than before (LibreOffice gone, a shorter cap): the rest go once unused
        on_commit(session, "remove stale page images", lambda: claims.delete_unused(storage, stale))
    row.state = "failed" if derived.error else "ready"  # the flush logs the change for search
    for twin in twins:
        if twin.sha256 != row.sha256:
            continue
        twin.thumbnail_key, twin.poster_key = row.thumbnail_key, row.poster_key
        twin.duration_seconds, twin.text = row.duration_seconds, row.text
        twin.preview_pages = row.preview_pages
        twin.derive_error, twin.state = row.derive_error, row.state
    return derived.error


def _twins(session: Session, payload: dict) -> list[ResourceFile]:
    """The other files this job derives (same content, added in the same transaction), still there."""
    rows = (session.get(ResourceFile, file_id) for file_id in payload.get("twins", ()))
    return [row for row in rows if row is not None]


def give_up(session: Session, payload: dict, reason: str) -> None:
    """Every attempt failed (storage unreachable, the worker killed …): the file shows why."""
    for row in [session.get(ResourceFile, payload["file_id"]), *_twins(session, payload)]:
        if row is not None:
            row.state, row.derive_error = "failed", reason


def retried(session: Session, payload: dict) -> None:
    """Retried by hand: the file is being processed again."""
    for row in [session.get(ResourceFile, payload["file_id"]), *_twins(session, payload)]:
        if row is not None and row.state == "failed":
            row.state, row.derive_error = "processing", None


def enqueue_derive(session: Session, row: ResourceFile, twins: Sequence[ResourceFile] = ()) -> None:
    """Queue the derivation of a file row (flushed: it has its id) in the caller's transaction;
    `twins`, files of the same content added in the same transaction, get what it derives."""
    payload: dict[str, object] = {"file_id": row.id, "resource_id": row.resource_id}
    if twins:
        payload["twins"] = [t.id for t in twins]
    jobs.enqueue(session, DERIVE, payload)


jobs.register(DERIVE, derive_file, on_give_up=give_up, on_retry=retried, max_attempts=5)
