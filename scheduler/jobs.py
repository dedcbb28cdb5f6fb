"""The scheduled tick, generic over the jobs features declare: given ``now``, run every job that is due."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache

from lianfang.bot.db import session_scope
from lianfang.bot.forms import forget_answers
from lianfang.bot.jobs import Job, JobRuntime
from lianfang.bot.org import Org
from lianfang.bot.types import ChatRef, OutgoingMessage, Text
from lianfang.models.drafts import delete_draft, expired_drafts
from lianfang.scheduler.purge import purge_processed_events

logger = logging.getLogger(__name__)


def expire_drafts(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Drop drafts whose time ran out and tell their owners."""
    with session_scope(runtime.engine) as session:
        ctx = runtime.context(session, now)
        forms = ctx.runner.forms if ctx.runner is not None else {}
        for draft in expired_drafts(session=session, now=now):
            form = forms.get(draft.form)
            title = form.title if form else Text.raw(draft.form)
            ctx.send(ChatRef(draft.platform, draft.chat_id), [Text("form.expired", {"form": title})], draft.lang)
            forget_answers(session.connection(), draft.data.values())
            delete_draft(connection=session.connection(), draft=draft)
        return ctx.sent


def forget_processed_events(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Forget processed deliveries no redelivery can match any more; it sends nothing."""
    purge_processed_events(runtime, now)
    return []


MAINTENANCE_JOBS = (
    Job("drafts", expire_drafts, in_quiet_hours=True),
    Job("processed-events", forget_processed_events, in_quiet_hours=True),
)
"""The kernel's own upkeep, run on every tick after the features' jobs."""


@dataclass(frozen=True)
class Ticker:
    """Run the given jobs (and the kernel's upkeep) once for a moment; the one source of the cron triggers' times."""

    jobs: tuple[Job, ...]

    def __call__(self, runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
        """Run every job due at ``now``, each on its own; return what they queued.

        In the quiet hours a job waits for their end unless it runs in them: alert escalations do, since an
        unacknowledged fever case is the one thing the plan says to report at any hour (重要情况随时报告).
        """
        return tick(runtime, now, self.jobs)

    def cron_times(self, org: Org) -> list[tuple[str, time]]:
        """Return (job name, local time) for every time a job declares, in job order."""
        return cron_times(org, self.jobs)


def tick(runtime: JobRuntime, now: datetime, jobs: Sequence[Job]) -> list[OutgoingMessage]:
    """Run each job that is due at ``now``, then the kernel's upkeep; return what was queued.

    A job that fails is logged and left for the next tick, which runs it again; the jobs after it still run, so one
    feature's fault never holds back another's reminders or alerts.
    """
    sent: list[OutgoingMessage] = []
    quiet = runtime.org.schedule.is_quiet(now.astimezone(runtime.tz).time())
    for job in (*jobs, *MAINTENANCE_JOBS):
        if quiet and not job.in_quiet_hours:
            continue
        try:
            sent += job.step(runtime, now)
        except Exception:
            logger.exception("scheduled job %s failed; the next tick runs it again", job.name)
    return sent


def cron_times(org: Org, jobs: Sequence[Job]) -> list[tuple[str, time]]:
    """Return (job name, local time) for every time the jobs declare: the catch-up tick's steps read the same."""
    return [(job.name, moment) for job in jobs for moment in job.times(org)]


@cache
def loop_second(jitter_seconds: int) -> int:
    """Return the second past the minute at which this instance's cron triggers fire: 1 to ``jitter_seconds``, or 0.

    Picked once per process, so the reminders of many deployments do not all reach WeCom at :00 or :30. The loop's
    events stay due at the minute, so the ledger's catch-up and grace are measured as before.
    """
    return random.randint(1, jitter_seconds) if jitter_seconds > 0 else 0
