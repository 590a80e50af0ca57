"""Browsing by textbook: a subject and stage's tree, the outputs at a node, and 我的教材."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library.accounts.auth import current_actor, signed_in_user
from library.studios import service as studios
from library.textbooks import positions
from library.textbooks import service as textbooks
from library.textbooks.schemas import PinForm, PlaceQuery
from library.validation import parse
from library.web.forms import attempt, safe_next

bp = Blueprint("textbooks", __name__)


@bp.get("/textbooks/<subject>/<stage>")
def tree(subject: str, stage: str):
    actor = current_actor()
    found = textbooks.tree(actor, subject, stage)
    asked = parse(PlaceQuery, request.args)
    place = textbooks.Place(asked.edition, asked.book, asked.unit, asked.lesson)
    chosen = any(v is not None for v in (asked.edition, asked.book, asked.unit, asked.lesson))
    listing = textbooks.resources_at(actor, subject, stage, place, asked.page, current_app.config["PER_PAGE"]) \
        if chosen else None
    subjects, stages = studios.vocabularies()
    return render_template(
        "textbooks/tree.html", tree=found, place=place, listing=listing, stages=stages,
        editions=[e for e in textbooks.editions() if e.serves(subject, stage)],
        grades=positions.grades_of(stage), pin=textbooks.pin_of(actor),
    )


@bp.post("/textbooks/pin")
@login_required
def pin():
    user = signed_in_user()
    if request.form.get("action") == "unpin":
        attempt(lambda: textbooks.unpin(user), _("已取消我的教材"))
        return redirect(safe_next(request.form.get("next"), url_for("resources.home")))

    def save() -> None:
        body = parse(PinForm, request.form)
        textbooks.pin(user, body.subject, body.stage, body.edition, body.grade or "")

    attempt(save, _("已设为我的教材：首页将先显示这本教材"))
    return redirect(safe_next(request.form.get("next"), url_for("resources.home")))


@bp.app_template_global()
def grade_name(code: str | None) -> str:
    return positions.grade_label(code) if code else ""


@bp.app_template_global()
def volume_name(code: str | None) -> str:
    return positions.volume_label(code) if code else ""


@bp.app_template_global()
def unit_name(number: int | None, title: str = "") -> str:
    return positions.unit_label(number, title) if number is not None or title else ""


@bp.app_template_global()
def edition_name(code: str | None) -> str:
    return textbooks.edition_names().get(code, code) if code else ""


@bp.app_template_global()
def textbook_choices() -> dict:
    """The choices of the textbook fields in the upload and edit forms: each option carries the
    subjects and stages it is for, so the page's script can follow the chosen subject and stage."""
    return {
        "editions": [(e.code, e.name, {"data-subjects": " ".join(e.subjects), "data-stages": " ".join(e.stages)})
                     for e in textbooks.editions()],
        "grades": [(g.code, g.label, {"data-stages": g.stage}) for g in positions.GRADES],
        "volumes": [(v.code, v.label) for v in positions.VOLUMES],
    }


@bp.app_template_global()
def textbook_place(resource) -> str:
    """A resource's textbook position in one line: 人教版 三年级上册 第三单元 测量 《毫米和分米》."""
    parts = [edition_name(resource.edition_code),
             f"{grade_name(resource.grade)}{volume_name(resource.volume)}",
             unit_name(resource.unit_number, resource.unit_title),
             f"《{resource.lesson}》" if resource.lesson else ""]  # fmt: skip
    return " ".join(p for p in parts if p)
