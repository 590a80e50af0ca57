"""Statistics pages: a studio's dashboard and activities, the city overview, the assessment."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library import policy
from library.auth import current_actor
from library.i18n import AWARD_LEVEL_LABELS, KIND_LABELS, PROJECT_STATUS_LABELS
from library.models.resource import AWARD_LEVELS, PROJECT_STATUSES
from library.models.stats import ACTIVITY_KINDS
from library.services import activities, assessment, schools, stats, studios
from library.services.errors import DomainError, PermissionDenied

bp = Blueprint("stats", __name__)

# City overview columns: key in StudioYear.as_json() → heading.
CITY_COLUMNS = ("outputs", "lesson_video", "award_case", "excellent_case", "research_project", "paper",
                "views", "downloads", "loans", "loans_under_agreements", "schools_helped", "activities",
                "participants")


@bp.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals.update(
        can_view_stats=policy.can_view_stats,
        can_view_city=policy.can_view_city,
        AWARD_LEVELS=AWARD_LEVELS,
        PROJECT_STATUSES=PROJECT_STATUSES,
        ACTIVITY_KINDS=ACTIVITY_KINDS,
    )


def _year() -> int:
    value = request.args.get("year")
    return stats.parse_year(value) if value else stats.default_year()


@bp.get("/studios/<slug>/dashboard")
@login_required
def dashboard(slug: str):
    year = _year()
    studio = studios.get_studio(slug)
    figures = stats.studio_year(current_actor(), studio, year)
    data = figures.as_json()
    charts = {
        "kinds": [(str(KIND_LABELS[k]), n) for k, n in data["by_kind"].items()],
        "awards": [(str(AWARD_LEVEL_LABELS[k]), n) for k, n in data["awards_by_level"].items()],
        "project_levels": [(str(AWARD_LEVEL_LABELS[k]), n) for k, n in data["projects"]["by_level"].items()],
        "project_status": [(str(PROJECT_STATUS_LABELS[k]), n) for k, n in data["projects"]["by_status"].items()],
    }
    return render_template("stats/dashboard.html", studio=studio, year=year, figures=figures, data=data,
                           charts=charts)


def _city_value(row: dict, key: str) -> int:
    return row["by_kind"][key] if key in row["by_kind"] else row[key]


@bp.get("/stats")
@login_required
def city():
    year = _year()
    rows = stats.city_overview(current_actor(), year)
    data = [(row, row.as_json()) for row in rows]
    sort = request.args.get("sort", "outputs")
    descending = request.args.get("dir", "desc") != "asc"
    if sort in CITY_COLUMNS:
        data.sort(key=lambda item: (_city_value(item[1], sort), item[0].studio.name), reverse=descending)
    else:
        sort = "name"
        data.sort(key=lambda item: item[0].studio.name, reverse=descending and "dir" in request.args)
    helped_schools, matrix = stats.help_matrix(rows)
    return render_template("stats/city.html", year=year, data=data, columns=CITY_COLUMNS, sort=sort,
                           descending=descending, value=_city_value, helped_schools=helped_schools, matrix=matrix)


@bp.get("/assessment/")
@login_required
def assessment_current():
    return redirect(url_for("stats.assessment_page", year=stats.default_year()))


@bp.get("/assessment/<int:year>")
@login_required
def assessment_page(year: int):
    year = stats.parse_year(year)
    rows = assessment.assessment(current_actor(), year)
    return render_template("stats/assessment.html", year=year, rows=rows, indicators=assessment.indicators(),
                           can_manage=policy.can_manage_assessment(current_actor()))


@bp.get("/assessment/<int:year>/export.<any(xlsx, csv):fmt>")
@login_required
def assessment_export(year: int, fmt: str):
    year = stats.parse_year(year)
    rows = assessment.assessment(current_actor(), year)
    if fmt == "xlsx":
        return Response(assessment.export_xlsx(year, rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.xlsx"'})
    return Response(assessment.export_csv(year, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="assessment-{year}.csv"'})


def _attempt(action, success: str) -> bool:
    try:
        action()
    except PermissionDenied:
        raise  # refusals reach the error handler, which audits them
    except DomainError as exc:
        flash(exc.message, "error")
        return False
    flash(success, "success")
    return True


@bp.route("/assessment/indicators", methods=["GET", "POST"])
@login_required
def indicators():
    actor = current_actor()
    if not policy.can_manage_assessment(actor):
        raise PermissionDenied(_("只有教育局管理员可以修改考核指标"))
    if request.method == "POST":
        form = request.form.to_dict()
        code = form.pop("original_code", "") or None
        form.setdefault("active", "0")
        _attempt(lambda: assessment.save_indicator(actor, form, code), _("指标已保存"))
        return redirect(url_for("stats.indicators"))
    return render_template("stats/indicators.html", indicators=assessment.indicators(include_inactive=True),
                           year=stats.default_year())


@bp.route("/studios/<slug>/activities", methods=["GET", "POST"])
@login_required
def activity_list(slug: str):
    actor = current_actor()
    studio = studios.get_studio(slug)
    if request.method == "POST":
        form = request.form
        if form.get("action") == "delete":
            _attempt(lambda: activities.delete_activity(actor, studio, form.get("activity_id", type=int) or 0),
                     _("活动记录已删除"))
        else:
            data = {**form.to_dict(), "school_ids": form.getlist("school_ids"),
                    "resource_ids": form.get("resource_ids", "")}
            _attempt(lambda: activities.record_activity(actor, studio, data), _("活动已登记"))
        return redirect(url_for("stats.activity_list", slug=slug))
    rows = activities.list_activities(actor, studio)
    return render_template("stats/activities.html", studio=studio, activities=rows,
                           schools=schools.list_schools(), can_record=policy.can_record_activity(actor, studio))
