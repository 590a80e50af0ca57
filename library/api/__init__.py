"""The JSON API, /api/v1: bearer tokens, the same services as the pages."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_babel import gettext as _

from library.services import accounts
from library.services.errors import Unauthenticated

api = Blueprint("api", __name__)


@api.before_request
def _authenticate() -> None:
    """Resolve `Authorization: Bearer TOKEN`; no header means anonymous, a bad token is refused."""
    header = request.headers.get("Authorization", "")
    if not header:
        g.api_user = None
        return
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_("Authorization 头应为 “Bearer 令牌”"))
    user = accounts.user_for_token(token.strip())
    if user is None:
        raise Unauthenticated(_("令牌无效或已被撤销，请重新创建令牌"))
    g.api_user = user


from library.api import lending as _lending  # noqa: E402,F401
from library.api import resources as _resources  # noqa: E402,F401  (registers the routes)
from library.api import review as _review  # noqa: E402,F401
from library.api import stats as _stats  # noqa: E402,F401
