"""Creating and reading resources: validation, storing originals, queueing their derivation, the change log."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
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
from library.resources.models import (
    AWARD_LEVELS,
    KINDS,
    PROJECT_STATUSES,
    VISIBILITIES,
    Resource,
    ResourceEvent,
    ResourceFile,
)
from library.studios.models import Stage, Studio, Subject
from storage import content_key

log = logging.getLogger(__name__)


LIST_SPLIT = re.compile(r"[,，、;；\n]+")


TRUE_WORDS = {"1", "true", "yes", "on", "是"}


FALSE_WORDS = {"0", "false", "no", "off", "否"}


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


def split_list(value: str | Sequence[str] | None) -> list[str]:
    """Split authors or keywords given as '张三，李四、王五' or a list, dropping blanks and duplicates."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else LIST_SPLIT.split(str(value))
    seen: dict[str, None] = {}
    for item in items:
        item = str(item).strip()
        if item:
            seen.setdefault(item, None)
    return list(seen)


def _text(data: Mapping[str, object], name: str, limit: int = 300) -> str:
    value = data.get(name)
    return str(value).strip()[:limit] if value is not None else ""


def validate_metadata(data: Mapping[str, object]) -> dict:
    """Check the resource fields (DESIGN.md names); raise InvalidInput listing every bad field."""
    session = get_session()
    errors: dict[str, str] = {}
    clean: dict = {}

    clean["title"] = _text(data, "title")
    if not clean["title"]:
        errors["title"] = _("请填写标题")
    kind = _text(data, "kind")
    if kind not in KINDS:
        errors["kind"] = _("请选择成果类型") if not kind else _("未知的成果类型：%(kind)s", kind=kind)
    clean["kind"] = kind

    subject = _text(data, "subject")
    if not subject or session.get(Subject, subject) is None:
        errors["subject"] = _("请选择学科") if not subject else _("未知的学科代码：%(subject)s", subject=subject)
    clean["subject_code"] = subject
    stage = _text(data, "stage")
    if not stage or session.get(Stage, stage) is None:
        errors["stage"] = _("请选择学段") if not stage else _("未知的学段代码：%(stage)s", stage=stage)
    clean["stage_code"] = stage

    slug = _text(data, "studio")
    studio = session.scalar(select(Studio).where(Studio.slug == slug)) if slug else None
    if studio is None:
        errors["studio"] = _("请选择工作室") if not slug else _("没有这个工作室：%(slug)s", slug=slug)
    clean["studio"] = studio

    year_text = _text(data, "year")
    clean["year"] = None
    if year_text:
        if year_text.isdigit() and 1980 <= int(year_text) <= date.today().year + 1:
            clean["year"] = int(year_text)
        else:
            errors["year"] = _("年份应为 1980 至 %(today)s 之间的四位数字", today=date.today().year + 1)

    for name, allowed, label in (
        ("award_level", AWARD_LEVELS, _("获奖级别")),
        ("project_level", AWARD_LEVELS, _("课题级别")),
        ("project_status", PROJECT_STATUSES, _("课题状态")),
    ):
        value = _text(data, name) or None
        if value is not None and value not in allowed:
            errors[name] = _("未知的%(label)s：%(value)s", label=label, value=value)
        clean[name] = value
    if kind == "award_case" and not clean["award_level"] and "award_level" not in errors:
        errors["award_level"] = _("获奖课例请选择获奖级别")

    visibility = _text(data, "visibility") or "public"
    if visibility not in VISIBILITIES:
        errors["visibility"] = _("未知的公开范围：%(visibility)s", visibility=visibility)
    clean["visibility"] = visibility

    clean["grade"] = _text(data, "grade", 32)
    clean["abstract"] = _text(data, "abstract", 20_000)
    clean["award_name"] = _text(data, "award_name")
    clean["project_number"] = _text(data, "project_number", 100)
    clean["publication"] = _text(data, "publication")
    clean["authors"] = split_list(data.get("authors"))  # type: ignore[arg-type]
    clean["keywords"] = split_list(data.get("keywords"))  # type: ignore[arg-type]

    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=first), fields=errors)
    return clean


def _flag(data: Mapping[str, object], name: str) -> bool | None:
    """A yes/no form field (publish, submit): None when absent."""
    value = data.get(name)
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidInput(_("只能是 true 或 false：%(value)s", value=value), fields={name: _("只能是 true 或 false")})


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
            refused.append({"file": f.filename, "reason": reason})
        types.append(content_type or "")
    if refused:
        names = join_names(r["file"] for r in refused)
        raise InvalidUpload(
            _("以下文件未被接受：%(names)s。%(reason)s", names=names, reason=refused[0]["reason"]), details=refused
        )
    return types


def create_resource(
    actor: User | None, data: Mapping[str, object], files: Sequence[IncomingFile]
) -> Resource:
    """Validate, store the originals, then write the rows, a derive job per new content and the
    change log in one transaction; derivation runs later in `flask worker` (library/resources/jobs.py)."""
    if actor is None:
        raise PermissionDenied(_("请先登录再上传"))
    clean = validate_metadata(data)
    studio: Studio = clean.pop("studio")
    if not policy.can_upload(actor, studio):
        raise PermissionDenied(_("您不是“%(name)s”的成员，不能向它上传成果", name=studio.name))
    publish = _flag(data, "publish")
    submit = _flag(data, "submit")
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
        original_name=Path(incoming.filename).name[:255] or "file",
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
