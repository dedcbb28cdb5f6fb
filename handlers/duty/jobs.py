"""The duty steps as a pure tick: the eve and before-shift reminders, the missed check-in and its escalation.

Every send is claimed once in the send ledger, keyed by the assignment, so no restart or second instance repeats it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from lianfang.bot.context import Context
from lianfang.bot.jobs import Job, in_one_transaction
from lianfang.bot.org import Org
from lianfang.bot.types import Text
from lianfang.handlers.duty.checkin import checkin_button
from lianfang.handlers.duty.handovers import handover_buttons
from lianfang.handlers.duty.roster import OnDuty, leader_of, leader_text, roster_of, shift_params
from lianfang.handlers.duty.settings import DUTY, DutyRules
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.shared.standins import stand_ins
from lianfang.handlers.supervision import oversight_group
from lianfang.models.send_ledger import claim, ledger_key

logger = logging.getLogger(__name__)

KIND_DUTY = "duty"
"""The send ledger's kind for duty sends."""
STEP_EVE = "eve"
STEP_BEFORE = "before"
STEP_MISSED = "missed"
STEP_ESCALATE = "escalate"
STEP_HANDOVER = "handover"
HANDOVER_WINDOW = timedelta(hours=2)
ONE_DAY = timedelta(days=1)


def _clock(moment: datetime) -> time:
    return moment.time().replace(tzinfo=None)


def _shift_moments(org: Org, minutes_of: Callable[[DutyRules], int], *, at_end: bool = False) -> list[time]:
    """Return, for every shift, its start (or end) moved by some minutes of the rules, as local times."""
    rules = DUTY.of(org)
    day = date(2000, 1, 1)
    return sorted(
        {
            _clock(datetime.combine(day, shift.end if at_end else shift.start) + timedelta(minutes=minutes_of(rules)))
            for shift in rules.shifts
        }
    )


def eve_times(org: Org) -> list[time]:
    """Return when the eve reminder is due: the eve time."""
    return [DUTY.of(org).eve_time]


def before_times(org: Org) -> list[time]:
    """Return when the before-shift reminders are due: when each shift's check-in opens."""
    return _shift_moments(org, lambda rules: -rules.before_minutes)


def missed_times(org: Org) -> list[time]:
    """Return when missed check-ins are due: when each shift's check-in closes."""
    return _shift_moments(org, lambda rules: rules.checkin_grace_minutes)


def escalate_times(org: Org) -> list[time]:
    """Return when escalations are due: each shift's start plus the escalation minutes."""
    return _shift_moments(org, lambda rules: rules.escalate_minutes)


def handover_times(org: Org) -> list[time]:
    """Return when the handover question is due: before each shift's end, when the next may check in."""
    return _shift_moments(org, lambda rules: -rules.before_minutes, at_end=True)


def duty_times(org: Org) -> list[time]:
    """Return the local times something is due: the eve reminder; each shift's reminder, miss, escalation, handover."""
    return sorted({moment for job in DUTY_JOBS for moment in job.times(org)})


def _claim(ctx: Context, entry: OnDuty, step: str) -> bool:
    """Claim one step of one assignment; True only for the one caller that did."""
    key = ledger_key(entry.assignment.day, KIND_DUTY, step, entry.id)
    return claim(
        session=ctx.session, day=entry.assignment.day, kind=KIND_DUTY, key=key, now=ctx.now, recipient=str(entry.id)
    )


def remind_eve(ctx: Context) -> None:
    """Remind everyone on tomorrow's roster, once, from the eve time until the quiet hours."""
    rules = DUTY.of(ctx.org)
    local = ctx.now.astimezone(ctx.tz)
    if local.time() < rules.eve_time or ctx.org.schedule.is_quiet(local.time()):
        return
    tomorrow = ctx.today + ONE_DAY
    for entry in roster_of(ctx, [tomorrow]):
        if ctx.now < entry.start and _claim(ctx, entry, STEP_EVE):
            params = {**shift_params(ctx, entry), "leader": leader_text(ctx, tomorrow)}
            send_privately(ctx, stand_ins(ctx, [entry.member], tomorrow), [Text("duty.eve_reminder", params)])


def remind_before(ctx: Context) -> None:
    """Remind whoever has not checked in yet while the check-in window is open, once, with the 到岗 button."""
    for entry in _due(ctx, lambda e: e.opens <= ctx.now < e.closes and not e.checked_in):
        if _claim(ctx, entry, STEP_BEFORE):
            send_privately(
                ctx,
                stand_ins(ctx, [entry.member], entry.assignment.day),
                [Text("duty.before_reminder", shift_params(ctx, entry))],
                buttons=[checkin_button(entry)],
            )


def report_missed(ctx: Context) -> None:
    """Tell the 综合组 chat and the day's leader, once, of a check-in that closed without one."""
    for entry in _due(ctx, lambda e: e.closes <= ctx.now < e.end and not e.checked_in):
        if not _claim(ctx, entry, STEP_MISSED):
            continue
        params = shift_params(ctx, entry)
        chat = group_chat(ctx, ctx.org.coordination_group)
        if chat is not None:
            ctx.send(chat, [Text("duty.missed_alert", params)], ctx.settings.default_language)
        else:
            logger.warning("missed duty check-in %s: the coordination chat is not bound", entry.id)
        leader = leader_of(ctx, entry.assignment.day)
        if leader is not None:
            lines = [Text("duty.missed_alert", params)]
            if entry.assignment.phone:
                lines.append(Text("duty.missed_phone", {"phone": entry.assignment.phone}))
            send_privately(ctx, [leader], lines)
        send_privately(ctx, [entry.member], [Text("duty.missed_you", params)])


def escalate_missed(ctx: Context) -> None:
    """Tell the escalation group's chat (执纪督查组), once, of a miss still not made good after the escalation time."""
    rules = DUTY.of(ctx.org)
    for entry in _due(ctx, lambda e: e.escalates <= ctx.now < e.end and not e.checked_in):
        if not _claim(ctx, entry, STEP_ESCALATE):
            continue
        group = rules.escalate_group or oversight_group(ctx.org)
        chat = group_chat(ctx, group) if group is not None else None
        params = {**shift_params(ctx, entry), "minutes": rules.escalate_minutes}
        if chat is not None:
            ctx.send(chat, [Text("duty.escalated", params)], ctx.settings.default_language)
        else:
            logger.warning("duty check-in %s escalated: no chat of the %s group is bound", entry.id, group)


def ask_handover(ctx: Context) -> None:
    """Ask whoever is on duty, once, from when the next shift may check in until two hours after the end, for the
    handover: nothing new, or the matters to hand over."""
    for entry in _due(ctx, lambda e: e.checked_in and e.assignment.handover_at is None):
        opens = entry.end - timedelta(minutes=DUTY.of(ctx.org).before_minutes)
        if opens <= ctx.now < entry.end + HANDOVER_WINDOW and _claim(ctx, entry, STEP_HANDOVER):
            lines = [Text("duty.handover_ask", shift_params(ctx, entry))]
            send_privately(ctx, [entry.member], lines, buttons=handover_buttons(entry))


def _due(ctx: Context, wanted: Callable[[OnDuty], bool]) -> list[OnDuty]:
    """Return the assignments of yesterday, today and tomorrow that a step wants now."""
    days = [ctx.today - ONE_DAY, ctx.today, ctx.today + ONE_DAY]
    return [entry for entry in roster_of(ctx, days) if wanted(entry)]


DUTY_JOBS = (
    Job("duty-remind-eve", in_one_transaction(remind_eve), times=eve_times, in_quiet_hours=True),
    Job("duty-remind-before", in_one_transaction(remind_before), times=before_times, in_quiet_hours=True),
    Job("duty-report-missed", in_one_transaction(report_missed), times=missed_times, in_quiet_hours=True),
    Job("duty-escalate-missed", in_one_transaction(escalate_missed), times=escalate_times, in_quiet_hours=True),
    Job("duty-ask-handover", in_one_transaction(ask_handover), times=handover_times, in_quiet_hours=True),
)
"""The duty steps, each in its own transaction and with the times it is due at (the catch-up tick runs them all);
a shift runs through the night, so its alerts do too (the eve reminder keeps quiet on its own). The names are the
cron triggers' ids and log names only: the send ledger keys its claims by assignment and step, not by job name."""
