"""The borrow kit (借阅包): everything a school has on loan as one ZIP for poorly connected schools.

It holds an offline index.html (titles, metadata, thumbnails, relative links), the original files,
stamp.json (the loans and their expiry) and SHA256SUMS. The archive is written as it is sent:
stdlib zipfile over an unseekable sink (sizes and CRCs go in data descriptors, ZIP64 where needed),
one storage chunk at a time, so a kit of a few GB never sits in memory or on disk."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from library import clock, policy
from library.accounts.models import User
from library.db import utcnow
from library.errors import Conflict
from library.lending.loans import active_school_loans, get_loan
from library.lending.models import Loan
from storage import ObjectNotFound

UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


ZIP64_FROM = 0x7FFF0000  # entries this big need ZIP64 headers, which must be chosen before writing


def safe_name(name: str, limit: int = 80) -> str:
    """A path segment that unpacks the same on Windows, macOS and Linux."""
    cleaned = UNSAFE.sub("_", name).strip(" .") or "file"
    return cleaned[:limit]


@dataclass
class Entry:
    """One member of the archive: bytes known now, or a stored object streamed later."""

    name: str
    data: bytes | None = None
    key: str | None = None
    size: int = 0
    sha256: str | None = None  # known for originals (stored at upload); computed for the rest
    compress: bool = False
    staged: bool = False  # an original still in the staging area (not moved to the bucket yet)


class _Sink:
    """A write-only, unseekable stream that hands its bytes to the generator sending them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def kit_loans(actor: User | None, loan_id: int | None = None, now: datetime | None = None) -> list[Loan]:
    """The loans a kit holds: one loan, or every active loan of the actor's school."""
    today = clock.local_day(now) if now else clock.today()
    if loan_id is not None:
        loan = get_loan(actor, loan_id)
        if not policy.is_school_of(actor, loan.school_id):
            raise Conflict(_("借阅包只提供给借阅学校"))
        if not policy.loan_is_active(loan, today):
            raise Conflict(_("这条借阅已结束，不能再下载借阅包"))
        if not policy.open_to_loans(loan.resource):
            # The same rule as the loan's links (loan_links.resolve): a withdrawn output is no longer lent.
            raise Conflict(_("这个成果已撤回，不能再下载借阅包"))
        return [loan]
    loans = [loan for loan in active_school_loans(actor, now) if policy.open_to_loans(loan.resource)]
    if not loans:
        raise Conflict(_("贵校目前没有借阅中的成果"))
    return loans


def plan(loans: list[Loan], render_index: Callable[[list[dict], dict], str],
         now: datetime | None = None) -> list[Entry]:
    """Name every member, write stamp.json and index.html (`render_index(items, stamp)`: the page
    layer renders it); the result can be streamed after the request's database session is gone."""
    now = now or utcnow()
    entries: list[Entry] = []
    items = []
    for loan in loans:
        resource = loan.resource
        folder = f"{loan.id}-{safe_name(resource.title, 60)}"
        used: set[str] = set()
        files = []
        for f in resource.files:
            base = name = safe_name(f.original_name, 120)
            n = f.position + 1
            # Unique ignoring case: Windows and macOS unpack "Plan.pdf" and "plan.pdf" onto one file.
            while name.lower() in used:
                name, n = f"{n}-{base}", n + 1
            used.add(name.lower())
            path = f"files/{folder}/{name}"
            entries.append(Entry(path, key=f.storage_key, size=f.size, sha256=f.sha256,
                                 staged=f.location == "staged"))
            thumb = None
            if f.thumbnail_key or f.poster_key:
                thumb = f"thumbs/{f.id}.jpg"
                entries.append(Entry(thumb, key=f.poster_key or f.thumbnail_key, size=-1))
            files.append({"row": f, "path": path, "thumb": thumb})
        items.append({"loan": loan, "resource": resource, "files": files})
    stamp = {
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "school": loans[0].school.name,
        "loans": [{"loan_id": i["loan"].id, "resource_id": i["resource"].id, "title": i["resource"].title,
                   "studio": i["resource"].studio.name, "granted_at": i["loan"].granted_at.isoformat() + "Z",
                   "due_on": i["loan"].due_on.isoformat()} for i in items],
        "notice": _("本包中的成果仅供借阅期内使用，到期后请删除。"),
    }
    html = render_index(items, stamp)
    entries.insert(0, Entry("index.html", data=html.encode(), compress=True))
    entries.insert(1, Entry("stamp.json", data=json.dumps(stamp, ensure_ascii=False, indent=2).encode(),
                            compress=True))
    return entries


def archive(loans: list[Loan], render_index: Callable[[list[dict], dict], str]) -> Iterator[bytes]:
    """The borrow kit of these loans as a ZIP stream. Everything it needs is read now, so it can
    be sent after the request's database session is gone (a download of several GB holds none)."""
    return stream(plan(loans, render_index), current_app.extensions["storage"],
                  staging=current_app.extensions.get("staging"))


def _chunks(entry: Entry, storage, staging):
    """A stored entry's bytes: from the staging area while staged (from the storage once its move
    has deleted the staged copy)."""
    if entry.staged and staging is not None:
        try:
            return staging.iter_range(entry.key)
        except ObjectNotFound:
            pass
    return storage.iter_range(entry.key)


def stream(entries: list[Entry], storage, now: datetime | None = None,
           zip64_from: int = ZIP64_FROM, staging=None) -> Iterator[bytes]:
    """The ZIP, chunk by chunk; SHA256SUMS (stored digests for originals) comes last. Entries of
    `zip64_from` bytes or more get ZIP64 headers (sizes past 4 GiB); staged originals are read
    from `staging`."""
    stamp_time = (now or utcnow()).timetuple()[:6]
    sink = _Sink()
    sums: list[str] = []
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=stamp_time)
            info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            digest = hashlib.sha256()
            if entry.data is not None:
                info.file_size = len(entry.data)
                with archive.open(info, "w") as out:
                    out.write(entry.data)
                digest.update(entry.data)
            else:
                if entry.size >= 0:
                    info.file_size = entry.size
                with archive.open(info, "w", force_zip64=entry.size >= zip64_from) as out:
                    with _chunks(entry, storage, staging) as chunks:
                        for chunk in chunks:
                            out.write(chunk)
                            if entry.sha256 is None:
                                digest.update(chunk)
                            yield sink.take()
            sums.append(f"{entry.sha256 or digest.hexdigest()}  {entry.name}")
            yield sink.take()
        text = "\n".join(sums) + "\n"
        info = zipfile.ZipInfo("SHA256SUMS", date_time=stamp_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, text)
    yield sink.take()


def filename(loans: list[Loan], now: datetime | None = None) -> str:
    """borrow-kit-<loan>.zip for one loan, borrow-kit-<date>.zip for all."""
    if len(loans) == 1:
        return f"borrow-kit-loan-{loans[0].id}.zip"
    return f"borrow-kit-{(now or utcnow()).date().isoformat()}.zip"
