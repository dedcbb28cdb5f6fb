"""The key-person follow-up steps of each day as a pure tick: the morning lists and the afternoon escalation."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from lianfang.bot.context import Context
from lianfang.bot.db import session_scope
from lianfang.bot.jobs import Job, JobRuntime
from lianfang.bot.org import Org
from lianfang.bot.types import OutgoingMessage
from lianfang.handlers.observation.followups import mark_not_done, send_followup_lists
from lianfang.handlers.observation.settings import OBSERVATION
from lianfang.models.send_ledger import KIND_LOOP, KIND_SKIPPED, claim, is_claimed, ledger_key

logger = logging.getLogger(__name__)

STEP_LIST = "followup_list"
STEP_ESCALATE = "followup_escalate"


def _claim_step(ctx: Context, day: date, step: str, *, skip: bool) -> bool:
    """Claim a day's step once for all ticks and instances; True only for the one caller that did."""
    key = ledger_key(day, KIND_LOOP, step)
    if is_claimed(session=ctx.session, key=key):
        return False
    return claim(session=ctx.session, day=day, kind=KIND_SKIPPED if skip else KIND_LOOP, key=key, now=ctx.now)


def followup_times(org: Org) -> list[time]:
    """Return the local times of the day's two follow-up steps: the lists, then the escalation."""
    rules = OBSERVATION.of(org)
    return [rules.followup_time, rules.escalate_at]


def tick_observation(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Send the day's follow-up lists and escalate unrecorded follow-ups, each once; return what was queued."""
    local = now.astimezone(runtime.tz)
    day = local.date()
    list_at, escalate_at = (datetime.combine(day, moment, runtime.tz) for moment in followup_times(runtime.org))
    sent: list[OutgoingMessage] = []
    if local < list_at:
        return sent
    grace = timedelta(minutes=runtime.settings.catch_up_grace_minutes)
    # In the quiet hours the steps still change the records (figures, loss counting) but send nothing.
    quiet = runtime.org.schedule.is_quiet(local.time())
    with session_scope(runtime.engine) as session:
        ctx = runtime.context(session, now)
        # A list that arrives after the escalation it warns about, or hours late, would only confuse.
        skip = local - list_at > grace or local >= escalate_at or quiet
        if _claim_step(ctx, day, STEP_LIST, skip=skip):
            if skip:
                logger.warning("follow-up lists of %s were due at %s and are skipped (now %s)", day, list_at, now)
            else:
                send_followup_lists(ctx, day)
        sent += ctx.sent
    if local < escalate_at:
        return sent
    with session_scope(runtime.engine) as session:
        ctx = runtime.context(session, now)
        late = local - escalate_at > grace or quiet
        if _claim_step(ctx, day, STEP_ESCALATE, skip=late):
            if late:
                # The records still change, so the report's figures and loss counting stay right; only the messages go.
                logger.warning(
                    "follow-up escalation of %s was due at %s; marked without messages (now %s)", day, escalate_at, now
                )
            mark_not_done(ctx, day, notify=not late)
        sent += ctx.sent
    return sent


FOLLOWUP_JOB = Job("followups", tick_observation, times=followup_times, in_quiet_hours=True)
"""The follow-up lists and escalation; in the quiet hours they still change the records but send nothing."""
