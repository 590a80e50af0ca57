"""Lending pages: agreements with their progress, borrowing, my loans, requests to decide, notifications."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from library import clock, policy
from library.accounts import schools
from library.accounts.auth import current_actor
from library.errors import PermissionDenied
from library.i18n import LOAN_STATE_LABELS, vocab_name
from library.lending import agreements, coverage, loans, progress, standing
from library.lending.schemas import PERIODS, AgreementInput, BorrowForm, DeclineInput, FeedbackInput, ReturnInput
from library.resources import lookup
from library.studios import service as studios
from library.validation import parse
from library.web.forms import attempt, safe_next, submit, with_ids
from library.web.listing import page_number

bp = Blueprint("lending", __name__)


LABELS = {
    "AGREEMENT_STATE_LABELS": {"draft": _l("待确认"), "pending": _l("已确认，未开始"), "active": _l("执行中"),
                               "ended": _l("已结束")},
    "LOAN_STATE_LABELS": LOAN_STATE_LABELS,
    "PERIOD_LABELS": {"week": _l("每周"), "month": _l("每月"), "term": _l("每学期")},
    "SCOPE_LABELS": {"all": _l("全部可借阅成果"), "list": _l("指定成果"), "filter": _l("按类型/学科")},
}


@bp.app_context_processor
def _lending_labels() -> dict:
    return LABELS


@bp.app_template_global()
def loan_standing_of(resource):
    """The signed-in school's loan of a resource and whether it may ask again (the resource page's
    borrowing box); None for anyone who does not borrow it."""
    return standing.loan_standing(current_actor(), resource)


@bp.app_template_global()
def lending_links() -> dict[str, bool]:
    """Which lending links the header shows to the signed-in user."""
    actor = current_actor()
    if actor is None:
        return {}
    studio_side = policy.is_admin(actor) or bool(policy.reviewed_ids(actor))
    return {"loans": actor.role == "school", "requests": studio_side,
            "agreements": studio_side or actor.role in ("school", "coordinator")}




def _back(fallback: str):
    return redirect(safe_next(request.form.get("next"), fallback))


@bp.get("/agreements")
@login_required
def agreement_list():
    actor = current_actor()
    return render_template("lending/agreements.html", agreements=agreements.list_agreements(actor),
                           can_create=policy.is_admin(actor) or bool(policy.reviewed_ids(actor)),
                           state=agreements.agreement_state)


def _studio_choices(actor):
    return [s for s in studios.all_studios() if policy.can_create_agreement(actor, s)]


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required
def new_agreement():
    actor = current_actor()
    choices = _studio_choices(actor)
    if not choices:
        raise PermissionDenied(_("只有工作室主持人、联系研训员和管理员可以签订帮扶协议"))
    errors, message, form = {}, None, request.form
    if request.method == "POST":
        def create():
            data: MultiDict = request.form
            if data.get("scope") == "list":
                data = with_ids(data, "resource_ids", lookup.ids_for_titles(
                    actor, data.get("resource_titles"), "resource_ids", studio_slug=data.get("studio"),
                    lendable=True))
            return agreements.create_agreement(actor, parse(AgreementInput, data))
        outcome = submit(create)
        if outcome.ok:
            flash(_("帮扶协议已创建，等待学校确认"), "success")
            return redirect(url_for("lending.agreement", agreement_id=outcome.value.id))
        errors, message = outcome.errors, outcome.message
    subjects, _stages = studios.vocabularies()
    return render_template("lending/agreement_new.html", studios=choices, schools=schools.list_schools(),
                           subjects=subjects, errors=errors, message=message, form=form,
                           picked=lookup.picked(actor, form.getlist("resource_ids")),
                           periods=PERIODS), (400 if message else 200)


@bp.get("/agreements/<int:agreement_id>")
@login_required
def agreement(agreement_id: int):
    actor = current_actor()
    row = agreements.get_agreement(actor, agreement_id)
    granted = agreements.agreement_loans(row)
    return render_template(
        "lending/agreement.html", agreement=row, progress=progress.progress(row), loans=granted,
        state=agreements.agreement_state(row), feedback=loans.feedback_for(granted),
        studio_side=policy.is_studio_side(actor, row.studio_id),
        school_side=policy.is_school_of(actor, row.school_id), loan_state=loans.loan_state,
        subject_names={s.code: vocab_name(s) for s in studios.vocabularies()[0]},
        coverage=coverage.coverage(row), coverage_search=coverage.search_filters(row),
    )


@bp.post("/agreements/<int:agreement_id>/<any(confirm, end):action>")
@login_required
def agreement_action(agreement_id: int, action: str):
    actor = current_actor()
    if action == "confirm":
        attempt(lambda: agreements.confirm_agreement(actor, agreement_id), _("已确认"))
    else:
        attempt(lambda: agreements.end_agreement(actor, agreement_id), _("协议已结束"))
    return redirect(url_for("lending.agreement", agreement_id=agreement_id))


@bp.post("/resources/<int:resource_id>/borrow")
@login_required
def borrow(resource_id: int):
    actor = current_actor()
    def borrow_it():
        form = parse(BorrowForm, request.form)
        return loans.request_loan(actor, resource_id, form.purpose, form.class_period)

    outcome = submit(borrow_it)
    if not outcome.ok:
        flash(outcome.message or "", "error")
        return redirect(url_for("resources.resource", resource_id=resource_id) + "#borrow")
    loan = outcome.value
    if loan.status == "active":
        flash(_("已按帮扶协议借阅成功，%(due)s 前可以预览和下载", due=loan.due_on.isoformat()), "success")
    else:
        flash(_("借阅申请已提交，等待工作室主持人审批"), "success")
    return redirect(url_for("resources.resource", resource_id=resource_id))


@bp.get("/loans")
@login_required
def my_loans():
    actor = current_actor()
    listing, active_count = loans.school_loan_page(actor, page_number())
    return render_template("lending/loans.html", loans=listing.items, listing=listing, loan_state=loans.loan_state,
                           active_count=active_count)


@bp.post("/loans/<int:loan_id>/<any(renew, return):action>")
@login_required
def loan_action(loan_id: int, action: str):
    actor = current_actor()
    if action == "renew":
        attempt(lambda: loans.renew_loan(actor, loan_id), _("已续借 30 天"))
    else:
        attempt(lambda: loans.return_loan(actor, loan_id, parse(ReturnInput, request.form).comment), _("已归还"))
    return _back(url_for("lending.my_loans"))


@bp.post("/loans/<int:loan_id>/feedback")
@login_required
def feedback(loan_id: int):
    actor = current_actor()
    attempt(lambda: loans.add_feedback(actor, loan_id, parse(FeedbackInput, request.form)), _("感谢反馈，工作室已收到"))
    return _back(url_for("lending.my_loans"))


@bp.get("/loans/<int:loan_id>/kit")
@login_required
def loan_kit(loan_id: int):
    from library.lending import kit
    from library.lending.api import kit_response

    return kit_response(kit.kit_loans(current_actor(), loan_id))


@bp.get("/loans/kit")
@login_required
def school_kit():
    from library.lending import kit
    from library.lending.api import kit_response

    return kit_response(kit.kit_loans(current_actor()))


@bp.get("/loans/requests")
@login_required
def requests():
    actor = current_actor()
    listing = loans.studio_loan_page(actor, page_number())
    return render_template("lending/requests.html", loans=listing.items, listing=listing, loan_state=loans.loan_state,
                           today=clock.today())


@bp.post("/loans/<int:loan_id>/<any(approve, decline):action>")
@login_required
def decide(loan_id: int, action: str):
    actor = current_actor()
    if action == "approve":
        attempt(lambda: loans.approve_loan(actor, loan_id), _("已批准借阅"))
    else:
        attempt(lambda: loans.decline_loan(actor, loan_id, parse(DeclineInput, request.form).reason), _("已拒绝借阅申请"))
    return _back(url_for("lending.requests"))
