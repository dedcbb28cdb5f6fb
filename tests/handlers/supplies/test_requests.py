"""Supply requests from need to receipt: decided by a 保障组 lead, supplied, issued, signed for; chased."""

from __future__ import annotations

from lianfang.models.stock import StockMovement
from lianfang.models.supplies import SupplyNeed, SupplyStep
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of


async def supplies_team(harness: Harness) -> tuple[Chat, Chat, Chat, Chat]:
    """Return (lead, requester, 保障组 chat, leadership chat), the warehouse holding 5000 surgical masks."""
    admin, leadership, _ = await harness.bound_org_chats()
    lead = await harness.member("邓勇", "supplies", "group_lead")
    await harness.group("g-supplies", admin).say("/bind group supplies")
    group = harness.group("g-supplies", lead)
    group.catch_up()
    requester = await harness.member("王芳", "screening", "staff", "dongfeng")
    assert keys_of(await lead.say("库存 入库 医用外科口罩 5000 街道仓库 捐赠")) == ["stock.in_done"]
    return lead, requester, group, leadership


async def raise_masks(requester: Chat, quantity: int = 2000) -> None:
    asked = keys_of(await requester.say(f"/supply 医用外科口罩 {quantity} 只 急"))
    if "supply.ask_community" in asked:  # a 保障组 lead belongs to no community
        await requester.say("东风社区")
    await requester.say("/skip")
    assert keys_of(await requester.say("提交")) == ["supply.saved"]


async def test_an_urgent_request_goes_through_every_step_to_receipt_with_a_shortfall(harness: Harness) -> None:
    lead, requester, group, leadership = await supplies_team(harness)
    await raise_masks(requester)
    assert "医用外科口罩" in texts_of(leadership.unread())  # urgent: the leadership hears at once, as before
    told = lead.unread()
    assert keys_of(told)[0] == "supply.leads_new"

    answer = await lead.tap("批准")
    assert keys_of(answer)[0] == "supply.recorded"
    assert keys_of(requester.unread())[0] == "supply.requester_update"
    assert keys_of(group.unread()) == ["supply.group_todo"]

    assert keys_of(await lead.tap("从库存调拨")) == ["supply.ask_place"]
    supplied = await lead.tap("街道仓库")
    assert "已备货" in texts_of(supplied) and "从街道仓库调拨" in texts_of(supplied)
    assert "已备货" in texts_of(requester.unread())
    stock = texts_of(await lead.say("库存"))
    assert "街道仓库：3000 只" in stock

    issued = await lead.tap("发放")
    assert "发放给：王芳" in texts_of(issued)
    update = requester.unread()
    assert "已发放" in texts_of(update)

    assert keys_of(await requester.tap("签收")) == ["supply.ask_received"]
    for bad in ("-5", "1e9", "2001", "很多"):
        assert keys_of(await requester.say(f"物资 1 签收 {bad}"))[0] in {"form.error_int_range", "form.error_not_int"}
    received = await requester.say("物资 1 签收 1800")
    assert "已签收 1800 只，短缺 200 只" in texts_of(received)
    again = await requester.say("物资 1 签收 1800")
    assert keys_of(again) == ["supply.already_received"]
    assert "短缺 200 只" in texts_of(group.unread())

    with Session(harness.app.engine) as session:
        need = session.exec(select(SupplyNeed)).one()
        assert (need.status, need.approved_quantity, need.received_quantity, need.shortfall) == (
            "received",
            2000,
            1800,
            200,
        )
        steps = [step.status for step in session.exec(select(SupplyStep).order_by(SupplyStep.id))]
        assert steps == ["open", "approved", "allocated", "issued", "received"]
        out = session.exec(select(StockMovement).where(StockMovement.need_id == need.id)).one()
        assert (out.quantity, out.balance) == (-2000, 3000)


async def test_partial_approval_rejection_and_who_may_decide(harness: Harness) -> None:
    lead, requester, _, _ = await supplies_team(harness)
    await raise_masks(requester)
    assert keys_of(await requester.say("物资 1 批准")) == ["supply.own_request"]
    # A 保障组 member who is no lead: a forged approval tap is refused and changes nothing.
    clerk = await harness.member("赵敏", "supplies", "staff")
    assert keys_of(await clerk.say("/supply 1 approve")) == ["supply.not_yours"]
    for bad in ("0", "-5", "1e9", "2001"):
        assert keys_of(await lead.say(f"物资 1 批准 {bad}"))[0] in {"form.error_int_range", "form.error_not_int"}
    assert "批准数量：1500 只" in texts_of(await lead.say("物资 1 批准 1500"))
    assert keys_of(await lead.say("物资 1 批准 1500")) == ["supply.not_now"]  # a double tap
    with Session(harness.app.engine) as session:
        assert session.exec(select(SupplyNeed.approved_quantity)).one() == 1500

    # A lead's own request waits for another lead.
    await raise_masks(lead, 100)
    assert keys_of(await lead.say("/supply 2 approve")) == ["supply.own_request"]
    assert keys_of(await lead.say("/supply 2 reject")) == ["supply.own_request"]
    second = await harness.member("黎明", "supplies", "group_lead")
    assert keys_of(await second.say("物资 2 不予批准")) == ["supply.ask_reject_reason"]
    rejected = await second.say("物资 2 不予批准 社区库存充足")
    assert "不予批准，理由：社区库存充足" in texts_of(rejected)
    assert "不予批准" in texts_of(lead.unread())


async def test_issuing_more_than_stock_on_hand_is_refused_and_says_how_much_there_is(harness: Harness) -> None:
    lead, requester, _, leadership = await supplies_team(harness)
    await raise_masks(requester, 6000)
    await lead.say("物资 1 批准")
    refused = await lead.say("物资 1 调拨 街道仓库")
    assert keys_of(refused) == ["stock.not_enough"]
    assert refused[0].lines[0].params["on_hand"] == 5000
    assert keys_of(await lead.say("物资 1 调拨 月球仓库")) == ["stock.unknown_place"]
    with Session(harness.app.engine) as session:
        assert session.exec(select(SupplyNeed.status)).one() == "approved"
        assert len(session.exec(select(StockMovement)).all()) == 1  # the opening 入库 only


async def test_the_list_shows_open_requests_by_status_within_scope(harness: Harness) -> None:
    lead, requester, _, _ = await supplies_team(harness)
    await raise_masks(requester)
    other = await harness.member("刘洋", "screening", "staff", "xinhua")
    await raise_masks(other, 300)
    await lead.say("物资 2 批准")
    everything = await lead.say("物资 列表")
    assert keys_of(everything)[0] == "supply.list_title" and everything[0].lines[0].params["count"] == 2
    assert "【待审批】1 条" in texts_of(everything) and "【已批准】1 条" in texts_of(everything)
    mine = await requester.say("/supply list")
    assert mine[0].lines[0].params["count"] == 1
    assert keys_of(await requester.say("/supply 2")) == ["supply.unknown"]  # another community's request


async def test_a_step_left_too_long_is_chased_once(harness: Harness) -> None:
    lead, requester, group, _ = await supplies_team(harness)
    await requester.say("/supply 84消毒液 10 桶 一般")
    await requester.say("/skip")
    await requester.say("提交")
    lead.catch_up()
    harness.advance(hours=3)
    await harness.tick()
    assert "supply.chase" not in keys_of(lead.unread())
    harness.advance(hours=2)
    await harness.tick()
    assert keys_of(lead.unread())[0] == "supply.chase"
    harness.advance(minutes=30)
    await harness.tick()
    assert keys_of(lead.unread()) == []  # once per step
    await lead.say("物资 1 批准")
    group.catch_up()
    harness.advance(hours=4, minutes=1)
    await harness.tick()
    assert "supply.chase" in keys_of(group.unread())
