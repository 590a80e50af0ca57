"""Accounts: users, their API tokens, and the schools they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, utcnow

SITE_ROLES = ("admin", "coordinator", "teacher", "school")


class User(Base):
    """A person (or a weak school's shared account) who signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))  # notifications are also mailed here
    role: Mapped[str] = mapped_column(String(16), default="teacher")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")
    school = relationship("School")
    liaison_studios = relationship("Studio", secondary="coordinator_studios", back_populates="coordinators")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def name(self) -> str:
        """The name shown on pages."""
        return self.display_name or self.username

    # Flask-Login protocol, kept free of Flask imports.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # What Flask-Login keeps in the session cookie (and the "remember me" cookie): the random
        # token of this sign-in, whose SignInSession row says whether it still holds.
        token = self.sign_in_token
        if not token:
            raise RuntimeError("sign in through library.accounts.auth.log_in (no sign-in session)")
        return token

    @property
    def sign_in_token(self) -> str | None:
        """The token of the sign-in session this user was loaded by in this request, if any."""
        return self.__dict__.get("_sign_in_token")

    def bind_sign_in(self, token: str) -> None:
        """Remember which sign-in session this request's user came from (not a column)."""
        self.__dict__["_sign_in_token"] = token


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class School(Base):
    """A school; school accounts belong to one."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_weak: Mapped[bool] = mapped_column(default=False)
    weak_subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInSession(Base):
    """One sign-in on one browser. The session cookie (and the "remember me" cookie) carry a random
    token; only its SHA-256 is kept. Signing out ends it; so do a password change (every other
    session of the user), an admin setting the password or turning the account off (all of them)."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(16), default="")


class SignInAttempt(Base):
    """A sign-in attempt, written (committed) before its password is checked, so parallel guesses
    count each other: `pending` while it is being checked, then `failure`, `success` or `throttled`
    (refused without a check). Pending and failed attempts count against the limits."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
