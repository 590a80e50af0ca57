"""Bulk import of existing material from a CSV or XLSX manifest (one row a resource).

The manifest is streamed: rows are read one at a time (csv.DictReader over the open file,
openpyxl's read-only `iter_rows`), never held whole. Each row is checked completely before
anything is written — the schema, the subject, stage and studio (looked up once per import),
the actor's permission (asked once per studio), its files inside the manifest's folder and their
content — so a refused row writes nothing. Checked rows are written in batches of `BATCH_SIZE`,
one transaction each through the upload's own path (`service.add_resources`): one claim on the
batch's objects, content stored once, one derive job per new content, one change-log flush and
therefore one search-index commit per batch. A batch that still fails as it is written (a file
removed meanwhile, the storage failing) is rolled back whole — its objects removed, its claims
released, by the hooks `add_resources` registers — and written again one row per transaction,
so only the failing row is refused.
"""

from __future__ import annotations

import csv
import logging
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from library.accounts.models import User
from library.db import get_session, refresh_statistics
from library.errors import DomainError, InvalidInput
from library.resources import service as resources
from library.resources.schemas import ManifestRow
from library.search import indexing
from library.textbooks import service as textbooks
from library.validation import CONTROL, parse

log = logging.getLogger(__name__)

FIELDS = (
    "title", "kind", "subject", "stage", "grade", "edition", "volume", "unit", "lesson", "studio", "authors", "abstract", "keywords", "year",
    "award_level", "award_name", "project_level", "project_status", "project_number", "publication",
    "visibility", "status", "files",
)

BATCH_SIZE = 500  # rows a transaction (and a search-index commit)
# The tables an import fills; their planner statistics are refreshed at the end (PostgreSQL).
BULK_TABLES = ("resources", "resource_files", "resource_events", "audit_log", "storage_claims", "jobs", "change_log")


@dataclass(frozen=True)
class RowOutcome:
    """One row's fate: imported as `resource_id` (None in a dry run), or refused for `reason`."""

    line: int
    title: str
    resource_id: int | None = None
    reason: str | None = None

    @property
    def refused(self) -> bool:
        return self.reason is not None


@dataclass
class ImportReport:
    """What an import did: how many rows it imported (or, dry, would), the rows it refused (line,
    title, reason), and `error` when the manifest stopped being readable part way."""

    dry_run: bool = False
    imported: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def rows(self) -> int:
        return self.imported + len(self.refused)

    @property
    def complete(self) -> bool:
        """Every row imported (or would be) and the manifest read to its end."""
        return not self.refused and self.error is None


class ManifestError(DomainError):
    """The manifest itself cannot be read (not one row of it)."""


def _header_missing() -> ManifestError:
    return ManifestError(_("清单第一行应是列名（title, kind, subject, stage, studio, files …）"))


def read_manifest(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """The rows of a CSV (UTF-8, with or without BOM) or XLSX manifest, one at a time, as (line,
    row keyed by header names); line 1 is the header. An XLSX cell keeps its number (2024, not
    "2024.0"). Raises ManifestError when the first row names no `title` column."""
    if path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path)
    return _csv_rows(path)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "title" not in [(h or "").strip() for h in reader.fieldnames or []]:
            raise _header_missing()
        for line, row in enumerate(reader, start=2):
            yield line, {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        if "title" not in header:
            raise _header_missing()
        for line, values in enumerate(rows, start=2):
            yield line, {h: "" if v is None else v.strip() if isinstance(v, str) else v
                         for h, v in zip(header, values, strict=False) if h}
    finally:
        wb.close()


def count_rows(path: Path) -> int | None:
    """How many rows follow the header, cheaply (for a progress bar): the CSV parsed without
    building rows, the XLSX's recorded dimension; None when it cannot tell."""
    try:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                max_row = wb.worksheets[0].max_row
            finally:
                wb.close()
            return max(max_row - 1, 0) if max_row else None
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError, zipfile.BadZipFile):
        return None


def guessed(columns: dict, title: str, stage: str) -> None:
    """Fill a row's empty textbook position from its title (《分数的初步认识》（人教版三年级上册）),
    marked as guessed until an edit confirms it."""
    found = textbooks.guess(title, stage=stage)
    if found.empty:
        return
    columns.update(edition_code=found.edition, grade=found.grade or "", volume=found.volume or "",
                   unit_number=found.unit_number, unit_title=found.unit_title, lesson=found.lesson,
                   textbook_guessed=True)


def parse_row(row: Mapping[str, object]) -> ManifestRow:
    """One manifest row as typed values (the upload's schema, plus `status` and `files`), or
    InvalidInput naming each bad field in Chinese."""
    return parse(ManifestRow, row)


def _row_files(base: Path, paths: list[str], *, hashed: bool = True) -> list[resources.IncomingFile]:
    """The row's files, each inside the manifest's folder; hashed unless for a dry run."""
    if not paths:
        message = _("清单的 files 列是空的：每行至少要填一个文件（相对于清单所在文件夹的路径）")
        raise InvalidInput(message, fields={"files": message})
    files = []
    for part in paths:
        try:
            path = (base / part).resolve()
            if not path.is_relative_to(base):
                raise DomainError(_("文件路径必须在清单所在的文件夹内：%(part)s", part=part))
            if not path.is_file():
                raise DomainError(_("找不到文件：%(part)s", part=part))
            if hashed:
                files.append(resources.IncomingFile.from_path(path))
            else:
                files.append(resources.IncomingFile(path.name, path, "", path.stat().st_size))
        except OSError as exc:  # a name too long for the disk, a file it may not read
            raise DomainError(_("无法读取文件：%(part)s（%(reason)s）", part=part, reason=exc.strerror or exc)) from None
    return files


def _shown(value: object) -> str:
    """A row's title as the report shows it, even when the row is refused for it."""
    return CONTROL.sub("", "" if value is None else str(value))[:300]


def _reason(exc: DomainError) -> str:
    detail = "; ".join(f"{d['file']}: {d['reason']}" for d in exc.details) if exc.details else ""
    return detail or exc.message


def _is_blank(row: Mapping[str, object]) -> bool:
    return not any(v not in (None, "") for v in row.values())


Checked = tuple[int, str, resources.CheckedUpload]


def _readable(rows: Iterator[tuple[int, dict[str, object]]], name: str) -> Iterator[tuple[int, dict[str, object]]]:
    """The rows, a failure to read the manifest (not to import a row) raised as ManifestError."""
    try:
        yield from rows
    except ManifestError:
        raise
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ManifestError(_("无法读取清单 %(name)s：%(exc)s", name=name, exc=exc)) from exc


class _Importer:
    def __init__(self, path: Path, actor: User, dry_run: bool, batch_size: int,
                 on_row: Callable[[RowOutcome], None] | None, on_progress: Callable[[int], None] | None):
        self.base = path.parent.resolve()
        self.name = path.name
        self.actor = actor
        self.dry_run = dry_run
        self.batch_size = max(1, batch_size)
        self.on_row = on_row
        self.on_progress = on_progress
        self.session = get_session()
        self.lookups = resources.Lookups(self.session)
        self.report = ImportReport(dry_run=dry_run)

    def _done(self, outcome: RowOutcome) -> None:
        if outcome.reason is not None:
            self.report.refused.append((outcome.line, outcome.title, outcome.reason))
        else:
            self.report.imported += 1
        if self.on_row is not None:
            self.on_row(outcome)

    def _advance(self, rows: int) -> None:
        if self.on_progress is not None and rows:
            self.on_progress(rows)

    def check(self, line: int, row: Mapping[str, object]) -> Checked | None:
        """The row checked completely (nothing written), or None when refused (reported)."""
        title = _shown(row.get("title"))
        try:
            parsed = parse_row(row)
            files = _row_files(self.base, parsed.files, hashed=not self.dry_run)
            checked = resources.check_upload(self.actor, parsed.upload(), files, self.lookups)
            if not any((parsed.edition, parsed.grade, parsed.volume, parsed.unit, parsed.lesson)):
                guessed(checked.columns, parsed.title, parsed.stage)
        except DomainError as exc:
            self._done(RowOutcome(line, title, reason=_reason(exc)))
            return None
        except OSError as exc:  # a file that became unreadable between the checks
            reason = _("无法读取文件：%(part)s（%(reason)s）", part=exc.filename or "", reason=exc.strerror or exc)
            self._done(RowOutcome(line, title, reason=reason))
            return None
        return line, title, checked

    def write(self, batch: list[Checked]) -> None:
        """One transaction for the batch; if it fails, one per row so only the failing row is lost."""
        if not batch:
            return
        try:
            made = resources.add_resources(self.session, [checked for _line, _title, checked in batch])
            self.session.commit()  # the change log's hook syncs the index once for the batch
        except Exception as exc:  # noqa: BLE001 - a domain error, StorageError, OSError …: reported per row
            self.session.rollback()  # removes the batch's new objects and releases its claims
            if len(batch) > 1:
                log.warning("a batch of %d rows failed (%s); writing them one by one", len(batch), exc)
                for item in batch:
                    self.write([item])
                return
            line, title, _checked = batch[0]
            reason = _reason(exc) if isinstance(exc, DomainError) else _("写入失败：%(reason)s", reason=exc)
            self._done(RowOutcome(line, title, reason=str(reason)[:500]))
            self._advance(1)
            return
        for (line, title, _checked), resource in zip(batch, made, strict=True):
            self._done(RowOutcome(line, title, resource_id=resource.id))
        self._advance(len(batch))

    def run(self, rows: Iterator[tuple[int, dict[str, object]]]) -> ImportReport:
        batch: list[Checked] = []
        unwritten = 0  # rows read whose progress is reported once their batch is written
        try:
            for line, row in _readable(rows, self.name):
                if _is_blank(row):
                    unwritten += 1
                    continue
                checked = self.check(line, row)
                if checked is None or self.dry_run:
                    if checked is not None:
                        self._done(RowOutcome(line, checked[1]))
                    self._advance(unwritten + 1)
                    unwritten = 0
                    continue
                batch.append(checked)
                if len(batch) >= self.batch_size:
                    self.write(batch)
                    self._advance(unwritten)
                    batch, unwritten = [], 0
        except ManifestError as exc:  # raised by reading the manifest only (`_readable`)
            self.report.error = exc.message
        self.write(batch)  # the last batch, or the rows checked before the manifest stopped
        self._advance(unwritten)
        if self.dry_run:
            self.session.rollback()  # a dry run only read
        return self.report


def import_manifest(path: Path, actor: User, *, dry_run: bool = False, batch_size: int = BATCH_SIZE,
                    on_row: Callable[[RowOutcome], None] | None = None,
                    on_progress: Callable[[int], None] | None = None,
                    background_index: bool = False, expected_rows: int = 0) -> ImportReport:
    """Import every row of the manifest (or, with dry_run, check every row and write nothing: no
    rows, no stored objects, no claims, no index change, no jobs). A refused row does not stop
    the others. `on_row` hears each row's outcome (an imported row once its batch committed);
    `on_progress` the number of manifest rows just finished. With `background_index` a forked
    child applies each batch to the search index while the next batch is written (a large
    manifest on a machine with a core to spare; `indexing.bulk`); the index holds every
    imported resource when this returns, either way. `expected_rows` (the manifest's row count)
    lets a large import into a smaller library rebuild the index once instead (`indexing.bulk`)."""
    importer = _Importer(path, actor, dry_run, batch_size, on_row, on_progress)
    if dry_run:  # nothing to index, nothing to compact
        report = importer.run(read_manifest(path))
    else:
        with indexing.bulk(background=background_index, expected_rows=expected_rows):
            report = importer.run(read_manifest(path))
        if report.imported:
            refresh_statistics(*BULK_TABLES)
    if report.error is not None and not report.rows:
        raise ManifestError(report.error)
    return report
