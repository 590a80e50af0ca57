"""Who may do what: the one place views, the API and search ask."""

from __future__ import annotations

from sqlalchemy import and_, false, or_, true

from library.models import Resource, Studio, User
from search_index import Audience

MANAGERS = ("admin", "coordinator")


def studio_roles(user: User | None) -> dict[int, str]:
    """Studio id → the user's role in it."""
    if user is None:
        return {}
    return {m.studio_id: m.role for m in user.memberships}


def is_manager(user: User | None) -> bool:
    """Bureau admins and coordinators manage every studio."""
    return user is not None and user.role in MANAGERS


def can_upload(user: User | None, studio: Studio) -> bool:
    """Managers and the studio's host, members and trainees may add outputs to it."""
    return is_manager(user) or studio.id in studio_roles(user)


def can_publish_directly(user: User | None, studio: Studio) -> bool:
    """Managers and the studio's host publish without review."""
    return is_manager(user) or studio_roles(user).get(studio.id) == "host"


def can_view(user: User | None, resource: Resource) -> bool:
    """Whether the resource page and its catalogue entry may be shown to the user."""
    if is_manager(user):
        return True
    roles = studio_roles(user)
    if resource.studio_id in roles:
        return True
    if user is not None and resource.uploader_id == user.id:
        return True
    if resource.status != "published":
        return False
    if resource.visibility == "public":
        return True
    return user is not None and resource.visibility in ("internal", "lendable")


def can_download(user: User | None, resource: Resource) -> bool:
    """Whether the files may be opened: lendable files stay with the studio (loans come later)."""
    if not can_view(user, resource):
        return False
    if resource.visibility == "lendable":
        return is_manager(user) or resource.studio_id in studio_roles(user)
    return True


def visible_clause(user: User | None):
    """A SQL condition on Resource matching exactly what can_view allows, for lists and counts."""
    if is_manager(user):
        return true()
    published = Resource.status == "published"
    open_to_all = and_(published, Resource.visibility == "public")
    if user is None:
        return open_to_all
    studio_ids = list(studio_roles(user))
    return or_(
        open_to_all,
        and_(published, Resource.visibility.in_(("internal", "lendable"))),
        Resource.studio_id.in_(studio_ids) if studio_ids else false(),
        Resource.uploader_id == user.id,
    )


def audience(user: User | None) -> Audience:
    """The search audience equivalent of visible_clause (published resources only, members see studio ones)."""
    if is_manager(user):
        return Audience(everything=True)
    if user is None:
        return Audience(visibilities=frozenset({"public"}))
    slugs = frozenset(m.studio.slug for m in user.memberships)
    return Audience(visibilities=frozenset({"public", "internal", "lendable"}), studios=slugs)
