"""Commands: schools and school accounts as the issue names them, and the loan sweep."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from library.accounts.models import School, User
from library.db import get_session
from library.lending.models import Loan
from tests.support.app import bearer, county_today
from tests.support.lending import active_agreement, borrow


def test_schools_and_school_accounts_from_the_command_line(app, runner):
    result = runner.invoke(args=["schools", "create", "红旗小学", "--weak", "--subjects", "math,chinese"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "hongqi", "--role", "school", "--school", "红旗小学"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        school = get_session().scalar(select(School).where(School.name == "红旗小学"))
        assert school.is_weak and school.weak_subjects == ["math", "chinese"]
        assert get_session().scalar(select(User).where(User.username == "hongqi")).school_id == school.id
    refused = runner.invoke(args=["users", "create", "nobody", "--role", "school"])
    assert refused.exit_code != 0 and "学校账号必须指定所属学校" in refused.output


def test_loans_sweep_command_and_the_worker_sweep(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    runner = app.test_cli_runner()
    result = runner.invoke(args=["loans", "sweep"])
    assert result.exit_code == 0 and "expired 0 loans" in result.output
    with app.app_context():
        row = get_session().get(Loan, loan["id"])
        row.due_on = county_today() - timedelta(days=1)  # the loan's time ran out
        get_session().commit()
    # Access has already ended by date; the worker's sweep then records it.
    assert client.get(loan["files"][0]["download_url"]).status_code == 403
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).json["status"] == "expired"
    with app.app_context():
        assert get_session().get(Loan, loan["id"]).ended_at is not None
