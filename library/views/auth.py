"""Sign in and out, with throttling against password guessing; the account page."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from library.auth import current_actor
from library.db import get_session
from library.services import accounts, audit, review
from library.services.errors import DomainError

bp = Blueprint("auth", __name__)

# Failed sign-ins tolerated in the window, per account and per address.
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 30


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A same-site path to go on to, so no form can send people elsewhere (browsers drop tabs and
    newlines from URLs, so '/\t/evil' would become '//evil': control characters are refused too)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x21 or c == "\x7f" for c in target)):
        return target
    return fallback or url_for("pages.home")


def _throttled(username: str) -> bool:
    return (
        audit.recent_count("login.failure", since=WINDOW, target_id=username) >= MAX_PER_ACCOUNT
        or audit.recent_count("login.failure", since=WINDOW, ip=request.remote_addr or "") >= MAX_PER_ADDRESS
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", username="")
    username = request.form.get("username", "").strip()[:64]
    key = username.lower()
    if _throttled(key):
        audit.record_now("login.throttled", None, "user", key, username=username)
        flash(_("登录失败次数过多，请 15 分钟后再试；忘记密码请联系管理员。"), "error")
        return render_template("login.html", username=username), 429
    user = accounts.authenticate(username, request.form.get("password", ""))
    if user is None:
        audit.record_now("login.failure", None, "user", key, username=username)
        flash(_("用户名或密码不正确"), "error")
        return render_template("login.html", username=username), 401
    login_user(user, remember=bool(request.form.get("remember")))
    audit.record("login.success", user, "user", key)
    get_session().commit()
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("pages.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    actor = current_actor()
    new_token = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "password":
                accounts.change_password(actor, request.form.get("current_password", ""),
                                         request.form.get("new_password", ""))
                flash(_("密码已修改"), "success")
            elif action == "create_token":
                new_token = accounts.create_token(actor, request.form.get("name", "").strip() or "web")
            elif action == "revoke_token":
                accounts.revoke_token(actor, request.form.get("token_id", type=int) or 0)
                flash(_("令牌已撤销"), "success")
        except DomainError as exc:
            flash(exc.message, "error")
            errors = exc.fields
    return render_template("account.html", actor=actor, tokens=accounts.list_tokens(actor),
                           new_token=new_token, errors=errors, mine=review.my_resources(actor))
