"""Supply needs (物资需求)."""

from __future__ import annotations

from lianfang.models.supplies import SupplyNeed
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of


async def test_one_line_supply_need_and_urgent_notice(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    first = await staff.say("/supply 口罩 2000 只 急")
    assert keys_of(first)[:2] == ["form.started_prefilled", "supply.ask_reason"]
    summary = await staff.say("/skip")
    assert keys_of(summary)[0] == "form.summary_title"
    assert "口罩" in texts_of(summary) and "2000" in texts_of(summary) and "东风社区" in texts_of(summary)
    assert keys_of(await staff.say("提交")) == ["supply.saved"]
    notice = texts_of(leadership.unread())
    assert "口罩" in notice and "2000" in notice
    with Session(harness.app.engine) as session:
        need = session.exec(select(SupplyNeed)).one()
        assert (need.item, need.quantity, need.unit, need.urgency, need.community, need.status) == (
            "口罩",
            2000,
            "只",
            "high",
            "dongfeng",
            "open",
        )


async def test_supply_step_by_step_rejects_bad_quantities(harness: Harness) -> None:
    staff = await harness.member("陈静", "supplies", "reporter")
    await staff.say("物资")
    await staff.say("消毒液")
    for bad in ("-1", "0", "很多", "99999999999"):
        answer = await staff.say(bad)
        assert keys_of(answer)[0] in {"form.error_not_int", "form.error_int_range"}
        assert keys_of(answer)[1] == "supply.ask_quantity"
    await staff.say("50")
    await staff.say("桶")
    await staff.say("一般")
    assert keys_of(await staff.say("2"))[0] == "supply.ask_reason"
    await staff.say("社区消杀")
    assert keys_of(await staff.say("ok")) == ["supply.saved"]
    with Session(harness.app.engine) as session:
        need = session.exec(select(SupplyNeed)).one()
        assert (need.quantity, need.unit, need.urgency, need.community, need.reason) == (
            50,
            "桶",
            "normal",
            "dongfeng",
            "社区消杀",
        )
