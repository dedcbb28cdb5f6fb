"""Stand-ins (代班): who receives a member's reminders on a day they are on approved leave. The rule lives here only.

A member on leave is stood in for by another active reporter of their group who is not on leave, else by a lead of
the group who is not on leave; nobody if there is none. Every feature that reminds people asks ``stand_ins``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from lianfang.bot.context import Context
from lianfang.models.leave import on_leave
from lianfang.models.members import ROLE_GROUP_LEAD, ROLE_REPORTER, Member, list_members


def stand_in_for(ctx: Context, member: Member, day: date) -> Member | None:
    """Return who gets the member's reminders on a day: the member, their stand-in while on leave, or nobody."""
    assert member.id is not None
    if member.id not in on_leave(session=ctx.session, member_ids=[member.id], day=day):
        return member
    for role in (ROLE_REPORTER, ROLE_GROUP_LEAD):
        others = [
            m for m in list_members(session=ctx.session, group_key=member.group_key, roles=(role,)) if m.id != member.id
        ]
        away = on_leave(session=ctx.session, member_ids=[m.id for m in others if m.id is not None], day=day)
        found = next((m for m in others if m.id not in away), None)
        if found is not None:
            return found
    return None


def stand_ins(ctx: Context, members: Sequence[Member], day: date) -> list[Member]:
    """Return who gets the reminders meant for these members on a day, each once, in order."""
    found: dict[int, Member] = {}
    for member in members:
        receiver = stand_in_for(ctx, member, day)
        if receiver is not None and receiver.id is not None:
            found.setdefault(receiver.id, receiver)
    return list(found.values())
