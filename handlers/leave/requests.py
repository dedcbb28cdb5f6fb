"""/leave FROM TO REASON (请假): asked by a member, approved by button by their group's leads (leaders' by 综合组)."""

from __future__ import annotations

import logging
from datetime import timedelta

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import Button, Text
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.days import parse_day
from lianfang.handlers.shared.labels import member_label
from lianfang.handlers.shared.parsers import parse_record_number
from lianfang.handlers.shared.standins import stand_in_for
from lianfang.models.leave import (
    LEAVE_PENDING,
    MAX_REASON,
    Leave,
    add_leave,
    decide_leave,
    overlapping_leave,
)
from lianfang.models.members import ROLE_ADMIN, ROLE_GROUP_LEAD, ROLE_LEADER, Member, list_members

logger = logging.getLogger(__name__)

CMD_LEAVE = "leave"
ACTION_APPROVE = "approve"
ACTION_REFUSE = "refuse"
LATEST_PAST_DAYS = 3
"""Leave may start this many days back (sick leave is often told late); earlier is a date long past."""
MAX_DAYS = 60
ANSWER_ARGS = 2
DATE_FORMAT = "%Y-%m-%d"


def approvers_of(ctx: Context, member: Member) -> list[Member]:
    """Return who approves a member's leave: their group's leads; for leads, leaders and admins, 综合组's leads."""
    leads_of_others = member.role in (ROLE_GROUP_LEAD, ROLE_LEADER, ROLE_ADMIN)
    group = ctx.org.coordination_group if leads_of_others else member.group_key
    leads = list_members(session=ctx.session, group_key=group, roles=(ROLE_GROUP_LEAD,))
    return [m for m in leads if m.id != member.id] or [
        m for m in list_members(session=ctx.session, roles=(ROLE_ADMIN,)) if m.id != member.id
    ]


def ask_leave(ctx: MemberContext, words: list[str]) -> None:
    """Store a leave request after checking its days, and send it to the approvers with buttons."""
    start = parse_day(words[0], ctx.today) if words else None
    end = parse_day(words[1], ctx.today) if len(words) > 1 else None
    reason = " ".join(words[2:]).strip()
    if start is None or end is None or not reason:
        ctx.reply("leave.usage")
        return
    if end < start or (end - start).days >= MAX_DAYS:
        ctx.reply(Text("leave.error_span", {"limit": MAX_DAYS}))
        return
    if start < ctx.today - timedelta(days=LATEST_PAST_DAYS):
        ctx.reply(Text("leave.error_past", {"days": LATEST_PAST_DAYS}))
        return
    if len(reason) > MAX_REASON:
        ctx.reply(Text("form.error_too_long", {"limit": MAX_REASON, "length": len(reason)}))
        return
    other = overlapping_leave(session=ctx.session, member_id=ctx.member_id, start=start, end=end)
    if other is not None:
        overlap = {
            "number": other.id,
            "start": other.start_day.strftime(DATE_FORMAT),
            "end": other.end_day.strftime(DATE_FORMAT),
        }
        ctx.reply(Text("leave.error_overlap", overlap))
        return
    leave = add_leave(session=ctx.session, member_id=ctx.member_id, start=start, end=end, reason=reason, now=ctx.now)
    params = _params(leave, ctx.member)
    buttons = [
        Button(Text("leave.button_approve"), f"/{CMD_LEAVE} {ACTION_APPROVE} {leave.id}"),
        Button(Text("leave.button_refuse"), f"/{CMD_LEAVE} {ACTION_REFUSE} {leave.id}"),
    ]
    reached = send_privately(ctx, approvers_of(ctx, ctx.member), [Text("leave.request", params)], buttons=buttons)
    ctx.reply(Text("leave.asked" if reached else "leave.asked_nobody", params))


def _params(leave: Leave, member: Member) -> dict[str, object]:
    return {
        "number": leave.id,
        "name": member_label(member),
        "start": leave.start_day.strftime(DATE_FORMAT),
        "end": leave.end_day.strftime(DATE_FORMAT),
        "reason": leave.reason,
    }


def answer_leave(ctx: MemberContext, approve: bool, ref: str) -> None:
    """Approve or refuse a pending leave, for its approvers only; the member is told."""
    number = parse_record_number(ref)
    leave = ctx.session.get(Leave, number) if number else None
    member = ctx.session.get(Member, leave.member_id) if leave else None
    if leave is None or member is None or ctx.member_id not in {m.id for m in approvers_of(ctx, member)}:
        ctx.refuse("leave.unknown")
        return
    if leave.status != LEAVE_PENDING:
        ctx.refuse("leave.decided")
        return
    decide_leave(session=ctx.session, leave=leave, approve=approve, approver_id=ctx.member_id, now=ctx.now)
    logger.info("leave %s %s", leave.id, leave.status)
    params = {**_params(leave, member), "approver": member_label(ctx.member)}
    if not approve:
        ctx.reply(Text("leave.refused_done", params))
        send_privately(ctx, [member], [Text("leave.refused", params)])
        return
    # Who stands in (as of the first day): named to the approver and the member, and told themself.
    # The reason stays out of the stand-in's notice: it may be about someone's health.
    stand_in = stand_in_for(ctx, member, leave.start_day)
    named = (
        Text("leave.stand_in_named", {"stand_in": member_label(stand_in)}) if stand_in else Text("leave.no_stand_in")
    )
    ctx.reply(Text("leave.approved_done", params), named)
    send_privately(ctx, [member], [Text("leave.approved", params), named])
    if stand_in is not None:
        send_privately(
            ctx, [stand_in], [Text("leave.stand_in_notice", {k: params[k] for k in ("name", "start", "end")})]
        )


def leave_command(ctx: MemberContext, args: str) -> None:
    """Route /leave: FROM TO REASON asks, approve N or refuse N answers."""
    words = args.split()
    action = words[0].casefold() if words else ""
    if action in (ACTION_APPROVE, "批准") and len(words) == ANSWER_ARGS:
        answer_leave(ctx, True, words[1])
    elif action in (ACTION_REFUSE, "不批准") and len(words) == ANSWER_ARGS:
        answer_leave(ctx, False, words[1])
    else:
        ask_leave(ctx, words)


COMMANDS = (Command(CMD_LEAVE, leave_command, aliases=("请假",), private_only=True),)
