"""The daily loop as a scheduled step: the reminder, the chasers and the merged report, each once a working day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.jobs import Job, JobRuntime
from lianfang.bot.org import Org
from lianfang.bot.types import OutgoingMessage
from lianfang.handlers.daily_report.report import post_daily_report, report_skipped, send_chasers, send_reminders
from lianfang.models.send_ledger import KIND_LOOP, KIND_SKIPPED, claim, claimed_keys, first_day, is_claimed, ledger_key

logger = logging.getLogger(__name__)

EVENT_REMINDER = "reminder"
EVENT_CHASE = "chase"
EVENT_DEADLINE = "deadline"
LOOKBACK_DAYS = 7
"""How many past days a tick checks for a merged report that never went out (the process was down)."""


@dataclass(frozen=True)
class DueEvent:
    """One point of the daily loop on one day."""

    name: str
    when: datetime
    round_number: int = 0

    @property
    def label(self) -> str:
        """Return a unique label within the day."""
        return f"{self.name}{self.round_number or ''}"


@dataclass(frozen=True)
class LoopStep:
    """One point of the daily loop at its local time of day."""

    name: str
    at: time
    round_number: int = 0


def loop_steps(org: Org) -> list[LoopStep]:
    """Return the loop's steps in time order: the reminder, the chasers, the deadline (the merged report)."""
    schedule = org.schedule
    steps = [LoopStep(EVENT_REMINDER, schedule.reminder)]
    steps += [LoopStep(EVENT_CHASE, moment, n) for n, moment in enumerate(schedule.chasers, 1)]
    return [*steps, LoopStep(EVENT_DEADLINE, schedule.deadline)]


def loop_times(org: Org) -> list[time]:
    """Return the local times at which the loop has events: the cron triggers' times and the catch-up's."""
    return [step.at for step in loop_steps(org)]


def events_of(org: Org, tz: tzinfo, day: date) -> list[DueEvent]:
    """Return the day's loop events in time order; none on a day without reporting."""
    if not org.schedule.is_working_day(day):
        return []
    return [DueEvent(step.name, datetime.combine(day, step.at, tz), step.round_number) for step in loop_steps(org)]


def _run_event(ctx: Context, day: date, event: DueEvent, next_at: datetime | None) -> DueEvent | None:
    """Run one loop event once per day; return it when it was skipped for being past the grace.

    The merged report is never skipped: a late one goes out now, marked as delayed. A reminder or chaser missed
    by more than the grace, or overtaken by the next step, is skipped instead.
    """
    key = ledger_key(day, KIND_LOOP, event.label)
    if is_claimed(session=ctx.session, key=key):
        return None
    late = ctx.now - event.when > timedelta(minutes=ctx.settings.catch_up_grace_minutes)
    if event.name == EVENT_DEADLINE:
        if claim(session=ctx.session, day=day, kind=KIND_LOOP, key=key, now=ctx.now):
            post_daily_report(ctx, day, due=event.when if late else None)
        return None
    # After downtime, a reminder or chaser whose next step is already due would arrive seconds before it.
    overtaken = next_at is not None and ctx.now >= next_at
    skip = late or overtaken
    if not claim(session=ctx.session, day=day, kind=KIND_SKIPPED if skip else KIND_LOOP, key=key, now=ctx.now):
        return None  # another tick or instance got there first
    if late:
        # A 15:00 reminder at midnight would only confuse: skip it, once, and tell 综合组.
        logger.warning("%s of %s was due at %s and is skipped (now %s)", event.label, day, event.when, ctx.now)
        return event
    if overtaken:
        logger.info("%s of %s is skipped: the next step is already due", event.label, day)
    elif event.name == EVENT_REMINDER:
        send_reminders(ctx, day)
    else:
        send_chasers(ctx, day, event.round_number)
    return None


def owed_days(runtime: JobRuntime, local: datetime) -> list[date]:
    """Return the days whose loop is due and not finished: past days still owing their report, then today.

    Looking back covers a process down over midnight or held by the quiet hours; it goes no further than
    ``LOOKBACK_DAYS`` and no earlier than the loop's first run, so a new deployment owes no history.
    """
    today = local.date()
    with session_scope(runtime.engine) as session:
        first = first_day(session=session)
        past = [today - timedelta(days=n) for n in range(LOOKBACK_DAYS, 0, -1)]
        past = [day for day in past if first is not None and day >= first and runtime.org.schedule.is_working_day(day)]
        keys = {day: ledger_key(day, KIND_LOOP, EVENT_DEADLINE) for day in past}
        done = claimed_keys(session=session, keys=list(keys.values()))
    return [day for day in past if keys[day] not in done] + [today]


def run_loop(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Do the due steps of every owed day's loop; tell 综合组 in one message which reminders were skipped."""
    sent: list[OutgoingMessage] = []
    skipped: list[tuple[datetime, int]] = []
    local = now.astimezone(runtime.tz)
    for day in owed_days(runtime, local):
        events = events_of(runtime.org, runtime.tz, day)
        for index, event in enumerate(events):
            if event.when > local:
                break
            next_at = events[index + 1].when if index + 1 < len(events) else None
            # One transaction per event: a failure in one step leaves the others done, and the next tick retries it.
            with session_scope(runtime.engine) as session:
                ctx = runtime.context(session, now)
                missed = _run_event(ctx, day, event, next_at)
                sent += ctx.sent
            if missed is not None:
                skipped.append((missed.when, missed.round_number))
    if skipped:
        with session_scope(runtime.engine) as session:
            ctx = runtime.context(session, now)
            report_skipped(ctx, skipped)
            sent += ctx.sent
    return sent


LOOP_JOB = Job("loop", run_loop, times=loop_times)
"""The daily loop; in the quiet hours it waits for their end."""
