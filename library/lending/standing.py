"""A school's standing with one lendable output, as its page shows it: the loan it has (申请中,
借阅中 至 …, 已到期, 已拒绝, 已归还) and whether a new request makes sense and would be granted at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from library import clock, policy
from library.accounts.models import User
from library.db import get_session
from library.lending.agreements import covering_agreement
from library.lending.loans import loan_state
from library.lending.models import Agreement, Loan
from library.resources.models import Resource

# A loan in these states stands: asking again would be refused (one open loan per output and school).
OPEN_STATES = ("requested", "active")


@dataclass(frozen=True)
class LoanStanding:
    """The school's latest loan of the output (None: never asked), the state to show, and the
    agreement in force that covers the output (a request is then granted at once)."""

    loan: Loan | None
    state: str | None  # requested | active | expired | declined | returned
    agreement: Agreement | None

    @property
    def can_request(self) -> bool:
        """A new request makes sense: none asked yet, or the last one ended or was refused."""
        return self.state not in OPEN_STATES


def loan_standing(actor: User | None, resource: Resource, today: date | None = None) -> LoanStanding | None:
    """For a school account on a published lendable output's page; None for anyone else."""
    if not policy.can_borrow(actor, resource):
        return None
    assert actor is not None and actor.school_id is not None  # can_borrow: a school account
    today = today or clock.today()
    latest = get_session().scalars(
        select(Loan).where(Loan.resource_id == resource.id, Loan.school_id == actor.school_id)
        .order_by(Loan.id.desc()).limit(1)).first()
    state = loan_state(latest, today) if latest is not None else None
    agreement = covering_agreement(resource, actor.school_id, today) if state not in OPEN_STATES else None
    return LoanStanding(latest, state, agreement)
