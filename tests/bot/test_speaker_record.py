"""The speaker's member record, read by a prepared statement and joined to the session: fresh for every message,
one record a transaction, and a change a handler makes to it is stored as one to a loaded record is."""

from __future__ import annotations

from lianfang.bot.context import MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.models.members import ROLE_LEADER, Member
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of

MOVE = "move"


async def test_a_handler_reads_the_speakers_current_record_and_its_changes_are_stored(harness: Harness) -> None:
    seen: list[tuple[str, str | None, str]] = []

    def move(ctx: MemberContext, args: str) -> None:
        member = ctx.member
        assert ctx.member is member and ctx.session.get(Member, ctx.member_id) is member  # one record a transaction
        seen.append((member.role, member.community, member.name))
        member.community = args
        ctx.reply("common.empty")

    harness.app.dispatcher.commands[MOVE] = Command(MOVE, move)
    staff = await harness.member("周强", "screening", "staff", "chaoyang")
    assert keys_of(await staff.say(f"/{MOVE} dongfeng")) == ["common.empty"]
    assert seen == [("staff", "chaoyang", "周强")]
    with Session(harness.app.engine) as session:  # another instance, or the CLI, changes the role
        member = session.exec(select(Member).where(Member.name == "周强")).one()
        assert member.community == "dongfeng"  # the handler's change was stored
        member.role = ROLE_LEADER
        session.commit()
    await staff.say(f"/{MOVE} chaoyang")
    assert seen[-1] == (ROLE_LEADER, "dongfeng", "周强")  # the next message sees both changes, nothing cached
    with Session(harness.app.engine) as session:
        assert session.exec(select(Member).where(Member.name == "周强")).one().community == "chaoyang"
