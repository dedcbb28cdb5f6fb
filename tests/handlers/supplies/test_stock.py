"""Stock (库存): movements with /stock, refusals that lose nothing, low-stock and stock-out alerts once a day."""

from __future__ import annotations

from lianfang.models.stock import StockLevel, StockMovement
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of


async def keeper(harness: Harness) -> tuple[Chat, Chat, Chat]:
    """Return (a 保障组 clerk, the 保障组 chat, the leadership chat)."""
    admin, leadership, _ = await harness.bound_org_chats()
    await harness.group("g-supplies", admin).say("/bind group supplies")
    clerk = await harness.member("赵敏", "supplies", "staff")
    group = harness.group("g-supplies", clerk)
    group.catch_up()
    return clerk, group, leadership


def levels(harness: Harness) -> dict[tuple[str, str], int]:
    with Session(harness.app.engine) as session:
        return {(row.item, row.place): row.on_hand for row in session.exec(select(StockLevel))}


async def test_movements_keep_running_totals_and_never_go_below_zero(harness: Harness) -> None:
    clerk, _, _ = await keeper(harness)
    assert "现有 500 只" in texts_of(await clerk.say("库存 入库 N95口罩 500 街道仓库 捐赠 B2001 2021-06-30"))
    moved = await clerk.say("库存 调拨 N95口罩 120 街道仓库 东风社区库")
    assert keys_of(moved) == ["stock.transfer_done"] and "东风社区库现有 120 只" in texts_of(moved)
    assert "现有 90 只" in texts_of(await clerk.say("库存 出库 N95口罩 30 东风社区库 卡点值守"))
    counted = await clerk.say("库存 盘点 N95口罩 375 街道仓库 破损 5 只")
    assert "差异 -5" in texts_of(counted)
    assert levels(harness) == {("N95口罩", "warehouse"): 375, ("N95口罩", "dongfeng_store"): 90}

    refused = await clerk.say("库存 出库 N95口罩 91 东风社区库 卡点")
    assert keys_of(refused)[0] == "stock.not_enough" and "只有 90 只" in texts_of(refused)
    assert keys_of(await clerk.say("库存 调拨 N95口罩 400 街道仓库 朝阳社区库"))[0] == "stock.not_enough"
    for bad in ("0", "-5", "1e9", "99999999999"):
        answer = await clerk.say(f"库存 出库 N95口罩 {bad} 东风社区库 卡点")
        assert keys_of(answer)[0] in {"form.error_int_range", "form.error_not_int"}, bad
    assert keys_of(await clerk.say("库存 入库 金口罩 5 街道仓库"))[0] == "stock.unknown_item"
    assert keys_of(await clerk.say("库存 入库 N95口罩 5 月球仓库"))[0] == "stock.unknown_place"
    assert keys_of(await clerk.say("库存 出库 N95口罩 5 东风社区库"))[0] == "stock.missing_reason"
    assert keys_of(await clerk.say("库存 入库 N95口罩 5 街道仓库 2020-01-01"))[0] == "stock.expired_already"
    assert levels(harness) == {("N95口罩", "warehouse"): 375, ("N95口罩", "dongfeng_store"): 90}
    with Session(harness.app.engine) as session:
        assert len(session.exec(select(StockMovement)).all()) == 5  # in, transfer out and in, out, count


async def test_only_the_supplies_group_records_movements_and_everyone_sees_stock(harness: Harness) -> None:
    clerk, _, _ = await keeper(harness)
    await clerk.say("库存 入库 防护服 80 街道仓库")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert keys_of(await staff.say("库存 入库 防护服 80 街道仓库")) == ["stock.not_allowed"]
    shown = texts_of(await staff.say("/stock"))
    assert "街道仓库：80 套" in shown and "朝阳社区库：0 套 ❌断货" in shown


async def test_low_stock_alerts_the_group_once_a_day_and_a_stock_out_the_leadership(harness: Harness) -> None:
    clerk, group, leadership = await keeper(harness)
    await clerk.say("库存 入库 84消毒液 40 街道仓库")
    await clerk.say("库存 出库 84消毒液 20 街道仓库 消杀")
    alert = group.unread()
    assert keys_of(alert) == ["stock.low_alert", "stock.cover"]
    assert alert[0].lines[1].params["days"] == 7  # 20 left, 20 used in the last 7 days
    await clerk.say("库存 出库 84消毒液 5 街道仓库 消杀")
    assert group.unread() == []  # once a day per item and place
    await clerk.say("库存 出库 84消毒液 15 街道仓库 消杀")
    assert keys_of(leadership.unread()) == ["stock.out_alert"]

    harness.advance(days=1)
    await harness.tick("08:00")
    assert "stock.low_alert" not in keys_of(group.unread())
    await harness.tick("09:00")
    assert keys_of(group.unread())[0] == "stock.low_alert"
    assert "stock.out_alert" in keys_of(leadership.unread())  # after the day before's late report
    await harness.tick("10:00")
    assert group.unread() == [] and "stock.out_alert" not in keys_of(leadership.unread())


async def test_a_low_stock_alert_waits_for_the_supplies_chat_to_be_bound(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    clerk = await harness.member("赵敏", "supplies", "staff")
    await clerk.say("库存 入库 84消毒液 40 街道仓库")
    await clerk.say("库存 出库 84消毒液 20 街道仓库 消杀")  # low, but no 保障组 chat is bound yet
    await harness.group("g-supplies", admin).say("/bind group supplies")
    group = harness.group("g-supplies", clerk)
    group.catch_up()
    await clerk.say("库存 出库 84消毒液 1 街道仓库 消杀")
    assert keys_of(group.unread())[0] == "stock.low_alert"  # not lost for the day
    await clerk.say("库存 出库 84消毒液 1 街道仓库 消杀")
    assert group.unread() == []  # and still once a day


async def test_an_expired_batch_counts_as_gone_on_its_expiry_date(harness: Harness) -> None:
    clerk, group, _ = await keeper(harness)
    await clerk.say("库存 入库 75%酒精 100 街道仓库 B1 2020-01-30")
    await clerk.say("库存 入库 75%酒精 100 街道仓库 B2 2020-12-31")
    await clerk.say("库存 出库 75%酒精 30 街道仓库 消毒")  # the batch expiring first goes first
    await harness.tick("09:00")
    assert levels(harness)[("75%酒精", "warehouse")] == 170
    harness.advance(days=2)
    await harness.tick("09:00")
    assert levels(harness)[("75%酒精", "warehouse")] == 100
    with Session(harness.app.engine) as session:
        expired = session.exec(select(StockMovement).where(StockMovement.kind == "expired")).one()
        assert (expired.quantity, expired.batch) == (-70, "B1")
    group.catch_up()
