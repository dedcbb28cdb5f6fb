"""督查: an inspection's problems become 整改 items, the problem ledger, and 问责提示 for long-overdue ones."""

from __future__ import annotations

from datetime import date

from lianfang.bot.db import session_scope
from lianfang.handlers.supervision.figures import count_inspections
from lianfang.models.supervision import SupervisionItem
from sqlmodel import Session, col, select

from tests.fakes import Harness, keys_of, texts_of

FINDINGS = "1. 卡点夜间无人值守 1月29日\n2. 消毒记录不全 1月30日18点"


async def inspect(chat, subject: str, findings: str) -> list:  # noqa: ANN001
    await chat.say("/inspect")
    await chat.say(subject)
    await chat.say("例行检查")
    await chat.say("今天")
    answer = await chat.say(findings)
    while keys_of(answer)[0] == "supervision.ask_problem_photo":
        answer = await chat.say("跳过")  # each problem's photo is optional
    return answer


async def test_problems_become_rectification_items_and_long_overdue_ones_are_flagged(harness: Harness) -> None:
    _admin, leadership, _coordination = await harness.bound_org_chats()
    inspector = await harness.member("杨寿军", "supervision", "group_lead")
    lead = await harness.member("刘洋", "screening", "group_lead")
    summary = await inspect(inspector, "排查组", FINDINGS)
    assert "form.summary_title" in keys_of(summary) and "2 个" in texts_of(summary)
    saved = await inspector.say("提交")
    assert keys_of(saved) == ["supervision.inspection_saved"]
    assert saved[0].lines[0].params["items"] == "1、2"
    delivered = lead.unread()
    assert [m.lines[0].key for m in delivered] == ["supervision.rectify_title", "supervision.rectify_title"]
    assert "督查整改" in texts_of(delivered) and "卡点夜间无人值守" in texts_of(delivered)
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        assert count_inspections(ctx, ctx.today) == 1
    with Session(harness.app.engine) as session:
        items = list(session.exec(select(SupervisionItem).order_by(col(SupervisionItem.id))))
        assert [(i.source, i.lead_group, i.creator_id) for i in items] == [("inspection", "screening", 2)] * 2

    await lead.say("督办 1 办结 已安排夜班两人值守")
    assert keys_of(await inspector.say("督办 1 确认")) == ["supervision.did_confirm"]

    harness.at("09:00", date(2020, 2, 2))  # problem 2 was due 1月30日 18:00: more than 3 days on 2月3日 18:00
    await harness.tick()
    assert "supervision.accountability" not in keys_of(inspector.unread())
    harness.at("18:30", date(2020, 2, 3))
    await harness.tick()
    flagged = inspector.unread()
    assert "supervision.accountability" in keys_of(flagged)
    assert "supervision.accountability" in keys_of(leadership.unread())
    await harness.tick()
    assert "supervision.accountability" not in keys_of(inspector.unread())

    await lead.say("督办 2 办结 已补齐消毒记录")
    await inspector.say("督办 2 确认")
    ledger = await inspector.say("督查 台账")
    assert keys_of(ledger) == [
        "supervision.ledger_title",
        "supervision.ledger_line",
        "supervision.ledger_flagged",
        "supervision.ledger_line",
    ]
    assert ledger[0].lines[1].params["took"].key == "supervision.took_late"
    assert ledger[0].lines[3].params["took"].key == "supervision.took"
    assert keys_of(await lead.say("/inspect list"))[0] == "supervision.ledger_title"
    shown = texts_of(await inspector.say("/supervise 2"))
    assert "督查第 1 号" in shown and "系统 问责提示" in shown


async def test_who_may_inspect_and_bad_findings(harness: Harness) -> None:
    inspector = await harness.member("杨寿军", "supervision", "staff")
    lead = await harness.member("刘洋", "screening", "group_lead")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert keys_of(await staff.say("/inspect")) == ["supervision.may_not_inspect"]
    await lead.say("/inspect")
    assert keys_of(await lead.say("宣传组"))[0] == "supervision.inspect_own_group"
    answer = await inspect(inspector, "朝阳新村卡点", "")
    assert keys_of(answer)[0] != "form.summary_title"
    await inspector.say("/cancel")
    await inspector.say("/inspect")
    await inspector.say("朝阳新村卡点")
    assert keys_of(await inspector.say("排查组"))[0] == "supervision.ask_kind"
    await inspector.say("暗访")
    assert keys_of(await inspector.say("2月5日"))[0] == "supervision.error_inspection_future"
    await inspector.say("今天")
    assert keys_of(await inspector.say("卡点无人值守"))[0] == "supervision.error_problem"
    assert keys_of(await inspector.say("卡点无人值守 1月20日"))[0] == "supervision.error_due_past"
    assert keys_of(await inspector.say("无"))[0] == "form.summary_title"
    assert keys_of(await inspector.say("提交")) == ["supervision.inspection_clean"]


async def test_every_long_overdue_rectification_is_flagged_in_one_tick_past_one_page(
    harness: Harness,
    monkeypatch,  # noqa: ANN001
) -> None:
    from lianfang.handlers.supervision import escalation

    monkeypatch.setattr(escalation, "BATCH", 1)
    await harness.bound_org_chats()
    inspector = await harness.member("杨寿军", "supervision", "group_lead")
    await harness.member("刘洋", "screening", "group_lead")
    await inspect(inspector, "排查组", "卡点夜间无人值守 1月29日；消毒记录不全 1月29日；体温登记缺页 1月29日")
    assert keys_of(await inspector.say("提交")) == ["supervision.inspection_saved"]
    inspector.catch_up()
    harness.at("18:30", date(2020, 2, 2))  # every problem was due 1月29日 17:00: more than 3 days late
    await harness.tick()
    flagged = [m for m in inspector.unread() if m.lines[0].key == "supervision.accountability"]
    assert sorted(m.lines[0].params["number"] for m in flagged) == [1, 2, 3]
    await harness.tick()
    assert "supervision.accountability" not in keys_of(inspector.unread())
