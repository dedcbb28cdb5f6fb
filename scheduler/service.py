"""APScheduler wiring: cron triggers at the loop's times plus a catch-up tick, on one scheduler per instance."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App
from scheduler.jobs import loop_second, loop_times

logger = logging.getLogger(__name__)

OUTBOX_RETRY_SECONDS = 5


def start_scheduler(app: App) -> AsyncIOScheduler:
    """Start the scheduler of this instance; the loop itself is rebuilt from the database on every tick.

    Cron triggers fire at the loop's times; a catch-up tick every ``tick_seconds`` also expires drafts and
    covers a restart or a simulated clock. Every tick is idempotent.
    """
    grace = app.settings.catch_up_grace_minutes * 60 or 1
    scheduler = AsyncIOScheduler(timezone=app.tz)
    for moment in loop_times(app.org):
        scheduler.add_job(
            app.tick,
            CronTrigger(
                hour=moment.hour,
                minute=moment.minute,
                second=loop_second(app.settings.schedule_jitter_seconds),
                timezone=app.tz,
            ),
            id=f"loop-{moment:%H%M}",
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
    scheduler.start()
    logger.info("scheduler started: loop at %s", ", ".join(f"{t:%H:%M}" for t in loop_times(app.org)))
    return scheduler
