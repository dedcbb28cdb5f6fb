"""Stand-ins: who gets a member's reminders on a day they are on approved leave."""

from __future__ import annotations

from datetime import date

from lianfang.bot.db import session_scope
from lianfang.handlers.shared.standins import stand_in_for, stand_ins
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
