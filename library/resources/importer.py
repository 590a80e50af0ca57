"""Bulk import of existing material from a CSV or XLSX manifest (one row a resource)."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from library.accounts.models import User
from library.db import get_session
from library.errors import DomainError
from library.resources import service as resources
from library.resources.schemas import ManifestRow
from library.validation import CONTROL, parse

FIELDS = (
    "title", "kind", "subject", "stage", "grade", "studio", "authors", "abstract", "keywords", "year",
    "award_level", "award_name", "project_level", "project_status", "project_number", "publication",
    "visibility", "status", "files",
)


@dataclass
class ImportReport:
    """What an import did: rows imported (line, id, title) and rows refused (line, title, reason)."""

    imported: list[tuple[int, int, str]] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)


def read_manifest(path: Path) -> list[dict[str, object]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX manifest, keyed by header names; an
    XLSX cell keeps its number (2024, not "2024.0"); every row is parsed by `parse_row`."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, [])]
        out = [
            {h: "" if v is None else v.strip() if isinstance(v, str) else v
             for h, v in zip(header, row, strict=False) if h}
            for row in rows
        ]
        wb.close()
        return out
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [
            {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(fh)
        ]


def parse_row(row: Mapping[str, object]) -> ManifestRow:
    """One manifest row as typed values (the upload's schema, plus `status` and `files`), or
    InvalidInput naming each bad field in Chinese."""
    return parse(ManifestRow, row)


def _row_files(base: Path, paths: list[str]) -> list[resources.IncomingFile]:
    files = []
    for part in paths:
        try:
            path = (base / part).resolve()
            if not path.is_relative_to(base):
                raise DomainError(_("文件路径必须在清单所在的文件夹内：%(part)s", part=part))
            if not path.is_file():
                raise DomainError(_("找不到文件：%(part)s", part=part))
            files.append(resources.IncomingFile.from_path(path))
        except OSError as exc:  # a name too long for the disk, a file it may not read
            raise DomainError(_("无法读取文件：%(part)s（%(reason)s）", part=part, reason=exc.strerror or exc)) from None
    return files


def _shown(value: object) -> str:
    """A row's title as the report shows it, even when the row is refused for it."""
    return CONTROL.sub("", "" if value is None else str(value))[:300]


def import_manifest(path: Path, actor: User) -> ImportReport:
    """Import every row in its own transaction; a refused row does not stop the others."""
    report = ImportReport()
    base = path.parent.resolve()
    try:
        rows = read_manifest(path)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        raise DomainError(_("无法读取清单 %(name)s：%(exc)s", name=path.name, exc=exc)) from exc
    if rows and "title" not in rows[0]:
        raise DomainError(_("清单第一行应是列名（title, kind, subject, stage, studio, files …）"))
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        if not any(v not in (None, "") for v in row.values()):
            continue
        title = _shown(row.get("title"))
        try:
            parsed = parse_row(row)
            files = _row_files(base, parsed.files)
            resource = resources.create_resource(actor, parsed.upload(), files)
        except DomainError as exc:
            get_session().rollback()
            detail = "; ".join(f"{d['file']}: {d['reason']}" for d in exc.details) if exc.details else ""
            report.refused.append((line, title, detail or exc.message))
            continue
        report.imported.append((line, resource.id, resource.title))
    return report
