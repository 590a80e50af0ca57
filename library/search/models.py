"""The change log (outbox) the search indexer applies in order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base, utcnow


class ChangeLog(Base):
    """One row per write that changes what search should show, written in the same transaction."""

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    entity: Mapped[str] = mapped_column(String(32), default="resource")
    entity_id: Mapped[int] = mapped_column(index=True)
    op: Mapped[str] = mapped_column(String(16))  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
