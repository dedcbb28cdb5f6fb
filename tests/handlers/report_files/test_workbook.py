"""The .xlsx: the day's figures, the last 30 days, one sheet per group; an answer never runs as a formula."""

from __future__ import annotations

import io
from datetime import datetime

from lianfang.handlers.report_files.content import ReportContent
from lianfang.handlers.report_files.workbook import build_xlsx, sheet_name
from openpyxl import load_workbook


def test_sheets_today_thirty_days_and_each_group(content: ReportContent) -> None:
    book = load_workbook(io.BytesIO(build_xlsx(content)))
    assert book.sheetnames == ["当日数据", "近30日", "综合组", "排查组", "执纪督查组"]
    today = [[cell.value for cell in row] for row in book["当日数据"].iter_rows()]
    assert today[0][0] == "五里牌街道新型冠状病毒感染的肺炎疫情防控工作日报"
    assert ["当日排查登记（人）", 30] in today
    history = list(book["近30日"].iter_rows(values_only=True))
    assert history[0][:3] == ("日期", "当日排查登记（人）", "累计排查登记（人）")
    assert len(history) == 31
    assert "台账覆盖率（%）" not in history[0]  # kept only as it stands now: today's sheet has it, history not
    assert ["台账覆盖率（%）", 90] in today
    assert history[-1][0] == datetime(2020, 1, 28) and history[-1][1] == 30


def test_a_group_sheet_lists_its_answers(content: ReportContent) -> None:
    sheet = load_workbook(io.BytesIO(build_xlsx(content)))["排查组"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "【排查组】报送人：周强（15:10）"
    assert rows[1] == ("项目", "报送内容")
    assert rows[2] == ("今日核查户数", "126")
    assert rows[3] == ("问题", "'=1+1")  # escaped: a spreadsheet shows it, never computes it
    assert sheet.cell(4, 2).data_type == "s"


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_name("组/一:*?", taken) == "组_一___"
    assert sheet_name("组/一:*?", taken) == "组_一___(2)"
    assert len(sheet_name("长" * 40, taken)) == 31
