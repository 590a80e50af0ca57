"""Studios, their members, and the vocabularies (subjects, stages) they are organised by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, utcnow

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


class Subject(Base):
    """A school subject (学科), e.g. math 数学."""

    __tablename__ = "subjects"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


class Stage(Base):
    """A school stage (学段): preschool, primary, junior, senior."""

    __tablename__ = "stages"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


SUBJECTS: list[tuple[str, str, str]] = [
    ("chinese", "语文", "Chinese"),
    ("math", "数学", "Mathematics"),
    ("english", "英语", "English"),
    ("physics", "物理", "Physics"),
    ("chemistry", "化学", "Chemistry"),
    ("biology", "生物", "Biology"),
    ("history", "历史", "History"),
    ("geography", "地理", "Geography"),
    ("politics", "道德与法治/思想政治", "Morality, Law and Politics"),
    ("science", "科学", "Science"),
    ("it", "信息科技", "Information Technology"),
    ("music", "音乐", "Music"),
    ("art", "美术", "Art"),
    ("pe", "体育与健康", "PE and Health"),
    ("psychology", "心理健康", "Mental Health"),
    ("preschool_ed", "学前教育", "Preschool Education"),
    ("labor", "劳动", "Labour"),
    ("class_mgmt", "班主任工作", "Homeroom Teaching"),
    ("school_mgmt", "学校管理", "School Management"),
]


STAGES: list[tuple[str, str, str]] = [
    ("preschool", "学前", "Preschool"),
    ("primary", "小学", "Primary"),
    ("junior", "初中", "Junior secondary"),
    ("senior", "高中", "Senior secondary"),
]
