"""Short-lived, loan-bound download links for borrowing schools (signed app URLs).

A link names one file of one loan and expires after PRESIGN_SECONDS; following it re-checks that
the loan is still active, so returning or expiry ends it at once, whatever its signature says."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from library import policy
from library.db import get_session
from library.errors import PermissionDenied
from library.lending.models import Loan
from library.resources.models import ResourceFile

SALT = "loan-file-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(loan: Loan, row: ResourceFile) -> str:
    """The signed token of a link that downloads this file while the loan lasts and the link is fresh."""
    return _serializer().dumps([loan.id, row.id])


def resolve(token: str, now: datetime | None = None) -> tuple[Loan, ResourceFile]:
    """The loan and file a link names, refusing expired links and ended loans."""
    try:
        loan_id, file_id = _serializer().loads(token, max_age=int(current_app.config["PRESIGN_SECONDS"]))
    except SignatureExpired as exc:
        raise PermissionDenied(_("下载链接已过期，请回到借阅页面重新获取")) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise PermissionDenied(_("下载链接无效")) from exc
    session = get_session()
    loan, row = session.get(Loan, loan_id), session.get(ResourceFile, file_id)
    if loan is None or row is None or row.resource_id != loan.resource_id:
        raise PermissionDenied(_("下载链接无效"))
    today = now.date() if now else None
    if not policy.loan_is_active(loan, today) or not policy.open_to_loans(row.resource):
        raise PermissionDenied(_("借阅已结束，这个下载链接不再有效"))
    return loan, row
