"""E-mail copies of notifications, through a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from library import ConfigError, create_app
from library.accounts import service as accounts
from library.accounts.models import User
from library.db import get_session
from library.lending import loans
from library.notifications.models import Notification
from tests.support.app import PASSWORD, bearer, csrf_token, login, make_app
from tests.support.lending import active_agreement, borrow

BASE_URL = "https://library.example.cn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping what it receives; addresses in `refuse` get a permanent 550."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


class SmtpServer:
    """A real SMTP server on a port chosen up front, so a test can start it after the app is built."""

    def __init__(self, port: int, **options):
        self.port, self.options, self.mailbox, self.controller = port, options, Mailbox(), None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path, migrated_sqlite, smtp):
    """The embedded default with mail through the test server (started by each test when it wants)."""
    application = make_app(tmp_path / "instance", migrated_sqlite, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                           BASE_URL=BASE_URL + "/", MAIL_FROM="名师工作室资源库 <noreply@example.cn>")
    yield application
    application.extensions["db_engine"].dispose()


def set_email(app, username: str, address: str | None) -> None:
    with app.app_context():
        accounts.set_email(accounts.get_user(username), address)


def notices(app, username: str) -> list[Notification]:
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.username == username))
        rows = list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.id)))
        session.expunge_all()
        return rows


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_request_mails_the_host_and_approval_mails_the_requester(app, client, lend, smtp):
    smtp.start()
    set_email(app, "wangli", "wangli@example.cn")
    set_email(app, "xiwang", "jiaowu@xiwang.example.cn")
    loan = borrow(client, lend.school_token, lend.lendable)
    assert loan.status_code == 201 and loan.json["status"] == "requested"

    [mail] = smtp.mailbox.messages  # the coordinator has no address: in-app only
    assert mail["X-Envelope-To"] == "wangli@example.cn"
    assert mail["Subject"] == "[名师工作室资源库] 新的借阅申请"
    assert mail["From"] == "名师工作室资源库 <noreply@example.cn>"
    assert mail["To"] == "王丽 <wangli@example.cn>"
    text = body(mail)
    assert "王丽，您好" in text and "希望小学 申请借阅《分数的意义教学设计》" in text
    assert f"{BASE_URL}/loans/requests" in text and f"{BASE_URL}/account" in text
    [host_notice] = notices(app, "wangli")
    assert host_notice.email_status == "sent" and host_notice.emailed_at is not None
    [coordinator_notice] = notices(app, "liuyan")
    assert coordinator_notice.kind == "loan.requested" and coordinator_notice.email_status is None
    box = client.get("/api/v1/notifications", headers=bearer(lend.coordinator_token)).json
    assert box["unread"] == 1 and box["notifications"][0]["email_status"] is None

    client.post(f"/api/v1/loans/{loan.json['id']}/approve", headers=bearer(lend.world.host_token))
    [approved] = smtp.mailbox.to("jiaowu@xiwang.example.cn")
    assert approved["Subject"] == "[名师工作室资源库] 借阅申请已批准"
    assert "借阅申请已批准：《分数的意义教学设计》" in body(approved) and f"{BASE_URL}/loans" in body(approved)
    # Declined and feedback go to the same people, by the same road.
    video = borrow(client, lend.school_token, lend.lendable_video).json
    client.post(f"/api/v1/loans/{video['id']}/decline", json={"reason": "视频正在剪辑"},
                headers=bearer(lend.world.host_token))
    assert "视频正在剪辑" in body(smtp.mailbox.to("jiaowu@xiwang.example.cn")[-1])
    client.post(f"/api/v1/loans/{loan.json['id']}/feedback", json={"lessons": 2, "rating": 5},
                headers=bearer(lend.school_token))
    assert smtp.mailbox.to("wangli@example.cn")[-1]["Subject"] == "[名师工作室资源库] 收到借阅使用反馈"
    assert len(smtp.mailbox.messages) == 5  # request, approved, request (video), declined, feedback


def test_due_and_expired_notices_are_mailed_by_the_sweep(app, client, lend, smtp):
    smtp.start()
    set_email(app, "xiwang", "jiaowu@xiwang.example.cn")
    active_agreement(client, lend)
    due = date.fromisoformat(borrow(client, lend.school_token, lend.lendable).json["due_on"])
    assert smtp.mailbox.messages == []  # granted under the agreement: nobody is told
    with app.app_context():
        loans.sweep(now=datetime.combine(due - timedelta(days=3), datetime.min.time()))
        loans.sweep(now=datetime.combine(due + timedelta(days=1), datetime.min.time()))
    assert [m["Subject"] for m in smtp.mailbox.messages] == ["[名师工作室资源库] 借阅即将到期",
                                                            "[名师工作室资源库] 借阅已到期"]
    assert f"借阅将于 {due.isoformat()} 到期" in body(smtp.mailbox.messages[0])


def test_smtp_down_the_request_succeeds_and_the_mail_waits(app, client, lend, smtp, runner):
    set_email(app, "wangli", "wangli@example.cn")
    loan = borrow(client, lend.school_token, lend.lendable)  # nothing listens on the port yet
    assert loan.status_code == 201 and loan.json["status"] == "requested"
    [notice] = notices(app, "wangli")
    assert notice.kind == "loan.requested" and notice.email_status == "pending" and notice.emailed_at is None
    assert client.get("/api/v1/notifications", headers=bearer(lend.world.host_token)).json["unread"] == 1

    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 1 and "still pending 1" in result.output
    assert "could not be used" in result.output

    smtp.start()
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "sent 1, refused 0, given up 0, still pending 0" in result.output
    [mail] = smtp.mailbox.messages
    assert mail["Subject"] == "[名师工作室资源库] 新的借阅申请"
    assert notices(app, "wangli")[0].email_status == "sent"
    assert runner.invoke(args=["mail", "send-pending"]).output.startswith("sent 0")
    assert len(smtp.mailbox.messages) == 1  # never twice


def test_an_address_refused_for_good_is_not_retried(app, client, lend, smtp, runner):
    smtp.mailbox.refuse.add("gone@example.cn")
    smtp.start()
    set_email(app, "wangli", "gone@example.cn")
    set_email(app, "liuyan", "liuyan@example.cn")
    assert borrow(client, lend.school_token, lend.lendable).status_code == 201
    assert [m["X-Envelope-To"] for m in smtp.mailbox.messages] == ["liuyan@example.cn"]
    assert notices(app, "wangli")[0].email_status == "refused"
    assert "sent 0, refused 0" in runner.invoke(args=["mail", "send-pending"]).output


def test_a_claimed_notice_waits_and_a_stale_one_is_given_up(app, smtp):
    """A notice another sender claimed is left alone until its claim lapses (that sender died);
    one still unsent after three days is given up."""
    from library.notifications import mail
    from library.notifications import service as notifications

    smtp.start()
    app.config["INDEX_MODE"] = "worker"  # only the sender below mails (no inline send on commit)
    with app.app_context():
        user = accounts.create_user("wangli", "teacher", PASSWORD, "王丽", email="wangli@example.cn")
        t0 = datetime(2026, 3, 2, 9, 0)
        claimed, stale = (notifications.notify([user], "loan.due", "loan", i, f"借阅 {i} 将到期", "/loans", now=t0)[0]
                          for i in (1, 2))
        get_session().flush()
        claimed.emailed_at = t0  # a sender started on it at t0 ...
        stale.created_at = t0 - mail.GIVE_UP - timedelta(minutes=1)
        get_session().commit()
        report = mail.send_pending(now=t0 + timedelta(minutes=1))
        assert (report.sent, report.expired, report.pending) == (0, 1, 1)
        report = mail.send_pending(now=t0 + mail.CLAIM + timedelta(minutes=1))  # ... and never finished
        assert (report.sent, report.pending) == (1, 0)
    assert [body(m).count("借阅 1 将到期") for m in smtp.mailbox.messages] == [1]
    assert [n.email_status for n in notices(app, "wangli")] == ["sent", "expired"]


def test_worker_mode_leaves_mail_to_the_worker(tmp_path, migrated_sqlite, sample_dir, smtp):
    from tests.support.lending import build_lending

    smtp.start()
    app = make_app(tmp_path / "instance", migrated_sqlite, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                   BASE_URL=BASE_URL, INDEX_MODE="worker")
    try:
        client = app.test_client()
        lend = build_lending(app, client, sample_dir)
        set_email(app, "wangli", "wangli@example.cn")
        assert borrow(client, lend.school_token, lend.lendable).status_code == 201
        assert smtp.mailbox.messages == [] and notices(app, "wangli")[0].email_status == "pending"
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert [m["X-Envelope-To"] for m in smtp.mailbox.messages] == ["wangli@example.cn"]
    finally:
        app.extensions["db_engine"].dispose()


def test_credentials_in_the_url_log_in(tmp_path, migrated_sqlite):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss word")

    server = SmtpServer(free_port(), authenticator=authenticator, auth_require_tls=False).start()
    app = make_app(tmp_path / "instance", migrated_sqlite, SMTP_URL=f"smtp://mailer:p%40ss%20word@127.0.0.1:{server.port}",
                   BASE_URL=BASE_URL)
    try:
        with app.app_context():
            user = accounts.create_user("wangli", "teacher", PASSWORD, "王丽", email="wangli@example.cn")
            from library.notifications import mail
            from library.notifications import service as notifications

            notifications.notify([user], "loan.due", "loan", 1, "借阅将于 2026-12-01 到期：《分数》", "/loans")
            get_session().commit()
            mail.after_commit()
        assert seen == [(b"mailer", b"p@ss word")]
        assert [m["Subject"] for m in server.mailbox.messages] == ["[名师工作室资源库] 借阅即将到期"]
    finally:
        server.stop()
        app.extensions["db_engine"].dispose()


def test_without_the_setting_nothing_is_mailed(tmp_path, migrated_sqlite, sample_dir, smtp):
    from tests.support.lending import build_lending

    smtp.start()
    app = make_app(tmp_path / "instance", migrated_sqlite)
    try:
        client = app.test_client()
        lend = build_lending(app, client, sample_dir)
        set_email(app, "wangli", "wangli@example.cn")
        assert borrow(client, lend.school_token, lend.lendable).status_code == 201
        [notice] = notices(app, "wangli")
        assert notice.kind == "loan.requested" and notice.email_status is None
        result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
        assert result.exit_code == 1 and "LIBRARY_SMTP_URL" in result.output
        assert smtp.mailbox.messages == []
    finally:
        app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("url", ["smtp//mail.example.cn", "http://mail.example.cn", "smtp://user:secret@:25",
                                 "smtps://user:secret@mail.example.cn:port", "smtp://mail.example.cn/inbox"])
def test_a_bad_smtp_url_fails_at_start(tmp_path, monkeypatch, url):
    monkeypatch.setenv("LIBRARY_SMTP_URL", url)
    monkeypatch.setenv("LIBRARY_BASE_URL", BASE_URL)
    with pytest.raises(ConfigError) as caught:
        create_app({"DATA_DIR": str(tmp_path)})
    assert str(caught.value).startswith("LIBRARY_SMTP_URL: ")
    assert "secret" not in str(caught.value)


def test_mail_needs_a_base_url_and_a_sender(tmp_path):
    with pytest.raises(ConfigError, match="^LIBRARY_BASE_URL: required with LIBRARY_SMTP_URL"):
        create_app({"DATA_DIR": str(tmp_path), "SMTP_URL": "smtp://127.0.0.1:25"})
    with pytest.raises(ConfigError, match="^LIBRARY_MAIL_FROM: "):
        create_app({"DATA_DIR": str(tmp_path), "SMTP_URL": "smtp://127.0.0.1:25", "BASE_URL": BASE_URL,
                    "MAIL_FROM": "nobody"})
    app = create_app({"DATA_DIR": str(tmp_path), "SMTP_URL": "smtps://u:hunter2@mail.example.cn", "BASE_URL": BASE_URL})
    server = app.extensions["mailer"].server
    assert (server.scheme, server.host, server.port, server.username) == ("smtps", "mail.example.cn", 465, "u")
    assert "hunter2" not in repr(server)  # the password stays out of logs


# ---------------------------------------------------------------- the address itself

def test_account_page_sets_checks_and_removes_the_address(app, client, world):
    login(client, "wangli")
    token = csrf_token(client, "/account")
    page = client.post("/account", data={"action": "email", "email": "wang li@example", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert "邮箱地址格式不正确" in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert accounts.get_user("wangli").email is None
    for bad in ("wangli", "a@b@example.cn", "wangli@localhost", "wangli@example..cn"):
        html = client.post("/account", data={"action": "email", "email": bad, "csrf_token": token}).get_data(as_text=True)
        assert "邮箱地址格式不正确" in html, bad
    html = client.post("/account", data={"action": "email", "email": " wangli@example.cn ", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "邮箱地址已保存" in html and 'value="wangli@example.cn"' in html
    with app.app_context():
        assert accounts.get_user("wangli").email == "wangli@example.cn"
    html = client.post("/account", data={"action": "email", "email": "", "csrf_token": token}).get_data(as_text=True)
    assert "邮箱地址已删除" in html
    with app.app_context():
        assert accounts.get_user("wangli").email is None


def test_admin_sets_an_address_on_the_user_page(app, client, world):
    login(client, "admin")
    token = csrf_token(client, "/admin/users")
    with app.app_context():
        user_id = accounts.get_user("zhangsan").id
    form = {"user_id": user_id, "role": "teacher", "active": "1", "csrf_token": token}
    html = client.post("/admin/users", data={**form, "email": "zhangsan at example.cn"},
                       follow_redirects=True).get_data(as_text=True)
    assert "邮箱地址格式不正确" in html
    html = client.post("/admin/users", data={**form, "email": "zhangsan@example.cn"},
                       follow_redirects=True).get_data(as_text=True)
    assert 'value="zhangsan@example.cn"' in html
    with app.app_context():
        assert accounts.get_user("zhangsan").email == "zhangsan@example.cn"


def test_cli_creates_a_user_with_an_address(app, runner):
    result = runner.invoke(args=["users", "create", "zhaoliu", "--role", "teacher", "--email", "zhao liu@example.cn"])
    assert result.exit_code != 0 and "邮箱地址格式不正确" in result.output
    result = runner.invoke(args=["users", "create", "zhaoliu", "--role", "teacher", "--email", "zhaoliu@example.cn"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts.get_user("zhaoliu").email == "zhaoliu@example.cn"


# ---------------------------------------------------------------- migration 0005

def _round_trip(url: str) -> None:
    """Down to 0004 and up again keeps the rows that point at users (no table is rebuilt)."""
    from alembic import command
    from sqlalchemy import text

    from library.cli import alembic_config
    from library.db import make_engine

    engine = make_engine(url)  # SQLite: foreign keys on, as in the app

    def migrate(step, revision):
        cfg = alembic_config()
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            step(cfg, revision)

    migrate(command.upgrade, "head")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, display_name, role, active, created_at, email) "
                          "VALUES ('wangli', '王丽', 'teacher', true, '2026-11-25', 'wangli@example.cn')"))
        conn.execute(text("INSERT INTO api_tokens (user_id, token_hash, name, created_at) "
                          "SELECT id, 'h', 'cli', '2026-11-25' FROM users"))
        conn.execute(text("INSERT INTO notifications (user_id, kind, subject_type, text, link, created_at, email_status) "
                          "SELECT id, 'loan.due', 'loan', '到期', '/loans', '2026-11-25', 'pending' FROM users"))
    migrate(command.downgrade, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM notifications")).scalar() == 1
    migrate(command.upgrade, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email, (SELECT email_status FROM notifications) FROM users")).one() == (None, None)
    engine.dispose()


def test_migration_0005_round_trip_on_sqlite(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'library.db'}")


@pytest.mark.postgres
def test_migration_0005_round_trip_on_postgres(pg_url):
    _round_trip(pg_url)


# ---------------------------------------------------------------- TLS

@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted by the client through SSL_CERT_FILE."""
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_tls_and_login(tmp_path, migrated_sqlite, certificate, scheme):
    import ssl

    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*certificate)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        encrypted = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        logins.append((auth_data.login, encrypted))
        return AuthResult(success=auth_data.password == b"secret")

    # STARTTLS: AUTH is offered only once the connection is encrypted. smtps is encrypted from the
    # start, but aiosmtpd's AUTH-needs-TLS check only knows STARTTLS, so it is told not to check.
    options = ({"tls_context": server_tls, "require_starttls": True} if scheme == "smtp+starttls"
               else {"ssl_context": server_tls, "auth_require_tls": False})
    server = SmtpServer(free_port(), authenticator=authenticator, **options).start()
    app = make_app(tmp_path / "instance", migrated_sqlite, SMTP_URL=f"{scheme}://mailer:secret@127.0.0.1:{server.port}",
                   BASE_URL=BASE_URL, INDEX_MODE="worker")  # mailed by send_pending below, not on commit
    try:
        with app.app_context():
            from library.notifications import mail
            from library.notifications import service as notifications

            user = accounts.create_user("wangli", "teacher", PASSWORD, "王丽", email="wangli@example.cn")
            notifications.notify([user], "loan.expired", "loan", 1, "借阅已到期：《分数》，文件不能再打开", "/loans")
            get_session().commit()
            report = mail.send_pending()
        assert (report.sent, report.error) == (1, None)
        assert logins == [(b"mailer", True)]  # logged in over TLS
        assert [m["Subject"] for m in server.mailbox.messages] == ["[名师工作室资源库] 借阅已到期"]
    finally:
        server.stop()
        app.extensions["db_engine"].dispose()
