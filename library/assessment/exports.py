"""The annual assessment as CSV and as an XLSX workbook with its evidence."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _

from library.assessment.indicators import indicators
from library.assessment.scores import Evidence, Shown, StudioScores, everything, split_evidence

CSV_HEADER = ["year", "studio", "studio_name", "indicator", "indicator_name", "count", "points_before_cap",
              "cap", "score", "evidence", "evidence_hidden"]


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


def export_csv(year: int, rows: list[StudioScores], shown: Shown = everything) -> str:
    """Long format, one line per studio and indicator; evidence as 'resource:12 resource:15 …' (the
    rows the viewer may see) and how many rows are not named."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        for s in row.scores:
            named, hidden = split_evidence(s, shown)
            writer.writerow([year, _csv_text(row.figures.studio.slug), _csv_text(row.figures.studio.name),
                             _csv_text(s.indicator.code), _csv_text(s.indicator.name), s.count, s.raw,
                             "" if s.indicator.cap is None else s.indicator.cap, s.score,
                             _csv_text(" ".join(f"{e.type}:{e.id}" for e in named)), len(hidden)])
    return "\ufeff" + out.getvalue()  # Excel opens UTF-8 CSV as UTF-8 only with the BOM


def sheet_name(slug: str, used: set[str]) -> str:
    """An Excel sheet name (≤ 31 characters, none of []:*?/\\) for a studio, unique in the workbook."""
    base = "".join(ch for ch in slug if ch not in "[]:*?/\\")[:31] or "studio"
    name, n = base, 2
    while name.lower() in used or name.lower() == "summary":
        suffix = f"~{n}"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def export_xlsx(year: int, rows: list[StudioScores], shown: Shown = everything) -> bytes:
    """A workbook: 'Summary' (studio × indicator scores and total), then one sheet per studio with each
    indicator's count, points and score followed by the evidence rows behind them (rows naming an
    output the viewer may not see are one line per kind: how many, not which)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    items = indicators()
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    bold = Font(bold=True)
    summary.append([f"{year} 年度名师工作室考核汇总"])
    summary["A1"].font = bold
    summary.append(_cells(["工作室代码", "工作室", *[i.name for i in items], "总分"]))
    summary.append(_cells(["", "", *[i.code for i in items], "total"]))
    for cell in summary[2]:
        cell.font = bold
    used: set[str] = set()
    for row in rows:
        studio = row.figures.studio
        summary.append(_cells([studio.slug, studio.name, *[s.score for s in row.scores], row.total]))
        sheet = book.create_sheet(sheet_name(cell_text(studio.slug), used))
        sheet.append(_cells([f"{studio.name} · {year} 年度考核"]))
        sheet["A1"].font = bold
        sheet.append(["指标代码", "指标", "计数", "每单位分值", "按级别分值", "计分（封顶前）", "上限", "得分"])
        for cell in sheet[2]:
            cell.font = bold
        for s in row.scores:
            i = s.indicator
            sheet.append(_cells([i.code, i.name, s.count, i.points,
                                 json.dumps(i.level_points, ensure_ascii=False) if i.level_points else "",
                                 s.raw, i.cap, s.score]))
        sheet.append(["total", "总分", None, None, None, None, None, row.total])
        sheet.append([])
        sheet.append(["依据"])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append(["指标代码", "类型", "编号", "名称", "数量", "每单位分值"])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for s in row.scores:
            named, hidden = split_evidence(s, shown)
            for e in named:
                sheet.append(_cells([s.indicator.code, e.type, e.id, e.label, e.units, e.points]))
            for kind, n, units, points in hidden_rows(hidden):
                sheet.append(_cells([s.indicator.code, kind, None, hidden_label(kind, n), units, points]))
        for column, width in zip("ABCDEFGH", (20, 28, 10, 12, 36, 14, 8, 8), strict=True):
            sheet.column_dimensions[column].width = width
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 28
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
