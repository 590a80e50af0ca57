"""Sign in and out, with throttling against password guessing; the account page."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from library.accounts import service as accounts
from library.accounts.auth import signed_in_user
from library.errors import TooManyAttempts, Unauthenticated
from library.resources import review
from library.web.forms import attempt, safe_next, submit

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", username="")
    username = request.form.get("username", "").strip()[:64]
    remember = bool(request.form.get("remember"))
    # The server-side session lasts as long as the cookie that carries it may.
    lifetime = remember_duration() if remember else current_app.permanent_session_lifetime
    try:
        user = accounts.sign_in(username, request.form.get("password", ""), request.remote_addr or "",
                                lifetime=lifetime, remember=remember)
    except (TooManyAttempts, Unauthenticated) as exc:
        flash(exc.message, "error")
        return render_template("login.html", username=username), exc.status
    login_user(user, remember=remember, duration=lifetime if remember else None)
    return redirect(safe_next(request.args.get("next")))


def remember_duration() -> timedelta:
    """How long a "remember me" cookie (and its session) lasts (REMEMBER_COOKIE_DURATION)."""
    value = current_app.config["REMEMBER_COOKIE_DURATION"]
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


@bp.post("/logout")
def logout():
    # The sign-in session ends on the server too (a copy of the cookie is worth nothing after).
    if current_user.is_authenticated:  # loaded from the session or the "remember me" cookie
        accounts.sign_out(current_user.sign_in_token)
    logout_user()
    return redirect(url_for("resources.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    actor = signed_in_user()
    new_token = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        form = request.form
        if action == "password":
            attempt(lambda: accounts.change_password(actor, form.get("current_password", ""),
                                                     form.get("new_password", "")), _("密码已修改"),
                    errors=errors)
        elif action == "email":
            if attempt(lambda: accounts.set_email(actor, form.get("email", "")), "", errors=errors):
                flash(_("邮箱地址已保存") if actor.email else _("邮箱地址已删除，不再发送邮件通知"), "success")
        elif action == "create_token":
            outcome = submit(lambda: accounts.create_token(actor, form.get("name", "").strip() or "web"))
            new_token = outcome.value
            if not outcome.ok:
                flash(outcome.message or "", "error")
        elif action == "revoke_token":
            attempt(lambda: accounts.revoke_token(actor, form.get("token_id", type=int) or 0), _("令牌已撤销"),
                    errors=errors)
    return render_template("account.html", actor=actor, tokens=accounts.list_tokens(actor),
                           new_token=new_token, errors=errors, mine=review.my_resources(actor))
