"""Funds (资金保障): purchases against budget lines; over budget a leader approves by button before it is recorded."""

from __future__ import annotations

import io
from pathlib import Path

from lianfang.models.supplies import Purchase, SupplyNeed
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of
from tests.org import check_test_org


async def test_a_purchase_within_budget_is_recorded_and_one_over_it_waits_for_a_leader(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("邓勇", "supplies", "group_lead")
    requester = await harness.member("王芳", "screening", "staff", "dongfeng")
    for line in ("/supply 体温枪 10 把 一般", "/supply 防护服 5000 套 急"):
        await requester.say(line)
        await requester.say("/skip")
        await requester.say("提交")
    await lead.say("物资 1 批准")
    await lead.say("物资 2 批准")

    assert keys_of(await lead.say("物资 1 采购"))[0] == "funds.ask_purchase"
    for bad in ("0", "-5", "abc", "1e9"):
        assert keys_of(await lead.say(f"物资 1 采购 某医疗器械公司 {bad} 疫情防控专项"))[0] == "funds.bad_price", bad
    assert keys_of(await lead.say("物资 1 采购 某医疗器械公司 80 不存在科目"))[0] == "funds.unknown_line"
    bought = await lead.say("物资 1 采购 某医疗器械公司 80 疫情防控专项")
    assert keys_of(bought)[0] == "funds.recorded" and "合计 800.00 元" in texts_of(bought)
    assert "已备货" in texts_of(requester.unread())

    waiting = await lead.say("物资 2 采购 某防护用品厂 45.5 街道预备费")  # 227,500 yuan on a 50,000 line
    assert keys_of(waiting) == ["funds.waiting"]
    again = await lead.say("物资 2 采购 某防护用品厂 45.5 街道预备费")  # typed twice: one purchase waits, not two
    assert keys_of(again)[0] == "funds.already_waiting"
    with Session(harness.app.engine) as session:
        assert session.exec(select(SupplyNeed.status).where(SupplyNeed.id == 2)).one() == "approved"
    asked = leader.unread()
    assert keys_of(asked) == ["funds.over_budget"]
    assert keys_of(await lead.say("/funds approve 2")) == ["funds.leaders_only"]
    approved = await leader.tap("批准采购")
    assert keys_of(approved) == ["funds.approved"]
    assert keys_of(await leader.tap("批准采购")) == ["funds.decided"]  # a double tap
    assert "已备货" in texts_of(requester.unread())
    assert keys_of(lead.unread())[0] == "funds.approved"

    shown = texts_of(await lead.say("资金"))
    assert "疫情防控专项：200000.00 / 800.00 / 199200.00" in shown
    assert "街道预备费：50000.00 / 227500.00 / -177500.00" in shown
    assert keys_of(await requester.say("/funds")) == ["funds.not_allowed"]
    assert keys_of(await admin.say("/funds"))[0] == "funds.title"
    with Session(harness.app.engine) as session:
        assert [p.status for p in session.exec(select(Purchase).order_by(Purchase.id))] == ["recorded", "recorded"]


async def test_a_purchase_waiting_for_a_leader_is_withdrawn_when_stock_supplies_the_request(harness: Harness) -> None:
    await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("邓勇", "supplies", "group_lead")
    requester = await harness.member("王芳", "screening", "staff", "dongfeng")
    await requester.say("/supply 防护服 5000 套 急")
    await requester.say("/skip")
    await requester.say("提交")
    await lead.say("物资 1 批准")
    assert keys_of(await lead.say("物资 1 采购 某防护用品厂 45.5 街道预备费")) == ["funds.waiting"]
    await lead.say("库存 入库 防护服 5000 街道仓库 区调配")  # the district sends them meanwhile
    assert "已备货" in texts_of(await lead.say("物资 1 调拨 街道仓库"))
    assert keys_of(leader.unread()) == ["funds.over_budget"]
    assert keys_of(await leader.tap("批准采购")) == ["funds.decided"]  # too late: nothing is bought
    with Session(harness.app.engine) as session:
        assert session.exec(select(Purchase.status)).all() == ["withdrawn"]
    assert "街道预备费：50000.00 / 0.00 / 50000.00" in texts_of(await lead.say("资金"))


def test_org_check_names_a_bad_supplies_section(tmp_path: Path) -> None:
    sample = Path("examples/wulipai.toml").read_text(encoding="utf-8")
    for broken, expected in (
        (sample.replace('name = "街道仓库"', 'name = "街道仓库"\ncommunity = "nowhere"', 1), "nowhere"),
        (sample.replace("threshold = 2000", "threshold = -1", 1), "threshold"),
        (sample.replace('name = "N95口罩"', 'name = "医用外科口罩"', 1), "listed twice"),
        (sample.replace('group = "supplies"\nchase_hours', 'group = "logistics"\nchase_hours', 1), "logistics"),
    ):
        path = tmp_path / "org.toml"
        path.write_text(broken, encoding="utf-8")
        problems = [f"{problem}" for problem in check_test_org(path)]
        assert any(expected in problem for problem in problems), (expected, problems)


async def test_the_supplies_ledger_is_exported_to_those_who_see_the_funds(harness: Harness) -> None:
    lead = await harness.member("邓勇", "supplies", "group_lead")
    await lead.say("库存 入库 防护服 80 街道仓库 =HYPERLINK(1)")
    await lead.say("库存 出库 防护服 30 街道仓库 =cmd|calc")
    answer = await lead.say("库存 导出")
    assert keys_of(answer) == ["supplies_export.sent"]
    document = answer[0].document
    assert document is not None and document.file_name == "物资台账-20200128.xlsx" and document.data
    book = load_workbook(io.BytesIO(document.data))
    assert book.sheetnames == ["物资需求", "库存", "出入库记录", "采购", "预算"]
    assert [cell.value for cell in book["库存"][2]] == ["防护服", "街道仓库", 50]
    moved = [(row[6].value, row[8].value) for row in book["出入库记录"].iter_rows(min_row=2)]
    assert moved == [("'=HYPERLINK(1)", None), (None, "'=cmd|calc")]  # text is never read as a formula
    assert [cell.value for cell in book["预算"][2]] == ["疫情防控专项", "200000.00", "0.00", "200000.00"]
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert keys_of(await staff.say("库存 导出")) == ["funds.not_allowed"]
