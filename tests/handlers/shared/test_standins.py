"""Stand-ins: who gets a member's reminders on a day they are on approved leave."""

from __future__ import annotations

from datetime import date

from lianfang.bot.db import session_scope
from lianfang.handlers.shared.standins import followup_stand_in, followups_handed_to, stand_in_for, stand_ins
from lianfang.models.members import Member
from sqlmodel import select

from tests.fakes import Harness

DAY = date(2020, 1, 29)


async def test_a_member_on_leave_is_stood_in_for_by_a_reporter_then_a_lead(harness: Harness) -> None:
    zhou = await harness.member("周强", "screening", "reporter")
    await harness.member("李娜", "screening", "reporter")
    lead = await harness.member("董晓波", "screening", "group_lead")
    await zhou.say("/leave 2020-01-29 2020-01-29 发热就医")
    await lead.tap("批准")
    await lead.say("/leave 2020-01-29 2020-01-30 开会")  # pending: not away yet
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        people = {m.name: m for m in session.exec(select(Member))}
        standing = stand_in_for(ctx, people["周强"], DAY)
        assert standing is not None and standing.name == "李娜"
        assert stand_in_for(ctx, people["周强"], date(2020, 1, 30)) is people["周强"]
        assert [m.name for m in stand_ins(ctx, [people["周强"], people["李娜"]], DAY)] == ["李娜"]
        assert stand_in_for(ctx, people["李娜"], DAY) is people["李娜"]


async def test_follow_ups_go_to_a_worker_of_the_same_community_else_the_general_stand_in(harness: Harness) -> None:
    wang = await harness.member("王芳", "screening", "staff", "dongfeng")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    await harness.member("刘强", "publicity", "staff", "dongfeng")
    lead = await harness.member("董晓波", "screening", "group_lead")
    await wang.say("/leave 2020-01-29 2020-01-29 发热就医")
    await lead.tap("批准")
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        people = {m.name: m for m in session.exec(select(Member))}
        found = followup_stand_in(ctx, people["王芳"], DAY)
        assert found is not None and found.name == "刘强"  # same community, even from another group
        assert followups_handed_to(ctx, people["刘强"], DAY, [people["王芳"].id or 0]) == [people["王芳"].id]
        assert followups_handed_to(ctx, people["张伟"], DAY, [people["王芳"].id or 0]) == []
        people["刘强"].community = "chaoyang"
        found = followup_stand_in(ctx, people["王芳"], DAY)
        assert found is not None and found.name == "董晓波"  # nobody left in 东风: the group's stand-in
        session.rollback()
