"""Does storage match the database? Rows whose objects are missing, and objects no row refers to.

The database is the truth: an object no row refers to is left over (an upload whose transaction
rolled back after its file was stored, a resource deleted while its derived images were shared…)
and may go; a row whose object is missing is damage an operator must see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from library.db import get_session, utcnow
from library.resources import claims
from library.jobs.models import Job
from library.resources.models import ResourceFile
from library.resources.objects import page_keys
from library.resources.staging import MOVE
from storage import S3Storage

# What the application stores: originals under their SHA-256, derived images beside them.
MANAGED_PREFIXES = ("originals/", "derived/")


@dataclass
class StorageReport:
    missing: list[tuple[int, str]] = field(default_factory=list)  # (file id, key) with no object
    orphans: list[str] = field(default_factory=list)  # objects no row refers to, older than the grace
    recent_orphans: list[str] = field(default_factory=list)  # unreferenced but young: maybe an upload in flight
    deleted: list[str] = field(default_factory=list)
    incomplete_uploads: list[str] = field(default_factory=list)  # S3 multipart uploads never finished
    aborted_uploads: list[str] = field(default_factory=list)
    # S3 with staging: originals still staged after the grace period (file id, key, the failed move
    # job's id and error, or None while the job is still pending), and staged copies no staged row uses.
    stuck_staged: list[tuple[int, str, int | None, str | None]] = field(default_factory=list)
    staged_leftovers: list[str] = field(default_factory=list)
    deleted_staged: list[str] = field(default_factory=list)


def referenced_keys(*, staged: bool = False) -> dict[str, int]:
    """Every key a file row refers to in the storage (with staged=True: the originals it has in the
    staging area) → one of those rows' ids."""
    keys: dict[str, int] = {}
    rows = get_session().execute(
        select(ResourceFile.id, ResourceFile.location, ResourceFile.sha256, ResourceFile.preview_pages,
               ResourceFile.storage_key, ResourceFile.thumbnail_key, ResourceFile.poster_key)
    )
    for file_id, location, sha256, pages, original, *derived in rows:
        in_staging = location == "staged"
        derived += page_keys(sha256, pages or 0)
        row_keys = ([original] if in_staging else []) if staged else ([] if in_staging else [original]) + derived
        for key in row_keys:
            if key:
                keys.setdefault(key, file_id)
    return keys


def _failed_moves() -> dict[str, Job]:
    """The last failed move job of each key."""
    found: dict[str, Job] = {}
    for job in get_session().scalars(select(Job).where(Job.kind == MOVE, Job.state == "failed").order_by(Job.id)):
        found[str(job.payload.get("key"))] = job
    return found


def _check_staging(report: StorageReport, staging, cutoff, delete_orphans: bool) -> None:
    """Staged originals: present, moved in time (else reported with their failed job), no leftovers."""
    staged_rows = referenced_keys(staged=True)
    present = set(staging.iter_keys("originals/"))
    report.missing += sorted((file_id, f"staging:{key}") for key, file_id in staged_rows.items()
                             if key not in present)
    failed = _failed_moves()
    old = get_session().execute(select(ResourceFile.id, ResourceFile.storage_key).where(
        ResourceFile.location == "staged", ResourceFile.created_at <= cutoff).order_by(ResourceFile.id))
    for file_id, key in old:
        job = failed.get(key)
        report.stuck_staged.append((file_id, key, job.id if job else None, job.last_error if job else None))
    leftovers = sorted(key for key in present - staged_rows.keys() if staging.modified(key) <= cutoff)
    report.staged_leftovers = leftovers
    if delete_orphans and leftovers:
        report.deleted_staged = claims.delete_unused_staged(staging, leftovers)


def check_storage(*, grace: timedelta = timedelta(hours=24), delete_orphans: bool = False) -> StorageReport:
    """Compare the stored objects with the rows; optionally delete orphans older than `grace`.

    The grace period protects uploads in flight: their object is written before their row commits.
    Each orphan is checked against the rows and the uploads' claims again, under a deletion claim,
    just before it is deleted. S3 multipart uploads never completed are reported, and aborted with
    the orphans when older than `grace`."""
    storage = current_app.extensions["storage"]
    report = StorageReport()
    stored = {key for prefix in MANAGED_PREFIXES for key in storage.iter_keys(prefix)}
    referenced = referenced_keys()
    report.missing = sorted((file_id, key) for key, file_id in referenced.items() if key not in stored)
    cutoff = utcnow() - grace
    staging = current_app.extensions.get("staging")
    if staging is not None:
        _check_staging(report, staging, cutoff, delete_orphans)
        referenced.update(referenced_keys(staged=True))  # not orphans in the bucket either
    for key in sorted(stored - referenced.keys()):
        (report.orphans if storage.modified(key) <= cutoff else report.recent_orphans).append(key)
    if delete_orphans and report.orphans:
        # Checked again under a deletion claim: a row or an upload in flight may use one now.
        report.deleted = claims.delete_unused(storage, report.orphans)
    if isinstance(storage, S3Storage):
        for key, upload_id, began in storage.incomplete_uploads():
            report.incomplete_uploads.append(key)
            if delete_orphans and began <= cutoff:
                storage.abort_upload(key, upload_id)
                report.aborted_uploads.append(key)
    claims.sweep_lapsed()
    return report
