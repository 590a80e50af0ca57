"""Statistics pages: a studio's dashboard and activities, the city overview."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library import policy
from library.accounts import schools
from library.accounts.auth import current_actor
from library.db import utcnow
from library.i18n import AWARD_LEVEL_LABELS, KIND_LABELS, PROJECT_STATUS_LABELS
from library.resources import lookup
from library.resources.models import AWARD_LEVELS, PROJECT_STATUSES
from library.stats import activities
from library.stats import figures as stats
from library.stats.models import ACTIVITY_KINDS
from library.stats.schemas import ActivityBody, ActivityRef, CityQuery, YearQuery
from library.studios import service as studios
from library.validation import parse
from library.web.forms import attempt, with_ids

bp = Blueprint("stats", __name__)


# City overview columns: key in StudioYear.as_json() → heading.
CITY_COLUMNS = ("outputs", "lesson_video", "award_case", "excellent_case", "research_project", "paper",
                "views", "downloads", "loans", "loans_under_agreements", "schools_helped", "activities",
                "participants")


# The dashboard lists this many of the year's outputs (the API gives every id; search lists them all).
DASHBOARD_OUTPUTS = 200


@bp.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals.update(
        can_view_stats=policy.can_view_stats,
        can_view_city=policy.can_view_city,
        AWARD_LEVELS=AWARD_LEVELS,
        PROJECT_STATUSES=PROJECT_STATUSES,
        ACTIVITY_KINDS=ACTIVITY_KINDS,
    )


@bp.get("/studios/<slug>/dashboard")
@login_required
def dashboard(slug: str):
    studio = studios.get_studio(slug)
    # Without ?year= the dashboard opens on the studio's latest year with outputs, loans or activities.
    year = parse(YearQuery, request.args).year or stats.latest_year(studio)
    figures = stats.studio_year(current_actor(), studio, year)
    data = figures.as_json()
    charts = {
        "kinds": [(str(KIND_LABELS[k]), n) for k, n in data["by_kind"].items()],
        "awards": [(str(AWARD_LEVEL_LABELS[k]), n) for k, n in data["awards_by_level"].items()],
        "project_levels": [(str(AWARD_LEVEL_LABELS[k]), n) for k, n in data["projects"]["by_level"].items()],
        "project_status": [(str(PROJECT_STATUS_LABELS[k]), n) for k, n in data["projects"]["by_status"].items()],
    }
    return render_template("stats/dashboard.html", studio=studio, year=year, figures=figures, data=data,
                           charts=charts, listed=figures.resources[:DASHBOARD_OUTPUTS], generated_at=utcnow())


def _city_value(row: dict, key: str) -> int:
    return row["by_kind"][key] if key in row["by_kind"] else row[key]


@bp.get("/stats")
@login_required
def city():
    query = parse(CityQuery, request.args)
    year = query.year or stats.latest_year()
    rows = stats.city_overview(current_actor(), year, rows=False)  # counted, not listed: the table needs no ids
    data = [(row, row.summary()) for row in rows]
    sort = query.sort
    descending = query.dir != "asc"
    if sort in CITY_COLUMNS:
        data.sort(key=lambda item: (_city_value(item[1], sort), item[0].studio.name), reverse=descending)
    else:  # by name: A to Z unless asked otherwise
        data.sort(key=lambda item: item[0].studio.name, reverse=query.dir == "desc")
    helped_schools, matrix = stats.help_matrix(rows)
    return render_template("stats/city.html", year=year, data=data, columns=CITY_COLUMNS, sort=sort,
                           descending=descending, value=_city_value, helped_schools=helped_schools, matrix=matrix,
                           generated_at=utcnow())




@bp.route("/studios/<slug>/activities", methods=["GET", "POST"])
@login_required
def activity_list(slug: str):
    actor = current_actor()
    studio = studios.get_studio(slug)
    if request.method == "POST":
        form = request.form
        if form.get("action") == "delete":
            attempt(lambda: activities.delete_activity(actor, studio, parse(ActivityRef, form).activity_id),
                    _("活动记录已删除"))
        else:
            def record():
                data = with_ids(form, "resource_ids", lookup.ids_for_titles(
                    actor, form.get("resource_titles"), "resource_ids", studio_slug=studio.slug))
                activities.record_activity(actor, studio, parse(ActivityBody, data))
            attempt(record, _("活动已登记"))
        return redirect(url_for("stats.activity_list", slug=slug))
    rows = activities.list_activities(actor, studio)
    return render_template("stats/activities.html", studio=studio, activities=rows,
                           schools=schools.list_schools(), can_record=policy.can_record_activity(actor, studio))
