"""The review workflow and the changes that follow it: submit, publish, return, withdraw, edit, delete;
the author's notices of a return or a publication, and the latest return a page shows."""

from __future__ import annotations

import logging
from flask import current_app

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from library import policy
from library.accounts.models import User
from library.audit import service as audit
from library.db import Page, get_session, on_commit, utcnow
from library.errors import Conflict, InvalidInput, PermissionDenied
from library.i18n import STATUS_LABELS, WORKFLOW_LABELS, book_title
from library.notifications import service as notifications
from library.resources import claims, kinds
from library.resources.objects import stored_keys
from library.resources.models import Resource, ResourceEvent, ResourceFile
from library.resources.schemas import ResourceFields, ResourcePatch
from library.resources.service import get_resource, validate_metadata
from library.textbooks import positions
from library.validation import parse

log = logging.getLogger(__name__)


def transition(actor: User | None, resource_id: int, action: str, comment: str = "") -> Resource:
    """Move a resource along the workflow, recording who and when, telling the author of a return or a
    publication by someone else (same transaction), and update search."""
    if action not in policy.TRANSITIONS:
        raise InvalidInput(_("未知的操作：%(action)s", action=action))
    resource = get_resource(actor, resource_id)
    if not policy.can_transition(actor, resource, action):
        raise PermissionDenied(_("您不能对这个成果执行“%(action)s”", action=WORKFLOW_LABELS[action]))
    sources, target = policy.TRANSITIONS[action]
    if resource.status not in sources:
        raise Conflict(
            _("这个成果当前是“%(status)s”，不能%(action)s",
              status=STATUS_LABELS[resource.status], action=WORKFLOW_LABELS[action])
        )
    # The comment comes parsed (schemas.TransitionBody: trimmed, at most 2,000 characters).
    if action == "return" and not comment:
        raise InvalidInput(_("退回时请写明原因，方便作者修改"), fields={"comment": _("请写明退回原因")})
    assert actor is not None  # policy.can_transition refused anonymous callers above
    session = get_session()
    session.add(ResourceEvent(resource_id=resource.id, actor_id=actor.id, action=action,
                              from_status=resource.status, to_status=target, comment=comment))
    resource.status = target
    if target == "published":
        resource.published_at = utcnow()
    audit.record(f"resource.{action}", actor, "resource", resource.id, title=resource.title, comment=comment)
    _tell_the_author(actor, resource, action, comment)
    session.commit()
    return resource


def _tell_the_author(actor: User, resource: Resource, action: str, comment: str) -> None:
    """A return (with its reason) or a publication is news for the uploader, in the app and by mail
    when mail is on, written in the transition's transaction; nobody is told of their own step."""
    author = resource.uploader
    if action not in ("return", "publish") or author is None or author.id == actor.id:
        return
    title = book_title(resource.title)
    if action == "return":
        text = _("您的成果%(title)s被退回：%(reason)s", title=title, reason=comment)
    else:
        text = _("您的成果%(title)s已发布", title=title)
    kind = "resource.returned" if action == "return" else "resource.published"
    notifications.notify([author], kind, "resource", resource.id, text, f"/resources/{resource.id}")


def latest_return(resource: Resource) -> ResourceEvent | None:
    """The step that returned a resource now returned (its reason, who and when; the actor loaded
    with it), or None when the resource is not returned. Who may read it: policy.can_read_review_notes."""
    if resource.status != "returned":
        return None
    return get_session().scalar(
        select(ResourceEvent).where(ResourceEvent.resource_id == resource.id, ResourceEvent.action == "return")
        .options(joinedload(ResourceEvent.actor)).order_by(ResourceEvent.id.desc()).limit(1)
    )


def history(resource: Resource) -> list[ResourceEvent]:
    """The workflow steps of a resource, oldest first."""
    return list(get_session().scalars(
        select(ResourceEvent).where(ResourceEvent.resource_id == resource.id).order_by(ResourceEvent.id)
    ))


# The review page shows this many waiting resources at a time (the API: resources.api.API_QUEUE_PAGE).
QUEUE_PAGE = 20


def _queue_filter(actor: User | None) -> list | None:
    """The WHERE clauses of the actor's queue, or None when the actor reviews no studio."""
    if actor is None:
        return None
    clauses = [Resource.status == "submitted"]
    if not policy.is_admin(actor):
        studio_ids = list(policy.reviewed_ids(actor))
        if not studio_ids:
            return None
        clauses.append(Resource.studio_id.in_(studio_ids))
    return clauses


def review_queue(actor: User | None, limit: int | None = None, offset: int = 0) -> list[Resource]:
    """Submitted resources waiting for this reviewer, oldest first (with their uploaders, in one query;
    `limit`/`offset` for one page of them). Served by ix_resources_status_updated (0011)."""
    clauses = _queue_filter(actor)
    if clauses is None:
        return []
    stmt = (select(Resource).where(*clauses)
            .options(selectinload(Resource.uploader), selectinload(Resource.files).defer(ResourceFile.text))
            .order_by(Resource.updated_at, Resource.id))
    if limit is not None:
        stmt = stmt.offset(offset).limit(limit)
    return list(get_session().scalars(stmt))


def queue_page(actor: User | None, page: int = 1, per_page: int = QUEUE_PAGE) -> Page[Resource]:
    """One page of the review queue and how many wait in all."""
    clauses = _queue_filter(actor)
    if clauses is None:
        return Page([], 1, per_page, 0)
    total = get_session().scalar(select(func.count()).select_from(Resource).where(*clauses)) or 0
    return Page(review_queue(actor, per_page, (page - 1) * per_page), page, per_page, total)


def my_resources(actor: User) -> list[Resource]:
    """The actor's own uploads in every status, newest first."""
    return list(get_session().scalars(
        select(Resource).where(Resource.uploader_id == actor.id).order_by(Resource.id.desc())
    ))


TEXTBOOK_FIELDS = frozenset({"edition", "grade", "volume", "unit", "lesson"})


def editable(actor: User | None, resource_id: int) -> Resource:
    """A resource the actor may change (its metadata and its files), or PermissionDenied."""
    resource = get_resource(actor, resource_id)
    if not policy.can_edit(actor, resource):
        raise PermissionDenied(_("只有作者（草稿或被退回时）和审核人可以修改这个成果"))
    return resource


def update_resource(actor: User | None, resource_id: int, changes: ResourcePatch) -> Resource:
    """Change a resource's metadata (files: library.resources.files); the studio cannot change.
    Only the fields given change; the result is checked whole (an award case keeps its award
    level). A change of kind clears the fields the new kind does not have (kinds.py)."""
    resource = editable(actor, resource_id)
    current = {
        "title": resource.title, "kind": resource.kind, "subject": resource.subject_code,
        "stage": resource.stage_code, "grade": resource.grade, "studio": resource.studio.slug,
        "edition": resource.edition_code, "volume": resource.volume, "lesson": resource.lesson,
        "unit": positions.unit_label(resource.unit_number, resource.unit_title),
        "authors": resource.authors, "abstract": resource.abstract, "keywords": resource.keywords,
        "year": resource.year, "award_level": resource.award_level, "award_name": resource.award_name,
        "project_level": resource.project_level, "project_status": resource.project_status,
        "project_number": resource.project_number, "publication": resource.publication,
        "visibility": resource.visibility,
    }
    given = {name: value for name, value in changes.given().items() if name in current and name != "studio"}
    if given.get("kind", resource.kind) != resource.kind:
        given |= {name: kinds.cleared(name) for name in kinds.fields_not_fitting(given["kind"])}
    merged = parse(ResourceFields, current | given)
    clean, _studio = validate_metadata(merged)
    for name, value in clean.items():
        setattr(resource, name, value)
    if TEXTBOOK_FIELDS & set(given):
        resource.textbook_guessed = False  # someone looked at the guessed position and kept or changed it
    get_session().commit()
    return resource


def delete_resource(actor: User | None, resource_id: int) -> None:
    """Delete a resource, then the stored objects no other row uses."""
    resource = get_resource(actor, resource_id)
    if not policy.can_delete(actor, resource):
        raise PermissionDenied(_("只有作者（草稿或被退回时）和审核人可以删除这个成果"))
    session = get_session()
    keys = stored_keys(resource.files)
    audit.record("resource.delete", actor, "resource", resource.id, title=resource.title, status=resource.status)
    session.delete(resource)
    # Objects are shared by content: once the rows are gone, remove those nothing else uses
    # (no other row, no upload in flight: claims.py).
    storage = current_app.extensions["storage"]
    on_commit(session, "remove unused objects", lambda: claims.delete_unused(storage, keys))
    session.commit()
