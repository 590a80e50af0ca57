"""Administration pages: users, schools, studios and their people, subjects, the audit log, failed jobs."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library import policy
from library.accounts import schools
from library.accounts import service as accounts
from library.accounts.auth import signed_in_user
from library.accounts.models import SITE_ROLES, User
from library.audit import service as audit
from library.errors import PermissionDenied
from library.jobs import service as jobs
from library.studios import service as studios
from library.studios.models import STUDIO_ROLES, Studio
from library.web.forms import attempt

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require_admin() -> User:
    actor = signed_in_user()
    if not policy.can_manage_site(actor):
        raise PermissionDenied(_("只有教育局管理员可以进入管理页面"))
    return actor




@bp.route("/users", methods=["GET", "POST"])
@login_required
def users():
    actor = _require_admin()
    if request.method == "POST":
        form = request.form
        if form.get("action") == "create":
            attempt(lambda: accounts.create_user(
                form.get("username", ""), form.get("role", ""), form.get("password") or None,
                form.get("display_name", ""), form.get("school") or None, actor=actor, email=form.get("email")),
                _("账号已创建"))
        else:
            user = accounts.find_user(form.get("user_id", type=int))
            if user is not None:
                attempt(lambda: accounts.update_user(
                    user, role=form.get("role", user.role), active=form.get("active") == "1",
                    password=form.get("password") or None, actor=actor, email=form.get("email")), _("已保存"))
        return redirect(url_for("admin.users"))
    return render_template("admin/users.html", users=accounts.list_users(), roles=SITE_ROLES, schools=schools.list_schools())


@bp.route("/schools", methods=["GET", "POST"])
@login_required
def school_list():
    actor = _require_admin()
    if request.method == "POST":
        form = request.form
        attempt(lambda: schools.create_school(
            form.get("name", ""), weak=form.get("weak") == "1",
            subjects=form.getlist("subjects"), stages=form.getlist("stages"), actor=actor), _("学校已创建"))
        return redirect(url_for("admin.school_list"))
    subjects, stages = studios.vocabularies()
    return render_template("admin/schools.html", schools=schools.list_schools(), subjects=subjects, stages=stages)


@bp.route("/studios", methods=["GET", "POST"])
@login_required
def studio_list():
    actor = _require_admin()
    if request.method == "POST":
        form = request.form
        attempt(lambda: studios.create_studio(form.get("slug", "").strip(), form.get("name", ""),
                                               form.get("subject", ""), form.get("stage", ""),
                                               form.get("description", ""), actor=actor), _("工作室已创建"))
        return redirect(url_for("admin.studio_list"))
    subjects, stages = studios.vocabularies()
    return render_template("admin/studios.html", studios=studios.all_studios(), subjects=subjects, stages=stages)


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
                user = accounts.get_user(form.get("username", "").strip())
                _guard_host(actor, studio, user, form.get("role", ""))
                studios.add_member(studio, user, form.get("role", ""), actor)
            attempt(add, _("已添加"))
        elif action == "remove":
            user = accounts.find_user(form.get("user_id", type=int))
            if user is not None:
                _guard_host(actor, studio, user, "")
                attempt(lambda: studios.remove_member(studio, user, actor), _("已移除"))
        elif action == "coordinators":
            if not policy.is_admin(actor):
                raise PermissionDenied(_("只有管理员可以指定研训员"))
            names = [n.strip() for n in form.get("coordinators", "").replace("，", ",").split(",") if n.strip()]
            attempt(lambda: studios.set_coordinators(studio, [accounts.get_user(n) for n in names], actor),
                     _("已保存"))
        return redirect(url_for("admin.studio_people", slug=slug))
    return render_template("admin/studio_people.html", studio=studio, roles=STUDIO_ROLES,
                           is_admin=policy.is_admin(actor))


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
        attempt(lambda: studios.save_subject(form.get("code", ""), form.get("name_zh", ""),
                                              form.get("name_en", ""), actor), _("已保存"))
        return redirect(url_for("admin.subjects"))
    return render_template("admin/subjects.html", subjects=studios.vocabularies()[0])


@bp.get("/audit")
@login_required
def audit_log():
    _require_admin()
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)  # OFFSET stays an INTEGER
    action = request.args.get("action") or None
    entries, total = audit.list_entries(page, action)
    return render_template("admin/audit.html", entries=entries, total=total, page=page,
                           pages=max(1, -(-total // audit.PAGE)), action=action)


@bp.route("/jobs", methods=["GET", "POST"])
@login_required
def job_list():
    """Failed background jobs (derivations that could not be done) with their reason, to retry."""
    actor = _require_admin()
    if request.method == "POST":
        attempt(lambda: jobs.retry(request.form.get("job_id", type=int) or 0, actor=actor), _("任务已重新排队"))
        return redirect(url_for("admin.job_list"))
    return render_template("admin/jobs.html", failed=jobs.list_jobs("failed"), counts=jobs.counts())
