"""Rebuilding derived files from the stored originals: queued as derive jobs, or inline."""

from __future__ import annotations

from functools import partial

from flask import current_app
from sqlalchemy import select

from library.db import get_session, on_commit
from library.resources import claims, ingest
from library.resources.jobs import enqueue_derive
from library.resources.staging import local_original
from library.resources.models import ResourceFile
from library.resources.objects import apply_derived


def enqueue_all() -> int:
    """Queue a derive job for every file (one transaction); `flask worker` runs them. Files keep
    their state and derived images until their job replaces them."""
    session = get_session()
    rows = list(session.scalars(select(ResourceFile).order_by(ResourceFile.id)))
    for row in rows:
        enqueue_derive(session, row)
    session.commit()
    return len(rows)


def rederive_all() -> tuple[int, int]:
    """Derive every file again now, in this process (one commit per file); return (done, failed)."""
    storage = current_app.extensions["storage"]
    session = get_session()
    done = failed = 0
    ids = list(session.scalars(select(ResourceFile.id).order_by(ResourceFile.id)))
    for file_id in ids:
        row = session.get(ResourceFile, file_id)
        if row is None:  # removed since the ids were read
            continue
        with local_original(row) as local:
            derived = ingest.derive(local, row.content_type)
        stale = apply_derived(storage, row, derived, [])
        if stale:
            on_commit(session, "remove stale page images", partial(claims.delete_unused, storage, stale))
        row.state = "failed" if derived.error else "ready"
        session.commit()
        failed += bool(derived.error)
        done += not derived.error
    return done, failed
