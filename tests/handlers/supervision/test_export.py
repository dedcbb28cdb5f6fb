"""Export of 督办台账 and 问题台账: the CLI writes both sheets with the offices' columns; chat export by role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lianfang.app.cli import EXIT_OK, main
from lianfang.bot.db import session_scope
from lianfang.bot.subcommands import EXIT_ERROR
from lianfang.handlers.supervision.export import export_supervision
from lianfang.models.audit import AuditEntry
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of


async def test_both_sheets_have_the_offices_columns_and_text_stays_text(harness: Harness, tmp_path: Path) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("刘洋", "screening", "group_lead")
    inspector = await harness.member("杨寿军", "supervision", "group_lead")
    await leader.say("/supervise 排查组 1月30日 =SUM(A1) 完成核查")
    await leader.say("提交")
    await lead.say("督办 1 进展")
    await lead.say("已核查一半")
    assert keys_of(await lead.send_file("核查记录.jpg", b"\xff\xd8 photo"))[0] == "supervision.did_progress"
    await inspector.say("/inspect")
    for answer in ("排查组", "暗访", "今天", "卡点无人值守 1月29日"):
        await inspector.say(answer)
    await inspector.send_file("卡点.jpg", b"\xff\xd8 photo")
    await inspector.say("提交")
    out = tmp_path / "督办台账.xlsx"
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        summary = export_supervision(ctx, out, actor="cli:test")
    assert (summary.items, summary.problems) == (2, 1)
    book = load_workbook(out)
    assert book.sheetnames == ["督办台账", "问题台账"]
    items = [[cell.value for cell in row] for row in book["督办台账"].iter_rows()]
    assert items[0] == [
        "序号", "来源", "文号", "内容", "牵头单位", "配合单位", "交办人", "交办时间",
        "办理时限", "状态", "颜色", "办理情况", "办结时间", "延期次数", "退回次数", "佐证材料",
    ]  # fmt: skip
    assert items[1][:7] == [1, "领导批示", None, "'=SUM(A1) 完成核查", "排查组", "无", "王宏武"]
    assert items[1][9:12] == ["办理中", "🟢绿", "已核查一半"]
    assert items[1][15] == "核查记录.jpg" and items[2][15] is None
    problems = [[cell.value for cell in row] for row in book["问题台账"].iter_rows()]
    assert problems[0][:6] == ["序号", "督查编号", "督查日期", "督查方式", "督查对象", "问题"]
    assert problems[0][-1] == "问题照片"
    assert problems[1][1:7] == [1, "2020-01-28", "暗访", "排查组", "卡点无人值守", "排查组"]
    assert problems[1][-1] == "卡点.jpg"
    with Session(harness.app.engine) as session:
        assert [e.actor for e in session.exec(select(AuditEntry))] == ["cli:test"]


async def test_chat_export_is_for_full_data_roles(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    reporter = await harness.member("赵敏", "screening", "reporter")
    assert keys_of(await reporter.say("督办 导出")) == ["supervision.may_not_export"]
    answer = await leader.say("/supervise export")
    assert keys_of(answer) == ["supervision.export_ready"]
    assert answer[0].document is not None and answer[0].document.file_name == "督办台账-20200128.xlsx"


def test_the_cli_writes_the_file_and_says_how_much(
    cli_on_database: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path = cli_on_database("2020-01-28T08:00:00")
    out = tmp_path / "督办台账.xlsx"
    assert main(["supervision", "export", "--out", str(out)]) == EXIT_OK
    assert "督办事项 0 项，问题 0 个" in capsys.readouterr().out
    assert load_workbook(out).sheetnames == ["督办台账", "问题台账"]
    assert main(["supervision", "export", "--out", str(tmp_path / "missing" / "x.xlsx")]) == EXIT_ERROR
