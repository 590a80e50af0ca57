"""Creating and reading resources: the database checks of the metadata (the schemas in
schemas.py check the rest), storing originals, queueing their derivation, the change log."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from library import policy
from library.accounts.models import User
from library.audit import service as audit
from library.db import get_session, on_commit, on_rollback, utcnow
from library.errors import InvalidInput, InvalidUpload, NotFound, PermissionDenied
from library.i18n import join_names
from library.resources import claims, ingest
from library.resources.jobs import enqueue_derive
from library.resources.objects import content_keys
from library.resources.models import Resource, ResourceEvent, ResourceFile
from library.resources.schemas import ResourceFields, ResourceUpload, clean_file_name
from library.studios.models import Stage, Studio, Subject
from library.validation import parse
from storage import content_key

log = logging.getLogger(__name__)


@dataclass
class IncomingFile:
    """A file received for a resource: already on local disk, hashed, not yet stored."""

    filename: str
    path: Path
    sha256: str
    size: int
    owned: bool = False  # True for upload spools the storage may consume (move)

    @classmethod
    def from_path(cls, path: Path, filename: str | None = None) -> IncomingFile:
        """Hash a file on disk (used by the import command)."""
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return cls(filename or path.name, path, digest.hexdigest(), size)


def validate_metadata(fields: ResourceFields) -> tuple[dict, Studio]:
    """What the schema cannot check: the subject, stage and studio exist. Returns the row's
    columns and the studio; raises InvalidInput naming every unknown code."""
    session = get_session()
    errors: dict[str, str] = {}
    if session.get(Subject, fields.subject) is None:
        errors["subject"] = _("未知的学科代码：%(subject)s", subject=fields.subject)
    if session.get(Stage, fields.stage) is None:
        errors["stage"] = _("未知的学段代码：%(stage)s", stage=fields.stage)
    studio = session.scalar(select(Studio).where(Studio.slug == fields.studio))
    if studio is None:
        errors["studio"] = _("没有这个工作室：%(slug)s", slug=fields.studio)
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=first), fields=errors)
    assert studio is not None
    return fields.columns(), studio


def check_files(files: Sequence[IncomingFile]) -> list[str]:
    """Judge every file by its content before anything is stored; return their content types."""
    if not files:
        raise InvalidUpload(_("请至少选择一个文件"), fields={"file": _("请至少选择一个文件")})
    types = []
    refused = []
    for f in files:
        content_type = ingest.sniff(f.path, f.filename) if f.size else None
        if content_type is None:
            reason = _("文件是空的") if not f.size else _("文件内容不是允许的类型（允许：%(allowed)s）", allowed=ingest.ACCEPTED_DESCRIPTION)
            refused.append({"file": clean_file_name(f.filename), "reason": reason})
        types.append(content_type or "")
    if refused:
        names = join_names(r["file"] for r in refused)
        raise InvalidUpload(
            _("以下文件未被接受：%(names)s。%(reason)s", names=names, reason=refused[0]["reason"]), details=refused
        )
    return types


def create_resource(
    actor: User | None, upload: ResourceUpload | Mapping[str, object], files: Sequence[IncomingFile]
) -> Resource:
    """Check, store the originals, then write the rows, a derive job per new content and the
    change log in one transaction; derivation runs later in `flask worker` (library/resources/jobs.py).

    `upload` is the parsed form; scripts (the demo, tests) may pass a plain mapping, which is
    parsed with the same schema."""
    if actor is None:
        raise PermissionDenied(_("请先登录再上传"))
    if not isinstance(upload, ResourceUpload):
        upload = parse(ResourceUpload, upload)
    clean, studio = validate_metadata(upload)
    if not policy.can_upload(actor, studio):
        raise PermissionDenied(_("您不是“%(name)s”的成员，不能向它上传成果", name=studio.name))
    publish, submit = upload.publish, upload.submit
    if publish and not policy.can_publish_directly(actor, studio):
        raise PermissionDenied(_("只有主持人、联系该工作室的研训员和管理员可以直接发布；请提交审核"))
    types = check_files(files)

    storage = current_app.extensions["storage"]
    session = get_session()
    created_keys: list[str] = []
    # The objects this upload will use are claimed before it looks for them (claims.py): nothing
    # may delete them until its rows have committed. Whatever ends this transaction without a
    # commit removes the objects it stored that nothing else uses.
    token = claims.claim_for_use(k for f in files for k in content_keys(f.sha256))
    on_commit(session, "release the upload's claims", lambda: claims.release(token))

    def clean_up() -> None:
        claims.release(token)
        claims.delete_unused(storage, created_keys)  # staged copies too

    on_rollback(session, "remove the upload's objects", clean_up)
    try:
        rows = []
        for position, (incoming, content_type) in enumerate(zip(files, types, strict=True)):
            rows.append(_store_file(storage, session, incoming, content_type, position, created_keys))
        # Reviewers may publish at once; everyone else saves a draft or submits it for review.
        status = "published" if publish else "submitted" if submit else "draft"
        resource = Resource(**clean, studio_id=studio.id, uploader_id=actor.id, status=status, files=rows)
        if status == "published":
            resource.published_at = utcnow()
        session.add(resource)
        session.flush()
        from library.resources.staging import enqueue_move

        for row in rows:
            if row.state == "processing":
                enqueue_derive(session, row)
            if row.location == "staged":
                enqueue_move(session, row)
        session.add(ResourceEvent(resource_id=resource.id, actor_id=actor.id, action="create",
                                  from_status="", to_status=status))
        if status == "published":
            audit.record("resource.publish", actor, "resource", resource.id, title=resource.title)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return resource


def _store_file(storage, session, incoming: IncomingFile, content_type: str, position: int,
                created_keys: list[str]) -> ResourceFile:
    """Store the original (deduplicated by SHA-256; with S3 staged locally, `location='staged'`);
    return the unsaved row, `ready` with its twin's derived data when the same content was derived
    before, else `processing` (a job derives it)."""
    key = content_key(incoming.sha256)
    row = ResourceFile(
        position=position,
        original_name=clean_file_name(incoming.filename),
        content_type=content_type,
        size=incoming.size,
        sha256=incoming.sha256,
        storage_key=key,
        state="processing",
    )
    # The same content was derived before: reuse it instead of decoding a video twice.
    twin = session.scalar(
        select(ResourceFile)
        .where(ResourceFile.sha256 == incoming.sha256, ResourceFile.state == "ready",
               ResourceFile.derive_error.is_(None))
        .limit(1)
    )
    if twin is not None:
        row.thumbnail_key, row.poster_key = twin.thumbnail_key, twin.poster_key
        row.duration_seconds, row.text = twin.duration_seconds, twin.text
        row.state = "ready"
    staging = current_app.extensions.get("staging")
    if staging is not None:
        # S3: the request does not wait for the bucket; the original is staged on local disk and
        # a `move` job puts it into the bucket (staging.py), unless the bucket already has it.
        from library.resources.staging import stage

        row.location, created = stage(staging, session, incoming.path, key, content_type, move=incoming.owned)
    else:
        created = storage.put_file(incoming.path, key, content_type, move=incoming.owned)
    if created:
        created_keys.append(key)
    return row


def get_resource(actor: User | None, resource_id: int) -> Resource:
    """A resource the actor may see, or NotFound (also when hidden, so existence does not leak)."""
    resource = get_session().get(Resource, resource_id)
    if resource is not None and not policy.can_view(actor, resource):
        audit.record_now("permission.denied", actor, "resource", resource_id, reason="hidden")
        resource = None
    if resource is None:
        raise NotFound(_("没有找到这个成果，它可能已被删除或您无权查看"))
    return resource


def get_catalogue_file(actor: User | None, file_id: int) -> ResourceFile:
    """A file whose thumbnail/poster may be shown: they belong to the catalogue entry, not the file."""
    row = get_session().get(ResourceFile, file_id)
    if row is None or not policy.can_view(actor, row.resource):
        raise NotFound(_("没有找到这个文件"))
    return row


def get_file(actor: User | None, file_id: int) -> ResourceFile:
    """A file the actor may download."""
    row = get_catalogue_file(actor, file_id)
    if not policy.can_download(actor, row.resource):
        raise PermissionDenied(_("这个成果只在工作室内部或借阅后才能下载"))
    return row
