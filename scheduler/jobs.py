"""The daily loop as a pure tick: given ``now``, do whatever is due and not yet done."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache

from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.dispatcher import Dispatcher
from lianfang.bot.org import Org
from lianfang.bot.types import ChatRef, OutgoingMessage, Text
from lianfang.handlers.alerts.alerts import escalate_alerts
from lianfang.handlers.daily_report.report import post_daily_report, report_skipped, send_chasers, send_reminders
from lianfang.handlers.observation.jobs import tick_observation
from lianfang.handlers.referrals.referrals import chase_referrals
from lianfang.models.drafts import delete_draft, expired_drafts
from lianfang.models.send_ledger import KIND_LOOP, KIND_SKIPPED, claim, claimed_keys, first_day, is_claimed, ledger_key
from lianfang.scheduler.purge import purge_processed_events

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


def events_of(org: Org, tz: tzinfo, day: date) -> list[DueEvent]:
    """Return the day's loop events in time order; none on a day without reporting."""
    schedule = org.schedule
    if not schedule.is_working_day(day):
        return []
    events = [DueEvent(EVENT_REMINDER, datetime.combine(day, schedule.reminder, tz))]
    events += [DueEvent(EVENT_CHASE, datetime.combine(day, t, tz), n) for n, t in enumerate(schedule.chasers, 1)]
    events.append(DueEvent(EVENT_DEADLINE, datetime.combine(day, schedule.deadline, tz)))
    return events


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


def owed_days(dispatcher: Dispatcher, local: datetime) -> list[date]:
    """Return the days whose loop is due and not finished: past days still owing their report, then today.

    Looking back covers a process down over midnight or held by the quiet hours; it goes no further than
    ``LOOKBACK_DAYS`` and no earlier than the loop's first run, so a new deployment owes no history.
    """
    today = local.date()
    with session_scope(dispatcher.engine) as session:
        first = first_day(session=session)
        past = [today - timedelta(days=n) for n in range(LOOKBACK_DAYS, 0, -1)]
        past = [
            day for day in past if first is not None and day >= first and dispatcher.org.schedule.is_working_day(day)
        ]
        keys = {day: ledger_key(day, KIND_LOOP, EVENT_DEADLINE) for day in past}
        done = claimed_keys(session=session, keys=list(keys.values()))
    return [day for day in past if keys[day] not in done] + [today]


def run_loop(dispatcher: Dispatcher, now: datetime) -> list[OutgoingMessage]:
    """Do the due steps of every owed day's loop; tell 综合组 in one message which reminders were skipped."""
    sent: list[OutgoingMessage] = []
    skipped: list[tuple[datetime, int]] = []
    local = now.astimezone(dispatcher.tz)
    for day in owed_days(dispatcher, local):
        events = events_of(dispatcher.org, dispatcher.tz, day)
        for index, event in enumerate(events):
            if event.when > local:
                break
            next_at = events[index + 1].when if index + 1 < len(events) else None
            # One transaction per event: a failure in one step leaves the others done, and the next tick retries it.
            with session_scope(dispatcher.engine) as session:
                ctx = dispatcher.context(session, now)
                missed = _run_event(ctx, day, event, next_at)
                sent += ctx.sent
            if missed is not None:
                skipped.append((missed.when, missed.round_number))
    if skipped:
        with session_scope(dispatcher.engine) as session:
            ctx = dispatcher.context(session, now)
            report_skipped(ctx, skipped)
            sent += ctx.sent
    return sent


def tick(dispatcher: Dispatcher, now: datetime) -> list[OutgoingMessage]:
    """Do the due steps of the daily loops, expire drafts, escalate alerts, chase referrals; return what was queued.

    In the quiet hours the loop and the referral chasers wait for the end of them. Alert escalations do not:
    an unacknowledged fever case is the one thing the plan says to report at any hour (重要情况随时报告), and
    they stop after ``max_escalations`` rounds, so they cannot ring all night.
    """
    sent: list[OutgoingMessage] = []
    quiet = dispatcher.org.schedule.is_quiet(now.astimezone(dispatcher.tz).time())
    if not quiet:
        sent += run_loop(dispatcher, now)
    sent += tick_observation(dispatcher, now)
    sent += expire_drafts(dispatcher, now)
    purge_processed_events(dispatcher, now)
    with session_scope(dispatcher.engine) as session:
        ctx = dispatcher.context(session, now)
        escalate_alerts(ctx)
        if not quiet:
            chase_referrals(ctx)
        sent += ctx.sent
    return sent


def expire_drafts(dispatcher: Dispatcher, now: datetime) -> list[OutgoingMessage]:
    """Drop drafts whose time ran out and tell their owners."""
    with session_scope(dispatcher.engine) as session:
        ctx = dispatcher.context(session, now)
        for draft in expired_drafts(session=session, now=now):
            form = dispatcher.runner.forms.get(draft.form)
            title = form.title if form else Text.raw(draft.form)
            ctx.send(ChatRef(draft.platform, draft.chat_id), [Text("form.expired", {"form": title})], draft.lang)
            delete_draft(session=session, draft=draft)
        return ctx.sent


def loop_times(org: Org) -> list[time]:
    """Return the local times at which the loop has events (for cron triggers)."""
    schedule = org.schedule
    return [schedule.reminder, *schedule.chasers, schedule.deadline]


@cache
def loop_second(jitter_seconds: int) -> int:
    """Return the second past the minute at which this instance's cron triggers fire: 1 to ``jitter_seconds``, or 0.

    Picked once per process, so the reminders of many deployments do not all reach WeCom at :00 or :30. The loop's
    events stay due at the minute, so the ledger's catch-up and grace are measured as before.
    """
    return random.randint(1, jitter_seconds) if jitter_seconds > 0 else 0
