"""Assistance agreements (帮扶协议), loans of lendable outputs and the schools' feedback."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, utcnow

AGREEMENT_STATUSES = ("draft", "active", "ended")


# Content scope of an agreement: every lendable output of the studio, a chosen list, or by kinds/subjects.
SCOPES = ("all", "list", "filter")


LOAN_STATUSES = ("requested", "active", "declined", "returned", "expired")


class Agreement(Base):
    """A studio's assistance agreement with a (weak) school."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(String(16), default="all")
    scope_resource_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    scope_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    frequency_count: Mapped[int] = mapped_column(default=1)  # e.g. 2 …
    frequency_period: Mapped[str] = mapped_column(String(8), default="month")  # … per "week" | "month" | "term"
    outcomes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    studio_confirmed_at: Mapped[datetime | None]
    school_confirmed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    studio = relationship("Studio", lazy="joined")
    school = relationship("School", lazy="joined")
    created_by = relationship("User")
    loans: Mapped[list[Loan]] = relationship(back_populates="agreement")


class Loan(Base):
    """A school's loan of one lendable resource: requested → active (→ renewed) → returned | expired."""

    __tablename__ = "loans"
    # One open (requested or active) loan per resource and school: a double click cannot make two.
    __table_args__ = (
        Index("uq_loans_open_resource_school", "resource_id", "school_id", unique=True,
              sqlite_where=text("status IN ('requested', 'active')"),
              postgresql_where=text("status IN ('requested', 'active')")),
        # The work pages (0011): a studio's loans granted in a year (stats), a school's loans and the
        # studio side's newest first, the requests waiting.
        Index("ix_loans_studio_granted", "studio_id", "granted_at"),
        Index("ix_loans_school_requested", "school_id", "requested_at"),
        Index("ix_loans_studio_requested", "studio_id", "requested_at"),
        Index("ix_loans_status_requested", "status", "requested_at"),
        Index("ix_loans_requested", "requested_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id"), index=True)  # the resource's studio when asked
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id", ondelete="SET NULL"), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    class_period: Mapped[str] = mapped_column(String(200), default="")  # the class / period it is for
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    granted_at: Mapped[datetime | None] = mapped_column(index=True)
    due_on: Mapped[date | None]
    renewals: Mapped[int] = mapped_column(default=0)
    ended_at: Mapped[datetime | None]  # returned or expired
    due_notice_sent_at: Mapped[datetime | None]

    resource = relationship("Resource")
    school = relationship("School", lazy="joined")
    requester = relationship("User", foreign_keys=[requester_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    agreement: Mapped[Agreement | None] = relationship(back_populates="loans")
    feedback: Mapped[list[LoanFeedback]] = relationship(back_populates="loan", cascade="all, delete-orphan")


class LoanFeedback(Base):
    """After use: in how many lessons, a rating (1–5) and a comment; the studio sees it."""

    __tablename__ = "loan_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lessons: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    loan: Mapped[Loan] = relationship(back_populates="feedback")
    author = relationship("User")
