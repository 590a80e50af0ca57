"""Review fixes for lending: the kit follows the same rules as the links, bad ids never answer 500."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

import pytest

from library.accounts import service as accounts
from library.errors import Conflict
from library.lending import agreements, loans, progress
from tests.support.app import bearer
from tests.support.lending import active_agreement, agreement_body, borrow, download

TOO_BIG = 10**25


def test_a_withdrawn_output_leaves_the_borrow_kit_like_its_links(client, lend):
    active_agreement(client, lend)
    paper = borrow(client, lend.school_token, lend.lendable).json
    video = borrow(client, lend.school_token, lend.lendable_video).json
    link = video["files"][0]["download_url"]
    withdrawn = client.post(f"/api/v1/resources/{lend.lendable_video}/withdraw", headers=bearer(lend.world.host_token))
    assert withdrawn.status_code == 200, withdrawn.json
    assert client.get(link).status_code == 403  # the link already refuses
    assert client.get(f"/api/v1/loans/{video['id']}/kit", headers=bearer(lend.school_token)).status_code == 409
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/loans/kit", headers=bearer(lend.school_token)).get_data()))
    assert [item["loan_id"] for item in json.loads(archive.read("stamp.json"))["loans"]] == [paper["id"]]
    assert not any(n.endswith(".mp4") for n in archive.namelist())
    body = client.get(f"/api/v1/loans/{video['id']}", headers=bearer(lend.school_token)).json
    assert "files" not in body and "kit_url" not in body  # no links that only answer 403


@pytest.mark.parametrize("number", [2**31, TOO_BIG])
def test_ids_past_the_integer_range_are_not_found_not_500(client, lend, number):
    school, host = bearer(lend.school_token), bearer(lend.world.host_token)
    for path in (f"/api/v1/loans/{number}", f"/api/v1/agreements/{number}", f"/api/v1/resources/{number}"):
        assert client.get(path, headers=school).status_code == 404, path
    assert client.post(f"/api/v1/loans/{number}/approve", headers=host).status_code == 404
    assert client.get(f"/loans/{number}/kit", headers=school).status_code == 404
    assert borrow(client, lend.school_token, number).status_code in (400, 404)
    response = client.post("/api/v1/agreements", json=agreement_body(school=number), headers=host)
    assert response.status_code == 400 and "school" in response.json["error"]["fields"]
    response = client.post("/api/v1/agreements", json=agreement_body(school=str(number)), headers=host)
    assert response.status_code == 400 and "school" in response.json["error"]["fields"]
    response = client.post("/api/v1/agreements", json=agreement_body(scope={"type": "list", "resource_ids": [number]}),
                           headers=host)
    assert response.status_code == 400 and "resource_ids" in response.json["error"]["fields"]
    response = client.post("/api/v1/notifications/read", json={"ids": [number]}, headers=school)
    assert response.status_code == 400 and "ids" in response.json["error"]["fields"]


def test_progress_months_are_the_countys(app, lend):
    """A loan at 07:00 on 1 April in the county (23:00 UTC on 31 March) is April's."""
    from datetime import datetime

    from library.accounts import service as accounts
    from library.db import get_session
    from library.lending.models import Agreement

    with app.test_request_context():
        agreement = agreements.create_agreement(accounts.get_user("liuyan"), agreement_body(
            status="active", starts_on="2026-03-01", ends_on="2026-04-30"), now=datetime(2026, 2, 20, 10))
        loans.request_loan(accounts.get_user("xiwang"), lend.lendable, "四月备课", now=datetime(2026, 3, 31, 23))
        figures = progress.progress(get_session().get(Agreement, agreement.id), now=datetime(2026, 4, 20, 10))
    assert [(m.month, m.loans) for m in figures["months"]] == [("2026-03", 0), ("2026-04", 1)]


def test_loan_lists_do_not_query_per_loan(app, client, lend):
    """The requests page and GET /api/v1/loans load resources and requesters in bulk."""
    from sqlalchemy import event

    from library.db import get_engine

    def count(path, token):
        statements: list[str] = []
        with app.app_context():
            engine = get_engine()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(path, headers=bearer(token)).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    borrow(client, lend.school_token, lend.lendable)
    one = count("/api/v1/loans", lend.world.host_token), count("/api/v1/loans", lend.school_token)
    borrow(client, lend.school_token, lend.lendable_video)
    borrow(client, lend.other_school_token, lend.lendable)
    borrow(client, lend.other_school_token, lend.lendable_video)
    assert (count("/api/v1/loans", lend.world.host_token), count("/api/v1/loans", lend.school_token)) == one


def test_kit_names_stay_unique_however_the_files_are_named(client, lend, sample_dir, tmp_path):
    """Names differing only in case, or one already looking like a renamed duplicate, unpack as separate files
    (Windows and macOS fold case) and each checksum line names one member."""
    from tests.support.app import upload
    from tests.support.lending import check_kit

    paths = []
    for n, name in enumerate(("Plan.pdf", "plan.pdf", "2-plan.pdf", "plan.pdf")):
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / name).write_bytes((sample_dir / "光合作用.pdf").read_bytes())
        paths.append(folder / name)
    body = upload(client, lend.world.host_token, paths, title="同名文件", kind="paper", visibility="lendable")
    assert body.status_code == 201, body.json
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, body.json["id"]).json
    archive = check_kit(client.get(f"/api/v1/loans/{loan['id']}/kit", headers=bearer(lend.school_token)).get_data())
    originals = [n for n in archive.namelist() if n.startswith("files/")]
    assert len(originals) == 4 and len({n.lower() for n in originals}) == 4


def test_an_output_taken_back_into_the_studio_closes_its_loans(client, lend):
    active_agreement(client, lend)
    video = borrow(client, lend.school_token, lend.lendable_video).json
    link = video["files"][0]["download_url"]
    assert download(client, link) in (200, 302)
    changed = client.patch(f"/api/v1/resources/{lend.lendable_video}", json={"visibility": "studio"},
                           headers=bearer(lend.world.host_token))
    assert changed.status_code == 200, changed.json
    assert download(client, link) == 403
    assert client.get(f"/api/v1/loans/{video['id']}/kit", headers=bearer(lend.school_token)).status_code == 409
    body = client.get(f"/api/v1/loans/{video['id']}", headers=bearer(lend.school_token)).json
    assert "files" not in body and "kit_url" not in body
    # Made public instead, the output stays open to the school (and to everyone).
    client.patch(f"/api/v1/resources/{lend.lendable_video}", json={"visibility": "public"},
                 headers=bearer(lend.world.host_token))
    assert download(client, link) in (200, 302)


def test_loans_fall_due_by_the_countys_calendar_not_utcs(app, client, lend):
    loan_id = borrow(client, lend.school_token, lend.lendable).json["id"]  # no agreement: requested
    evening_utc = datetime(2026, 3, 2, 17, 0)  # already 3 March, 01:00, in the county
    with app.app_context():
        host = accounts.get_user("wangli")
        loan = loans.approve_loan(host, loan_id, now=evening_utc)
        assert loan.due_on == date(2026, 4, 2)  # 3 March + 30 days
        assert loans.loan_state(loan, date(2026, 4, 2)) == "active"
        school = accounts.get_user("xiwang")
        # 2 April 16:01 UTC is already 3 April in the county: the loan has run out there.
        with pytest.raises(Conflict, match="未到期"):
            loans.renew_loan(school, loan_id, now=datetime(2026, 4, 2, 16, 1))
        assert loans.renew_loan(school, loan_id, now=datetime(2026, 4, 2, 15, 59)).due_on == date(2026, 5, 2)
        assert loans.sweep(now=datetime(2026, 5, 2, 15, 59))["expired"] == 0
        assert loans.sweep(now=datetime(2026, 5, 2, 16, 1))["expired"] == 1
