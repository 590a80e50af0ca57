"""Domain errors raised by services; library.web.errors turns them into HTTP responses."""

from __future__ import annotations


# What an error page suggests doing next, by the case at hand (templates/error.html):
#   "site_admin"  a page for the bureau's admins only: nothing to borrow or ask for, go home;
#   "resource"    an output that is not there for this visitor: who may open what, how to get access;
#   "borrow"      the files of a lendable output: borrowed by a school, opened by the studio.
HINTS = ("site_admin", "resource", "borrow")


class DomainError(Exception):
    """Base of every error a user can act on; `code` is stable for API clients. `hint` (one of
    HINTS) and `target` (the ids it refers to, e.g. {"resource_id": 3}) tell the HTML error page
    what to suggest; the JSON answer leaves them out."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, details: list | None = None,
                 hint: str | None = None, target: dict[str, int] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details or []
        self.hint = hint
        self.target = target or {}


class InvalidInput(DomainError):
    """Metadata that is missing or wrong; `fields` maps each field to what is wrong with it."""

    code = "invalid_input"
    status = 400


class InvalidUpload(DomainError):
    """A file that is refused (type not allowed, empty, too large)."""

    code = "invalid_upload"
    status = 415


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Conflict(DomainError):
    code = "conflict"
    status = 409


class TooManyAttempts(DomainError):
    """Refused because of too many recent failures (sign-in guessing)."""

    code = "too_many_attempts"
    status = 429


class Unavailable(DomainError):
    """A part of the library is briefly out of service (the search index being repaired)."""

    code = "unavailable"
    status = 503


class InsufficientStorage(DomainError):
    """The server's disk is full (or a quota or file-size limit is reached): an upload cannot be kept."""

    code = "insufficient_storage"
    status = 507
