"""Agreement progress against a known script of events, replayed with injected times."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from library.accounts import service as accounts
from library.db import get_session
from library.lending import agreements, loans, progress
from library.lending.models import Agreement
from tests.support.app import bearer
from tests.support.lending import agreement_body


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 30)


def test_month_by_month_progress_follows_the_script(app, client, lend):
    with app.test_request_context():
        coordinator = accounts.get_user("liuyan")
        host = accounts.get_user("wangli")
        school = accounts.get_user("xiwang")
        other_school = accounts.get_user("xiangyang")
        agreement = agreements.create_agreement(coordinator, agreement_body(
            status="active", scope={"type": "filter", "kinds": ["paper"]}, starts_on="2026-01-01",
            ends_on="2026-06-30", frequency="2/month"), now=datetime(2025, 12, 20, 10))
        # January: two loans of the paper (borrowed, returned, borrowed again).
        first = loans.request_loan(school, lend.lendable, "一月备课", now=at(1, 5))
        assert first.status == "active" and first.agreement_id == agreement.id
        assert first.due_on == date(2026, 2, 4)
        loans.return_loan(school, first.id, now=at(1, 12))
        second = loans.request_loan(school, lend.lendable, "一月公开课", now=at(1, 20))
        # February: feedback only, then the video (outside the scope) is requested.
        loans.add_feedback(school, second.id, {"lessons": 3, "rating": 5, "comment": "学生参与度高"}, now=at(2, 3))
        loans.return_loan(school, second.id, now=at(2, 10))
        video = loans.request_loan(school, lend.lendable_video, "观摩课堂实录", now=at(2, 15))
        assert video.status == "requested" and video.agreement_id is None
        # March: the host approves it (counted under the agreement in force), and the paper again.
        video = loans.approve_loan(host, video.id, now=at(3, 1))
        assert video.agreement_id == agreement.id and video.due_on == date(2026, 3, 31)
        third = loans.request_loan(school, lend.lendable, "三月复习课", now=at(3, 2))
        loans.add_feedback(school, video.id, {"lessons": 2, "rating": 4}, now=at(3, 20))
        loans.add_feedback(school, third.id, {"lessons": "4", "rating": "3"}, now=at(3, 25))
        # Noise that must not count: another school without an agreement, a declined request.
        noise = loans.request_loan(other_school, lend.lendable, "别校", now=at(3, 3))
        loans.approve_loan(host, noise.id, now=at(3, 4))
        refused = loans.request_loan(school, lend.other_studio_lendable, "语文", now=at(3, 5))
        loans.decline_loan(accounts.get_user("liming"), refused.id, "不在帮扶范围", now=at(3, 6))

        figures = progress.progress(get_session().get(Agreement, agreement.id), now=at(4, 15))
    months = [asdict(m) for m in figures["months"]]
    assert months == [
        {"month": "2026-01", "target": 2.0, "loans": 2, "uses": 0, "lessons": 0, "met": True},
        {"month": "2026-02", "target": 2.0, "loans": 0, "uses": 1, "lessons": 3, "met": False},
        {"month": "2026-03", "target": 2.0, "loans": 2, "uses": 2, "lessons": 6, "met": True},
        {"month": "2026-04", "target": 2.0, "loans": 0, "uses": 0, "lessons": 0, "met": False},
    ]
    assert (figures["loans"], figures["uses"], figures["lessons"]) == (4, 3, 9)
    assert (figures["months_met"], figures["months_counted"]) == (2, 4)
    assert figures["average_rating"] == 4.0

    # The API shows the same figures (up to the agreement's end, since today is past it).
    body = client.get(f"/api/v1/agreements/{agreement.id}", headers=bearer(lend.school_token)).json
    assert body["progress"]["months"][:4] == months
    assert [m["month"] for m in body["progress"]["months"]] == [f"2026-0{i}" for i in range(1, 7)]
    assert body["progress"]["loans"] == 4 and body["progress"]["lessons"] == 9
    # The page shows the table.
    from tests.support.app import login

    login(client, "wangli")
    html = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "逐月进展" in html and "2026-03" in html and "学生参与度高" in html


def test_weekly_and_termly_targets(app, lend):
    with app.app_context():
        row = Agreement(frequency_count=1, frequency_period="week")
        assert progress.monthly_target(row, date(2026, 1, 1)) == 4.4
        assert progress.monthly_target(row, date(2026, 2, 1)) == 4.0
        row.frequency_period, row.frequency_count = "term", 5
        assert progress.monthly_target(row, date(2026, 3, 1)) == 1.0
