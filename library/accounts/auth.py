"""Sign-in sessions (Flask-Login), CSRF protection and the current actor."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from library import policy
from library.accounts import sessions
from library.accounts.models import User
from library.errors import Unauthenticated

login_manager = LoginManager()


csrf = CSRFProtect()


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    """The user of the session (or "remember me") cookie's sign-in session, while it holds."""
    return sessions.resume(token)


@login_manager.request_loader
def _load_bearer(request) -> User | None:
    """Outside /api/v1 (file downloads, thumbnails) a bearer token also identifies the caller, so an
    API client can follow the download_url it was given; it never replaces a session."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    from library.accounts.service import user_for_token

    return user_for_token(token.strip())


def current_actor() -> User | None:
    """The signed-in user of a page, or the bearer-token user of an API call; None when anonymous."""
    if "api_user" in g:
        return g.api_user
    return current_user if current_user.is_authenticated else None


def signed_in_user() -> User:
    """The user of a @login_required page (or an API call with a valid token)."""
    actor = current_actor()
    if actor is None:
        raise Unauthenticated(_l("请先登录"))
    return actor


def workflow_actions(user: User | None, resource) -> list[str]:
    """The workflow buttons to show this user for this resource."""
    return [
        action for action, (sources, _target) in policy.TRANSITIONS.items()
        if resource.status in sources and policy.can_transition(user, resource, action)
    ]


def init_app(app: Flask) -> None:
    """Install the login manager and CSRF protection (cookie flags: library.web.security)."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a long upload form must not expire mid-way
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    app.jinja_env.globals.update(
        current_actor=current_actor,
        workflow_actions=workflow_actions,
        can_edit=policy.can_edit,
        can_review_studio=policy.can_review,
        is_site_admin=policy.is_admin,
        can_upload_somewhere=policy.can_upload_somewhere,
    )
