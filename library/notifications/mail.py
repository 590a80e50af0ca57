"""E-mail copies of notifications. The notifications table is the outbox: a notice for a user with an
address is written "pending" in the same transaction as the event, and sent after the commit —
by the web process itself in the embedded default, by `flask worker`, or by `flask mail send-pending`.
A failed send is logged and left pending for the next try; it never undoes the notice."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from library.accounts.models import User
from library.db import utcnow
from library.notifications.models import Notification

log = logging.getLogger(__name__)


SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


TIMEOUT = 30  # seconds, for the worker and the command


INLINE_TIMEOUT = 5  # a web request waits at most about this long for a slow server


INLINE_BATCH = 20


BATCH = 200


CLAIM = timedelta(minutes=10)  # a send started longer ago than this died with its process: free again


GIVE_UP = timedelta(days=3)  # a notice still unsent after this is stale news: marked "expired"


REST_SECONDS = 60  # after the server could not be reached, the web process and worker wait this long


NOT_IN_ADDRESS = set('<>()[],;:"\\')


SUBJECTS = {
    "agreement.created": _l("帮扶协议待确认"),
    "loan.requested": _l("新的借阅申请"),
    "loan.approved": _l("借阅申请已批准"),
    "loan.declined": _l("借阅申请未获同意"),
    "loan.due": _l("借阅即将到期"),
    "loan.expired": _l("借阅已到期"),
    "loan.feedback": _l("收到借阅使用反馈"),
    "resource.returned": _l("您的成果被退回"),
    "resource.published": _l("您的成果已发布"),
}


def valid_address(value: str) -> bool:
    """A plain check of an e-mail address: one @, no spaces, a dot inside the domain."""
    if not value or len(value) > 254 or value.count("@") != 1:
        return False
    if any(c.isspace() or c in NOT_IN_ADDRESS or ord(c) < 32 for c in value):
        return False
    local, domain = value.split("@")
    return bool(local) and "." in domain and all(domain.split("."))


@dataclass(frozen=True)
class SmtpServer:
    """Where to hand mail over, from LIBRARY_SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str = field(default="", repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]; ValueError says what is wrong
        (never echoing the password)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in SCHEMES:
            raise ValueError(f"the scheme must be smtp, smtp+starttls or smtps, not {parts.scheme or 'missing'!r}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the port is not a number between 1 and 65535") from None
        if not parts.hostname:
            raise ValueError("no host name")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("unexpected path or query after the host")
        return cls(parts.scheme, parts.hostname, port or SCHEMES[parts.scheme],
                   unquote(parts.username) if parts.username else None, unquote(parts.password or ""))

    def connect(self, timeout: float, tls: ssl.SSLContext | None = None) -> smtplib.SMTP:
        """An open, authenticated connection (the caller quits it)."""
        tls = tls or ssl.create_default_context()
        if self.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=tls)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=tls)
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


class Mailer:
    """Turns notices into e-mails and sends them through one SMTP server."""

    def __init__(self, server: SmtpServer, sender: str, base_url: str, tls: ssl.SSLContext | None = None):
        self.server = server
        self.sender = sender
        self.base_url = base_url.rstrip("/")
        self.tls = tls
        self._rest_until = 0.0

    def resting(self) -> bool:
        """Whether the server failed a moment ago (the web process and worker then leave it alone)."""
        return time.monotonic() < self._rest_until

    def rest(self) -> None:
        self._rest_until = time.monotonic() + REST_SECONDS

    def compose(self, notice: Notification, user: User) -> EmailMessage:
        """The e-mail of one notice, in Chinese whoever caused it, with an absolute link."""
        with force_locale("zh_CN"):
            site = _("名师工作室资源库")
            subject = f"[{site}] {SUBJECTS.get(notice.kind) or _('新通知')}"
            body = "\n".join([
                _("%(name)s，您好：", name=user.name), "", notice.text, "",
                _("查看详情：%(url)s", url=self.base_url + (notice.link or "/notifications")), "", "——", site,
                _("此邮件由系统自动发送，请勿回复。不想再收到邮件，可在“我的账号”页面删除邮箱地址：%(url)s",
                  url=self.base_url + "/account"),
            ])
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = formataddr((user.name, user.email or ""))
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=parseaddr(self.sender)[1].rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body + "\n")
        return message


def init_app(app: Flask) -> None:
    """Set up the mailer when LIBRARY_SMTP_URL is set (config has checked it)."""
    if app.config["SMTP_URL"]:
        app.extensions["mailer"] = Mailer(SmtpServer.from_url(app.config["SMTP_URL"]), app.config["MAIL_FROM"],
                                          app.config["BASE_URL"])


def enabled() -> bool:
    """Whether notices are mailed at all."""
    return "mailer" in current_app.extensions


@dataclass
class MailReport:
    sent: int = 0
    refused: int = 0  # refused for good by the server (e.g. no such mailbox): not retried
    expired: int = 0  # pending longer than GIVE_UP: given up
    pending: int = 0  # still to send after this run
    error: str | None = None  # why the server could not be used, if it could not


def _session() -> Session:
    # Own short sessions: the caller's unit of work has committed and must not be touched.
    return current_app.extensions["db_sessionmaker"]()


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A refusal of this one message that retrying will not cure (5xx), as opposed to trouble with the server."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # e.g. a non-ASCII address without SMTPUTF8
        return True
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _claim(session: Session, notice: Notification, now: datetime) -> bool:
    """Take a pending notice for this process, so two senders never mail it twice."""
    taken = session.execute(update(Notification).where(  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult (rowcount)
        Notification.id == notice.id, Notification.email_status == "pending",
        or_(Notification.emailed_at.is_(None), Notification.emailed_at < now - CLAIM),
    ).values(emailed_at=now).execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(taken)


def _finish(session: Session, notice: Notification, status: str | None, when: datetime | None) -> None:
    session.execute(update(Notification).where(Notification.id == notice.id)
                    .values(email_status=status, emailed_at=when).execution_options(synchronize_session=False))
    session.commit()


def _server_failed(session: Session, notice: Notification, mailer: Mailer, report: MailReport,
                   exc: Exception) -> None:
    """The server could not be used: free the notice for the next try and rest a while."""
    _finish(session, notice, "pending", None)
    report.error = f"{type(exc).__name__}: {exc}"
    log.warning("cannot send mail through %s:%s (%s); pending notices wait for the next try",
                mailer.server.host, mailer.server.port, report.error)
    mailer.rest()


def send_pending(now: datetime | None = None, limit: int = BATCH, timeout: float = TIMEOUT,
                 budget: float | None = None) -> MailReport:
    """Mail pending notices over one connection, oldest first; a failure leaves them pending.
    `budget` (seconds) stops early so a web request is never held long."""
    mailer: Mailer | None = current_app.extensions.get("mailer")
    report = MailReport()
    if mailer is None:
        return report
    now = now or utcnow()
    deadline = time.monotonic() + budget if budget is not None else None
    with _session() as session:
        rows = session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.email_status == "pending",
                   or_(Notification.emailed_at.is_(None), Notification.emailed_at < now - CLAIM))
            .order_by(Notification.id).limit(limit)).all()
        smtp = None
        try:
            for notice, user in rows:
                if deadline is not None and time.monotonic() > deadline:
                    break
                if not (user.active and user.email):  # address removed or account closed since
                    _finish(session, notice, None, None)
                    continue
                if notice.created_at < now - GIVE_UP:
                    _finish(session, notice, "expired", None)
                    report.expired += 1
                    continue
                if not _claim(session, notice, now):
                    continue
                try:
                    message = mailer.compose(notice, user)
                except ValueError as exc:  # no valid header can be made of this user's name or address
                    log.warning("cannot mail notification %s to user %s: %s", notice.id, user.id, exc)
                    _finish(session, notice, "refused", now)
                    report.refused += 1
                    continue
                try:
                    smtp = smtp or mailer.server.connect(timeout, mailer.tls)
                except (OSError, smtplib.SMTPException) as exc:  # unreachable, timed out, TLS or login refused …
                    _server_failed(session, notice, mailer, report, exc)
                    break
                try:
                    smtp.send_message(message)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError) as exc:
                    if _permanent(exc):
                        log.warning("mail to user %s refused for good (notification %s): %s", user.id, notice.id, exc)
                        _finish(session, notice, "refused", now)
                        report.refused += 1
                    else:  # keeps its claim, so it is tried again after CLAIM, not on every loop
                        log.warning("mail to user %s refused for now (notification %s): %s", user.id, notice.id, exc)
                    continue
                except (OSError, smtplib.SMTPException) as exc:  # the connection broke, the sender was refused …
                    _server_failed(session, notice, mailer, report, exc)
                    break
                _finish(session, notice, "sent", now)
                report.sent += 1
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    smtp.close()
        report.pending = session.scalar(select(func.count(Notification.id))
                                        .where(Notification.email_status == "pending")) or 0
    return report


def after_commit(now: datetime | None = None) -> None:
    """In the embedded default (LIBRARY_INDEX_MODE=inline) the web process mails the notices it just
    committed, briefly; anything that fails waits for the worker, the command or the next notice."""
    mailer: Mailer | None = current_app.extensions.get("mailer")
    if mailer is None or current_app.config["INDEX_MODE"] != "inline" or mailer.resting():
        return
    try:
        send_pending(now, limit=INLINE_BATCH, timeout=INLINE_TIMEOUT, budget=INLINE_TIMEOUT)
    except Exception:  # noqa: BLE001 - the notices are committed; mail is a copy and may come later
        log.exception("mailing notices after commit failed; they stay pending")


def send_in_worker() -> None:
    """The worker's turn on each loop (in either index mode, as with the index): never fatal."""
    mailer: Mailer | None = current_app.extensions.get("mailer")
    if mailer is None or mailer.resting():
        return
    try:
        report = send_pending()
        if report.sent or report.refused or report.expired:
            log.info("mail: %s", report)
    except Exception:  # noqa: BLE001 - the indexer must keep running
        log.exception("sending mail failed; pending notices wait for the next loop")
