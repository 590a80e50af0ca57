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
from sqlalchemy.orm import Session

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
from library.textbooks import service as textbooks
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


class Lookups:
    """What checking an upload reads from the database, each value read once: the subjects, stages
    and studios named and what the actor may do in a studio. An upload uses a fresh one (the same
    queries as ever); an import keeps one for the whole manifest, so a row costs no lookup."""

    def __init__(self, session: Session | None = None) -> None:
        self.session = session or get_session()
        self._subjects: dict[str, bool] = {}
        self._stages: dict[str, bool] = {}
        self._studios: dict[str, Studio | None] = {}
        self._allowed: dict[tuple[int, int, str], bool] = {}

    def subject_known(self, code: str) -> bool:
        if code not in self._subjects:
            self._subjects[code] = self.session.get(Subject, code) is not None
        return self._subjects[code]

    def stage_known(self, code: str) -> bool:
        if code not in self._stages:
            self._stages[code] = self.session.get(Stage, code) is not None
        return self._stages[code]

    def studio(self, slug: str) -> Studio | None:
        if slug not in self._studios:
            self._studios[slug] = self.session.scalar(select(Studio).where(Studio.slug == slug))
        return self._studios[slug]

    def may(self, actor: User, studio: Studio, what: str) -> bool:
        """policy.can_upload ("upload") or policy.can_publish_directly ("publish"), asked once."""
        key = (actor.id, studio.id, what)
        if key not in self._allowed:
            check = policy.can_upload if what == "upload" else policy.can_publish_directly
            self._allowed[key] = check(actor, studio)
        return self._allowed[key]


def validate_metadata(fields: ResourceFields, lookups: Lookups | None = None) -> tuple[dict, Studio]:
    """What the schema cannot check: the subject, stage and studio exist. Returns the row's
    columns and the studio; raises InvalidInput naming every unknown code."""
    lookups = lookups or Lookups()
    errors: dict[str, str] = {}
    if not lookups.subject_known(fields.subject):
        errors["subject"] = _("未知的学科代码：%(subject)s", subject=fields.subject)
    if not lookups.stage_known(fields.stage):
        errors["stage"] = _("未知的学段代码：%(stage)s", stage=fields.stage)
    edition = textbooks.edition_of(fields.edition) if fields.edition else None
    if fields.edition and edition is None:
        errors["edition"] = _("不认识的教材版本“%(edition)s”：请从列表中选择，或写版本代码（如 pep）",
                              edition=fields.edition)
    studio = lookups.studio(fields.studio)
    if studio is None:
        errors["studio"] = _("没有这个工作室：%(slug)s", slug=fields.studio)
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=first), fields=errors)
    assert studio is not None
    return {**fields.columns(), "edition_code": edition}, studio


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


@dataclass
class CheckedUpload:
    """An upload that passed every check (metadata, permission, files by content): nothing is
    written yet; `add_resources` writes it."""

    actor: User
    columns: dict
    studio: Studio
    status: str
    files: Sequence[IncomingFile]
    types: list[str]


def check_upload(actor: User | None, upload: ResourceUpload | Mapping[str, object],
                 files: Sequence[IncomingFile], lookups: Lookups | None = None) -> CheckedUpload:
    """Every check of an upload, without writing anything (`flask import --dry-run` stops here).

    `upload` is the parsed form; scripts (the demo, tests) may pass a plain mapping, which is
    parsed with the same schema."""
    if actor is None:
        raise PermissionDenied(_("请先登录再上传"))
    if not isinstance(upload, ResourceUpload):
        upload = parse(ResourceUpload, upload)
    lookups = lookups or Lookups()
    clean, studio = validate_metadata(upload, lookups)
    if not lookups.may(actor, studio, "upload"):
        raise PermissionDenied(_("您不是“%(name)s”的成员，不能向它上传成果", name=studio.name))
    if upload.publish and not lookups.may(actor, studio, "publish"):
        raise PermissionDenied(_("只有主持人、联系该工作室的研训员和管理员可以直接发布；请提交审核"))
    types = check_files(files)
    # Reviewers may publish at once; everyone else saves a draft or submits it for review.
    status = "published" if upload.publish else "submitted" if upload.submit else "draft"
    return CheckedUpload(actor, clean, studio, status, files, types)


def create_resource(
    actor: User | None, upload: ResourceUpload | Mapping[str, object], files: Sequence[IncomingFile]
) -> Resource:
    """Check, store the originals, then write the rows, a derive job per new content and the
    change log in one transaction; derivation runs later in `flask worker` (library/resources/jobs.py).

    `upload` is the parsed form; scripts (the demo, tests) may pass a plain mapping, which is
    parsed with the same schema."""
    checked = check_upload(actor, upload, files)
    session = get_session()
    try:
        [resource] = add_resources(session, [checked])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return resource


def add_resources(session: Session, uploads: Sequence[CheckedUpload]) -> list[Resource]:
    """Store the originals of checked uploads and add their resources, files, events, audit
    entries and jobs to the session's transaction, flushed but not committed: the caller commits
    (one upload, or a batch of manifest rows) or rolls back (see store_files)."""
    batches = store_files(session, [(u.files, u.types, 0) for u in uploads])
    made: list[tuple[CheckedUpload, Resource]] = []
    for checked, rows in zip(uploads, batches, strict=True):
        resource = Resource(**checked.columns, studio_id=checked.studio.id, uploader_id=checked.actor.id,
                            status=checked.status, files=rows)
        if checked.status == "published":
            resource.published_at = utcnow()
        session.add(resource)
        made.append((checked, resource))
    session.flush()
    for checked, resource in made:
        session.add(ResourceEvent(resource_id=resource.id, actor_id=checked.actor.id, action="create",
                                  from_status="", to_status=checked.status))
        if checked.status == "published":
            audit.record("resource.publish", checked.actor, "resource", resource.id, title=resource.title)
    queue_file_jobs(session, [row for _checked, resource in made for row in resource.files])
    return [resource for _checked, resource in made]


Batch = tuple[Sequence[IncomingFile], Sequence[str], int]  # checked files, their types, first position


def store_files(session: Session, batches: Sequence[Batch]) -> list[list[ResourceFile]]:
    """Store the originals of batches of checked files (an upload's, or files added to a resource)
    and return each batch's unsaved rows, numbered from its first position; the caller adds them,
    flushes and calls queue_file_jobs, in its transaction.

    Content is stored once however many files carry it, and a file whose content was derived
    before gets its twin's derived data. The objects are claimed before they are looked for
    (claims.py): nothing may delete them until the rows have committed. Whatever ends the
    transaction without a commit removes the objects stored here that nothing else uses."""
    storage = current_app.extensions["storage"]
    created_keys: list[str] = []
    token = claims.claim_for_use(k for files, _types, _first in batches for f in files
                                 for k in content_keys(f.sha256))
    # Named after the token: several calls in one transaction each release their own claims.
    on_commit(session, f"release the upload's claims {token}", lambda: claims.release(token))

    def clean_up() -> None:
        claims.release(token)
        claims.delete_unused(storage, created_keys)  # staged copies too

    on_rollback(session, f"remove the upload's objects {token}", clean_up)
    twins = _ready_twins(session, {f.sha256 for files, _types, _first in batches for f in files})
    locations: dict[str, str] = {}  # key → where this batch found or put it
    return [[_store_file(storage, session, incoming, content_type, first + offset, created_keys, twins, locations)
             for offset, (incoming, content_type) in enumerate(zip(files, types, strict=True))]
            for files, types, first in batches]


def queue_file_jobs(session: Session, rows: Sequence[ResourceFile]) -> None:
    """Queue, for new file rows (flushed), a derive job once per new content (the job fills in its
    twins in this transaction too) and a move job once per staged original."""
    from library.resources.staging import enqueue_move

    derivers: dict[str, list[ResourceFile]] = {}
    movers: dict[str, ResourceFile] = {}
    for row in rows:
        if row.state == "processing":
            derivers.setdefault(row.sha256, []).append(row)
        if row.location == "staged":
            movers.setdefault(row.storage_key, row)
    for first, *others in derivers.values():
        enqueue_derive(session, first, twins=others)
    for row in movers.values():
        enqueue_move(session, row)  # the move marks every staged row of its content stored


def _ready_twins(session: Session, shas: set[str]) -> dict[str, ResourceFile]:
    """For each content, a file of it derived before (ready, without error), in one query."""
    found: dict[str, ResourceFile] = {}
    if not shas:
        return found
    rows = session.scalars(select(ResourceFile).where(
        ResourceFile.sha256.in_(sorted(shas)), ResourceFile.state == "ready", ResourceFile.derive_error.is_(None)))
    for row in rows:
        found.setdefault(row.sha256, row)
    return found


def _store_file(storage, session, incoming: IncomingFile, content_type: str, position: int,
                created_keys: list[str], twins: Mapping[str, ResourceFile],
                locations: dict[str, str]) -> ResourceFile:
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
    twin = twins.get(incoming.sha256)
    if twin is not None:
        row.thumbnail_key, row.poster_key = twin.thumbnail_key, twin.poster_key
        row.duration_seconds, row.text = twin.duration_seconds, twin.text
        row.preview_pages = twin.preview_pages
        row.state = "ready"
    staging = current_app.extensions.get("staging")
    if key in locations:  # another file of this batch carries the same content: stored already
        if staging is not None:
            row.location = locations[key]
        return row
    if staging is not None:
        # S3: the request does not wait for the bucket; the original is staged on local disk and
        # a `move` job puts it into the bucket (staging.py), unless the bucket already has it.
        from library.resources.staging import stage

        row.location, created = stage(staging, session, incoming.path, key, content_type, move=incoming.owned)
    else:
        created = storage.put_file(incoming.path, key, content_type, move=incoming.owned)
    locations[key] = row.location if staging is not None else "stored"
    if created:
        created_keys.append(key)
    return row


def asks_sign_in(actor: User | None, resource_id: int) -> bool:
    """Whether a signed-out visitor should be asked to sign in for this resource (登录可见) rather
    than told it is not there."""
    if actor is not None:
        return False
    resource = get_session().get(Resource, resource_id)
    return resource is not None and policy.needs_sign_in(resource)


def get_resource(actor: User | None, resource_id: int) -> Resource:
    """A resource the actor may see, or NotFound (also when hidden, so existence does not leak)."""
    resource = get_session().get(Resource, resource_id)
    if resource is not None and not policy.can_view(actor, resource):
        audit.record_now("permission.denied", actor, "resource", resource_id, reason="hidden")
        resource = None
    if resource is None:
        raise NotFound(_("没有找到这个成果，它可能已被删除或您无权查看"), hint="resource")
    return resource


def get_catalogue_file(actor: User | None, file_id: int) -> ResourceFile:
    """A file whose thumbnail/poster may be shown: they belong to the catalogue entry, not the file."""
    row = get_session().get(ResourceFile, file_id)
    if row is None or not policy.can_view(actor, row.resource):
        raise NotFound(_("没有找到这个文件"), hint="resource")
    return row


def get_file(actor: User | None, file_id: int) -> ResourceFile:
    """A file the actor may download."""
    row = get_catalogue_file(actor, file_id)
    if not policy.can_download(actor, row.resource):
        raise PermissionDenied(_("这个成果只在工作室内部或借阅后才能下载"), hint="borrow",
                               target={"resource_id": row.resource_id})
    return row
