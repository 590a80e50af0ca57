"""Usage events: resource-page views and file downloads, recorded raw and counted by one rule.

The rule (a view or a download *counts* when all hold):
- one per person per resource per day for views, one per person per file per day for downloads
  (the county's day, China Standard Time, not UTC's);
  a person is the signed-in user, or for anonymous visitors a hash of address + user agent + day;
- a download request for a later byte range (Range start > 0) is a seek or a resumed transfer,
  never a new download;
- bots are left out: an empty user agent, or one naming a crawler or a scripted HTTP client (BOT_AGENT);
- the uploader's own views and downloads are left out.
Every request is stored (with `counted` and the `reason` it does not count), so the figures can be
recounted when the rule changes (`recount`). Resource.download_count (search's "most downloaded")
moves only with counted downloads."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError

from library.accounts.models import User
from library.clock import local_day
from library.db import get_session, utcnow
from library.resources.models import Resource, ResourceFile
from library.stats.models import UsageEvent

log = logging.getLogger(__name__)

# Crawlers and scripted clients, which name themselves. Browsers count as people, headless ones too
# (matching "HeadlessChrome" would also drop the browser tests' real downloads).
BOT_AGENT = re.compile(
    r"bot\b|bot/|spider|crawl|slurp|archiver|curl/|wget/|python-requests|python-urllib|aiohttp|httpx|"
    r"go-http-client|okhttp|java/|libwww|scrapy|phantomjs|monitor|pingdom|uptime",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent is a crawler or a scripted client (an empty one counts as a bot)."""
    return not (user_agent or "").strip() or bool(BOT_AGENT.search(user_agent or ""))


def visitor_key(user: User | None, address: str | None, user_agent: str, day: date) -> str:
    """'u:<id>' for a signed-in user; for anonymous visitors a daily hash, so no address is stored."""
    if user is not None:
        return f"u:{user.id}"
    digest = hashlib.sha256(f"{address or ''}|{user_agent}|{day.isoformat()}".encode()).hexdigest()
    return f"a:{digest[:40]}"


def _dedupe_key(kind: str, resource_id: int, file_id: int | None, visitor: str, day: date) -> str:
    return f"{kind}:{resource_id}:{file_id or 0}:{visitor}:{day.isoformat()}"


def _reason(kind: str, resource: Resource, user: User | None, user_agent: str, range_start: int) -> str:
    if is_bot(user_agent):
        return "bot"
    if user is not None and resource.uploader_id == user.id:
        return "uploader"
    if kind == "download" and range_start > 0:
        return "range"
    return ""


def _record(kind: str, user: User | None, resource: Resource, file_row: ResourceFile | None,
            range_start: int, address: str | None, user_agent: str, when: datetime | None) -> UsageEvent | None:
    when = when or utcnow()
    day = local_day(when)  # "once per day" and the year an event counts in follow the county's clock
    user_agent = (user_agent or "")[:300]
    visitor = visitor_key(user, address, user_agent, day)
    reason = _reason(kind, resource, user, user_agent, range_start)
    file_id = file_row.id if file_row is not None else None
    fields = dict(
        kind=kind, resource_id=resource.id, file_id=file_id, studio_id=resource.studio_id,
        user_id=user.id if user is not None else None, role=user.role if user is not None else "anonymous",
        school_id=user.school_id if user is not None else None, visitor=visitor, user_agent=user_agent,
        range_start=range_start, day=day, created_at=when,
    )
    session = get_session()
    resource_id = resource.id
    try:
        if not reason:
            # The unique dedupe_key decides, so two concurrent first requests cannot both count.
            event = UsageEvent(**fields, counted=True, reason="",
                               dedupe_key=_dedupe_key(kind, resource.id, file_id, visitor, day))
            try:
                session.add(event)
                if kind == "download":
                    # A SQL expression: the database increments; the flush sees the change (change log).
                    resource.download_count = Resource.download_count + 1
                session.commit()
                return event
            except IntegrityError:
                session.rollback()
                reason = "repeat"
        event = UsageEvent(**fields, counted=False, reason=reason, dedupe_key=None)
        session.add(event)
        session.commit()
        return event
    except (OperationalError, InternalError) as exc:
        # A database that refuses writes (disk full, read-only, locked too long): the page or the
        # download is still served; only this event is lost, and nothing of it is left half-written.
        session.rollback()
        log.warning("usage event dropped: the %s of resource %s (file %s) could not be written: %s",
                    kind, resource_id, file_id, getattr(exc, "orig", exc))
        return None


def record_view(user: User | None, resource: Resource, *, address: str | None = None,
                user_agent: str = "", when: datetime | None = None) -> UsageEvent | None:
    """Record a resource-page view (a GET of the page; the view leaves HEAD requests out); None
    when the database refused to write it (logged: the page is served all the same)."""
    return _record("view", user, resource, None, 0, address, user_agent, when)


def record_download(user: User | None, file_row: ResourceFile, range_start: int, *,
                    address: str | None = None, user_agent: str = "", when: datetime | None = None) -> UsageEvent | None:
    """Record a file download (not an inline preview): the one call every download path makes;
    None when the database refused to write it (logged: the file is served all the same)."""
    return _record("download", user, file_row.resource, file_row, int(range_start or 0), address,
                   user_agent, when)


def recount() -> dict[str, int]:
    """Apply the rule again to every stored event (e.g. after BOT_AGENT changed); returns counted totals.

    Resource.download_count is left alone: it may hold downloads from before events were recorded.
    """
    session = get_session()
    uploaders = dict(session.execute(select(Resource.id, Resource.uploader_id)).all())
    seen: set[str] = set()
    totals = {"view": 0, "download": 0}
    events = session.scalars(select(UsageEvent).order_by(UsageEvent.created_at, UsageEvent.id)).all()
    for event in events:
        event.dedupe_key = None
    session.flush()
    for event in events:
        event.day = local_day(event.created_at)  # events recorded before days were the county's had UTC days
        if is_bot(event.user_agent):
            reason = "bot"
        elif event.user_id is not None and uploaders.get(event.resource_id) == event.user_id:
            reason = "uploader"
        elif event.kind == "download" and event.range_start > 0:
            reason = "range"
        else:
            key = _dedupe_key(event.kind, event.resource_id, event.file_id, event.visitor, event.day)
            reason = "repeat" if key in seen else ""
            if not reason:
                seen.add(key)
                event.dedupe_key = key
        event.counted, event.reason = not reason, reason
        totals[event.kind] += event.counted
    session.commit()
    return totals
