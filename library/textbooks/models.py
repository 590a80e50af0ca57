"""The edition vocabulary (版本) and the textbook a teacher pins to the home page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base, utcnow


class Edition(Base):
    """A textbook edition (教材版本), e.g. pep 人教版: admin-editable, seeded at init-db.

    `aliases` are the other ways teachers write it (部编版 for 统编版); `subjects` and `stages` the
    codes it is published for (empty: any), which the upload form's choices follow."""

    __tablename__ = "editions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class TextbookPin(Base):
    """A teacher's own textbook (我的教材): subject + edition + grade; the home page opens on it."""

    __tablename__ = "textbook_pins"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code", ondelete="CASCADE"))
    stage_code: Mapped[str] = mapped_column(ForeignKey("stages.code", ondelete="CASCADE"))
    edition_code: Mapped[str | None] = mapped_column(ForeignKey("editions.code", ondelete="SET NULL"))
    grade: Mapped[str] = mapped_column(String(8), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
