"""我的收藏 and 最近浏览, and the 收藏 button of a resource page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library.accounts.auth import signed_in_user
from library.shelf import service as shelf
from library.validation import parse
from library.shelf.schemas import FavouriteBody
from library.web.forms import attempt, safe_next

bp = Blueprint("shelf", __name__, url_prefix="/me")


@bp.get("/favourites")
@login_required
def favourites():
    return render_template("shelf/list.html", title=_("我的收藏"), items=shelf.favourites(signed_in_user()),
                           empty=_("还没有收藏。在成果页点“收藏”，它就会出现在这里。"), favourites=True)


@bp.get("/history")
@login_required
def history():
    return render_template("shelf/list.html", title=_("最近浏览"), items=shelf.history(signed_in_user()),
                           empty=_("还没有浏览记录。"), favourites=False)


@bp.post("/favourites")
@login_required
def toggle():
    user = signed_in_user()
    body = parse(FavouriteBody, request.form)
    if request.form.get("action") == "remove":
        attempt(lambda: shelf.remove(user, body.resource_id), _("已取消收藏"))
    else:
        attempt(lambda: shelf.add(user, body.resource_id), _("已收藏"))
    fallback = url_for("resources.resource", resource_id=body.resource_id)
    return redirect(safe_next(request.form.get("next"), fallback))
