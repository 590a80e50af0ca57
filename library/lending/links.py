"""Short-lived, loan-bound download links for borrowing schools (signed app URLs).

The decision (README, "Links"): a link is bound to its loan, not to a signed-in account. The school
hands it to its teachers, who mostly have no account, so asking for the school's session would make
the link useless for what it is for. What limits a leaked link (a forwarded e-mail) instead:

- it names one file of one loan (and so one school) and expires after PRESIGN_SECONDS;
- every use re-checks the loan: it works only while the loan is active and not past its due date,
  the output still open to loans, and, for a loan granted under an agreement, that agreement not
  ended (ended early, or past its end date). A returned, declined or expired loan, or an ended
  agreement, ends every link at once, whatever its signature says; a new loan gets new links;
- its answers (the file, the redirect to S3, a refusal) are never cached and send no Referer, so
  the token stays out of caches and other sites' logs.

The school's own account keeps opening the files until the due date (policy.active_loan); the link
is the form that travels, so it is the one held to the agreement too."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, after_this_request, current_app, has_request_context
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from library import clock, policy
from library.db import get_session
from library.errors import PermissionDenied
from library.lending.models import Loan
from library.resources.models import ResourceFile

SALT = "loan-file-link"


PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(loan: Loan, row: ResourceFile) -> str:
    """The signed token of a link that downloads this file while the loan lasts and the link is fresh."""
    return _serializer().dumps([loan.id, row.id])


def usable(loan: Loan, today: date | None = None) -> bool:
    """Whether the loan's links work today: the loan active (not returned, declined, expired), its
    output still lent, and the agreement it was granted under (if any) not ended."""
    today = today or clock.today()
    if not policy.loan_is_active(loan, today) or not policy.open_to_loans(loan.resource):
        return False
    agreement = loan.agreement
    return agreement is None or (agreement.status != "ended" and today <= agreement.ends_on)


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def resolve(token: str, now: datetime | None = None) -> tuple[Loan, ResourceFile]:
    """The loan and file a link names, refusing expired links and loans whose links no longer work.
    The response to this request (the file, a redirect, or the refusal) is marked private."""
    if has_request_context():
        after_this_request(_private)
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
    if not usable(loan, clock.local_day(now) if now else None):
        raise PermissionDenied(_("借阅已结束，这个下载链接不再有效"))
    return loan, row
