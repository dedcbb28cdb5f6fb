"""Processed deliveries are forgotten on the scheduler once their platform can no longer redeliver them."""

from __future__ import annotations

from datetime import datetime, timedelta

from lianfang.bot.db import session_scope
from lianfang.bot.types import PLATFORM_MEMORY, PLATFORM_TELEGRAM, PLATFORM_WECOM
from lianfang.models.events import ProcessedEvent, record_event
from lianfang.scheduler.purge import purge_processed_events
from sqlmodel import select

from tests.fakes import Harness

WINDOW_SECONDS = 3600
"""The default callback window: WeCom deliveries are kept two windows plus a 10-minute margin, 2 h 10 min."""


def remembered(harness: Harness) -> set[tuple[str, str]]:
    """Return the (platform, event id) of every delivery still recorded as processed."""
    with session_scope(harness.app.engine) as session:
        return {(row.platform, row.event_id) for row in session.exec(select(ProcessedEvent))}


def record(harness: Harness, platform: str, event_id: str, at: datetime) -> None:
    """Record a delivery as processed at a moment."""
    with session_scope(harness.app.engine) as session:
        assert record_event(connection=session.connection(), platform=platform, event_id=event_id, now=at)


async def test_old_deliveries_are_purged_with_a_fixed_now(harness: Harness) -> None:
    now = harness.clock()
    assert harness.app.settings.wecom_callback_window_seconds == WINDOW_SECONDS
    record(harness, PLATFORM_WECOM, "7050000000000000001", now - timedelta(hours=2, minutes=11))
    record(harness, PLATFORM_WECOM, "7050000000000000002", now - timedelta(hours=2, minutes=9))
    record(harness, PLATFORM_MEMORY, "event-1", now - timedelta(hours=3))
    record(harness, PLATFORM_TELEGRAM, "870200001", now - timedelta(hours=24, minutes=11))
    record(harness, PLATFORM_TELEGRAM, "870200002", now - timedelta(hours=23))

    assert purge_processed_events(harness.app.dispatcher, now) == 3
    assert remembered(harness) == {(PLATFORM_WECOM, "7050000000000000002"), (PLATFORM_TELEGRAM, "870200002")}
    assert purge_processed_events(harness.app.dispatcher, now) == 0  # idempotent
    assert len(remembered(harness)) == 2


async def test_the_window_setting_sets_how_long_callbacks_are_remembered(database_url: str) -> None:
    harness = Harness.create(database_url, wecom_callback_window_seconds=600)
    now = harness.clock()
    record(harness, PLATFORM_WECOM, "7050000000000000001", now - timedelta(minutes=31))
    record(harness, PLATFORM_WECOM, "7050000000000000002", now - timedelta(minutes=29))
    record(harness, PLATFORM_TELEGRAM, "870200001", now - timedelta(hours=2))
    try:
        assert purge_processed_events(harness.app.dispatcher, now) == 1
        assert remembered(harness) == {(PLATFORM_WECOM, "7050000000000000002"), (PLATFORM_TELEGRAM, "870200001")}
    finally:
        harness.app.engine.dispose()


async def test_the_scheduler_tick_purges_and_a_redelivery_within_the_window_stays_ignored(harness: Harness) -> None:
    staff = await harness.member("张伟", "coordination", "staff")
    assert await staff.say("/help", event_id="delivery-1")
    harness.advance(hours=1)
    await harness.tick()
    assert await staff.say("/help", event_id="delivery-1") == []  # still recognised as a redelivery
    assert (PLATFORM_MEMORY, "delivery-1") in remembered(harness)
    harness.advance(hours=1, minutes=11)
    await harness.tick()
    assert (PLATFORM_MEMORY, "delivery-1") not in remembered(harness)
