"""The review loop closed (issue 19): the author hears of a return (with its reason) or a
publication, in the app and by mail, and the page of a returned output says why, to those who may
read it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from library.accounts import service as accounts
from library.accounts.models import User
from library.db import get_session
from library.i18n import local_datetime
from library.notifications.models import Notification
from library.resources.models import Resource, ResourceEvent
from library.resources.review import book_title
from tests.lending.test_email import BASE_URL, SmtpServer, body, free_port
from tests.support.app import bearer, build_world, login, make_app, upload

REASON = "请补充教学反思"


def _submitted(client, world, sample_dir, title: str = "分数的初步认识") -> int:
    """A member's output waiting for review."""
    created = upload(client, world.member_token, [sample_dir / "光合作用.pdf"], title=title,
                     publish="", submit="true").json
    assert created["status"] == "submitted"
    return created["id"]


def _act(client, token: str, rid: int, action: str, **body):
    response = client.post(f"/api/v1/resources/{rid}/{action}", headers=bearer(token), json=body)
    assert response.status_code == 200, response.json
    return response.json


def _box(client, token: str) -> list[dict]:
    return client.get("/api/v1/notifications", headers=bearer(token)).json["notifications"]


def test_a_return_tells_the_author_why_with_a_link(app, world, sample_dir):
    client = app.test_client()
    rid = _submitted(client, world, sample_dir)
    _act(client, world.host_token, rid, "return", comment=REASON)

    [notice] = _box(client, world.member_token)
    assert notice["kind"] == "resource.returned"
    assert notice["text"] == f"您的成果《分数的初步认识》被退回：{REASON}"
    assert (notice["subject_type"], notice["subject_id"], notice["link"]) == ("resource", rid, f"/resources/{rid}")
    assert notice["read"] is False and notice["email_status"] is None  # mail is off here
    assert _box(client, world.host_token) == []  # the host took the step: nothing for them

    login(client, "chenjing")
    page = client.get("/notifications").get_data(as_text=True)
    assert f'<a href="/resources/{rid}">您的成果《分数的初步认识》被退回：{REASON}</a>' in page
    assert "没有通知" not in page


def test_a_publication_by_the_host_tells_the_author(app, world, sample_dir):
    client = app.test_client()
    rid = _submitted(client, world, sample_dir, title="《背影》")
    _act(client, world.host_token, rid, "publish")

    [notice] = _box(client, world.member_token)
    assert notice["kind"] == "resource.published"
    assert notice["text"] == "您的成果《背影》已发布"  # the title's own marks are not doubled
    assert notice["link"] == f"/resources/{rid}" and notice["subject_id"] == rid
    # Resubmitted after a return, then published: one notice for each step, newest first.
    _act(client, world.host_token, rid, "withdraw")
    _act(client, world.member_token, rid, "submit")
    _act(client, world.host_token, rid, "return", comment="换一个封面")
    _act(client, world.member_token, rid, "submit")
    _act(client, world.admin_token, rid, "publish")
    assert [n["kind"] for n in _box(client, world.member_token)] == [
        "resource.published", "resource.returned", "resource.published"]
    # Submitting and withdrawing tell nobody; the host's own box stays empty.
    assert _box(client, world.host_token) == []


def test_no_notice_for_ones_own_step(app, world, sample_dir):
    client = app.test_client()
    own = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="主持人的课例",
                 publish="", submit="true").json["id"]
    _act(client, world.host_token, own, "return", comment="自己退回")
    _act(client, world.host_token, own, "publish")
    assert _box(client, world.host_token) == []
    # An author publishing their own upload at once is not told either.
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="直接发布")
    assert _box(client, world.host_token) == []
    # Someone else's step on the host's upload is news for the host.
    _act(client, world.admin_token, own, "withdraw")
    _act(client, world.host_token, own, "submit")
    _act(client, world.admin_token, own, "return", comment="请补充课件")
    [notice] = _box(client, world.host_token)
    assert notice["kind"] == "resource.returned" and "请补充课件" in notice["text"]
    with app.app_context():
        assert get_session().scalar(select(Notification).where(Notification.kind.like("resource.%"),
                                                               Notification.user_id != _user_id("wangli"))) is None


def _user_id(username: str) -> int:
    return get_session().scalar(select(User.id).where(User.username == username))


def test_the_returned_page_says_why_to_the_author_and_the_reviewers_only(app, world, sample_dir):
    client = app.test_client()
    rid = _submitted(client, world, sample_dir)
    _act(client, world.host_token, rid, "return", comment="先看一次")
    _act(client, world.member_token, rid, "submit")
    _act(client, world.host_token, rid, "return", comment="请补充<b>教学反思</b>")
    with app.app_context():
        last = get_session().scalars(select(ResourceEvent).where(ResourceEvent.action == "return")
                                     .order_by(ResourceEvent.id)).all()[-1]
    with app.test_request_context("/"):
        when = local_datetime(last.created_at)  # "2026年12月4日 22:47": to the minute
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", when)  # county time, no seconds

    for username in ("chenjing", "wangli", "admin"):
        reader = app.test_client()
        login(reader, username)
        page = reader.get(f"/resources/{rid}").get_data(as_text=True)
        assert "已退回：请补充&lt;b&gt;教学反思&lt;/b&gt;" in page, username  # the latest reason, escaped
        assert "先看一次" not in page
        assert f"王丽 退回于 {when}" in page
        assert f'href="/resources/{rid}/edit">修改后重新提交</a>' in page
        english = reader.get(f"/resources/{rid}?lang=en").get_data(as_text=True)
        assert "Returned: 请补充&lt;b&gt;教学反思&lt;/b&gt;" in english and "Returned by 王丽 on" in english

    teacher = app.test_client()
    login(teacher, "zhangsan")
    assert teacher.get(f"/resources/{rid}").status_code == 404  # a returned output is not theirs to see
    assert app.test_client().get(f"/resources/{rid}").status_code == 404
    # Published again, the box is gone for everyone.
    _act(client, world.host_token, rid, "publish")
    author = app.test_client()
    login(author, "chenjing")
    assert "已退回：" not in author.get(f"/resources/{rid}").get_data(as_text=True)


def test_the_page_of_a_returned_output_without_its_event(app, world, sample_dir):
    """A row set to returned by hand (an import, an old database) has no reason to show: no box."""
    client = app.test_client()
    rid = _submitted(client, world, sample_dir)
    with app.app_context():
        session = get_session()
        session.execute(ResourceEvent.__table__.delete())
        session.get(Resource, rid).status = "returned"
        session.commit()
    login(client, "chenjing")
    page = client.get(f"/resources/{rid}")
    assert page.status_code == 200 and "已退回：" not in page.get_data(as_text=True)


@pytest.mark.parametrize(("title", "shown"), [
    ("背影", "《背影》"), ("《背影》", "《背影》"), (" 《背影》 ", "《背影》"),
    ("《背影》教学设计", "“《背影》教学设计”"), ("《背影》与《春》", "“《背影》与《春》”"),
])
def test_book_title_never_doubles_the_marks(title, shown):
    assert book_title(title) == shown


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def mail_app(tmp_path, migrated_sqlite, smtp):
    application = make_app(tmp_path / "instance", migrated_sqlite, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                           BASE_URL=BASE_URL + "/", MAIL_FROM="名师工作室资源库 <noreply@example.cn>")
    yield application
    application.extensions["db_engine"].dispose()


def test_the_author_with_an_address_is_mailed(mail_app, smtp, sample_dir):
    app = mail_app
    smtp.start()
    world = build_world(app)
    with app.app_context():
        accounts.set_email(accounts.get_user("chenjing"), "chenjing@example.cn")
        accounts.set_email(accounts.get_user("wangli"), "wangli@example.cn")
    client = app.test_client()
    rid = _submitted(client, world, sample_dir)
    _act(client, world.host_token, rid, "return", comment=REASON)

    [mail] = smtp.mailbox.messages  # the author only: the host took the step
    assert mail["X-Envelope-To"] == "chenjing@example.cn"
    assert mail["Subject"] == "[名师工作室资源库] 您的成果被退回"
    text = body(mail)
    assert f"您的成果《分数的初步认识》被退回：{REASON}" in text and f"{BASE_URL}/resources/{rid}" in text
    with app.app_context():
        notice = get_session().scalar(select(Notification).where(Notification.user_id == _user_id("chenjing")))
        assert notice.kind == "resource.returned" and notice.email_status == "sent"

    _act(client, world.member_token, rid, "submit")
    _act(client, world.host_token, rid, "publish")
    assert [m["Subject"] for m in smtp.mailbox.to("chenjing@example.cn")] == [
        "[名师工作室资源库] 您的成果被退回", "[名师工作室资源库] 您的成果已发布"]
    assert smtp.mailbox.to("wangli@example.cn") == []
