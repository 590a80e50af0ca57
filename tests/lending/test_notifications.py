"""Notifications: request received, approved, declined, due in 3 days, expired, feedback received."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from library.lending import loans
from tests.support.app import bearer, login
from tests.support.lending import active_agreement, borrow


def inbox(client, token):
    return client.get("/api/v1/notifications", headers=bearer(token)).json


def test_request_decisions_and_feedback_reach_the_right_people(client, lend):
    loan = borrow(client, lend.school_token, lend.lendable).json
    for token in (lend.world.host_token, lend.coordinator_token):
        box = inbox(client, token)
        assert box["unread"] == 1
        assert box["notifications"][0]["kind"] == "loan.requested"
        assert "希望小学 申请借阅《分数的意义教学设计》" == box["notifications"][0]["text"]
    assert inbox(client, lend.world.member_token)["unread"] == 0
    assert inbox(client, lend.school_token)["unread"] == 0
    client.post(f"/api/v1/loans/{loan['id']}/approve", headers=bearer(lend.world.host_token))
    box = inbox(client, lend.school_token)
    assert [n["kind"] for n in box["notifications"]] == ["loan.approved"]
    video = borrow(client, lend.school_token, lend.lendable_video).json
    client.post(f"/api/v1/loans/{video['id']}/decline", json={"reason": "视频正在剪辑"}, headers=bearer(lend.world.host_token))
    box = inbox(client, lend.school_token)
    assert box["notifications"][0]["kind"] == "loan.declined" and "视频正在剪辑" in box["notifications"][0]["text"]
    # Feedback reaches the host.
    response = client.post(f"/api/v1/loans/{loan['id']}/feedback", json={"lessons": 2, "rating": 5, "comment": "好用"},
                           headers=bearer(lend.school_token))
    assert response.status_code == 201 and response.json["lessons"] == 2
    host_box = inbox(client, lend.world.host_token)
    assert host_box["notifications"][0]["kind"] == "loan.feedback"
    assert "2 课时，5 分" in host_box["notifications"][0]["text"]
    # The studio sees the feedback on the loan.
    got = client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.world.host_token)).json
    assert got["feedback"][0]["comment"] == "好用"
    # Marking read: some, then all.
    first = host_box["notifications"][0]["id"]
    assert client.post("/api/v1/notifications/read", json={"ids": [first]},
                       headers=bearer(lend.world.host_token)).json == {"marked": 1}
    assert inbox(client, lend.world.host_token)["unread"] == host_box["unread"] - 1
    assert client.post("/api/v1/notifications/read", json={"ids": "all"},
                       headers=bearer(lend.world.host_token)).status_code == 400
    client.post("/api/v1/notifications/read", json={}, headers=bearer(lend.world.host_token))
    assert inbox(client, lend.world.host_token)["unread"] == 0


def test_granted_under_an_agreement_bothers_nobody(client, lend):
    active_agreement(client, lend)
    borrow(client, lend.school_token, lend.lendable)
    assert inbox(client, lend.world.host_token)["unread"] == 0


def test_due_and_expired_notices_are_sent_once_each(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    due = date.fromisoformat(loan["due_on"])
    with app.app_context():
        assert loans.sweep(now=datetime.combine(due - timedelta(days=4), datetime.min.time())) == \
            {"expired": 0, "due_notices": 0, "agreements_ended": 0}
        assert loans.sweep(now=datetime.combine(due - timedelta(days=3), datetime.min.time()))["due_notices"] == 1
        assert loans.sweep(now=datetime.combine(due - timedelta(days=1), datetime.min.time()))["due_notices"] == 0
        assert loans.sweep(now=datetime.combine(due + timedelta(days=1), datetime.min.time()))["expired"] == 1
        assert loans.sweep(now=datetime.combine(due + timedelta(days=2), datetime.min.time()))["expired"] == 0
    kinds = [n["kind"] for n in inbox(client, lend.school_token)["notifications"]]
    assert kinds == ["loan.expired", "loan.due"]


def test_renewal_earns_a_new_due_notice(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    due = date.fromisoformat(loan["due_on"])
    with app.app_context():
        loans.sweep(now=datetime.combine(due - timedelta(days=2), datetime.min.time()))
    client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(lend.school_token))
    with app.app_context():
        assert loans.sweep(now=datetime.combine(due + timedelta(days=28), datetime.min.time()))["due_notices"] == 1


def test_unread_badge_and_notification_page(client, lend):
    borrow(client, lend.school_token, lend.lendable)
    login(client, "wangli")
    html = client.get("/").get_data(as_text=True)
    assert 'class="badge unread-count"' in html and "借阅审批" in html
    page = client.get("/notifications").get_data(as_text=True)
    assert "希望小学 申请借阅《分数的意义教学设计》" in page
    from tests.support.app import csrf_token

    token = csrf_token(client, "/notifications")
    assert client.post("/notifications", data={"csrf_token": token}).status_code == 302
    assert 'class="badge unread-count"' not in client.get("/").get_data(as_text=True)


def test_a_draft_agreement_asks_the_school_to_confirm(client, lend):
    created = client.post("/api/v1/agreements", json={
        "studio": "wang-math", "school": "希望小学", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "frequency": {"count": 1, "per": "week"}, "outcomes": "每周一次集体备课"}, headers=bearer(lend.world.host_token))
    assert created.status_code == 201
    box = inbox(client, lend.school_token)
    assert box["notifications"][0]["kind"] == "agreement.created"
    assert box["notifications"][0]["link"] == f"/agreements/{created.json['id']}"
    assert inbox(client, lend.other_school_token)["unread"] == 0
