"""Borrowing: granted under an agreement, approved or declined otherwise, renewal, return, expiry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from library import policy
from library.accounts.models import User
from library.db import get_session
from library.errors import Conflict, PermissionDenied
from library.lending import links as loan_links
from library.lending import loans
from library.lending.models import Loan
from library.resources.models import Resource
from tests.support.app import bearer, county_today
from tests.support.lending import active_agreement, agreement_body, borrow, download


def test_granted_at_once_under_an_agreement_that_covers_it(client, lend):
    agreement = active_agreement(client, lend)
    response = borrow(client, lend.school_token, lend.lendable, class_period="七(2)班 第3周")
    assert response.status_code == 201
    loan = response.json
    assert loan["status"] == "active" and loan["agreement_id"] == agreement["id"]
    assert loan["due_on"] == (county_today() + timedelta(days=30)).isoformat()
    assert loan["class_period"] == "七(2)班 第3周" and loan["kit_url"].endswith(f"/loans/{loan['id']}/kit")
    assert response.headers["Location"].endswith(f"/api/v1/loans/{loan['id']}")
    got = client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).json
    assert got["due_on"] == loan["due_on"] and got["feedback"] == []
    # The resource JSON now gives working short-lived links; the plain route opens too.
    files = client.get(f"/api/v1/resources/{lend.lendable}", headers=bearer(lend.school_token)).json["files"]
    assert all("/files/loan/" in f["download_url"] for f in files)
    assert download(client, files[0]["download_url"]) == 200
    assert download(client, f"/files/{files[0]['id']}/download", headers=bearer(lend.school_token)) == 200


def test_a_draft_agreement_grants_nothing(client, lend):
    client.post("/api/v1/agreements", json=agreement_body(starts_on="2020-01-01", ends_on="2099-12-31"),
                headers=bearer(lend.world.host_token))
    assert borrow(client, lend.school_token, lend.lendable).json["status"] == "requested"


def test_not_covered_waits_for_the_host_who_approves(client, lend):
    active_agreement(client, lend, scope="list", resource_ids=[lend.lendable_video])
    loan = borrow(client, lend.school_token, lend.lendable).json
    assert loan["status"] == "requested" and loan["due_on"] is None and "files" not in loan
    files = client.get(f"/api/v1/resources/{lend.lendable}", headers=bearer(lend.school_token)).json["files"]
    assert "/files/loan/" not in files[0]["download_url"]
    assert download(client, files[0]["download_url"], headers=bearer(lend.school_token)) == 403
    # Members, teachers, the school itself and another studio's host may not decide.
    for token in (lend.world.member_token, lend.school_token):
        assert client.post(f"/api/v1/loans/{loan['id']}/approve", headers=bearer(token)).status_code in (403, 404)
    approved = client.post(f"/api/v1/loans/{loan['id']}/approve", headers=bearer(lend.world.host_token))
    assert approved.status_code == 200
    assert approved.json["status"] == "active"
    assert approved.json["due_on"] == (county_today() + timedelta(days=30)).isoformat()
    # Counted under the agreement in force between the two, though its scope did not grant it.
    assert approved.json["agreement_id"] is not None
    assert client.post(f"/api/v1/loans/{loan['id']}/approve", headers=bearer(lend.world.host_token)).status_code == 409
    assert download(client, files[0]["download_url"], headers=bearer(lend.school_token)) == 200


def test_refused_with_a_reason(client, lend):
    loan = borrow(client, lend.school_token, lend.lendable).json
    assert loan["status"] == "requested"
    no_reason = client.post(f"/api/v1/loans/{loan['id']}/decline", json={"reason": "  "},
                            headers=bearer(lend.world.host_token))
    assert no_reason.status_code == 400 and no_reason.json["error"]["fields"]["reason"]
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).json["status"] == "requested"
    declined = client.post(f"/api/v1/loans/{loan['id']}/decline", json={"reason": "该课例正在修订，下月再借"},
                           headers=bearer(lend.coordinator_token))
    assert declined.status_code == 200
    assert declined.json["status"] == "declined" and declined.json["decline_reason"] == "该课例正在修订，下月再借"
    files = client.get(f"/api/v1/resources/{lend.lendable}", headers=bearer(lend.school_token)).json["files"]
    assert download(client, files[0]["download_url"], headers=bearer(lend.school_token)) == 403
    # A declined request does not block asking again.
    assert borrow(client, lend.school_token, lend.lendable).status_code == 201


def test_one_open_loan_per_resource_and_school(client, lend):
    first = borrow(client, lend.school_token, lend.lendable).json
    again = borrow(client, lend.school_token, lend.lendable)
    assert again.status_code == 409 and again.json["error"]["details"] == [{"loan_id": first["id"]}]
    # Another school asks separately.
    assert borrow(client, lend.other_school_token, lend.lendable).status_code == 201


def test_renewal_rules(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    due = date.fromisoformat(loan["due_on"])
    assert client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(lend.world.host_token)).status_code == 403
    renewed = client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(lend.school_token))
    assert renewed.status_code == 200
    assert renewed.json["due_on"] == (due + timedelta(days=30)).isoformat()
    assert renewed.json["renewals"] == 1 and renewed.json["can_renew"] is False
    twice = client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(lend.school_token))
    assert twice.status_code == 409 and twice.json["error"]["message"] == "每次借阅只能续借一次"
    # A requested loan cannot be renewed; an overdue one neither (judged by the date, not the sweep).
    requested = borrow(client, lend.school_token, lend.other_studio_lendable).json
    assert client.post(f"/api/v1/loans/{requested['id']}/renew", headers=bearer(lend.school_token)).status_code == 409
    video = borrow(client, lend.school_token, lend.lendable_video).json
    with app.test_request_context():
        school = get_session().get(User, get_session().get(Loan, video["id"]).requester_id)
        later = datetime.combine(date.fromisoformat(video["due_on"]) + timedelta(days=1), datetime.min.time())
        with pytest.raises(Conflict):
            loans.renew_loan(school, video["id"], now=later)
        on_due_day = datetime.combine(date.fromisoformat(video["due_on"]), datetime.min.time())
        assert loans.renew_loan(school, video["id"], now=on_due_day).due_on == \
            date.fromisoformat(video["due_on"]) + timedelta(days=30)


def test_return_ends_access_and_the_link_obtained_before(client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    link = loan["files"][0]["download_url"]
    assert download(client, link) == 200
    returned = client.post(f"/api/v1/loans/{loan['id']}/return", headers=bearer(lend.school_token))
    assert returned.status_code == 200 and returned.json["status"] == "returned" and "files" not in returned.json
    refused = client.get(link)
    assert refused.status_code == 403 and "借阅已结束" in refused.get_data(as_text=True)
    assert client.get(link, headers={"Accept": "application/json"}).json["error"]["code"] == "forbidden"
    assert download(client, f"/files/{loan['files'][0]['id']}/download", headers=bearer(lend.school_token)) == 403
    assert client.post(f"/api/v1/loans/{loan['id']}/return", headers=bearer(lend.school_token)).status_code == 409


def test_expiry_ends_access_by_date_even_before_the_sweep(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    link = loan["files"][0]["download_url"]
    token = link.rsplit("/", 1)[1]
    due = date.fromisoformat(loan["due_on"])
    after = datetime.combine(due + timedelta(days=1), datetime.min.time())
    with app.test_request_context():
        session = get_session()
        resource = session.get(Resource, lend.lendable)
        school = session.get(User, session.get(Loan, loan["id"]).requester_id)
        assert policy.can_download(school, resource, today=due)
        assert not policy.can_download(school, resource, today=due + timedelta(days=1))
        assert loan_links.resolve(token, now=datetime.combine(due, datetime.min.time()))[0].id == loan["id"]
        with pytest.raises(PermissionDenied):
            loan_links.resolve(token, now=after)
        assert loans.loan_state(session.get(Loan, loan["id"]), due + timedelta(days=1)) == "expired"
    # The sweep, run as of the day after, records it: the same link now answers 403 for real.
    with app.app_context():
        assert loans.sweep(now=after)["expired"] == 1
    assert client.get(link).status_code == 403
    assert client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).json["status"] == "expired"


def test_links_expire_and_cannot_be_forged(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    link = loan["files"][0]["download_url"]
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 403
    # Swap the file id inside a validly signed link: still refused (signature covers loan and file).
    with app.test_request_context():
        from itsdangerous import URLSafeTimedSerializer

        other_file = client.get(f"/api/v1/resources/{lend.internal}", headers=bearer(lend.school_token)).json["files"][0]
        wrong = URLSafeTimedSerializer("not the key", salt=loan_links.SALT).dumps([loan["id"], other_file["id"]])
    assert client.get(f"/files/loan/{wrong}").status_code == 403
    app.config["PRESIGN_SECONDS"] = -1  # every link is already older than its lifetime
    expired = client.get(link)
    assert expired.status_code == 403 and "已过期" in expired.get_data(as_text=True)


def test_presigned_s3_redirect_only_while_the_loan_lasts(s3_app, sample_dir):
    from tests.support.lending import build_lending

    client = s3_app.test_client()
    lend = build_lending(s3_app, client, sample_dir)
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    link = loan["files"][0]["download_url"]
    first = client.get(link)
    assert first.status_code == 302
    import urllib.request

    with urllib.request.urlopen(first.headers["Location"], timeout=10) as fh:  # the real S3 server answers
        data = fh.read()
    assert len(data) == loan["files"][0]["size"]
    assert "X-Amz-Expires=300" in first.headers["Location"] or "Expires=" in first.headers["Location"]
    client.post(f"/api/v1/loans/{loan['id']}/return", headers=bearer(lend.school_token))
    assert client.get(link).status_code == 403


def test_only_school_accounts_borrow_and_only_lendable_outputs(client, lend):
    teacher = borrow(client, lend.world.teacher_token, lend.lendable)
    assert teacher.status_code == 403
    internal = borrow(client, lend.school_token, lend.internal)
    assert internal.status_code == 400 and internal.json["error"]["fields"]["resource_id"]
    hidden = borrow(client, lend.school_token, lend.studio_only)
    assert hidden.status_code == 404
    missing = borrow(client, lend.school_token, lend.lendable, purpose="")
    assert missing.status_code == 400 and missing.json["error"]["fields"]["purpose"] == "请填写此项"
    assert client.post("/api/v1/loans", json={"purpose": "x"}, headers=bearer(lend.school_token)).status_code == 400
    assert client.post("/api/v1/loans", json={"resource_id": lend.lendable, "purpose": "x"}).status_code == 401


def test_simultaneous_requests_make_one_loan(app, lend):
    """Eight clicks at once: the database's one-open-loan rule lets exactly one through."""
    import threading

    barrier = threading.Barrier(8)
    codes: list[int] = []

    def ask():
        client = app.test_client()
        barrier.wait()
        codes.append(borrow(client, lend.school_token, lend.lendable).status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7
    with app.app_context():
        assert len(get_session().scalars(select(Loan)).all()) == 1


def test_the_database_refuses_a_second_open_loan(app, lend, client):
    from sqlalchemy.exc import IntegrityError

    loan = borrow(client, lend.school_token, lend.lendable).json
    with app.app_context():
        session = get_session()
        first = session.get(Loan, loan["id"])
        session.add(Loan(resource_id=first.resource_id, studio_id=first.studio_id, school_id=first.school_id,
                         purpose="again", status="active", due_on=county_today()))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        # Closed loans do not count: a returned one and a new request live side by side.
        session.get(Loan, loan["id"]).status = "returned"
        session.add(Loan(resource_id=first.resource_id, studio_id=first.studio_id, school_id=first.school_id,
                         purpose="again", status="requested"))
        session.commit()


def test_an_overdue_unswept_loan_does_not_block_a_new_request(app, client, lend):
    active_agreement(client, lend)
    loan = borrow(client, lend.school_token, lend.lendable).json
    with app.app_context():
        get_session().get(Loan, loan["id"]).due_on = county_today() - timedelta(days=1)
        get_session().commit()
    again = borrow(client, lend.school_token, lend.lendable)
    assert again.status_code == 201 and again.json["status"] == "active"
    old = client.get(f"/api/v1/loans/{loan['id']}", headers=bearer(lend.school_token)).json
    assert old["status"] == "expired" and old["ended_at"]
