"""Schools, including the weak schools (薄弱学校) studios help."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base
from library.models.base import utcnow


class School(Base):
    """A school; school accounts belong to one."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_weak: Mapped[bool] = mapped_column(default=False)
    weak_subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
