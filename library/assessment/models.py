"""Assessment indicators (考核指标): what counts and how many points it earns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base, utcnow


class Indicator(Base):
    """An assessment indicator: what it counts (`rule`, a small structured definition) and its points.

    A studio's score = min(cap, Σ points of each counted unit), where a unit's points are
    `level_points[its level]` when given, else `points`.
    """

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    rule: Mapped[dict] = mapped_column(JSON, default=dict)
    points: Mapped[float] = mapped_column(Float, default=1.0)
    level_points: Mapped[dict] = mapped_column(JSON, default=dict)
    cap: Mapped[float | None] = mapped_column(Float)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
