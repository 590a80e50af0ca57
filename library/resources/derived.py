"""Rebuilding derived files from the stored originals."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from library.db import get_session
from library.resources import ingest
from library.resources.models import ResourceFile
from library.resources.service import apply_derived


def rederive_all() -> tuple[int, int]:
    """Derive every file again (one commit per file); return (done, failed)."""
    storage = current_app.extensions["storage"]
    session = get_session()
    done = failed = 0
    ids = list(session.scalars(select(ResourceFile.id).order_by(ResourceFile.id)))
    for file_id in ids:
        row = session.get(ResourceFile, file_id)
        if row is None:  # removed since the ids were read
            continue
        with tempfile.TemporaryDirectory(dir=current_app.config["SPOOL_DIR"]) as tmp:
            local = Path(tmp) / "original"
            storage.download_to(row.storage_key, local)
            derived = ingest.derive(local, row.content_type)
        apply_derived(storage, row, derived, [])
        session.commit()
        failed += bool(derived.error)
        done += not derived.error
    return done, failed
