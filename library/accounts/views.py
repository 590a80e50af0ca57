"""Sign in and out, with throttling against password guessing; the account page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

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
