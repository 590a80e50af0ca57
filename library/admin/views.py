"""Administration pages: users, schools, studios and their people, subjects, the audit log, failed jobs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library import policy
from library.admin.schemas import (
    AuditQuery,
    Coordinators,
    EditionForm,
    JobRef,
    MemberRef,
    NewMember,
    NewSchool,
    NewStudio,
    NewUser,
    SubjectForm,
    UserChange,
)
from library.accounts import lookup as people
from library.accounts import schools
from library.accounts import service as accounts
from library.accounts.auth import signed_in_user
from library.accounts.models import SITE_ROLES, User
from library.audit import display as audit_display
from library.audit import service as audit
from library.errors import PermissionDenied
from library.jobs import service as jobs
from library.studios import service as studios
from library.studios.models import STUDIO_ROLES, Studio
from library.textbooks import service as textbooks
from library.validation import parse
from library.web.forms import Submission, attempt, submit

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require_admin() -> User:
    actor = signed_in_user()
    if not policy.can_manage_site(actor):
        raise PermissionDenied(_("此页面仅限教育局管理员"), hint="site_admin")
    return actor


def _created(outcome: Submission, success: str) -> bool:
    """A create form's outcome: flash it; True when the page may go back to the list (the form is
    shown again, with its field errors and at the error's status, when it was refused)."""
    if outcome.ok:
        flash(success, "success")
    else:
        flash(outcome.message or "", "error")
    return outcome.ok


def _create_user(actor: User) -> None:
    body = parse(NewUser, request.form)
    accounts.create_user(body.username, body.role, body.password, body.display_name or "", body.school,
                         actor=actor, email=body.email)


def _update_user(actor: User) -> None:
    body = parse(UserChange, request.form)
    user = accounts.find_user(body.user_id)
    if user is not None:
        accounts.update_user(user, role=body.role, active=body.active, password=body.password, actor=actor,
                             email=body.email)


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users():
    actor = _require_admin()
    page = lambda **extra: render_template(  # noqa: E731
        "admin/users.html", users=accounts.list_users(), roles=SITE_ROLES, schools=schools.list_schools(), **extra)
    if request.method == "POST":
        if request.form.get("action") == "create":
            outcome = submit(lambda: _create_user(actor))
            if not _created(outcome, _("账号已创建")):
                return page(errors=outcome.errors, form=request.form), outcome.status
        else:
            attempt(lambda: _update_user(actor), _("已保存"))
        return redirect(url_for("admin.users"))
    return page()


@bp.route("/schools", methods=["GET", "POST"])
@login_required
def school_list():
    actor = _require_admin()
    subjects, stages = studios.vocabularies()
    page = lambda **extra: render_template(  # noqa: E731
        "admin/schools.html", schools=schools.list_schools(), subjects=subjects, stages=stages, **extra)
    if request.method == "POST":
        def create():
            body = parse(NewSchool, request.form)
            schools.create_school(body.name, weak=body.weak, subjects=body.subjects, stages=body.stages, actor=actor)

        outcome = submit(create)
        if not _created(outcome, _("学校已创建")):
            return page(errors=outcome.errors, form=request.form), outcome.status
        return redirect(url_for("admin.school_list"))
    return page()


@bp.route("/studios", methods=["GET", "POST"])
@login_required
def studio_list():
    actor = _require_admin()
    subjects, stages = studios.vocabularies()
    page = lambda **extra: render_template(  # noqa: E731
        "admin/studios.html", studios=studios.all_studios(), subjects=subjects, stages=stages, **extra)
    if request.method == "POST":
        def create():
            body = parse(NewStudio, request.form)
            studios.create_studio(body.slug, body.name, body.subject, body.stage, body.description or "", actor=actor)

        outcome = submit(create)
        if not _created(outcome, _("工作室已创建")):
            return page(errors=outcome.errors, form=request.form), outcome.status
        return redirect(url_for("admin.studio_list"))
    return page()


@bp.route("/studios/<slug>", methods=["GET", "POST"])
@login_required
def studio_people(slug: str):
    """Members and trainees (hosts, liaison coordinators, admins); coordinators (admins only)."""
    actor = signed_in_user()
    studio = studios.get_studio(slug)
    if not policy.can_manage_members(actor, studio):
        raise PermissionDenied(_("只有主持人、联系该工作室的研训员和管理员可以管理成员"))
    if request.method == "POST":
        form = request.form
        action = form.get("action")
        if action == "add":
            def add():
                body = parse(NewMember, form)
                user = people.person_named(body.username)
                _guard_host(actor, studio, user, body.role)
                studios.add_member(studio, user, body.role, actor)
            attempt(add, _("已添加"))
        elif action == "remove":
            def remove():
                user = accounts.find_user(parse(MemberRef, form).user_id)
                if user is not None:
                    if user.id == actor.id:
                        raise PermissionDenied(_("不能把自己移出工作室；请联系管理员"))
                    _guard_host(actor, studio, user, "")
                    studios.remove_member(studio, user, actor)
            attempt(remove, _("已移除"))
        elif action == "coordinators":
            if not policy.is_admin(actor):
                raise PermissionDenied(_("只有管理员可以指定研训员"))
            attempt(lambda: studios.set_coordinators(
                studio, [accounts.get_user(n) for n in parse(Coordinators, form).coordinators], actor), _("已保存"))
        return redirect(url_for("admin.studio_people", slug=slug))
    return render_template("admin/studio_people.html", studio=studio, roles=STUDIO_ROLES,
                           is_admin=policy.is_admin(actor), actor=actor)


def _guard_host(actor: User, studio: Studio, user: User, new_role: str) -> None:
    """Only admins appoint, change or remove a host; hosts and coordinators manage members and trainees."""
    if policy.is_admin(actor):
        return
    if new_role == "host" or policy.studio_roles(user).get(studio.id) == "host":
        raise PermissionDenied(_("只有管理员可以指定、更换或移除主持人"))


@bp.route("/subjects", methods=["GET", "POST"])
@login_required
def subjects():
    actor = _require_admin()
    if request.method == "POST":
        form = request.form
        def save():
            body = parse(SubjectForm, form)
            studios.save_subject(body.code, body.name_zh, body.name_en or "", actor)
        attempt(save, _("已保存"))
        return redirect(url_for("admin.subjects"))
    return render_template("admin/subjects.html", subjects=studios.vocabularies()[0])


@bp.route("/editions", methods=["GET", "POST"])
@login_required
def editions():
    actor = _require_admin()
    if request.method == "POST":
        form = request.form

        def save():
            body = parse(EditionForm, {**form, "subjects": form.getlist("subjects"), "stages": form.getlist("stages")})
            textbooks.save_edition(body.code, body.name_zh, body.aliases, body.subjects, body.stages, actor)

        attempt(save, _("已保存"))
        return redirect(url_for("admin.editions"))
    subjects, stages = studios.vocabularies()
    return render_template("admin/editions.html", editions=textbooks.edition_rows(), subjects=subjects, stages=stages)


@bp.get("/audit")
@login_required
def audit_log():
    _require_admin()
    query = parse(AuditQuery, request.args)
    page, action = query.page, query.action
    entries, total = audit.list_entries(page, action)
    return render_template("admin/audit.html", lines=audit_display.lines(entries), total=total, page=page,
                           pages=max(1, -(-total // audit.PAGE)), action=action,
                           action_choices=audit_display.action_choices())


@bp.route("/jobs", methods=["GET", "POST"])
@login_required
def job_list():
    """Failed background jobs (derivations that could not be done) with their reason, to retry."""
    actor = _require_admin()
    if request.method == "POST":
        attempt(lambda: jobs.retry(parse(JobRef, request.form).job_id, actor=actor), _("任务已重新排队"))
        return redirect(url_for("admin.job_list"))
    return render_template("admin/jobs.html", failed=jobs.list_jobs("failed"), counts=jobs.counts())
