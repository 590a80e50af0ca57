"""Studios (名师工作室) and their memberships."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base
from library.models.base import utcnow

STUDIO_ROLES = ("host", "member", "trainee")

# Coordinators (研训员) liaise with some studios: they review and manage those.
coordinator_studios = Table(
    "coordinator_studios",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("studio_id", ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True),
)


class Studio(Base):
    """A master-teacher studio: a host, members and trainees producing outputs."""

    __tablename__ = "studios"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"))
    stage_code: Mapped[str] = mapped_column(ForeignKey("stages.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subject = relationship("Subject", lazy="joined")
    stage = relationship("Stage", lazy="joined")
    coordinators = relationship("User", secondary=coordinator_studios, back_populates="liaison_studios")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="studio", cascade="all, delete-orphan"
    )

    def members_with_role(self, role: str) -> list:
        """The users holding a studio role, in the order they joined."""
        return [m.user for m in sorted(self.memberships, key=lambda m: m.id) if m.role == role]


class Membership(Base):
    """A user's role in a studio: host (主持人), member (成员) or trainee (学员)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("studio_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    studio: Mapped[Studio] = relationship(back_populates="memberships")
    user = relationship("User", back_populates="memberships", lazy="joined")
