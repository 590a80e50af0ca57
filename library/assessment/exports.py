"""The annual assessment as CSV and as an XLSX workbook with its evidence."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from library.assessment.indicators import indicators
from library.assessment.models import Indicator
from library.assessment.scores import (Evidence, Shown, StudioScores, competition_ranks, everything,
                                       split_evidence)
from library.i18n import AWARD_LEVEL_LABELS, is_english

# The CSV's columns: what a person reads (Chinese titles, the default) and, with codes, the machine's
# field names as well (the long format programs read: a second header row, the code columns, the
# evidence as "resource:12").
CSV_HEADER = ["year", "studio", "studio_name", "indicator", "indicator_name", "count", "points_before_cap",
              "cap", "score", "evidence", "evidence_hidden"]
CSV_TITLES = {"year": _l("年度"), "studio": _l("工作室代码"), "studio_name": _l("工作室"), "indicator": _l("指标代码"),
              "indicator_name": _l("指标"), "count": _l("计数"), "points_before_cap": _l("计分（封顶前）"),
              "cap": _l("上限"), "score": _l("得分"), "evidence": _l("依据"), "evidence_hidden": _l("未列名的依据条数")}
CSV_FOR_PEOPLE = ["year", "studio_name", "indicator_name", "count", "points_before_cap", "cap", "score", "evidence",
                  "evidence_hidden"]

# Evidence types as an official reads them.
EVIDENCE_LABELS = {"resource": _l("成果"), "resources": _l("成果"), "loan": _l("借阅"), "activity": _l("活动"),
                   "agreement": _l("帮扶协议"), "school": _l("帮扶学校"), "view_month": _l("浏览（月）"),
                   "download_month": _l("下载（月）")}

SUMMARY_SHEET = "汇总"
# Excel refuses these in a sheet name, a name of more than 31 characters, one starting or ending
# with an apostrophe, and "History" (its own).
SHEET_FORBIDDEN = "[]:*?/\\"
SHEET_RESERVED = {"history", SUMMARY_SHEET}


def evidence_label(kind: str) -> str:
    return str(EVIDENCE_LABELS[kind]) if kind in EVIDENCE_LABELS else kind


def file_name(year: int, fmt: str) -> str:
    """The download's name: 2024年度名师工作室考核.xlsx."""
    return _("%(year)s年度名师工作室考核", year=year) + f".{fmt}"


def content_disposition(year: int, fmt: str) -> str:
    """Content-Disposition with the Chinese name (RFC 5987 filename*) and an ASCII one for old clients."""
    return (f'attachment; filename="assessment-{year}.{fmt}"; '
            f"filename*=UTF-8''{quote(file_name(year, fmt), safe='')}")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# What XML 1.0 (so an XLSX cell) cannot hold: C0 controls but tab and the line ends, U+FFFE, U+FFFF and
# lone surrogates (which no UTF-8 file, CSV or XLSX, can hold either). Stored text may carry them
# (legacy rows, another path in): they are dropped from every cell, never a 500.
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cell_text(value: str) -> str:
    """Text as a cell may hold it."""
    return NOT_IN_XML.sub("", value)


def _csv_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection: a leading quote)."""
    value = cell_text(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _cells(values: Iterable[Any]) -> list[Any]:
    return [cell_text(v) if isinstance(v, str) else v for v in values]


def hidden_label(kind: str, n: int) -> str:
    """What stands for rows the viewer may not see named: counted, not named."""
    if kind == "loan":
        return _("（不公开成果的借阅 %(n)s 项）", n=n)
    return _("（不公开的成果 %(n)s 项）", n=n)


def hidden_rows(hidden: list[Evidence]) -> list[tuple[str, int, int, float]]:
    """Hidden rows grouped by type and points: (type, rows, units, points each), so each figure is
    still the sum of its evidence."""
    groups: dict[tuple[str, float], list[Evidence]] = {}
    for e in hidden:
        groups.setdefault((e.type, e.points), []).append(e)
    return [(kind, len(rows), sum(e.units for e in rows), points) for (kind, points), rows in groups.items()]


def export_csv(year: int, rows: list[StudioScores], shown: Shown = everything, codes: bool = False) -> str:
    """Long format, one line per studio and indicator, under Chinese column titles; the evidence the
    viewer may see as "成果 12、活动 3", and how many rows are not named. With `codes` (for programs):
    every column of CSV_HEADER, a second header row of those field names, the evidence as
    "resource:12 activity:3"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = CSV_HEADER if codes else CSV_FOR_PEOPLE
    writer.writerow([str(CSV_TITLES[c]) for c in columns])
    if codes:
        writer.writerow(columns)
    for row in rows:
        for s in row.scores:
            named, hidden = split_evidence(s, shown)
            if codes:
                evidence = " ".join(f"{e.type}:{e.id}" for e in named)
            else:
                evidence = "、".join(f"{evidence_label(e.type)} {e.id}" for e in named)
            values = {"year": year, "studio": _csv_text(row.figures.studio.slug),
                      "studio_name": _csv_text(row.figures.studio.name), "indicator": _csv_text(s.indicator.code),
                      "indicator_name": _csv_text(_indicator_name(s.indicator)), "count": s.count,
                      "points_before_cap": s.raw, "cap": "" if s.indicator.cap is None else s.indicator.cap,
                      "score": s.score, "evidence": _csv_text(evidence), "evidence_hidden": len(hidden)}
            if not codes:  # a person reads 10, not 10.0
                values = {k: f"{v:g}" if isinstance(v, float) else v for k, v in values.items()}
            writer.writerow([values[c] for c in columns])
    return "\ufeff" + out.getvalue()  # Excel opens UTF-8 CSV as UTF-8 only with the BOM


def _indicator_name(indicator: Indicator) -> str:
    return indicator.name_en if is_english() and indicator.name_en else indicator.name


def sheet_name(name: str, used: set[str]) -> str:
    """An Excel sheet name for a studio: its Chinese name without []:*?/\\ and outer apostrophes, at most
    31 characters, unique in the workbook (Excel compares names ignoring case): "…(2)" for a second."""
    base = "".join(ch for ch in name if ch not in SHEET_FORBIDDEN).strip().strip("'").strip()[:31] or _("工作室")
    candidate, n = base, 2
    while candidate.lower() in used or candidate.lower() in SHEET_RESERVED:
        suffix = f"({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def level_points_text(indicator: Indicator) -> str:
    """Per-level points as an official reads them: "国家级 8 分、省级 5 分"."""
    points = indicator.level_points or {}
    return "、".join(_("%(level)s %(points)s 分", level=AWARD_LEVEL_LABELS.get(level, level), points=f"{value:g}")
                    for level, value in points.items())


def _display_width(value: Any) -> int:
    """How many columns a cell's text takes in Excel: a CJK character two."""
    text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.splitlines()), default=0)


def _fit_columns(sheet, skip_rows: int = 1, widest: int = 60) -> None:
    """Column widths from their contents (the title row, which spans the sheet, left out)."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for cells in sheet.iter_rows(min_row=skip_rows + 1):
        for cell in cells:
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(cell.value))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 6), widest)


def export_xlsx(year: int, rows: list[StudioScores], shown: Shown = everything) -> bytes:
    """A workbook an official can read: "汇总" (the studios ranked by total, ties sharing a rank, with
    each indicator's score), then one sheet per studio named by its name, with each indicator's count,
    points and score followed by the evidence rows behind them (rows naming an output the viewer may
    not see are one line per kind: how many, not which). Header rows are frozen; no codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    items = indicators()
    names = [_indicator_name(i) for i in items]
    book = Workbook()
    summary = book.active
    summary.title = SUMMARY_SHEET
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="bottom")
    summary.append([_("%(year)s 年度名师工作室考核汇总", year=year)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(_cells([_("名次"), _("工作室"), _("总分"), *names]))
    for cell in summary[2]:
        cell.font, cell.alignment = bold, wrap
    ordered = sorted(rows, key=lambda r: (-r.total, r.figures.studio.name, r.figures.studio.id))
    ranks = competition_ranks([r.total for r in ordered])
    used: set[str] = set()
    for rank, row in zip(ranks, ordered, strict=True):
        studio = row.figures.studio
        summary.append(_cells([rank, studio.name, row.total, *[s.score for s in row.scores]]))
        sheet = book.create_sheet(sheet_name(cell_text(studio.name), used))
        sheet.append(_cells([_("%(name)s · %(year)s 年度考核", name=studio.name, year=year)]))
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([_("指标"), _("计数"), _("每单位分值"), _("按级别分值"), _("计分（封顶前）"), _("上限"), _("得分")])
        for cell in sheet[2]:
            cell.font = bold
        for s, name in zip(row.scores, names, strict=True):
            i = s.indicator
            sheet.append(_cells([name, s.count, i.points, level_points_text(i), s.raw, i.cap, s.score]))
        sheet.append(_cells([_("总分"), None, None, None, None, None, row.total]))
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.cell(row=sheet.max_row, column=7).font = bold
        sheet.append([])
        sheet.append([_("依据")])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append([_("指标"), _("类型"), _("编号"), _("名称"), _("数量"), _("每单位分值")])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for s, name in zip(row.scores, names, strict=True):
            named, hidden = split_evidence(s, shown)
            for e in named:
                sheet.append(_cells([name, evidence_label(e.type), e.id, e.label, e.units, e.points]))
            for kind, n, units, points in hidden_rows(hidden):
                sheet.append(_cells([name, evidence_label(kind), None, hidden_label(kind, n), units, points]))
        sheet.freeze_panes = "B3"
        _fit_columns(sheet)
    summary.freeze_panes = "C3"
    _fit_columns(summary, widest=40)
    summary.column_dimensions["A"].width = 6
    for column in range(4, 4 + len(items)):  # indicator names wrap in their header, not widen the sheet
        summary.column_dimensions[get_column_letter(column)].width = 12
    # openpyxl stores any text starting with "=" as a formula; titles, names and labels come from
    # users, so every such cell is turned back into the text it is (the workbook has no formulas).
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
