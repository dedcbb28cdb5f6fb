"""Stock-outs (断货) in the chart, the files and the dashboard: places and items with none left each evening, from
the stock's own movements; open supply requests stay a line of their own."""

from __future__ import annotations

from datetime import date, timedelta

from lianfang.bot.db import session_scope
from lianfang.handlers.dashboard import build_dashboard
from lianfang.handlers.report_files.chart import WATCHED
from lianfang.handlers.report_files.content import build_content
from lianfang.models.members import Member
from sqlmodel import select

from tests.fakes import TEST_DAY, Harness, texts_of
from tests.handlers.supplies.test_stock import keeper

DAY_ONE, DAY_TWO, DAY_THREE = TEST_DAY, TEST_DAY + timedelta(days=1), TEST_DAY + timedelta(days=2)


async def three_days_of_stock(harness: Harness) -> None:
    """Day one: 东风社区库 uses up its N95. Day two: it is refilled, and 街道仓库 runs out of N95 and 防护服.
    Day three: 街道仓库 gets both again."""
    clerk, _, _ = await keeper(harness)
    for line in (
        "库存 入库 N95口罩 100 街道仓库",
        "库存 调拨 N95口罩 50 街道仓库 东风社区库",
        "库存 出库 N95口罩 50 东风社区库 卡点",
    ):
        assert "现有" in texts_of(await clerk.say(line)), line
    harness.at("09:30", DAY_TWO)
    for line in (
        "库存 调拨 N95口罩 20 街道仓库 东风社区库",
        "库存 出库 N95口罩 30 街道仓库 卡点",
        "库存 入库 防护服 10 街道仓库",
        "库存 出库 防护服 10 街道仓库 卡点",
    ):
        assert "现有" in texts_of(await clerk.say(line)), line
    harness.at("09:30", DAY_THREE)
    for line in ("库存 入库 N95口罩 200 街道仓库", "库存 入库 防护服 80 街道仓库"):
        assert "现有" in texts_of(await clerk.say(line)), line


def board(harness: Harness, day: date):  # noqa: ANN201 - the dashboard's data
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        leader = session.exec(select(Member).where(Member.name == "王宏武")).one()
        return build_dashboard(ctx, leader, day)


async def test_stock_outs_are_counted_each_evening_in_the_files_and_the_dashboard(harness: Harness) -> None:
    await harness.member("王宏武", "coordination", "leader")
    await three_days_of_stock(harness)
    with session_scope(harness.app.engine) as session:
        content = build_content(harness.app.dispatcher.context(session, harness.clock()), DAY_THREE)
    assert [row.values["stock_outs"] for row in content.history[-4:]] == [0, 1, 2, 0]
    assert {name for name, *_ in WATCHED} >= {"stock_outs", "supplies_open"}  # both drawn, each with its own label
    assert ("断货（处，当晚库存为零）", 0) in content.figure_rows()

    today = board(harness, DAY_THREE)
    figures = {figure.label: figure for figure in today.figures}
    assert figures["断货（处）"].value == 0 and figures["断货（处）"].series[-4:] == (0, 1, 2, 0)
    assert not any("断货" in line for line in today.summary)

    earlier = board(harness, DAY_TWO)
    assert {figure.label: figure for figure in earlier.figures}["断货（处）"].value == 2
    assert earlier.summary == ["当晚断货 2 处：街道仓库N95口罩、街道仓库防护服。"]
    assert board(harness, DAY_ONE).summary == ["当晚断货 1 处：东风社区库N95口罩。"]


async def test_today_the_dashboard_says_what_the_report_says(harness: Harness) -> None:
    await harness.member("王宏武", "coordination", "leader")
    clerk, _, _ = await keeper(harness)
    await clerk.say("库存 入库 防护服 10 街道仓库")
    await clerk.say("库存 出库 防护服 10 街道仓库 卡点")
    today = board(harness, TEST_DAY)
    assert {figure.label: figure.value for figure in today.figures}["断货（处）"] == 1
    assert "断货 1 处：街道仓库防护服。" in today.summary
