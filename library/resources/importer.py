"""Bulk import of existing material from a CSV or XLSX manifest (one row a resource)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from library.accounts.models import User
from library.db import get_session
from library.errors import DomainError
from library.resources import service as resources

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


def read_manifest(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX manifest, keyed by header names."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, [])]
        out = [
            {h: "" if v is None else str(v).strip() for h, v in zip(header, row, strict=False) if h}
            for row in rows
        ]
        wb.close()
        return out
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [
            {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(fh)
        ]


def _row_files(base: Path, spec: str) -> list[resources.IncomingFile]:
    files = []
    for part in (p.strip() for p in spec.split(";")):
        if not part:
            continue
        path = (base / part).resolve()
        if not path.is_relative_to(base):
            raise DomainError(_("文件路径必须在清单所在的文件夹内：%(part)s", part=part))
        if not path.is_file():
            raise DomainError(_("找不到文件：%(part)s", part=part))
        files.append(resources.IncomingFile.from_path(path))
    return files


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
        if not any(row.values()):
            continue
        title = row.get("title", "")
        try:
            files = _row_files(base, row.get("files", ""))
            data = dict(row)
            status = row.get("status") or "published"
            data["publish"] = "true" if status == "published" else "false"
            data["submit"] = "true" if status == "submitted" else "false"
            resource = resources.create_resource(actor, data, files)
        except DomainError as exc:
            get_session().rollback()
            detail = "; ".join(f"{d['file']}: {d['reason']}" for d in exc.details) if exc.details else ""
            report.refused.append((line, title, detail or exc.message))
            continue
        report.imported.append((line, resource.id, resource.title))
    return report
