"""Swaps (换班): ``/duty swap DATE SHIFT NAME`` asks another member on the roster to take one's shift, by button."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from lianfang.bot.context import MemberContext
from lianfang.bot.types import Button, Text
from lianfang.handlers.duty.roster import on_duty, shift_bounds, shift_params
from lianfang.handlers.duty.settings import DUTY
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.shared.days import parse_day
from lianfang.handlers.shared.labels import member_label
from lianfang.handlers.shared.parsers import parse_record_number
from lianfang.models.duty import (
    SWAP_PENDING,
    DutyAssignment,
    DutySwap,
    assignments_of,
    decide_swap,
    on_roster_since,
    request_swap,
)
from lianfang.models.members import Member, members_named

logger = logging.getLogger(__name__)

ACTION_SWAP = "swap"
ACTION_ACCEPT = "accept"
ACTION_REFUSE = "refuse"
SWAP_WORDS = (ACTION_SWAP, "换班")
ONE_DAY = timedelta(days=1)


def _own_assignment(ctx: MemberContext, day: date, shift_key: str) -> DutyAssignment | None:
    return next(
        (a for a in assignments_of(session=ctx.session, member_id=ctx.member_id, days=[day]) if a.shift == shift_key),
        None,
    )


def ask_swap(ctx: MemberContext, words: list[str]) -> None:
    """Ask another member on the roster to take one of the speaker's coming shifts."""
    if len(words) != 3:
        ctx.reply("duty.swap_usage")
        return
    rules = DUTY.of(ctx.org)
    day, shift = parse_day(words[0], ctx.today), rules.shift(words[1])
    if day is None or shift is None:
        ctx.reply("duty.swap_usage")
        return
    assignment = _own_assignment(ctx, day, shift.key)
    if assignment is None:
        ctx.reply(
            Text("duty.swap_not_yours", {"date": day.isoformat(), "shift": Text.bilingual(shift.name, shift.name_en)})
        )
        return
    start, end = shift_bounds(shift, day, ctx.tz)
    if start <= ctx.now:
        ctx.reply("duty.swap_started")
        return
    found = [m for m in members_named(session=ctx.session, ref=words[2]) if m.active and m.id != ctx.member_id]
    other = found[0] if len(found) == 1 else None
    if other is None or other.id is None or not on_roster_since(session=ctx.session, member_id=other.id, day=ctx.today):
        ctx.reply(Text("duty.swap_not_on_roster", {"name": words[2][:32]}))
        return
    if _busy(ctx, other, start, end):
        ctx.reply(Text("duty.swap_busy", {"name": member_label(other)}))
        return
    swap = request_swap(session=ctx.session, assignment=assignment, to_member_id=other.id, now=ctx.now)
    entry = on_duty(rules, ctx.tz, assignment, ctx.member)
    assert entry is not None
    params = {**shift_params(ctx, entry), "from": member_label(ctx.member)}
    buttons = [
        Button(Text("duty.button_accept"), f"/duty {ACTION_ACCEPT} {swap.id}"),
        Button(Text("duty.button_refuse"), f"/duty {ACTION_REFUSE} {swap.id}"),
    ]
    send_privately(ctx, [other], [Text("duty.swap_request", params)], buttons=buttons)
    ctx.reply(Text("duty.swap_asked", {**params, "name": member_label(other)}))


def _busy(ctx: MemberContext, member: Member, start: datetime, end: datetime) -> bool:
    """Tell whether a member already has a shift overlapping [start, end)."""
    assert member.id is not None
    rules = DUTY.of(ctx.org)
    days = [start.date() - ONE_DAY, start.date(), start.date() + ONE_DAY]
    for assignment in assignments_of(session=ctx.session, member_id=member.id, days=days):
        shift = rules.shift(assignment.shift)
        if shift is not None:
            other_start, other_end = shift_bounds(shift, assignment.day, ctx.tz)
            if other_start < end and start < other_end:
                return True
    return False


def answer_swap(ctx: MemberContext, accept: bool, ref: str) -> None:
    """Accept or refuse a swap asked of the speaker; the roster changes only on acceptance, and 综合组 is told."""
    number = parse_record_number(ref)
    swap = ctx.session.get(DutySwap, number) if number else None
    if swap is None or swap.to_member_id != ctx.member_id:
        ctx.refuse("duty.swap_unknown")
        return
    if swap.status != SWAP_PENDING:
        ctx.refuse("duty.swap_decided")
        return
    assignment = ctx.session.get(DutyAssignment, swap.assignment_id)
    asker = ctx.session.get(Member, swap.from_member_id)
    entry = on_duty(DUTY.of(ctx.org), ctx.tz, assignment, asker) if assignment and asker else None
    if entry is None or assignment is None or asker is None or assignment.member_id != swap.from_member_id:
        ctx.refuse("duty.swap_decided")
        return
    if entry.start <= ctx.now or (accept and _busy(ctx, ctx.member, entry.start, entry.end)):
        ctx.refuse(
            "duty.swap_started"
            if entry.start <= ctx.now
            else Text("duty.swap_busy", {"name": member_label(ctx.member)})
        )
        return
    decide_swap(session=ctx.session, swap=swap, assignment=assignment, accept=accept, now=ctx.now)
    params = {**shift_params(ctx, entry), "from": member_label(asker), "to": member_label(ctx.member)}
    if not accept:
        ctx.reply(Text("duty.swap_refused", params))
        send_privately(ctx, [asker], [Text("duty.swap_refused_notice", params)])
        return
    logger.info("duty assignment %s swapped by swap %s", assignment.id, swap.id)
    ctx.reply(Text("duty.swap_accepted", params))
    send_privately(ctx, [asker], [Text("duty.swap_accepted_notice", params)])
    chat = group_chat(ctx, ctx.org.coordination_group)
    if chat is not None:
        ctx.send(chat, [Text("duty.swap_notice", params)], ctx.settings.default_language)
