"""The annual assessment as CSV and as an XLSX workbook with its evidence."""

from __future__ import annotations

import csv
import io
import json

from library.assessment.indicators import indicators
from library.assessment.scores import StudioScores

CSV_HEADER = ["year", "studio", "studio_name", "indicator", "indicator_name", "count", "points_before_cap",
              "cap", "score", "evidence"]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection: a leading quote)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def export_csv(year: int, rows: list[StudioScores]) -> str:
    """Long format, one line per studio and indicator; evidence as 'resource:12 resource:15 …'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        for s in row.scores:
            writer.writerow([year, row.figures.studio.slug, _csv_text(row.figures.studio.name), s.indicator.code,
                             _csv_text(s.indicator.name), s.count, s.raw, "" if s.indicator.cap is None else s.indicator.cap,
                             s.score, " ".join(f"{e.type}:{e.id}" for e in s.evidence)])
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


def export_xlsx(year: int, rows: list[StudioScores]) -> bytes:
    """A workbook: 'Summary' (studio × indicator scores and total), then one sheet per studio with each
    indicator's count, points and score followed by the evidence rows behind them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    items = indicators()
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    bold = Font(bold=True)
    summary.append([f"{year} 年度名师工作室考核汇总"])
    summary["A1"].font = bold
    summary.append(["工作室代码", "工作室", *[i.name for i in items], "总分"])
    summary.append(["", "", *[i.code for i in items], "total"])
    for cell in summary[2]:
        cell.font = bold
    used: set[str] = set()
    for row in rows:
        studio = row.figures.studio
        summary.append([studio.slug, studio.name, *[s.score for s in row.scores], row.total])
        sheet = book.create_sheet(sheet_name(studio.slug, used))
        sheet.append([f"{studio.name} · {year} 年度考核"])
        sheet["A1"].font = bold
        sheet.append(["指标代码", "指标", "计数", "每单位分值", "按级别分值", "计分（封顶前）", "上限", "得分"])
        for cell in sheet[2]:
            cell.font = bold
        for s in row.scores:
            i = s.indicator
            sheet.append([i.code, i.name, s.count, i.points,
                          json.dumps(i.level_points, ensure_ascii=False) if i.level_points else "",
                          s.raw, i.cap, s.score])
        sheet.append(["total", "总分", None, None, None, None, None, row.total])
        sheet.append([])
        sheet.append(["依据"])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append(["指标代码", "类型", "编号", "名称", "数量", "每单位分值"])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for s in row.scores:
            for e in s.evidence:
                sheet.append([s.indicator.code, e.type, e.id, e.label, e.units, e.points])
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
