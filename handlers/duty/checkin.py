"""/onduty (到岗): checking in for one's shift within its window; /duty (值班): today's and tomorrow's roster."""

from __future__ import annotations

import logging
from datetime import timedelta

from lianfang.bot.context import MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import Button, Text
from lianfang.handlers.duty.handovers import HANDOVER_FORM, HANDOVER_WORDS, handover_command, handover_lines
from lianfang.handlers.duty.roster import OnDuty, roster_lines, roster_of, shift_params
from lianfang.handlers.duty.swaps import ACTION_ACCEPT, ACTION_REFUSE, SWAP_WORDS, answer_swap, ask_swap
from lianfang.handlers.duty.uploads import import_command
from lianfang.handlers.shared.parsers import parse_record_number, shown_number
from lianfang.models.duty import DutyAssignment, assignments_of, check_in

logger = logging.getLogger(__name__)

CMD_ONDUTY = "onduty"
CMD_DUTY = "duty"
ONE_DAY = timedelta(days=1)
TIME_FORMAT = "%H:%M"
IMPORT_WORDS = ("import", "导入")
"""``值班 导入`` reaches the import as ``/duty import`` and 值班导入 do."""
ANSWER_WORDS = 2
"""A swap answer: the action and the swap's number."""


def checkin_button(entry: OnDuty) -> Button:
    """Return the 到岗 button of one assignment."""
    return Button(Text("duty.button_checkin"), f"/{CMD_ONDUTY} {entry.id}")


def _own_entries(ctx: MemberContext) -> list[OnDuty]:
    """Return the speaker's assignments of yesterday, today and tomorrow (a night shift runs past midnight)."""
    days = [ctx.today - ONE_DAY, ctx.today, ctx.today + ONE_DAY]
    mine = {a.id for a in assignments_of(session=ctx.session, member_id=ctx.member_id, days=days)}
    return [entry for entry in roster_of(ctx, days) if entry.id in mine]


def _nearest(ctx: MemberContext, entries: list[OnDuty]) -> OnDuty:
    """Return the assignment whose check-in window is nearest to now."""
    return min(entries, key=lambda e: min(abs(e.opens - ctx.now), abs(e.closes - ctx.now)))


def onduty_command(ctx: MemberContext, args: str) -> None:
    """Check the speaker in for the shift whose window is open now (or the one the button names)."""
    entries = _own_entries(ctx)
    if args:
        number = parse_record_number(args)
        assignment = ctx.session.get(DutyAssignment, number) if number else None
        if assignment is None:
            ctx.refuse(Text("duty.unknown_number", {"number": shown_number(args)}))
            return
        if assignment.member_id != ctx.member_id:
            ctx.refuse("duty.not_yours")
            return
        entries = [entry for entry in entries if entry.id == assignment.id]
        if not entries:  # a shift days away from now: its window is not open
            ctx.refuse("duty.outside_window_far")
            return
    if not entries:
        ctx.reply("duty.no_shift")
        return
    open_now = [e for e in entries if e.opens <= ctx.now < e.closes]
    if not open_now:
        ctx.refuse(Text("duty.outside_window", shift_params(ctx, _nearest(ctx, entries))))
        return
    entry = open_now[0]
    if entry.assignment.checked_in_at is not None:
        at = entry.assignment.checked_in_at.astimezone(ctx.tz).strftime(TIME_FORMAT)
        ctx.refuse(Text("duty.already", {**shift_params(ctx, entry), "time": at}))
        return
    check_in(session=ctx.session, assignment=entry.assignment, now=ctx.now)
    logger.info("duty assignment %s checked in", entry.id)
    ctx.reply(
        Text("duty.checked_in", {**shift_params(ctx, entry), "time": ctx.now.strftime(TIME_FORMAT)}),
        *handover_lines(ctx, entry),
    )


def duty_command(ctx: MemberContext, args: str) -> None:
    """Show today's and tomorrow's roster with check-ins; ``swap DATE SHIFT NAME`` asks for a swap, and
    ``accept N`` or ``refuse N`` answers one."""
    words = args.split()
    action = words[0].casefold() if words else ""
    if action in SWAP_WORDS:
        ask_swap(ctx, words[1:])
        return
    if action in IMPORT_WORDS:
        import_command(ctx, " ".join(words[1:]))
        return
    if action in HANDOVER_WORDS:
        handover_command(ctx, words[1:])
        return
    if action in (ACTION_ACCEPT, ACTION_REFUSE) and len(words) == ANSWER_WORDS:
        answer_swap(ctx, action == ACTION_ACCEPT, words[1])
        return
    if args:
        ctx.reply("duty.usage")
        return
    lines = roster_lines(ctx, [ctx.today, ctx.today + ONE_DAY])
    ctx.reply(Text("duty.view_title"), *lines)


FORMS = (HANDOVER_FORM,)
COMMANDS = (
    Command(CMD_ONDUTY, onduty_command, aliases=("到岗",)),
    Command(CMD_DUTY, duty_command, aliases=("值班",)),
)
