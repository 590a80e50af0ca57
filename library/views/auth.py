"""Sign in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from library.services import accounts

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the sign-in page cannot be used to send people elsewhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = accounts.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(_safe_next(request.args.get("next")))
        flash(_("用户名或密码不正确"), "error")
        return render_template("login.html", username=request.form.get("username", "")), 401
    return render_template("login.html", username="")


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("pages.home"))
