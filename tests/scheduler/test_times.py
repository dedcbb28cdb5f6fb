"""One source of times: the cron triggers fire at the times the jobs declare, and the catch-up tick reads the same."""

from __future__ import annotations

from datetime import time

from lianfang.app.features import JOBS
from lianfang.handlers.daily_report.loop import events_of
from lianfang.scheduler.service import start_scheduler

from tests.fakes import TEST_DAY, Harness, keys_of
from tests.org import load_test_org

KERNEL_TRIGGERS = {"catch-up", "outbox", "leadership"}
REPORTERS = (("周强", "screening"), ("孙悦", "supervision"))


def moved_org_harness(database_url: str) -> Harness:
    """Return a harness whose org asks for reports at 14:00 and chases at 14:20 instead of 15:00, 15:15 and 15:25."""
    org = load_test_org()
    schedule = org.schedule.model_copy(update={"reminder": time(14, 0), "chasers": [time(14, 20)]})
    return Harness.create(database_url, org=org.model_copy(update={"schedule": schedule}))


async def test_the_cron_triggers_and_the_catch_up_tick_follow_the_same_org_times(database_url: str) -> None:
    harness = moved_org_harness(database_url)
    await harness.app.start()
    try:
        chats = [await harness.member(name, group, "reporter") for name, group in REPORTERS]
        assert await harness.tick("13:59") == []
        assert len(await harness.tick("14:00")) == len(chats)  # due at the moved time, not at 15:00
        assert all(keys_of(chat.unread()) == ["reminder.title", "reminder.text"] for chat in chats)
        assert await harness.tick("14:19") == []
        await harness.tick("14:20")
        assert all(keys_of(chat.unread()) == ["reminder.chase_title", "reminder.chase"] for chat in chats)
        assert await harness.tick("15:25") == []  # no chaser at the bundled org's times
        # last: starting the scheduler hands the leadership to a lock, which a PostgreSQL test would not hold
        scheduler = start_scheduler(harness.app)
        try:
            triggers = {job.id for job in scheduler.get_jobs()} - KERNEL_TRIGGERS
        finally:
            scheduler.shutdown(wait=False)
        declared = {f"{job.name}-{moment:%H%M}" for job in JOBS for moment in job.times(harness.org)}
        moved = {"loop-1400", "loop-1420", "loop-1530", "followups-0900", "followups-1500", "supervision-0830"}
        assert triggers == declared and moved <= declared
        assert not {name for name in declared if name.startswith("loop-")} - moved  # 15:00 and 15:15 are gone
        [loop] = [job for job in JOBS if job.name == "loop"]
        events = events_of(harness.org, harness.app.tz, TEST_DAY)
        assert [event.when.time() for event in events] == loop.times(harness.org)
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()
