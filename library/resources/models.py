"""The audit log and the review history of resources."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, utcnow
from library.textbooks import models as _textbooks  # noqa: F401  (Resource.edition names Edition)


class ResourceEvent(Base):
    """One step of a resource's review workflow: who moved it from which status to which, and why."""

    __tablename__ = "resource_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User")


# The codes as types (the schemas in schemas.py take them), and as tuples in their order.
Kind = Literal["lesson_video", "award_case", "excellent_case", "research_project", "paper", "other"]


KINDS: tuple[str, ...] = get_args(Kind)


AwardLevel = Literal["national", "provincial", "prefecture", "county", "school"]


AWARD_LEVELS: tuple[str, ...] = get_args(AwardLevel)


ProjectStatus = Literal["approved", "ongoing", "concluded"]


PROJECT_STATUSES: tuple[str, ...] = get_args(ProjectStatus)


Visibility = Literal["public", "internal", "studio", "lendable"]


VISIBILITIES: tuple[str, ...] = get_args(Visibility)


FileState = Literal["processing", "ready", "failed"]


FILE_STATES: tuple[str, ...] = get_args(FileState)


# Where a file's original is: `stored` in the storage backend, or `staged` in the local staging
# area (DATA_DIR/staging, S3 only) until its move job has put it into the bucket.
Location = Literal["staged", "stored"]


LOCATIONS: tuple[str, ...] = get_args(Location)


Status = Literal["draft", "submitted", "published", "returned", "withdrawn"]


STATUSES: tuple[str, ...] = get_args(Status)


class Resource(Base):
    """A studio output: lesson video, lesson case, research project, paper or other."""

    __tablename__ = "resources"
    # The catalogue's lists (migration 0010): each part of what an actor sees
    # (library.policy.audience_clause / beyond_audience_clause), newest or most downloaded first,
    # is one range of one of these, read in order and cut at the LIMIT (no sort of every row).
    __table_args__ = (
        Index("ix_resources_status_created", "status", "created_at", "id"),
        Index("ix_resources_status_downloads", "status", "download_count", "id"),
        Index("ix_resources_subject_status_created", "subject_code", "status", "created_at", "id"),
        Index("ix_resources_subject_status_downloads", "subject_code", "status", "download_count", "id"),
        Index("ix_resources_studio_status_created", "studio_id", "status", "created_at", "id"),
        Index("ix_resources_studio_status_downloads", "studio_id", "status", "download_count", "id"),
        Index("ix_resources_uploader_status_visibility", "uploader_id", "status", "visibility"),
        # The work pages (0011): a studio's year of published outputs (stats.figures.gather: studio,
        # status, then year or, for an output without one, the day it was published; then what the
        # figures count them by, so the city table and the scores read the index alone) …
        Index("ix_resources_studio_year", "studio_id", "status", "year", "published_at", "kind", "award_level",
              "project_level", "project_status"),
        # … and the review queue, oldest first.
        Index("ix_resources_status_updated", "status", "updated_at"),
        # A studio page's award wall and research projects (0012): the newest of each award level
        # and of each project status, one index range each (catalogue.award_wall, projects_by_status).
        Index("ix_resources_studio_award_year", "studio_id", "award_level", "year", "id"),
        Index("ix_resources_studio_kind_project_year", "studio_id", "kind", "project_status", "year", "id"),
        # Browsing by textbook (0013): a subject and stage's tree, edition → grade/volume → unit →
        # lesson, counted from one index range (library.textbooks.service.tree).
        Index("ix_resources_textbook", "subject_code", "stage_code", "status", "edition_code", "grade", "volume",
              "unit_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    stage_code: Mapped[str] = mapped_column(ForeignKey("stages.code"), index=True)
    # Where it sits in a textbook (library.textbooks.positions): the edition's code, the grade's
    # code (p3, j1, s2, k1 …), the volume's (upper, compulsory-1 …), the unit's number and title,
    # the lesson's title; "" or None when unknown. textbook_guessed: read from the title by the
    # guesser (a manifest that left them empty) and not yet confirmed by an edit.
    grade: Mapped[str] = mapped_column(String(32), default="")
    edition_code: Mapped[str | None] = mapped_column(ForeignKey("editions.code"))
    volume: Mapped[str] = mapped_column(String(24), default="", server_default="")
    unit_number: Mapped[int | None]
    unit_title: Mapped[str] = mapped_column(String(100), default="", server_default="")
    lesson: Mapped[str] = mapped_column(String(200), default="", server_default="")
    textbook_guessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id"), index=True)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    abstract: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    year: Mapped[int | None] = mapped_column(index=True)
    award_level: Mapped[str | None] = mapped_column(String(16))
    award_name: Mapped[str] = mapped_column(String(300), default="")
    project_level: Mapped[str | None] = mapped_column(String(16))
    project_status: Mapped[str | None] = mapped_column(String(16))
    project_number: Mapped[str] = mapped_column(String(100), default="")
    publication: Mapped[str] = mapped_column(String(300), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    download_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    studio = relationship("Studio", lazy="joined")
    subject = relationship("Subject", lazy="joined")
    stage = relationship("Stage", lazy="joined")
    edition = relationship("Edition", lazy="select")
    uploader = relationship("User")
    files: Mapped[list[ResourceFile]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceFile.position"
    )

    @property
    def cover_file(self) -> ResourceFile | None:
        """The first file with a thumbnail or poster, for cards and the page header."""
        return next((f for f in self.files if f.thumbnail_key or f.poster_key), None)


class ResourceFile(Base):
    """One stored original of a resource, with what was derived from it."""

    __tablename__ = "resource_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    poster_key: Mapped[str | None] = mapped_column(String(255))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)  # extracted text, kept for indexing and rebuilds
    derive_error: Mapped[str | None] = mapped_column(Text)
    # processing: the upload answered and a derive job is queued; ready: derived (or nothing to
    # derive); failed: derive_error says why (the original is stored and downloadable either way).
    state: Mapped[str] = mapped_column(String(16), default="ready", server_default="ready")
    # stored: the original is in the storage backend; staged: it is in the local staging area and
    # a `move` job will put it into the bucket (library/resources/staging.py).
    location: Mapped[str] = mapped_column(String(8), default="stored", server_default="stored")
    # Page (or slide) images of a DOCX or PPTX, made by LibreOffice in the derive job and stored
    # beside the original (library.resources.objects.page_keys); 0: none, the text is the preview.
    preview_pages: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resource: Mapped[Resource] = relationship(back_populates="files")

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class StorageClaim(Base):
    """A stored object an upload in flight will use (`use`), or one being deleted (`delete`).

    Objects are shared by content, so a row referring to an object is not enough to keep it: an
    upload that finds its object already stored does not own it until its row commits. See
    `library.resources.claims` for the protocol; rows live for seconds to minutes."""

    __tablename__ = "storage_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    purpose: Mapped[str] = mapped_column(String(8))  # use | delete
    token: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
