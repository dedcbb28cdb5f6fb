"""A report's content made by hand: 30 days of figures, three groups, one answer that looks like a formula."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lianfang.handlers.report_files.content import FIGURE_LABELS, DayRow, GroupBlock, ReportContent, Section
from lianfang.models.referrals import STATUSES

DAY = date(2020, 1, 28)


def sample_content(*, updated: bool = False, lang: str = "zh_CN") -> ReportContent:
    """Return a month of growing figures and the 28 January report's sections."""
    history = []
    for offset in range(29, -1, -1):
        n = 30 - offset
        values = {name: n * (index + 1) for index, name in enumerate(FIGURE_LABELS)}
        values["ledger_coverage"] = min(100, n * 3)
        history.append(DayRow(DAY - timedelta(days=offset), values))
    groups = [
        GroupBlock("综合组", ["【综合组】报送人：李娜（15:05）"], notes=["今日无新情况。"]),
        GroupBlock("排查组", ["【排查组】报送人：周强（15:10）"], [("今日核查户数", "126"), ("问题", "=1+1")]),
        GroupBlock("执纪督查组", ["【执纪督查组】未报送"]),
    ]
    sections = [
        Section("疫情变化", ["今日排查登记 30 人，累计 465 人。", "今日发热等症状预警 90 人，转诊发热门诊 120 人。"]),
        Section("各工作组工作情况", [line for block in groups for line in block.headers]),
        Section("存在问题及下步工作", ["执纪督查组（已催报 2 次）"]),
    ]
    return ReportContent(
        day=DAY,
        lang=lang,
        org_name="五里牌街道",
        issue=4,
        updated=updated,
        notes=[],
        sections=sections,
        groups=groups,
        history=history,
        referrals={status: index + 1 for index, status in enumerate(STATUSES)},
        signature={"unit": "五里牌街道疫情防控指挥部", "signer": "王建国", "contact": "龙雅俐 0731-84512345"},
    )


@pytest.fixture
def content() -> ReportContent:
    """Return the hand-made report of 28 January 2020."""
    return sample_content()
