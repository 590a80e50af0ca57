"""Agreements, loans, feedback and borrow kits in the JSON API."""

from __future__ import annotations

from flask import Response, jsonify, render_template, url_for

from library.lending import agreements, kit, loans
from library.lending.schemas import (
    AgreementDetail,
    AgreementInput,
    AgreementList,
    DeclineInput,
    FeedbackInput,
    FeedbackOut,
    LoanDetail,
    LoanList,
    LoanListQuery,
    LoanOut,
    LoanRequest,
    ReturnInput,
)
from library.lending.serialise import agreement_json, feedback_json, loan_json
from library.web.api import api, signed_in
from library.web.openapi import operation

TAGS = ("lending",)


# The API's loan list comes this many at a time.
API_LOANS_PAGE = 100


@api.post("/agreements")
@operation("签订帮扶协议 (draw up an assistance agreement)", body=AgreementInput, response=AgreementDetail,
           status=201, errors=(403,), tags=TAGS,
           description="工作室主持人创建后待学校确认；研训员、管理员登记的协议默认直接生效（status=draft 则请双方确认）。")
def create_agreement(body: AgreementInput):
    agreement = agreements.create_agreement(signed_in(), body)
    return jsonify(agreement_json(agreement, with_progress=True)), 201


@api.get("/agreements")
@operation("帮扶协议列表 (the agreements one is party to)", response=AgreementList, tags=TAGS)
def list_agreements():
    return jsonify(agreements=[agreement_json(a) for a in agreements.list_agreements(signed_in())])


@api.get("/agreements/<int:agreement_id>")
@operation("帮扶协议及其进度 (an agreement with its progress)", response=AgreementDetail, errors=(404,), tags=TAGS)
def get_agreement(agreement_id: int):
    return jsonify(agreement_json(agreements.get_agreement(signed_in(), agreement_id), with_progress=True))


@api.post("/agreements/<int:agreement_id>/confirm")
@operation("确认帮扶协议 (confirm for one's side)", response=AgreementDetail, errors=(404, 409), tags=TAGS)
def confirm_agreement(agreement_id: int):
    return jsonify(agreement_json(agreements.confirm_agreement(signed_in(), agreement_id), with_progress=True))


@api.post("/agreements/<int:agreement_id>/end")
@operation("结束帮扶协议 (end an agreement early)", response=AgreementDetail, errors=(404, 409), tags=TAGS)
def end_agreement(agreement_id: int):
    return jsonify(agreement_json(agreements.end_agreement(signed_in(), agreement_id), with_progress=True))


@api.post("/loans")
@operation("申请借阅 (a school asks to borrow)", body=LoanRequest, response=LoanOut, status=201,
           errors=(404, 409), tags=TAGS,
           description="在有效帮扶协议范围内立即借出（status=active），否则待工作室审批（requested）。")
def request_loan(body: LoanRequest):
    loan = loans.request_loan(signed_in(), body.resource_id, body.purpose, body.class_period)
    response = jsonify(loan_json(loan))
    response.headers["Location"] = url_for("api.get_loan", loan_id=loan.id, _external=True)
    return response, 201


@api.get("/loans")
@operation("借阅列表 (a school's loans, or the studio side's)", query=LoanListQuery, response=LoanList, tags=TAGS,
           description=f"每页 {API_LOANS_PAGE} 条（page 翻页，total 为总数）；工作室一方待审批的在前，其余新的在前。")
def list_loans(query: LoanListQuery):
    actor = signed_in()
    if actor.role == "school":
        listing, _active = loans.school_loan_page(actor, query.page, API_LOANS_PAGE)
    else:
        listing = loans.studio_loan_page(actor, query.page, API_LOANS_PAGE)
    return jsonify(loans=[loan_json(loan) for loan in listing.items], page=listing.page, per_page=listing.per_page,
                   total=listing.total)


@api.get("/loans/<int:loan_id>")
@operation("借阅详情 (a loan with its feedback)", response=LoanDetail, errors=(404,), tags=TAGS)
def get_loan(loan_id: int):
    loan = loans.get_loan(signed_in(), loan_id)
    return jsonify(loan_json(loan, with_feedback=True))


@api.post("/loans/<int:loan_id>/approve")
@operation("批准借阅 (approve a request)", response=LoanOut, errors=(404, 409), tags=TAGS)
def approve_loan(loan_id: int):
    return jsonify(loan_json(loans.approve_loan(signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/decline")
@operation("不同意借阅 (decline a request, saying why)", body=DeclineInput, response=LoanOut, errors=(404, 409),
           tags=TAGS)
def decline_loan(loan_id: int, body: DeclineInput):
    return jsonify(loan_json(loans.decline_loan(signed_in(), loan_id, body.reason)))


@api.post("/loans/<int:loan_id>/renew")
@operation("续借 30 天 (renew once)", response=LoanOut, errors=(404, 409), tags=TAGS)
def renew_loan(loan_id: int):
    return jsonify(loan_json(loans.renew_loan(signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/return")
@operation("提前归还 (return early; its links stop at once)", body=ReturnInput, response=LoanOut,
           errors=(404, 409), tags=TAGS)
def return_loan(loan_id: int, body: ReturnInput):
    return jsonify(loan_json(loans.return_loan(signed_in(), loan_id, body.comment)))


@api.post("/loans/<int:loan_id>/feedback")
@operation("使用反馈 (how a borrowed output was used)", body=FeedbackInput, response=FeedbackOut, status=201,
           errors=(404, 409), tags=TAGS)
def add_feedback(loan_id: int, body: FeedbackInput):
    return jsonify(feedback_json(loans.add_feedback(signed_in(), loan_id, body))), 201


def kit_response(loans) -> Response:
    """Stream a borrow kit (the pages' buttons use it too)."""
    def render_index(items: list[dict], stamp: dict) -> str:
        return render_template("lending/kit_index.html", items=items, stamp=stamp)

    response = Response(kit.archive(loans, render_index), content_type="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{kit.filename(loans)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@api.get("/loans/<int:loan_id>/kit")
@operation("一条借阅的借阅包 (the borrow kit of one loan, a ZIP)", media_type="application/zip",
           errors=(404, 409), tags=TAGS)
def loan_kit(loan_id: int):
    return kit_response(kit.kit_loans(signed_in(), loan_id))


@api.get("/loans/kit")
@operation("全部借阅中成果的借阅包 (every active loan of the school, a ZIP)", media_type="application/zip",
           errors=(409,), tags=TAGS)
def school_kit():
    return kit_response(kit.kit_loans(signed_in()))
