"""Assistance agreements: who draws them up, validation, confirmation by both sides, dates, scope."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from library.db import get_session
from library.errors import InvalidInput
from library.lending import agreements
from library.lending.schemas import AgreementInput
from library.lending.models import Agreement
from library.validation import parse
from tests.support.app import bearer, county_today
from tests.support.lending import agreement_body


def _count(app) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(Agreement.id)))


def test_host_creates_school_confirms_and_it_becomes_active(app, client, lend):
    created = client.post("/api/v1/agreements", json=agreement_body(), headers=bearer(lend.world.host_token))
    assert created.status_code == 201, created.json
    body = created.json
    draft_end = client.post(f"/api/v1/agreements/{body['id']}/end", headers=bearer(lend.world.host_token))
    assert draft_end.status_code == 409 and draft_end.json["error"]["message"] == "协议尚未经双方确认，无需结束"
    assert body["status"] == "draft" and body["studio_confirmed_at"] and body["school_confirmed_at"] is None
    assert body["frequency"] == {"count": 2, "per": "month", "text": "2/month"}
    assert body["scope"]["type"] == "all" and body["subjects"] == ["math"]
    assert "progress" in body
    # The other school cannot confirm (it does not even see it), a teacher neither.
    assert client.post(f"/api/v1/agreements/{body['id']}/confirm",
                       headers=bearer(lend.other_school_token)).status_code == 404
    assert client.post(f"/api/v1/agreements/{body['id']}/confirm",
                       headers=bearer(lend.world.teacher_token)).status_code == 404
    confirmed = client.post(f"/api/v1/agreements/{body['id']}/confirm", headers=bearer(lend.school_token))
    assert confirmed.status_code == 200
    assert confirmed.json["status"] == "active" and confirmed.json["school_confirmed_at"]
    # Both sides and the bureau list it; the other school does not.
    assert [a["id"] for a in client.get("/api/v1/agreements", headers=bearer(lend.school_token)).json["agreements"]] == [body["id"]]
    assert client.get("/api/v1/agreements", headers=bearer(lend.other_school_token)).json["agreements"] == []
    assert client.get(f"/api/v1/agreements/{body['id']}", headers=bearer(lend.coordinator_token)).status_code == 200
    # Ending is for the studio side.
    assert client.post(f"/api/v1/agreements/{body['id']}/end", headers=bearer(lend.school_token)).status_code == 403
    ended = client.post(f"/api/v1/agreements/{body['id']}/end", headers=bearer(lend.world.host_token))
    assert ended.json["status"] == "ended"
    assert client.post(f"/api/v1/agreements/{body['id']}/end", headers=bearer(lend.world.host_token)).status_code == 409


@pytest.mark.parametrize("who,status", [("admin", 201), ("coordinator", 201), ("host", 201), ("member", 403),
                                        ("teacher", 403), ("school", 403)])
def test_who_may_draw_up_an_agreement(client, lend, who, status):
    token = {"admin": lend.world.admin_token, "coordinator": lend.coordinator_token, "host": lend.world.host_token,
             "member": lend.world.member_token, "teacher": lend.world.teacher_token,
             "school": lend.school_token}[who]
    response = client.post("/api/v1/agreements", json=agreement_body(), headers=bearer(token))
    assert response.status_code == status, response.json
    if status == 403:
        assert response.json["error"]["code"] == "forbidden"


def test_a_host_cannot_sign_for_another_studio(client, lend):
    response = client.post("/api/v1/agreements", json=agreement_body(studio="li-chinese"),
                           headers=bearer(lend.world.host_token))
    assert response.status_code == 403


def test_bad_input_lists_every_field_and_stores_nothing(app, client, lend):
    response = client.post("/api/v1/agreements", headers=bearer(lend.world.host_token), json=agreement_body(
        starts_on="2026-13-01", ends_on="2026-01-01", frequency="often", outcomes=""))
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"starts_on", "frequency", "outcomes"}
    # What only the database knows is checked once the input is well formed, every field at once.
    response = client.post("/api/v1/agreements", headers=bearer(lend.world.host_token), json=agreement_body(
        school="没有这所学校", subjects=["math", "alchemy"]))
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"school", "subjects"}
    assert "没有学校" in response.json["error"]["fields"]["school"]
    assert _count(app) == 0
    reversed_dates = client.post("/api/v1/agreements", headers=bearer(lend.world.host_token),
                                 json=agreement_body(starts_on="2026-06-01", ends_on="2026-01-01"))
    assert reversed_dates.json["error"]["fields"]["ends_on"] == "结束日期不能早于开始日期"
    bad_list = client.post("/api/v1/agreements", headers=bearer(lend.world.host_token),
                           json=agreement_body(scope="list", resource_ids=[lend.internal, lend.other_studio_lendable]))
    assert bad_list.status_code == 400 and "resource_ids" in bad_list.json["error"]["fields"]
    assert _count(app) == 0


@pytest.mark.parametrize("given,expected", [
    ("2/month", (2, "month")), ("3 / week", (3, "week")), ("1/term", (1, "term")), ("2/月", (2, "month")),
    ({"count": 4, "per": "week"}, (4, "week")), ({"count": "2", "per": "month"}, (2, "month")),
    ("2 times per month", (2, "month")), ("2次/月", (2, "month")), ("每月2次", (2, "month")),
    ("每学期 3 次", (3, "term")), (2, (2, "month")),
])
def test_frequency_formats(app, given, expected):
    with app.test_request_context():
        frequency = parse(AgreementInput, agreement_body(frequency=given)).frequency
    assert (frequency.count, frequency.per) == expected


@pytest.mark.parametrize("given", ["twice", "0/month", "2/day", {"count": 2, "per": "year"}, {"per": "month"}, 500,
                                   True, None, [2, "month"]])
def test_bad_frequencies(app, given):
    with app.test_request_context(), pytest.raises(InvalidInput) as caught:
        parse(AgreementInput, agreement_body(frequency=given))
    assert set(caught.value.fields) == {"frequency"}


def test_scope_as_a_bare_list_of_ids(client, lend):
    body = client.post("/api/v1/agreements", json=agreement_body(scope=[lend.lendable]),
                       headers=bearer(lend.world.host_token)).json
    assert body["scope"] == {"type": "list", "resource_ids": [lend.lendable], "kinds": [], "subjects": []}


def test_status_active_records_a_signed_agreement_for_the_bureau_only(client, lend):
    by_coordinator = client.post("/api/v1/agreements", json=agreement_body(status="active"),
                                 headers=bearer(lend.coordinator_token))
    assert by_coordinator.status_code == 201 and by_coordinator.json["status"] == "active"
    by_host = client.post("/api/v1/agreements", json=agreement_body(status="active"),
                          headers=bearer(lend.world.host_token))
    assert by_host.status_code == 400 and "status" in by_host.json["error"]["fields"]


@pytest.mark.parametrize("who", ["admin", "coordinator"])
def test_the_bureau_records_agreements_in_force_and_loans_are_granted_at_once(client, lend, who):
    token = lend.world.admin_token if who == "admin" else lend.coordinator_token
    today = county_today()
    body = agreement_body(starts_on=today.replace(month=1, day=1).isoformat(),
                          ends_on=today.replace(month=12, day=31).isoformat())
    created = client.post("/api/v1/agreements", json=body, headers=bearer(token))
    assert created.status_code == 201, created.json
    assert created.json["status"] == "active"
    assert created.json["studio_confirmed_at"] and created.json["school_confirmed_at"]
    loan = client.post("/api/v1/loans", json={"resource_id": lend.lendable, "purpose": "四年级数学备课"},
                       headers=bearer(lend.school_token))
    assert loan.status_code == 201 and loan.json["status"] == "active"
    assert loan.json["agreement_id"] == created.json["id"]


def test_a_bureau_draft_waits_for_both_sides(client, lend):
    created = client.post("/api/v1/agreements", json=agreement_body(status="draft"),
                          headers=bearer(lend.coordinator_token))
    assert created.status_code == 201 and created.json["status"] == "draft"
    assert created.json["studio_confirmed_at"] is None and created.json["school_confirmed_at"] is None
    for token in (lend.world.host_token, lend.school_token):  # both sides were told, in the app
        kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=bearer(token)).json["notifications"]]
        assert "agreement.created" in kinds
    url = f"/api/v1/agreements/{created.json['id']}/confirm"
    assert client.post(url, headers=bearer(lend.school_token)).json["status"] == "draft"
    assert client.post(url, headers=bearer(lend.world.host_token)).json["status"] == "active"


def test_in_force_only_within_its_dates_and_scope_decides_coverage(app, client, lend):
    body = client.post("/api/v1/agreements", headers=bearer(lend.world.admin_token), json=agreement_body(
        status="active", scope={"type": "filter", "kinds": ["lesson_video"]},
        starts_on="2026-02-01", ends_on="2026-02-28")).json
    with app.app_context():
        row = get_session().get(Agreement, body["id"])
        assert not agreements.in_force(row, date(2026, 1, 31))
        assert agreements.in_force(row, date(2026, 2, 1)) and agreements.in_force(row, date(2026, 2, 28))
        assert not agreements.in_force(row, date(2026, 3, 1))
        assert agreements.agreement_state(row, date(2026, 1, 15)) == "pending"
        assert agreements.agreement_state(row, date(2026, 3, 1)) == "ended"
        from library.resources.models import Resource

        video, paper = get_session().get(Resource, lend.lendable_video), get_session().get(Resource, lend.lendable)
        assert agreements.covers(row, video) and not agreements.covers(row, paper)
        other = get_session().get(Resource, lend.other_studio_lendable)
        assert not agreements.covers(row, other)
        row.scope, row.scope_resource_ids = "list", [lend.lendable]
        assert agreements.covers(row, paper) and not agreements.covers(row, video)
        row.scope = "all"
        assert agreements.covers(row, paper) and agreements.covers(row, video)
        internal = get_session().get(Resource, lend.internal)
        assert not agreements.covers(row, internal)  # "all" means all *lendable* outputs
        get_session().rollback()
