"""Stand-ins (代班/代报): who gets a member's reminders on a day they are on approved leave. The rule lives here only.

A member on leave is stood in for by their group's ``backup_reporter`` (org file) if that member is active and not
on leave, else by another active reporter of the group who is not on leave, else by a lead of the group who is not
on leave; nobody if there is none. Every feature that reminds people asks ``stand_ins``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from lianfang.bot.context import Context
from lianfang.models.leave import on_leave
from lianfang.models.members import ROLE_GROUP_LEAD, ROLE_REPORTER, Member, list_members


def _candidates(ctx: Context, member: Member) -> list[list[Member]]:
    """Return the member's possible stand-ins, in order of preference: the backup reporter, reporters, leads."""
    group = ctx.org.group(member.group_key)
    backup = group.backup_reporter if group is not None else ""
    ranks: list[list[Member]] = []
    if backup:
        ranks.append([m for m in list_members(session=ctx.session, group_key=member.group_key) if m.name == backup])
    for role in (ROLE_REPORTER, ROLE_GROUP_LEAD):
        ranks.append(list_members(session=ctx.session, group_key=member.group_key, roles=(role,)))
    return [[m for m in rank if m.id != member.id] for rank in ranks]


def stand_in_for(ctx: Context, member: Member, day: date) -> Member | None:
    """Return who gets the member's reminders on a day: the member, their stand-in while on leave, or nobody."""
    assert member.id is not None
    if member.id not in on_leave(session=ctx.session, member_ids=[member.id], day=day):
        return member
    for others in _candidates(ctx, member):
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


def stood_in(ctx: Context, members: Sequence[Member], standing: Member, day: date) -> list[Member]:
    """Return which of these members are on leave on a day with ``standing`` as their stand-in (the 代报 case).

    Empty when ``standing`` is one of the members and not on leave: a group's own reporter reporting is no 代报.
    """
    if any(m.id == standing.id for m in members) and stand_in_for(ctx, standing, day) is standing:
        return []
    return [m for m in members if m.id != standing.id and _same(stand_in_for(ctx, m, day), standing)]


def _same(one: Member | None, other: Member) -> bool:
    return one is not None and one.id == other.id


def followup_stand_in(ctx: Context, member: Member, day: date) -> Member | None:
    """Return who makes a field worker's key-person follow-ups on a day: themself, else while on leave another
    active member of the same community who is not on leave (their group's first), else the general stand-in."""
    assert member.id is not None
    if member.id not in on_leave(session=ctx.session, member_ids=[member.id], day=day):
        return member
    if member.community:
        others = [m for m in list_members(session=ctx.session) if m.community == member.community and m.id != member.id]
        others.sort(key=lambda m: (m.group_key != member.group_key, m.id))
        away = on_leave(session=ctx.session, member_ids=[m.id for m in others if m.id is not None], day=day)
        found = next((m for m in others if m.id not in away), None)
        if found is not None:
            return found
    return stand_in_for(ctx, member, day)


def followups_handed_to(ctx: Context, member: Member, day: date, owner_ids: Sequence[int]) -> list[int]:
    """Return which of these follow-up owners are on leave on a day with ``member`` making their follow-ups."""
    away = on_leave(session=ctx.session, member_ids=[i for i in owner_ids if i != member.id], day=day)
    owners = [m for m in list_members(session=ctx.session) if m.id in away]
    return [m.id for m in owners if m.id is not None and _same(followup_stand_in(ctx, m, day), member)]
