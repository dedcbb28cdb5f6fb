"""Schedule jitter: the loop's cron triggers fire a few seconds past the minute; the loop itself is unchanged."""

from __future__ import annotations

import pytest
from lianfang.bot.config import Settings
from lianfang.scheduler.jobs import loop_second
from lianfang.scheduler.service import start_scheduler
from pydantic import ValidationError

from tests.fakes import Harness, keys_of

REPORTERS = (("周强", "screening"), ("孙悦", "supervision"))


def test_the_second_is_picked_once_within_the_jitter_and_zero_turns_it_off() -> None:
    assert Settings(_env_file=None).schedule_jitter_seconds == 7
    assert loop_second(0) == 0
    picked = loop_second(7)
    assert 1 <= picked <= 7 and all(loop_second(7) == picked for _ in range(20))
    with pytest.raises(ValidationError):
        Settings(_env_file=None, schedule_jitter_seconds=60)


async def test_the_cron_triggers_fire_at_this_instances_second(harness: Harness) -> None:
    scheduler = start_scheduler(harness.app)
    try:
        seconds = {
            job.id: next(str(field) for field in job.trigger.fields if field.name == "second")
            for job in scheduler.get_jobs()
            if job.id.startswith("loop-")
        }
    finally:
        scheduler.shutdown(wait=False)
    assert set(seconds) == {"loop-1500", "loop-1515", "loop-1525", "loop-1530"}
    assert set(seconds.values()) == {str(loop_second(harness.app.settings.schedule_jitter_seconds))}


async def test_a_jittered_tick_sends_each_step_once_and_chasers_count_whole_minutes(harness: Harness) -> None:
    chats = [await harness.member(name, group, "reporter") for name, group in REPORTERS]
    harness.at("15:00")
    harness.advance(seconds=7)
    assert len(await harness.tick()) == len(chats)  # not late: the grace is counted from 15:00
    harness.advance(seconds=30)
    assert await harness.tick() == []  # the catch-up tick finds it done
    assert all(keys_of(chat.unread()) == ["reminder.title", "reminder.text"] for chat in chats)
    harness.at("15:15")
    harness.advance(seconds=7)
    await harness.tick()
    for chat in chats:
        [chaser] = chat.unread()
        assert chaser.lines[-1].key == "reminder.chase" and chaser.lines[-1].params["minutes"] == 15
