"""Review pages: the queue, workflow buttons, editing and deleting a resource."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from library import policy
from library.accounts.auth import current_actor
from library.errors import PermissionDenied
from library.resources import files, ingest, review
from library.resources import service as resources
from library.resources.kinds import KIND_FIELD_GROUPS
from library.resources.schemas import ResourcePatch, TransitionBody
from library.resources.upload_views import ACCEPT
from library.studios import service as studios
from library.validation import parse
from library.web.forms import attempt, safe_next, submit
from library.web.listing import page_number
from library.web.uploads import disk_full_refused, incoming_files

bp = Blueprint("review", __name__)


DONE = {"submit": _l("已提交审核"), "publish": _l("已发布"), "return": _l("已退回作者"), "withdraw": _l("已撤回")}


@bp.get("/review")
@login_required
def queue():
    actor = current_actor()
    if not (policy.is_admin(actor) or policy.reviewed_ids(actor)):
        raise PermissionDenied(_("审核队列只对主持人、研训员和管理员开放"))
    listing = review.queue_page(actor, page_number())
    return render_template("review/queue.html", items=listing.items, listing=listing)


@bp.post("/resources/<int:resource_id>/workflow/<any(submit, publish, return, withdraw):action>")
@login_required
def workflow(resource_id: int, action: str):
    attempt(lambda: review.transition(current_actor(), resource_id, action,
                                      parse(TransitionBody, request.form).comment), str(DONE[action]))
    return redirect(safe_next(request.form.get("next"), url_for("resources.resource", resource_id=resource_id)))


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def edit(resource_id: int):
    actor = current_actor()
    resource = review.editable(actor, resource_id)
    errors, message, form = {}, None, None
    if request.method == "POST":
        outcome = submit(lambda: review.update_resource(actor, resource_id, parse(ResourcePatch, request.form)))
        if outcome.ok:
            flash(_("已保存"), "success")
            return redirect(url_for("resources.resource", resource_id=resource_id))
        errors, message, form = outcome.errors, outcome.message, request.form
    subjects, stages = studios.vocabularies()
    return render_template(
        "review/edit.html", resource=resource, errors=errors, message=message, form=form,
        subjects=subjects, stages=stages, kind_groups=KIND_FIELD_GROUPS,
        accept=ACCEPT, accepted_description=ingest.ACCEPTED_DESCRIPTION,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
        history=review.history(resource),
    ), (400 if errors or message else 200)


def _files_changed(resource_id: int, change, success: str):
    """Run a change of the resource's files from the edit page, then show the page's file list
    with what became of it (a refusal for its content is flashed; one for who asks is a 403)."""
    def guarded():
        with disk_full_refused():  # a full disk while storing: said in the flash, nothing kept
            return change()

    attempt(guarded, success)
    return redirect(url_for("review.edit", resource_id=resource_id) + "#files")


@bp.post("/resources/<int:resource_id>/files")
@login_required
def add_files(resource_id: int):
    return _files_changed(resource_id, lambda: files.add_files(
        current_actor(), resource_id, incoming_files(request.files.getlist("file"))), _("已添加文件"))


@bp.post("/resources/<int:resource_id>/files/<int:file_id>/replace")
@login_required
def replace_file(resource_id: int, file_id: int):
    return _files_changed(resource_id, lambda: files.replace_file(
        current_actor(), resource_id, file_id, incoming_files(request.files.getlist("file"))), _("已替换文件"))


@bp.post("/resources/<int:resource_id>/files/<int:file_id>/delete")
@login_required
def remove_file(resource_id: int, file_id: int):
    return _files_changed(resource_id, lambda: files.remove_file(current_actor(), resource_id, file_id),
                          _("已删除文件"))


@bp.post("/resources/<int:resource_id>/delete")
@login_required
def delete(resource_id: int):
    actor = current_actor()
    resource = resources.get_resource(actor, resource_id)
    studio_slug = resource.studio.slug
    review.delete_resource(actor, resource_id)
    flash(_("已删除"), "success")
    return redirect(url_for("studios.studio", slug=studio_slug))
