"""Sign-in sessions (Flask-Login), CSRF protection and the current actor."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from library.db import get_session
from library.models import User

login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def current_actor() -> User | None:
    """The signed-in user of a page, or the bearer-token user of an API call; None when anonymous."""
    if "api_user" in g:
        return g.api_user
    return current_user if current_user.is_authenticated else None


def init_app(app: Flask) -> None:
    """Install the login manager, CSRF protection and secure cookie defaults."""
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a long upload form must not expire mid-way
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    app.jinja_env.globals["current_actor"] = current_actor
