"""Favourites and recently viewed: always under the caller's visibility (a favourite that became
invisible — unpublished, or its loan ended — is kept but not listed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from library import policy
from library.accounts.models import User
from library.db import get_session
from library.resources.catalogue import card_options
from library.resources.models import Resource
from library.resources.service import get_resource
from library.shelf.models import Favourite
from library.stats.models import UsageEvent

SHOWN = 100  # favourites listed at most, newest first
HISTORY = 30  # recently viewed resources listed


def add(user: User, resource_id: int) -> Favourite:
    """Keep a resource the user may see (NotFound otherwise); adding it again is no change."""
    resource = get_resource(user, resource_id)
    session = get_session()
    row = session.get(Favourite, (user.id, resource.id))
    if row is None:
        row = Favourite(user_id=user.id, resource_id=resource.id)
        session.add(row)
        session.commit()
    return row


def remove(user: User, resource_id: int) -> bool:
    """Take a resource off the shelf; False when it was not on it."""
    session = get_session()
    row = session.get(Favourite, (user.id, resource_id))
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


def is_favourite(user: User | None, resource_id: int) -> bool:
    if user is None:
        return False
    return get_session().get(Favourite, (user.id, resource_id)) is not None


def favourites(user: User) -> list[tuple[Resource, Favourite]]:
    """The user's favourites they may still see, newest first."""
    rows = get_session().execute(
        select(Resource, Favourite).join(Favourite, Favourite.resource_id == Resource.id)
        .where(Favourite.user_id == user.id, policy.visible_clause(user))
        .options(*card_options()).order_by(Favourite.created_at.desc()).limit(SHOWN)).unique().all()  # fmt: skip
    return [(r, f) for r, f in rows if policy.can_view(user, r)]


def history(user: User) -> list[tuple[Resource, datetime]]:
    """The resources the user viewed lately (their page views), the last view first, each once."""
    last = (select(UsageEvent.resource_id, func.max(UsageEvent.created_at).label("seen"))
            .where(UsageEvent.user_id == user.id, UsageEvent.kind == "view")
            .group_by(UsageEvent.resource_id).subquery())  # fmt: skip
    rows = get_session().execute(
        select(Resource, last.c.seen).join(last, last.c.resource_id == Resource.id)
        .where(policy.visible_clause(user)).options(*card_options())
        .order_by(last.c.seen.desc()).limit(HISTORY)).unique().all()  # fmt: skip
    return [(r, seen) for r, seen in rows if policy.can_view(user, r)]
