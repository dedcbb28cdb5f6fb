"""The colours' chases: blue, yellow and red each once per step, red repeated daily up to the cap, the digest."""

from __future__ import annotations

from datetime import date

from tests.fakes import Harness, keys_of, texts_of

JAN_29 = date(2020, 1, 29)
JAN_30 = date(2020, 1, 30)


def ours(chat) -> list:  # noqa: ANN001
    """Return the unread 督办 messages of a chat (other features' reports and reminders left aside)."""
    return [message for message in chat.unread() if message.lines[0].key.startswith("supervision.")]


async def setup(harness: Harness):  # noqa: ANN201
    """Bind the leadership, 综合组 and 执纪督查组 chats; return the chats and the people."""
    admin, leadership, coordination = await harness.bound_org_chats()
    oversight = harness.group("g-supervision", admin)
    await oversight.say("/bind group supervision")
    oversight.catch_up()
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("刘洋", "screening", "group_lead")
    reporter = await harness.member("赵敏", "screening", "reporter")
    return leadership, coordination, oversight, leader, lead, reporter


async def assign(leader, line: str) -> None:  # noqa: ANN001
    await leader.say(f"/supervise {line}")
    assert keys_of(await leader.say("提交")) == ["supervision.created"]


async def test_blue_then_red_reach_each_once_and_red_repeats_daily_up_to_the_cap(harness: Harness) -> None:
    leadership, coordination, oversight, leader, lead, reporter = await setup(harness)
    await assign(leader, "排查组 1月29日 完成朝阳新村返长人员全覆盖核查 联系人 13812345678")
    await lead.tap("签收")
    leader.catch_up()
    reporter.catch_up()
    await harness.tick("10:00")
    assert lead.unread() == [] and reporter.unread() == []

    await harness.tick("17:30")  # due within 24 hours: blue
    assert keys_of(lead.unread()) == ["supervision.chase_blue"]
    assert keys_of(reporter.unread()) == ["supervision.chase_blue"]
    await harness.tick("17:45")
    assert lead.unread() == [] and ours(leadership) == []

    harness.at("17:05", JAN_29)
    await harness.tick()  # overdue: red, at once, to the leads, the creator and the oversight chats
    assert keys_of(lead.unread())[0] == "supervision.chase_red"
    assert reporter.unread() == []
    assert keys_of(leader.unread())[0] == "supervision.chase_red"
    for chat in (leadership, oversight):
        told = ours(chat)
        assert keys_of(told)[0] == "supervision.chase_red"
        assert "13812345678" not in texts_of(told) and "138****5678" in texts_of(told)
    await harness.tick("18:00")
    assert ours(leadership) == [] and ours(oversight) == []

    for day in (JAN_30, date(2020, 1, 31), date(2020, 2, 1), date(2020, 2, 2)):
        harness.at("08:30", day)
        await harness.tick()
        await harness.tick()
    repeats = [m for m in ours(oversight) if m.lines[0].key == "supervision.chase_red_repeat"]
    assert len(repeats) == 3  # max_repeats
    digests = [m for m in ours(coordination) if m.lines[0].key == "supervision.digest_title"]
    assert len(digests) == 4
    assert "超期" in texts_of(digests[:1])


async def test_unaccepted_item_turns_yellow_and_the_creator_is_told(harness: Harness) -> None:
    _leadership, _coordination, _oversight, leader, lead, reporter = await setup(harness)
    await assign(leader, "排查组 2月5日 排查东风小区")
    lead.catch_up()
    reporter.catch_up()
    await harness.tick("09:30")
    assert lead.unread() == []
    await harness.tick("10:05")
    assert keys_of(lead.unread()) == ["supervision.chase_yellow"]
    assert keys_of(reporter.unread()) == ["supervision.chase_yellow"]
    assert keys_of(leader.unread()) == ["supervision.chase_yellow_creator"]
    await harness.tick("11:00")
    assert lead.unread() == [] and leader.unread() == []


async def test_an_approved_extension_resets_the_colour_and_a_closed_item_stops_every_chase(harness: Harness) -> None:
    _leadership, _coordination, oversight, leader, lead, _reporter = await setup(harness)
    await assign(leader, "排查组 1月28日 18:00 今日完成名单比对")
    await lead.tap("签收")
    asked = await lead.say("督办 1 延期 1月31日 名单未下发")
    assert keys_of(asked) == ["supervision.did_ask_extension"]
    told = leader.unread()
    assert keys_of(told) == ["supervision.told_accept", "supervision.told_ask_extension"]
    assert keys_of(await leader.tap("同意延期")) == ["supervision.did_approve"]
    assert "supervision.told_approve" in keys_of(lead.unread())
    harness.at("18:30")
    await harness.tick()
    assert ours(oversight) == []  # no longer overdue
    closed = await lead.say("督办 1 延期 2月1日 再延", button=False)
    assert keys_of(closed) == ["supervision.did_ask_extension"]
    assert keys_of(await leader.say("/supervise 1 refuse")) == ["supervision.did_refuse"]
    await lead.say("督办 1 办结 已完成比对")
    await leader.say("督办 1 确认")
    assert keys_of(await lead.say("督办 1 延期 2月3日 还要")) == ["supervision.not_now"]
    harness.at("08:30", date(2020, 2, 2))
    await harness.tick()
    assert ours(oversight) == []
    shown = texts_of(await leader.say("/supervise 1"))
    assert "延期 1 次" in shown and "同意延期" in shown and "不同意延期" in shown


async def test_a_tick_chases_every_due_item_past_one_page(harness: Harness, monkeypatch) -> None:  # noqa: ANN001
    from lianfang.handlers.supervision import escalation

    monkeypatch.setattr(escalation, "BATCH", 2)
    _leadership, _coordination, oversight, leader, lead, _reporter = await setup(harness)
    for place in ("东风小区", "朝阳新村", "五里牌", "建设村", "光明里"):
        await assign(leader, f"排查组 1月28日 18:00 排查{place}")
    await lead.tap("签收")
    leader.catch_up()
    harness.at("18:30")
    await harness.tick()  # five overdue items, pages of two: every one goes red in this tick
    reds = [m for m in ours(oversight) if m.lines[0].key == "supervision.chase_red"]
    assert sorted(m.lines[0].params["number"] for m in reds) == [1, 2, 3, 4, 5]
    await harness.tick("18:45")
    assert ours(oversight) == []  # each step once, through the send ledger
