"""Issue 14 in lending: every bad input is a 400 naming its field (never a 500, never stored as
junk), the spellings people use still work, and loan links end with the loan and its agreement."""

from __future__ import annotations

import pytest

from library.db import get_session
from library.lending.models import Agreement, Loan, LoanFeedback
from tests.support.app import bearer, csrf_token, login, make_app
from tests.support.lending import active_agreement, agreement_body, borrow, build_lending, download

CONTROL = "\x01"


def refused(response, *fields: str) -> dict:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.json["error"]
    assert error["code"] == "invalid_input"
    assert set(fields) <= set(error["fields"]), error
    return error


def _count(app, model) -> int:
    with app.app_context():
        return get_session().query(model).count()


def _granted(client, lend) -> dict:
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    assert loan["status"] == "active"
    return loan


# ---- numbers are ASCII digits, text is text without control characters --------------------------


def test_a_loan_request_is_refused_field_by_field(app, client, lend):
    """"٢" passed str.isdecimal() and int() read it as 2; NUL was stored (and 500s on PostgreSQL);
    a list was stored as its Python spelling "['备课']"."""
    for body, field in (({"resource_id": "٢"}, "resource_id"),  # Arabic-Indic two: the lendable video
                        ({"resource_id": "２"}, "resource_id"),  # full-width two
                        ({"resource_id": True}, "resource_id"),
                        ({"purpose": "七年级\x00备课"}, "purpose"), ({"purpose": f"七年级{CONTROL}备课"}, "purpose"),
                        ({"purpose": "备课\x7f"}, "purpose"),
                        ({"purpose": ["备课"]}, "purpose"), ({"purpose": {"text": "备课"}}, "purpose"),
                        ({"class_period": ["三(1)班"]}, "class_period"), ({"class_period": "三\x00班"}, "class_period")):
        error = refused(client.post("/api/v1/loans", json={"resource_id": lend.lendable, "purpose": "备课", **body},
                                    headers=bearer(lend.school_token)), field)
        assert set(error["fields"]) == {field}, (body, error)
    error = refused(borrow(client, lend.school_token, lend.lendable, purpose=f"七年级{CONTROL}备课"), "purpose")
    assert "控制字符" in error["fields"]["purpose"] and "借阅用途" in error["message"]
    # NUL is refused before any view runs (library/web/guard.py), naming the field too.
    error = refused(borrow(client, lend.school_token, lend.lendable, purpose="七年级\x00备课"), "purpose")
    assert "控制字符" in error["fields"]["purpose"]
    assert _count(app, Loan) == 0


def test_an_agreement_is_refused_field_by_field(app, client, lend):
    cases = [
        ({"frequency": "٢/month"}, "frequency"), ({"frequency": "２/week"}, "frequency"),
        ({"frequency": "每月٢次"}, "frequency"), ({"frequency": {"count": "٢", "per": "month"}}, "frequency"),
        ({"frequency": {"count": 2.5, "per": "month"}}, "frequency"),
        ({"starts_on": 20260101}, "starts_on"), ({"starts_on": "20260101"}, "starts_on"),
        ({"school": "希望\x00小学"}, "school"), ({"school": f"希望{CONTROL}小学"}, "school"),
        ({"outcomes": "每月两次\x00"}, "outcomes"), ({"outcomes": ["提高均分"]}, "outcomes"),
        ({"studio": "wang\x00math"}, "studio"), ({"studio": ""}, "studio"), ({"school": " "}, "school"),
        ({"scope": {"type": "list", "resource_ids": {"x": 1}}}, "resource_ids"),
        ({"scope": "filter", "kinds": 5}, "kinds"),
    ]
    for overrides, field in cases:
        error = refused(client.post("/api/v1/agreements", json=agreement_body(**overrides),
                                    headers=bearer(lend.coordinator_token)), field)
        assert set(error["fields"]) == {field}, (overrides, error)
        if isinstance(overrides.get(field), str) and ("\x00" in overrides[field] or CONTROL in overrides[field]):
            assert "控制字符" in error["fields"][field]
    assert _count(app, Agreement) == 0


def test_a_decline_needs_a_reason_written_as_text(app, client, lend):
    loan = borrow(client, lend.school_token, lend.lendable).json
    for reason in (["不在范围"], {"text": "不在范围"}, "不在\x00范围", f"不在{CONTROL}范围", None, "", "  "):
        refused(client.post(f"/api/v1/loans/{loan['id']}/decline", json={"reason": reason},
                            headers=bearer(lend.world.host_token)), "reason")
    with app.app_context():
        assert get_session().get(Loan, loan["id"]).status == "requested"
    declined = client.post(f"/api/v1/loans/{loan['id']}/decline", json={"reason": " 本学期名额已满\r\n下学期再申请 "},
                           headers=bearer(lend.world.host_token))
    assert declined.status_code == 200 and declined.json["decline_reason"] == "本学期名额已满\n下学期再申请"


def test_feedback_and_return_are_refused_field_by_field(app, client, lend):
    loan = _granted(client, lend)
    url = f"/api/v1/loans/{loan['id']}"
    for body, field in (({"lessons": "٣"}, "lessons"), ({"rating": "５"}, "rating"), ({"lessons": True}, "lessons"),
                        ({"comment": "很实用\x00"}, "comment"), ({"comment": f"很{CONTROL}实用"}, "comment"),
                        ({"comment": ["很实用"]}, "comment"), ({"comment": {"a": 1}}, "comment")):
        error = refused(client.post(f"{url}/feedback", json={"lessons": 2, "rating": 5, **body},
                                    headers=bearer(lend.school_token)), field)
        assert set(error["fields"]) == {field}, (body, error)
    for comment in ("提前\x00归还", ["提前归还"]):
        refused(client.post(f"{url}/return", json={"comment": comment}, headers=bearer(lend.school_token)), "comment")
    assert _count(app, LoanFeedback) == 0
    assert client.get(url, headers=bearer(lend.school_token)).json["status"] == "active"
    made = client.post(f"{url}/feedback", json={"lessons": 2, "rating": 5, "comment": None},
                       headers=bearer(lend.school_token))
    assert made.status_code == 201 and made.json["comment"] == ""  # null is no comment, not "None"
    returned = client.post(f"{url}/return", json={"comment": "提前完成备课"}, headers=bearer(lend.school_token))
    assert returned.status_code == 200 and returned.json["status"] == "returned"
    with app.app_context():
        from library.audit.models import AuditEntry

        entry = get_session().query(AuditEntry).filter_by(action="loan.return").one()
        assert "提前完成备课" in str(entry.detail)


def test_control_characters_in_the_pages_forms_are_refused(app, client, lend):
    login(client, "xiwang")
    token = csrf_token(client, f"/resources/{lend.lendable}")
    page = client.post(f"/resources/{lend.lendable}/borrow", follow_redirects=True,
                       data={"csrf_token": token, "purpose": f"集体{CONTROL}备课"})
    assert "借阅用途：不能包含控制字符" in page.get_data(as_text=True)
    assert _count(app, Loan) == 0
    host = app.test_client()
    login(host, "wangli")
    token = csrf_token(host, "/agreements/new")
    form = host.post("/agreements/new", data={"csrf_token": token, "studio": "wang-math", "school": "希望小学",
                                              "starts_on": "2026-03-01", "ends_on": "2026-06-01",
                                              "frequency_count": "٢", "frequency_period": "month",
                                              "outcomes": f"提高{CONTROL}均分"})
    assert form.status_code == 400
    html = form.get_data(as_text=True)
    assert 'data-error-for="outcomes">不能包含控制字符' in html and "频次应为" in html
    assert _count(app, Agreement) == 0


# ---- the spellings people use still work ------------------------------------------------------


@pytest.mark.parametrize("given,expected", [
    ({"count": 2, "per": "month"}, (2, "month")), ({"count": "3"}, (3, "month")), ("2/month", (2, "month")),
    ("2 times per week", (2, "week")), ("2次/月", (2, "month")), ("每月2次", (2, "month")),
    ("每学期 3 次", (3, "term")), (2, (2, "month")), ("2", (2, "month")), (" 1 / Term ", (1, "term")),
])
def test_frequency_spellings(app, given, expected):
    from library.lending.schemas import AgreementInput
    from library.validation import parse

    with app.test_request_context():
        frequency = parse(AgreementInput, agreement_body(frequency=given)).frequency
    assert (frequency.count, frequency.per) == expected


def test_frequency_spellings_through_the_api(client, lend):
    for given, text in (("每月2次", "2/month"), ("2", "2/month"), ({"count": 1, "per": "week"}, "1/week")):
        made = client.post("/api/v1/agreements", json=agreement_body(frequency=given),
                           headers=bearer(lend.world.host_token))
        assert made.status_code == 201, made.json
        assert made.json["frequency"]["text"] == text


def test_scope_shapes(client, lend):
    def scope(**overrides):
        made = client.post("/api/v1/agreements", json=agreement_body(**overrides), headers=bearer(lend.world.host_token))
        assert made.status_code == 201, made.json
        return made.json["scope"]

    empty: dict = {"resource_ids": [], "kinds": [], "subjects": []}
    assert scope(scope="all") == {"type": "all", **empty}
    assert scope(scope=None) == {"type": "all", **empty}
    assert scope(scope=[lend.lendable]) == {**empty, "type": "list", "resource_ids": [lend.lendable]}
    assert scope(scope="list", resource_ids=f"{lend.lendable}，{lend.lendable_video}") == {
        **empty, "type": "list", "resource_ids": [lend.lendable, lend.lendable_video]}
    assert scope(scope={"resource_ids": [lend.lendable_video]}) == {
        **empty, "type": "list", "resource_ids": [lend.lendable_video]}
    assert scope(scope="filter", kinds="paper、lesson_video", scope_subjects=["math"]) == {
        **empty, "type": "filter", "kinds": ["paper", "lesson_video"], "subjects": ["math"]}
    # Nested, "subjects" is the scope's; flat, it stays the agreement's.
    nested = client.post("/api/v1/agreements", headers=bearer(lend.world.host_token), json=agreement_body(
        subjects=["math"], scope={"type": "filter", "subjects": ["chinese"]})).json
    assert nested["subjects"] == ["math"] and nested["scope"] == {**empty, "type": "filter", "subjects": ["chinese"]}
    # Only what the database knows is left to the service: the studio's own lendable outputs.
    refused(client.post("/api/v1/agreements", json=agreement_body(scope=[lend.internal]),
                        headers=bearer(lend.world.host_token)), "resource_ids")


def test_the_agreement_form_reads_the_list_scope_from_its_text_box(app, client, lend):
    login(client, "wangli")
    token = csrf_token(client, "/agreements/new")
    made = client.post("/agreements/new", data={
        "csrf_token": token, "studio": "wang-math", "school": "希望小学", "subjects": ["math"], "scope": "list",
        "resource_ids": f"{lend.lendable}, {lend.lendable_video}", "starts_on": "2026-03-01", "ends_on": "2026-06-01",
        "frequency_count": "2", "frequency_period": "week", "outcomes": "提高均分"})
    assert made.status_code == 302
    with app.app_context():
        row = get_session().query(Agreement).one()
        assert row.scope_resource_ids == [lend.lendable, lend.lendable_video]
        assert (row.frequency_count, row.frequency_period) == (2, "week")


# ---- loan links ---------------------------------------------------------------------------------


def test_a_link_works_without_an_account_and_leaves_no_trace(app, lend):
    """Teachers of the school get the link from the school; they need no account. The answer is
    neither cached nor referred on."""
    school = app.test_client()
    loan = _granted(school, lend)
    link = loan["files"][0]["download_url"]
    teacher = app.test_client()  # no session, no token
    got = teacher.get(link)
    assert got.status_code == 200 and got.data
    got.close()
    assert got.headers["Cache-Control"] == "no-store" and got.headers["Referrer-Policy"] == "no-referrer"
    school.post(f"/api/v1/loans/{loan['id']}/return", headers=bearer(lend.school_token))
    gone = teacher.get(link)
    assert gone.status_code == 403
    assert gone.headers["Cache-Control"] == "no-store" and gone.headers["Referrer-Policy"] == "no-referrer"
    assert teacher.get(link.replace("/files/loan/", "/files/loan/x")).headers["Referrer-Policy"] == "no-referrer"


def test_a_link_ends_with_the_agreement_its_loan_was_granted_under(app, client, lend):
    agreement = active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    assert loan["agreement_id"] == agreement["id"]
    link = loan["files"][0]["download_url"]
    assert download(app.test_client(), link) == 200
    ended = client.post(f"/api/v1/agreements/{agreement['id']}/end", headers=bearer(lend.world.host_token))
    assert ended.status_code == 200
    assert app.test_client().get(link).status_code == 403
    # The school is not handed links that no longer work.
    again = client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).json
    assert "files" not in again and "kit_url" not in again


def test_a_link_ends_when_its_agreement_is_past_its_end_date(app, client, lend):
    agreement = active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    link = loan["files"][0]["download_url"]
    with app.app_context():
        row = get_session().get(Agreement, agreement["id"])
        row.ends_on = row.starts_on  # its last day is long past, the sweep not run yet
        get_session().commit()
    assert app.test_client().get(link).status_code == 403


def test_a_declined_request_has_no_working_link(app, client, lend):
    from library.lending import links
    from library.resources.models import ResourceFile

    loan = borrow(client, lend.school_token, lend.lendable).json
    assert loan["status"] == "requested" and "files" not in loan
    client.post(f"/api/v1/loans/{loan['id']}/decline", json={"reason": "名额已满"}, headers=bearer(lend.world.host_token))
    with app.test_request_context():
        row = get_session().get(Loan, loan["id"])
        file_row = get_session().query(ResourceFile).filter_by(resource_id=lend.lendable).first()
        forged = f"/files/loan/{links.token_for(row, file_row)}"  # as if it had leaked
    answer = app.test_client().get(forged)
    assert answer.status_code == 403 and answer.headers["Cache-Control"] == "no-store"


# ---- PostgreSQL refuses NUL: it must never reach it ---------------------------------------------


@pytest.mark.postgres
def test_nul_is_a_400_on_postgresql(tmp_path, pg_url, sample_dir):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    client = app.test_client()
    lend = build_lending(app, client, sample_dir)
    try:
        refused(borrow(client, lend.school_token, lend.lendable, purpose="七年级\x00备课"), "purpose")
        refused(client.post("/api/v1/agreements", json=agreement_body(school="希望\x00小学"),
                            headers=bearer(lend.coordinator_token)), "school")
        refused(client.post("/api/v1/agreements", json=agreement_body(outcomes="提高\x00均分"),
                            headers=bearer(lend.coordinator_token)), "outcomes")
        requested = borrow(client, lend.school_token, lend.lendable_video).json
        refused(client.post(f"/api/v1/loans/{requested['id']}/decline", json={"reason": "满\x00了"},
                            headers=bearer(lend.world.host_token)), "reason")
        loan = _granted(client, lend)
        refused(client.post(f"/api/v1/loans/{loan['id']}/feedback", json={"lessons": 1, "rating": 5,
                                                                          "comment": "好\x00用"},
                            headers=bearer(lend.school_token)), "comment")
        assert client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).status_code == 200
    finally:
        app.extensions["db_engine"].dispose()
