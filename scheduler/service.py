"""APScheduler wiring: cron triggers at the jobs' times plus a catch-up tick, run by the scheduler leader only."""

from __future__ import annotations

import logging
from datetime import datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from lianfang.bot.runtime import App
from lianfang.scheduler.jobs import Ticker, loop_second
from lianfang.scheduler.leadership import CHECK_SECONDS, Leadership, leadership_for

logger = logging.getLogger(__name__)

OUTBOX_RETRY_SECONDS = 5
SETTLE_SECONDS = 10.0
"""How long a stop waits for a tick or outbox drain in progress."""


def start_scheduler(app: App, leadership: Leadership | None = None) -> AsyncIOScheduler:
    """Start the scheduler of this instance; the loop itself is rebuilt from the database on every tick.

    Cron triggers fire at the times the jobs declare (the times their steps read on every tick); a catch-up tick
    every ``tick_seconds`` also expires drafts and covers a restart or a simulated clock. Every tick is idempotent,
    and only the leader's ticks do anything (``App.tick``); every instance drains the outbox.
    """
    leadership = leadership or leadership_for(app.engine, key=app.settings.leader_lock_key)
    app.leadership = leadership
    grace = app.settings.catch_up_grace_minutes * 60 or 1
    scheduler = AsyncIOScheduler(timezone=app.tz)
    times = cron_times(app)
    for name, moment in times:
        scheduler.add_job(
            app.tick,
            CronTrigger(
                hour=moment.hour,
                minute=moment.minute,
                second=loop_second(app.settings.schedule_jitter_seconds),
                timezone=app.tz,
            ),
            id=f"{name}-{moment:%H%M}",
            misfire_grace_time=grace,
            coalesce=True,
            max_instances=1,
        )
    scheduler.add_job(
        app.tick, IntervalTrigger(seconds=app.settings.tick_seconds), id="catch-up", coalesce=True, max_instances=1
    )
    scheduler.add_job(
        app.drain,
        IntervalTrigger(seconds=OUTBOX_RETRY_SECONDS),
        id="outbox",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        follow_leadership,
        IntervalTrigger(seconds=CHECK_SECONDS),
        args=(app, leadership),
        id="leadership",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(app.tz),
    )
    scheduler.start()
    logger.info("scheduler started: jobs at %s", ", ".join(f"{name} {t:%H:%M}" for name, t in times))
    return scheduler


def cron_times(app: App) -> list[tuple[str, time]]:
    """Return (job name, local time) of the cron triggers: the times the app's jobs declare, read once per start."""
    return app.ticker.cron_times(app.org) if isinstance(app.ticker, Ticker) else []


async def follow_leadership(app: App, leadership: Leadership) -> None:
    """Try for (or keep) the scheduler leadership; on taking it over, catch up at once on what was due."""
    if await leadership.refresh():
        await app.tick()


async def stop_scheduler(app: App, scheduler: AsyncIOScheduler) -> None:
    """Stop the scheduler after the work in progress, then hand leadership over."""
    # APScheduler cancels coroutine jobs still running at shutdown, whatever ``wait`` says: a send cut off after
    # the platform took it would go again after a restart. Let running work finish first.
    scheduler.pause()
    await app.settle(timeout=SETTLE_SECONDS)
    scheduler.shutdown(wait=False)
    if isinstance(app.leadership, Leadership):
        await app.leadership.release()
