"""Finding outputs by title for the forms' pickers (an agreement's or an activity's outputs)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from library import policy
from library.accounts.models import User
from library.db import get_session
from library.errors import InvalidInput
from library.resources.models import Resource
from library.studios.models import Studio

# Several titles typed in one box: one a line, or between 、，,；;
TITLE_SEPARATORS = re.compile(r"[\n\r、，,；;]+")


def _candidates(actor: User | None, studio_slug: str | None, lendable: bool):
    stmt = select(Resource).where(policy.visible_clause(actor))
    if studio_slug:
        stmt = stmt.join(Studio, Studio.id == Resource.studio_id).where(Studio.slug == studio_slug)
    if lendable:
        stmt = stmt.where(Resource.visibility == "lendable", Resource.status == "published")
    return stmt


def find_resources(actor: User | None, q: str, *, studio_slug: str | None = None, lendable: bool = False,
                   limit: int = 10) -> list[Resource]:
    """Outputs the actor can see whose title holds `q` (of one studio, lendable only when asked),
    titles starting with it first."""
    q = q.strip()
    if not q:
        return []
    title = func.lower(Resource.title)
    stmt = _candidates(actor, studio_slug, lendable).where(title.contains(q.lower(), autoescape=True))
    stmt = stmt.order_by(title.startswith(q.lower(), autoescape=True).desc(), Resource.title, Resource.id)
    return list(get_session().scalars(stmt.limit(limit)).unique())


def ids_for_titles(actor: User | None, text: str | None, field: str, *, studio_slug: str | None = None,
                   lendable: bool = False) -> list[int]:
    """The ids of the outputs named in `text` (exact titles, several separated by 、 or lines), or
    InvalidInput on `field` naming a title that matches nothing or more than one output."""
    ids: list[int] = []
    for wanted in (t.strip() for t in TITLE_SEPARATORS.split(text or "")):
        if not wanted:
            continue
        found = list(get_session().scalars(
            _candidates(actor, studio_slug, lendable).where(func.lower(Resource.title) == wanted.lower()).limit(2)
        ).unique())
        if not found:
            raise InvalidInput(_("没有找到标题为“%(title)s”的成果，请从列表中选择", title=wanted[:100]),
                               fields={field: _("没有找到“%(title)s”", title=wanted[:100])})
        if len(found) > 1:
            raise InvalidInput(_("有多个成果的标题是“%(title)s”，请从列表中选择", title=wanted[:100]),
                               fields={field: _("“%(title)s”不止一个，请从列表中选择", title=wanted[:100])})
        ids.append(found[0].id)
    return ids


def picked(actor: User | None, values: list[str]) -> list[tuple[int, str]]:
    """(id, title) of the outputs a form has chosen (hidden ids, or "3, 5"), those the actor can see,
    to show them again."""
    ids = [int(part) for value in values for part in re.split(r"[\s,，、]+", value or "")
           if part.isascii() and part.isdigit() and len(part) < 10]
    if not ids:
        return []
    rows = get_session().execute(select(Resource.id, Resource.title)
                                 .where(Resource.id.in_(ids), policy.visible_clause(actor)))
    titles = {rid: title for rid, title in rows}
    return [(i, titles[i]) for i in dict.fromkeys(ids) if i in titles]
