"""The lending pages: borrowing from the resource page, my loans, deciding requests, agreements."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from library.db import get_session
from library.lending.models import Agreement, Loan
from tests.support.app import county_today, csrf_token, login
from tests.support.lending import active_agreement


def _loans(app) -> list[Loan]:
    with app.app_context():
        return list(get_session().scalars(select(Loan).order_by(Loan.id)))


def test_school_borrows_from_the_resource_page_and_host_decides(app, client, lend):
    host = app.test_client()
    login(client, "xiwang")
    page = client.get(f"/resources/{lend.lendable}").get_data(as_text=True)
    assert 'id="borrow"' in page and "借阅用途" in page
    assert 'href="#borrow">借阅后可以下载</a>' in page
    token = csrf_token(client, f"/resources/{lend.lendable}")
    # Missing purpose: a Chinese message, nothing stored.
    response = client.post(f"/resources/{lend.lendable}/borrow", data={"csrf_token": token, "purpose": ""},
                           follow_redirects=True)
    assert "请修改后重新提交：借阅用途：请填写此项" in response.get_data(as_text=True)
    assert _loans(app) == []
    response = client.post(f"/resources/{lend.lendable}/borrow", follow_redirects=True,
                           data={"csrf_token": token, "purpose": "集体备课", "class_period": "三(1)班"})
    assert "借阅申请已提交，等待工作室主持人审批" in response.get_data(as_text=True)
    loan = _loans(app)[0]
    assert loan.status == "requested" and loan.class_period == "三(1)班"
    assert "待审批" in client.get("/loans").get_data(as_text=True)

    login(host, "wangli")
    requests_page = host.get("/loans/requests").get_data(as_text=True)
    assert "集体备课" in requests_page and "希望小学" in requests_page
    token = csrf_token(host, "/loans/requests")
    no_reason = host.post(f"/loans/{loan.id}/decline", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "不同意的理由：请填写此项" in no_reason.get_data(as_text=True)
    assert host.post(f"/loans/{loan.id}/approve", data={"csrf_token": token}, follow_redirects=True).status_code == 200
    assert _loans(app)[0].status == "active"

    mine = client.get("/loans").get_data(as_text=True)
    assert "借阅中" in mine and "下载借阅包" in mine and "续借 30 天" in mine
    resource_page = client.get(f"/resources/{lend.lendable}").get_data(as_text=True)
    assert "借阅中，至" in resource_page and "/files/" in resource_page and "下载</a>" in resource_page
    kit = client.get(f"/loans/{loan.id}/kit")
    assert kit.status_code == 200 and kit.content_type == "application/zip"
    kit.close()
    token = csrf_token(client, "/loans")
    bad = client.post(f"/loans/{loan.id}/feedback", data={"csrf_token": token, "lessons": "两节", "rating": "5"},
                      follow_redirects=True)
    assert "使用课时：应为数字" in bad.get_data(as_text=True)
    good = client.post(f"/loans/{loan.id}/feedback", data={"csrf_token": token, "lessons": "2", "rating": "4",
                                                            "comment": "很实用"}, follow_redirects=True)
    assert "感谢反馈" in good.get_data(as_text=True)
    assert "很实用" in host.get("/loans/requests").get_data(as_text=True)
    client.post(f"/loans/{loan.id}/renew", data={"csrf_token": token})
    assert "续借 30 天</button>" not in client.get("/loans").get_data(as_text=True)
    again = client.post(f"/loans/{loan.id}/renew", data={"csrf_token": token}, follow_redirects=True)
    assert "每次借阅只能续借一次" in again.get_data(as_text=True)
    client.post(f"/loans/{loan.id}/return", data={"csrf_token": token})
    assert "已归还" in client.get("/loans").get_data(as_text=True)


def test_teachers_see_no_borrow_box_and_cannot_decide(app, client, lend):
    login(client, "zhangsan")
    assert 'id="borrow"' not in client.get(f"/resources/{lend.lendable}").get_data(as_text=True)
    assert client.get("/loans/requests").status_code == 403
    assert client.get("/loans").status_code == 403
    assert "借阅审批" not in client.get("/").get_data(as_text=True)


def test_agreement_form_validation_and_creation(app, client, lend):
    login(client, "wangli")
    token = csrf_token(client, "/agreements/new")
    bad = client.post("/agreements/new", data={"csrf_token": token, "studio": "wang-math", "school": "希望小学",
                                               "starts_on": "2026-03-01", "ends_on": "2026-02-01",
                                               "frequency_count": "0", "frequency_period": "month", "outcomes": ""})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "结束日期不能早于开始日期" in html and "频次应为" in html
    assert '<small id="f-outcomes-error" class="field-error" data-error-for="outcomes">请填写此项</small>' in html
    with app.app_context():
        assert get_session().scalar(select(func.count(Agreement.id))) == 0
    good = client.post("/agreements/new", data={
        "csrf_token": token, "studio": "wang-math", "school": "希望小学", "subjects": ["math"], "scope": "filter",
        "kinds": ["paper", "lesson_video"], "starts_on": (county_today() + timedelta(days=10)).isoformat(),
        "ends_on": (county_today() + timedelta(days=200)).isoformat(),
        "frequency_count": "2", "frequency_period": "month", "outcomes": "期末数学均分提高"})
    assert good.status_code == 302
    detail = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "王丽数学名师工作室 帮扶 希望小学" in detail and "待确认" in detail and "论文文章" in detail
    assert "王丽数学名师工作室" in client.get("/agreements").get_data(as_text=True)
    # The school confirms on the page.
    school = app.test_client()
    login(school, "xiwang")
    agreement_url = good.headers["Location"]
    token = csrf_token(school, agreement_url)
    school.post(f"{agreement_url}/confirm", data={"csrf_token": token})
    assert "已确认，未开始" in school.get(agreement_url).get_data(as_text=True)


def test_agreement_grants_from_the_page_at_once(app, client, lend):
    active_agreement(client, lend)
    login(client, "xiwang")
    token = csrf_token(client, f"/resources/{lend.lendable}")
    response = client.post(f"/resources/{lend.lendable}/borrow", data={"csrf_token": token, "purpose": "备课"},
                           follow_redirects=True)
    assert "已按帮扶协议借阅成功" in response.get_data(as_text=True)
    kit = client.get("/loans/kit")
    assert kit.status_code == 200
    kit.close()


def test_english_pages(app, client, lend):
    login(client, "xiwang")
    html = client.get("/loans?lang=en").get_data(as_text=True)
    assert "My loans" in html
