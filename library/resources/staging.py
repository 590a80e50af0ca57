"""Originals staged on local disk until a `move` job has put them into the bucket (S3 only).

With S3 configured, an upload does not wait for the object store: its spooled file is renamed into
the staging area (a LocalStorage at DATA_DIR/staging, on the spool's filesystem, fsynced), its row
commits with `location='staged'` and a `move` job is queued in the same transaction. Until the job
has run, downloads, previews, the borrow kit and the derive job read the staged file. The job:

1. reads the staged file once: its SHA-256 must be the row's, and it gives the `ChecksumSHA256`
   the bucket must end up with (`S3Storage.expected_checksum`);
2. uploads it with the transfer client (`put_file` skips an object already there: a retry after
   a crash does not upload twice; step 3 deletes one of the wrong size or checksum);
3. verifies the object: its size, and the server's `ChecksumSHA256` (of the whole, or of the
   8 MiB parts' SHA-256s for multipart) against the expected one; a wrong object is deleted and
   the job retried;
4. sets every staged row of that content `stored` and commits, and only then deletes the staged
   copy, under the claims protocol (claims.py): not while a staged row or an upload in flight uses it.

A crash anywhere leaves the job `running` under a lease (retried) or queued with backoff, the
row `staged` and the staged file in place, so the file stays downloadable throughout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from library.db import on_commit
from library.jobs import service as jobs
from library.resources import claims
from library.resources.models import ResourceFile
from storage import ByteChunks, LocalStorage, ObjectNotFound, S3Storage, Storage, StorageError

log = logging.getLogger(__name__)

MOVE = "move"


def staging_area() -> LocalStorage | None:
    """The staging area, or None when originals go straight into the storage (local storage)."""
    return current_app.extensions.get("staging")


def store_of(row: ResourceFile) -> Storage:
    """Where the row's original is read from now."""
    staging = staging_area()
    if row.location == "staged" and staging is not None:
        return staging
    return current_app.extensions["storage"]


def read_range(key: str, staged: bool, start: int = 0, end: int | None = None) -> ByteChunks:
    """Bytes [start, end) of an original: from staging while staged; if its move has just finished
    (the staged copy is gone), from the storage."""
    staging = staging_area()
    if staged and staging is not None:
        try:
            return staging.iter_range(key, start, end)
        except ObjectNotFound:
            pass
    return current_app.extensions["storage"].iter_range(key, start, end)


@contextmanager
def local_original(row: ResourceFile) -> Iterator[Path]:
    """The original as a local file: the staged file or local storage in place, else fetched from S3."""
    import tempfile

    staging = staging_area()
    if row.location == "staged" and staging is not None:
        yield staging.local_path(row.storage_key)
        return
    storage = current_app.extensions["storage"]
    if isinstance(storage, LocalStorage):
        yield storage.local_path(row.storage_key)
        return
    with tempfile.TemporaryDirectory(dir=current_app.config["SPOOL_DIR"]) as tmp:
        local = Path(tmp) / "original"
        storage.download_to(row.storage_key, local)
        yield local


def stage(staging: LocalStorage, session: Session, path: Path, key: str, content_type: str,
          *, move: bool) -> tuple[str, bool]:
    """Where an upload's original goes (its key claimed by the caller): ('staged', created) when
    it is (or already was) staged, ('stored', False) when the bucket already has it."""
    if staging.exists(key):  # another upload of the same content, not moved yet: share it
        return "staged", False
    stored = session.scalar(select(ResourceFile.id).where(
        ResourceFile.storage_key == key, ResourceFile.location == "stored").limit(1))
    if stored is not None or current_app.extensions["storage"].exists(key):
        return "stored", False
    return "staged", staging.put_file(path, key, content_type, move=move)


def enqueue_move(session: Session, row: ResourceFile) -> None:
    """Queue the move of a staged original into the bucket, in the caller's transaction."""
    jobs.enqueue(session, MOVE, {"key": row.storage_key, "file_id": row.id})


def move_original(session: Session, payload: dict) -> str | None:
    """Put a staged original into the bucket, verify it, mark its rows stored, drop the staged copy."""
    key = payload["key"]
    staging = staging_area()
    storage = current_app.extensions["storage"]
    rows = list(session.scalars(select(ResourceFile).where(
        ResourceFile.storage_key == key, ResourceFile.location == "staged")))
    if staging is None or not rows:  # moved by another job, or deleted meanwhile
        if staging is not None:
            on_commit(session, "remove the staged copy", lambda: claims.delete_unused_staged(staging, [key]))
        return None
    started = time.monotonic()
    try:
        path = staging.local_path(key)
    except ObjectNotFound:
        # Only a move that committed deletes a staged copy; a staged row without one is damage.
        if storage.exists(key) and storage.size(key) == rows[0].size:
            log.warning("staged copy of %s is gone but the bucket holds it (size checked only)", key)
            _mark_stored(session, rows, staging, key)
            return None
        raise StorageError(f"staged original {key} is missing and not in the bucket") from None
    expected_checksum: str | None = None
    if isinstance(storage, S3Storage):
        sha256, expected_checksum = storage.expected_checksum(path)
    else:
        import hashlib

        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        sha256 = digest.hexdigest()
    if sha256 != rows[0].sha256:
        return _("暂存的原文件已损坏（SHA-256 不符），无法转存到对象存储")
    uploaded = storage.put_file(path, key, rows[0].content_type)
    _verify(storage, key, rows[0].size, expected_checksum, uploaded)
    _mark_stored(session, rows, staging, key)
    log.info("moved %s (%d bytes) into %s in %.2f s", key, rows[0].size, storage.describe(),
             time.monotonic() - started)
    return None


def _verify(storage: Storage, key: str, size: int, expected: str | None, uploaded: bool) -> None:
    """The object must have the file's size and, where the server keeps one, its checksum."""
    if isinstance(storage, S3Storage):
        stored_size, checksum = storage.checksum(key)
    else:
        stored_size, checksum = storage.size(key), None
    if stored_size != size:
        storage.delete(key)  # put_file skips an existing key: the next attempt uploads it again
        raise StorageError(f"{key}: the bucket holds {stored_size} bytes, expected {size}")
    if checksum is None:
        # An object stored before (without a checksum) or a server that keeps none: size only.
        if uploaded and isinstance(storage, S3Storage):
            log.warning("%s: the server returned no ChecksumSHA256; verified by size only", key)
        return
    if checksum != expected:
        storage.delete(key)  # the next attempt uploads it again
        raise StorageError(f"{key}: the bucket's ChecksumSHA256 {checksum} is not the file's {expected}")


def _mark_stored(session: Session, rows: list[ResourceFile], staging: LocalStorage, key: str) -> None:
    for row in rows:
        row.location = "stored"
    # Only once the rows say `stored` may the staged copy go (and not while an upload uses it).
    on_commit(session, "remove the staged copy", lambda: claims.delete_unused_staged(staging, [key]))


def give_up(session: Session, payload: dict, reason: str) -> None:
    """Every attempt failed: the original stays staged and downloadable; storage-check reports it."""
    log.error("moving %s into the bucket failed for good: %s", payload.get("key"), reason)


jobs.register(MOVE, move_original, on_give_up=give_up, max_attempts=8)
