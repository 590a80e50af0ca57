"""Form handling shared by the pages: where to go next, and one way to try what a form asks for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, url_for
from werkzeug.datastructures import MultiDict

from library.errors import DomainError, PermissionDenied


@dataclass
class Submission:
    """What became of a form's action: its result, or what to tell the person and which fields."""

    ok: bool
    value: Any = None
    message: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    details: list = field(default_factory=list)
    error: DomainError | None = None

    @property
    def status(self) -> int:
        """The HTTP status to re-render the form with."""
        return self.error.status if self.error is not None else 200


def submit(action: Callable[[], Any], *, refusal_in_form: bool = False) -> Submission:
    """Run a service call for a form, to re-render the form with its field errors when it is refused
    for its content. A refusal for who is asking (PermissionDenied) reaches the error handler, which
    answers 403 and audits it, unless `refusal_in_form`: then the form is shown again with what was
    typed (the upload form: "submit for review instead" keeps the typed metadata)."""
    try:
        return Submission(True, action())
    except PermissionDenied as exc:
        if not refusal_in_form:
            raise
        return Submission(False, message=exc.message, errors=exc.fields, details=exc.details, error=exc)
    except DomainError as exc:
        return Submission(False, message=exc.message, errors=exc.fields, details=exc.details, error=exc)


def attempt(action: Callable[[], Any], success: str, errors: dict[str, str] | None = None) -> bool:
    """Run a service call from a button, then flash `success` (if any) or what was wrong, and copy
    the fields' problems into `errors` for the page to mark; True if it worked."""
    outcome = submit(action)
    if errors is not None:
        errors.update(outcome.errors)
    if outcome.ok:
        if success:
            flash(success, "success")
    else:
        flash(outcome.message or "", "error")
    return outcome.ok


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A same-site path to go on to, so no form can send people elsewhere (browsers drop tabs and
    newlines from URLs, so '/\t/evil' would become '//evil': control characters are refused too)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x21 or c == "\x7f" for c in target)):
        return target
    return fallback or url_for("resources.home")


def with_ids(form: MultiDict, field: str, ids: list[int]) -> MultiDict:
    """The form with more values of `field` (ids a picker's typed text was looked up to)."""
    if not ids:
        return form
    copy = MultiDict(form)
    for value in ids:
        copy.add(field, str(value))
    return copy
