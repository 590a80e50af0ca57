"""The upload form: a plain HTML form that also answers JSON to the page's progress-bar script."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from library import policy
from library.accounts.auth import current_actor
from library.resources import ingest
from library.resources.kinds import KIND_FIELD_GROUPS
from library.resources import service as resources
from library.resources.schemas import ResourceUpload, UploadFormQuery
from library.studios import service as studio_service
from library.validation import parse
from library.web.errors import error_response, wants_json
from library.web.forms import submit
from library.errors import InsufficientStorage
from library.web.uploads import disk_full_refused, incoming_files

bp = Blueprint("upload", __name__)


# What the file picker offers; the server still judges every file by its bytes.
ACCEPT = ".mp4,.webm,.mov,.pdf,.docx,.pptx,.xlsx,.doc,.ppt,.jpg,.jpeg,.png,.webp"


INTENTS = ("publish", "submit", "draft")


def _upload(form) -> ResourceUpload:
    """The form parsed (the API's schema), with the chosen intent as its `publish`/`submit` flags.

    Without an intent (an older page, a script) a reviewer publishes and anyone else submits."""
    upload = parse(ResourceUpload, form)
    intent = form.get("intent", "")
    if intent not in INTENTS:
        studio = studio_service.find_studio(upload.studio)
        intent = "publish" if studio and policy.can_publish_directly(current_actor(), studio) else "submit"
    upload.publish, upload.submit = intent == "publish", intent == "submit"
    return upload


def _form_context(form, errors=None, message=None, details=None):
    actor = current_actor()
    subjects, stages = studio_service.vocabularies()
    studios = [s for s in studio_service.all_studios() if policy.can_upload(actor, s)]
    return dict(
        form=form,
        errors=errors or {},
        message=message,
        details=details or [],
        kind_groups=KIND_FIELD_GROUPS,
        accept=ACCEPT,
        accepted_description=ingest.ACCEPTED_DESCRIPTION,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
        subjects=subjects,
        stages=stages,
        studios=studios,
        # Studios whose outputs this user may publish without review (the page offers 立即发布 there).
        publishable={s.slug for s in studios if policy.can_publish_directly(actor, s)},
    )


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    if request.method == "GET":
        query = parse(UploadFormQuery, request.args)
        return render_template("upload.html", **_form_context({"studio": query.studio or ""}))

    def create():
        with disk_full_refused():  # a full disk while storing: 507, shown in the form
            return resources.create_resource(
                current_actor(), _upload(request.form), incoming_files(request.files.getlist("file")))

    outcome = submit(create, refusal_in_form=True)
    if outcome.error is not None:
        if wants_json():
            raise outcome.error  # the error handler answers {"error": {"code", "message", "fields", "details"}}
        # Show the form again with what was typed and each field's problem.
        context = _form_context(request.form, outcome.errors, outcome.message, outcome.details)
        return render_template("upload.html", **context), outcome.status
    resource = outcome.value
    url = url_for("resources.resource", resource_id=resource.id)
    if wants_json():
        # The page's script shows its own result panel linking the new resource.
        return jsonify(id=resource.id, url=url, title=resource.title, status=resource.status), 201
    flash(_("上传成功：%(title)s", title=resource.title), "success")
    return redirect(url)


@bp.errorhandler(InsufficientStorage)
def no_room(exc: InsufficientStorage):
    """The disk filled while the body was received (before the view, by the CSRF check): the
    page's script gets the JSON error, a plain form is shown again with the reason."""
    if wants_json():
        return error_response(exc.status, exc.code, exc.message)
    return render_template("upload.html", **_form_context({}, message=exc.message)), exc.status
