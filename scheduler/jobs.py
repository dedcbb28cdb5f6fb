"""The daily loop as a pure tick: given ``now``, do whatever is due and not yet done."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache

from bot.context import Context
from bot.db import session_scope
from bot.dispatcher import Dispatcher
from bot.org import Org
from bot.types import ChatRef, OutgoingMessage, Text
from handlers.alerts import escalate_alerts
from handlers.daily_report import post_daily_report, send_chasers, send_reminders
from handlers.referrals import chase_referrals
from models.drafts import delete_draft, expired_drafts
from models.ledger import KIND_LOOP, KIND_SKIPPED, claim, is_claimed, ledger_key
from scheduler.observation import tick_observation
from scheduler.purge import purge_processed_events

logger = logging.getLogger(__name__)

EVENT_REMINDER = "reminder"
EVENT_CHASE = "chase"
EVENT_DEADLINE = "deadline"


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


def _run_event(ctx: Context, day: date, event: DueEvent, next_at: datetime | None) -> None:
    """Run one loop event once per day; one missed by more than the grace, or overtaken by the next, is skipped."""
    key = ledger_key(day, KIND_LOOP, event.label)
    if is_claimed(session=ctx.session, key=key):
        return
    late = ctx.now - event.when > timedelta(minutes=ctx.settings.catch_up_grace_minutes)
    # After downtime, a reminder or chaser whose next step is already due would arrive seconds before it.
    overtaken = next_at is not None and ctx.now >= next_at
    skip = late or overtaken
    if not claim(session=ctx.session, day=day, kind=KIND_SKIPPED if skip else KIND_LOOP, key=key, now=ctx.now):
        return  # another tick or instance got there first
    if late:
        # A 15:00 reminder at midnight would only confuse: skip it, once, and say so in the log.
        logger.warning("%s of %s was due at %s and is skipped (now %s)", event.label, day, event.when, ctx.now)
    elif overtaken:
        logger.info("%s of %s is skipped: the next step is already due", event.label, day)
    elif event.name == EVENT_REMINDER:
        send_reminders(ctx, day)
    elif event.name == EVENT_CHASE:
        send_chasers(ctx, day, event.round_number)
    else:
        post_daily_report(ctx, day)


def tick(dispatcher: Dispatcher, now: datetime) -> list[OutgoingMessage]:
    """Do the due steps of today's loop, expire drafts, escalate alerts, chase referrals; return what was queued."""
    sent: list[OutgoingMessage] = []
    local = now.astimezone(dispatcher.tz)
    events = events_of(dispatcher.org, dispatcher.tz, local.date())
    for index, event in enumerate(events):
        if event.when > local:
            break
        next_at = events[index + 1].when if index + 1 < len(events) else None
        # One transaction per event: a failure in one step leaves the others done, and the next tick retries it.
        with session_scope(dispatcher.engine) as session:
            ctx = dispatcher.context(session, now)
            _run_event(ctx, local.date(), event, next_at)
            sent += ctx.sent
    sent += tick_observation(dispatcher, now)
    sent += expire_drafts(dispatcher, now)
    purge_processed_events(dispatcher, now)
    with session_scope(dispatcher.engine) as session:
        ctx = dispatcher.context(session, now)
        escalate_alerts(ctx)
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
