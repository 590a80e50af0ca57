"""Fair counting: a school borrowing and returning one output again and again under an agreement
is one loan per period of the agreement's frequency, in the assessment and on the dashboard alike."""

from __future__ import annotations

from datetime import date, datetime

from library.lending.models import Agreement, Loan
from tests.support.app import bearer, county_today, login
from tests.support.lending import active_agreement, borrow, build_lending


def _cycle(client, lend, resource_id, times):
    for _ in range(times):
        response = borrow(client, lend.school_token, resource_id)
        assert response.status_code == 201 and response.json["status"] == "active", response.json
        returned = client.post(f"/api/v1/loans/{response.json['id']}/return", headers=bearer(lend.school_token))
        assert returned.status_code == 200, returned.json


def _scores(client, lend, year):
    admin = bearer(lend.world.admin_token)
    body = client.get(f"/api/v1/assessment/{year}", headers=admin).json
    wang = next(s for s in body["studios"] if s["studio"] == "wang-math")
    return wang["scores"]["loans_under_agreements"], wang["total"]


def test_repeated_loans_of_one_output_count_once_per_agreement_period(app, client, sample_dir):
    lend = build_lending(app, client, sample_dir)
    active_agreement(client, lend)  # 2 per month
    year = county_today().year
    _cycle(client, lend, lend.lendable, 5)
    loans, total = _scores(client, lend, year)
    assert (loans["count"], loans["score"]) == (1, 0.5), loans
    stats = client.get(f"/api/v1/studios/wang-math/stats?year={year}", headers=bearer(lend.world.admin_token)).json
    assert (stats["loans"], stats["loans_under_agreements"], stats["repeat_loans"]) == (1, 1, 4)
    assert len(stats["loan_ids"]) == 1 and loans["evidence"] == [f"loan:{stats['loan_ids'][0]}"]
    # Another output is new help.
    _cycle(client, lend, lend.lendable_video, 1)
    loans, after = _scores(client, lend, year)
    assert (loans["count"], loans["score"]) == (2, 1.0) and after == total + 0.5
    login(client, "wangli")
    html = client.get(f"/studios/wang-math/dashboard?year={year}").get_data(as_text=True)
    assert '<div class="kpi" data-key="loans_under_agreements"><strong>2</strong>' in html
    assert "另有 4 次重复借阅未计入" in html


def test_the_period_is_the_agreements_frequency(app):
    from library.stats.figures import loan_period, term_of

    with app.app_context():  # the county's clock is the app's

        def loan(period, when, resource_id=7, school_id=3):
            agreement = Agreement(id=1, frequency_period=period)
            return Loan(id=1, agreement=agreement, agreement_id=1, school_id=school_id, resource_id=resource_id,
                        granted_at=when)

        def same(period, first, second):
            return loan_period(loan(period, first)) == loan_period(loan(period, second))

        # Times are UTC; the county's day decides (2024-03-31 17:00 UTC is 1 April in the county).
        assert same("month", datetime(2024, 3, 2, 9), datetime(2024, 3, 30, 9))
        assert not same("month", datetime(2024, 3, 2, 9), datetime(2024, 3, 31, 17))
        assert same("week", datetime(2024, 3, 4, 9), datetime(2024, 3, 10, 9))  # Monday to Sunday
        assert not same("week", datetime(2024, 3, 4, 9), datetime(2024, 3, 11, 9))
        assert same("term", datetime(2024, 9, 2, 9), datetime(2025, 1, 10, 9))  # the autumn term
        assert not same("term", datetime(2024, 7, 1, 9), datetime(2024, 9, 2, 9))
        assert term_of(date(2025, 1, 10)) == (2024, "autumn") and term_of(date(2025, 3, 1)) == (2025, "spring")
        assert loan_period(loan("month", datetime(2024, 3, 2))) != loan_period(loan("month", datetime(2024, 3, 2), 8))
        assert loan_period(loan("month", datetime(2024, 3, 2))) != loan_period(loan("month", datetime(2024, 3, 2), 7, 4))
        plain = Loan(id=5, agreement=None, agreement_id=None, school_id=3, resource_id=7, granted_at=datetime(2024, 3, 2))
        assert loan_period(plain) == ("loan", 5)  # each decided by the studio: each counts
