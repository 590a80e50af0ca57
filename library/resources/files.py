"""Changing a resource's files after its upload: add, replace, remove.

Each goes through what an upload goes through: the files judged by their content (the request's
size limit applies to every body), stored under claims and deduplicated by content (staged first
with S3), a derive job (and a move job) queued for new content, the search document updated by
the change log. Who may: those who may edit the resource (policy.can_edit). A replaced or removed
file's objects are deleted only once the change has committed, and only if nothing else uses them
(claims.delete_unused): the new original is stored before the old one goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from library.accounts.models import User
from library.audit import service as audit
from library.db import get_session, on_commit
from library.errors import Conflict, InvalidUpload, NotFound
from library.resources import claims
from library.resources.models import Resource, ResourceFile
from library.resources.objects import stored_keys
from library.resources.review import editable
from library.resources.service import IncomingFile, check_files, queue_file_jobs, store_files

T = TypeVar("T")


def _file_of(resource: Resource, file_id: int) -> ResourceFile:
    row = next((f for f in resource.files if f.id == file_id), None)
    if row is None:
        raise NotFound(_("这个成果没有这个文件，它可能已被替换或删除"))
    return row


def _in_one_transaction(work: Callable[[], T]) -> T:
    """Run work and commit; anything that fails rolls back (and removes what it stored)."""
    session = get_session()
    try:
        result = work()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _delete_after_commit(rows: Sequence[ResourceFile]) -> None:
    """Once the change has committed, delete the objects of rows that nothing else uses."""
    keys = stored_keys(rows)
    storage = current_app.extensions["storage"]
    on_commit(get_session(), f"remove the objects of files {sorted(r.id for r in rows)}",
              lambda: claims.delete_unused(storage, keys))


def add_files(actor: User | None, resource_id: int, files: Sequence[IncomingFile]) -> list[ResourceFile]:
    """Add files after the resource's last one; returns their rows."""
    resource = editable(actor, resource_id)
    types = check_files(files)

    def work() -> list[ResourceFile]:
        session = get_session()
        first = max((f.position for f in resource.files), default=-1) + 1
        [rows] = store_files(session, [(files, types, first)])
        resource.files.extend(rows)
        session.flush()
        queue_file_jobs(session, rows)
        audit.record("resource.file_add", actor, "resource", resource.id, title=resource.title,
                     files=[r.original_name for r in rows])
        return rows

    return _in_one_transaction(work)


def replace_file(actor: User | None, resource_id: int, file_id: int, files: Sequence[IncomingFile]) -> ResourceFile:
    """Put one new file (`files` holds exactly one) in the place of one of the resource's files;
    returns the new row (a new id). The old original and its derived images are deleted after the
    commit, if nothing else uses them."""
    resource = editable(actor, resource_id)
    old = _file_of(resource, file_id)
    if len(files) > 1:
        raise InvalidUpload(_("替换时只能选择一个文件"), fields={"file": _("只能选择一个文件")})
    [content_type] = check_files(files)  # none chosen: "请至少选择一个文件"
    [incoming] = files

    def work() -> ResourceFile:
        session = get_session()
        [[row]] = store_files(session, [([incoming], [content_type], old.position)])
        resource.files[resource.files.index(old)] = row  # the old row goes (delete-orphan)
        session.flush()
        queue_file_jobs(session, [row])
        audit.record("resource.file_replace", actor, "resource", resource.id, title=resource.title,
                     old=old.original_name, new=row.original_name)
        _delete_after_commit([old])
        return row

    return _in_one_transaction(work)


def remove_file(actor: User | None, resource_id: int, file_id: int) -> None:
    """Remove one of the resource's files; its last file cannot go (replace it instead)."""
    resource = editable(actor, resource_id)
    row = _file_of(resource, file_id)

    def work() -> None:
        session = get_session()
        # Two removals at once must not leave a resource without files: the row lock (PostgreSQL)
        # makes the second wait and count again.
        session.execute(select(Resource.id).where(Resource.id == resource.id).with_for_update())
        count = session.scalar(select(func.count()).select_from(ResourceFile)
                               .where(ResourceFile.resource_id == resource.id)) or 0
        if count <= 1:
            raise Conflict(_("不能删除“%(name)s”：每个成果至少要有一个文件。如要换成别的文件，请用“替换”。",
                             name=row.original_name), fields={"file": _("至少要保留一个文件")})
        resource.files.remove(row)
        audit.record("resource.file_remove", actor, "resource", resource.id, title=resource.title,
                     file=row.original_name)
        _delete_after_commit([row])

    _in_one_transaction(work)
