"""Sign in and out, with throttling against password guessing; the account page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from library.auth import current_actor
from library.services import accounts, review
from library.services.errors import DomainError, TooManyAttempts, Unauthenticated

bp = Blueprint("auth", __name__)

def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A same-site path to go on to, so no form can send people elsewhere (browsers drop tabs and
    newlines from URLs, so '/\t/evil' would become '//evil': control characters are refused too)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x21 or c == "\x7f" for c in target)):
        return target
    return fallback or url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", username="")
    username = request.form.get("username", "").strip()[:64]
    try:
        user = accounts.sign_in(username, request.form.get("password", ""), request.remote_addr or "")
    except (TooManyAttempts, Unauthenticated) as exc:
        flash(exc.message, "error")
        return render_template("login.html", username=username), exc.status
    login_user(user, remember=bool(request.form.get("remember")))
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
            elif action == "email":
                accounts.set_email(actor, request.form.get("email", ""))
                flash(_("邮箱地址已保存") if actor.email else _("邮箱地址已删除，不再发送邮件通知"), "success")
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
