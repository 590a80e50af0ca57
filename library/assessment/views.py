"""The assessment pages: a year's scores, its exports, the indicators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from library import policy
from library.accounts.auth import current_actor
from library.assessment import exports, indicators, scores
from library.assessment.schemas import (ExportQuery, IndicatorChange, IndicatorNew, YearPath, level_points_from_fields,
                                        rule_from_fields)
from library.db import utcnow
from library.errors import PermissionDenied
from library.stats import figures as stats
from library.validation import parse
from library.web.forms import attempt

bp = Blueprint("assessment", __name__)


@bp.get("/assessment/")
@login_required
def assessment_current():
    return redirect(url_for("assessment.assessment_page", year=stats.latest_year()))


def _year(year: int) -> int:
    return parse(YearPath, {"year": year}).year


@bp.get("/assessment/<int:year>")
@login_required
def assessment_page(year: int):
    year = _year(year)
    rows = scores.ranked_assessment(current_actor(), year)  # scores and counts only: outputs counted in SQL
    return render_template("stats/assessment.html", year=year, rows=rows, indicators=indicators.indicators(),
                           can_manage=policy.can_manage_assessment(current_actor()), generated_at=utcnow())


@bp.get("/assessment/<int:year>/export.<any(xlsx, csv):fmt>")
@login_required
def assessment_export(year: int, fmt: str):
    year = _year(year)
    actor = current_actor()
    rows = scores.assessment(actor, year)
    shown = scores.shown_to(actor)
    headers = {"Content-Disposition": exports.content_disposition(year, fmt)}
    if fmt == "xlsx":
        return Response(exports.export_xlsx(year, rows, shown),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers=headers)
    codes = parse(ExportQuery, request.args).codes
    return Response(exports.export_csv(year, rows, shown, codes=codes), mimetype="text/csv", headers=headers)


@bp.route("/assessment/indicators", methods=["GET", "POST"])
@login_required
def indicator_list():
    actor = current_actor()
    if not policy.can_manage_assessment(actor):
        raise PermissionDenied(_("只有教育局管理员可以修改考核指标"))
    if request.method == "POST":
        form: dict[str, Any] = request.form.to_dict()
        code = form.pop("original_code", "") or None
        form.setdefault("active", "0")  # an unticked box is not sent
        if "source" in request.form:  # the page's fields, not a rule typed as JSON
            form["rule"] = rule_from_fields(request.form)
            form["level_points"] = level_points_from_fields(request.form)
        attempt(lambda: indicators.save_indicator(actor, parse(IndicatorNew if code is None else IndicatorChange, form),
                                                  code), _("指标已保存"))
        return redirect(url_for("assessment.indicator_list"))
    return render_template("stats/indicators.html", indicators=indicators.indicators(include_inactive=True),
                           year=stats.default_year())
