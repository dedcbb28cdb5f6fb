"""The daily report as an .xlsx (openpyxl): the day's figures, the last 30 days, and one sheet per group."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from lianfang.handlers.report_files.content import HISTORY_FIGURES, ReportContent
from lianfang.handlers.shared.spreadsheet import fill_cell
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

SHEET_NAME_LIMIT = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
LABEL_WIDTH = 28
VALUE_WIDTH = 60
NUMBER_WIDTH = 12


def append(sheet: Worksheet, values: Sequence[object]) -> None:
    """Append a row; text goes in as a plain string, escaped so that a group's answer never runs as a formula."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet["A1"].value is not None else 1
    for column, value in enumerate(values, 1):
        fill_cell(sheet.cell(row, column), value)


def sheet_name(name: str, taken: set[str]) -> str:
    """Return a valid sheet name for a group, unique in the workbook."""
    base = SHEET_NAME_FORBIDDEN.sub("_", name).strip() or "_"
    base = base[:SHEET_NAME_LIMIT]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def build_xlsx(content: ReportContent) -> bytes:
    """Write the report's figures, their last 30 days, and each group's answers as an .xlsx."""
    book = Workbook()
    taken: set[str] = set()
    today = book.active
    today.title = sheet_name(content.text("report_files.sheet_today"), taken)
    append(today, [content.text("report_files.title", name=content.org_name)])
    issue_key = "report_files.issue_updated" if content.updated else "report_files.issue"
    append(today, [content.text(issue_key, issue=content.issue, date=content.day.isoformat())])
    append(today, [content.text("report_files.column_item"), content.text("report_files.column_value")])
    for figure, number in content.figure_rows():
        append(today, [figure, number])
    for cell in (today["A1"], today["A3"], today["B3"]):
        cell.font = HEADER_FONT
    today.column_dimensions["A"].width = LABEL_WIDTH

    trend = book.create_sheet(sheet_name(content.text("report_files.sheet_history"), taken))
    append(trend, [content.text("report_files.column_date"), *(content.text(key) for key in HISTORY_FIGURES.values())])
    for row in content.history:
        append(trend, [row.day, *(row.values[name] for name in HISTORY_FIGURES)])
    for cell in trend[1]:
        cell.font = HEADER_FONT
        cell.alignment = WRAP
    for column in range(1, len(HISTORY_FIGURES) + 2):
        trend.column_dimensions[get_column_letter(column)].width = NUMBER_WIDTH
    for row in trend.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    trend.freeze_panes = "B2"

    for block in content.groups:
        sheet = book.create_sheet(sheet_name(block.name, taken))
        for header in block.headers:
            append(sheet, [header])
            sheet.cell(sheet.max_row, 1).font = HEADER_FONT
        append(sheet, [content.text("report_files.column_item"), content.text("report_files.column_answer")])
        for label, value in block.rows:
            append(sheet, [label, value])
        for note in block.notes:
            append(sheet, [note])
        sheet.column_dimensions["A"].width = LABEL_WIDTH
        sheet.column_dimensions["B"].width = VALUE_WIDTH
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = WRAP
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
