"""Scheduler leadership: one leader per database on PostgreSQL, handover when it dies, and a week on three instances.

On SQLite every instance leads (one instance is assumed); the week then shows that the send ledger alone keeps
three schedulers from sending anything twice. On PostgreSQL it also shows the advisory lock electing one leader
and a survivor taking over when the leader's connection vanishes mid-afternoon.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from lianfang.app.platforms import Settings
from lianfang.bot.platforms.memory.adapter import MemoryAdapter
from lianfang.bot.runtime import App, ManualClock
from lianfang.bot.types import PLATFORM_MEMORY, IncomingMessage, OutgoingMessage
from lianfang.scheduler.leadership import CHECK_SECONDS, AdvisoryLockLeadership, Leadership, leadership_for, lock_key
from lianfang.scheduler.service import follow_leadership
from sqlalchemy import Engine, text

from tests.conftest import POSTGRES_URL, postgres_schema
from tests.fakes import TEST_DAY, Chat, Harness
from tests.handlers.daily_report.test_daily_loop import REPORTERS

INSTANCES = 3
DAYS = 7
KILL_DAY = 3
KILL_AT = time(15, 10)
"""The leader dies after the 15:00 reminders and before the 15:15 chasers."""
TAKEOVER_TRIES = 50
"""Refresh rounds a survivor gets to take the lock after the leader vanished (the server ends its session)."""
TAKEOVER_PAUSE = CHECK_SECONDS / 20

ON_TIME = ("coordination", "screening", "stability")
"""Groups that send a nil report at 15:05 every day."""
EVEN_DAYS_LATE = "supplies"
"""Reports at 15:20 on even days (after the first chaser, before the second), and not at all on odd days."""


def day_steps() -> Iterator[time]:
    """Return the moments one day is stepped through: a few quiet ones, then every 5 minutes around the loop."""
    yield from (time(0, 5), time(8, 0), time(12, 0))
    moment = time(14, 30)
    while moment <= time(16, 0):
        yield moment
        total = moment.hour * 60 + moment.minute + 5
        moment = time(total // 60, total % 60)
    yield time(20, 0)


def is_postgres(app: App) -> bool:
    return app.engine.dialect.name == "postgresql"


# -- the lock ---------------------------------------------------------------------------------------------


def test_lock_key_is_stable_and_differs_by_database_and_schema() -> None:
    key = lock_key("lianfang", "public")
    assert key == lock_key("lianfang", "public") and -(2**63) <= key < 2**63
    assert len({key, lock_key("lianfang", "wulipai"), lock_key("other", "public")}) == 3


@pytest.fixture
def other_schema_url() -> Iterator[str | None]:
    """Yield a URL to a second fresh PostgreSQL schema in the same database (None without PostgreSQL)."""
    if POSTGRES_URL is None:
        yield None
        return
    with postgres_schema() as url:
        yield url


def lock_holders(engine: Engine, key: int | None) -> list[int]:
    """Return the server pids of the sessions holding the advisory lock ``key`` (pg_locks splits it in halves)."""
    assert key is not None
    unsigned = key % 2**64
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF},
        ).all()
    return [pid for (pid,) in rows]


async def take_over(candidates: list[Leadership]) -> Leadership:
    """Refresh the candidates until one leads (the server ends a vanished leader's session in a moment)."""
    for _ in range(TAKEOVER_TRIES):
        for leadership in candidates:
            await leadership.refresh()
            if leadership.is_leader:
                return leadership
        await asyncio.sleep(TAKEOVER_PAUSE)
    raise AssertionError("no survivor took the scheduler leadership over")


async def test_one_leader_per_deployment_and_a_survivor_takes_over(
    database_url: str, other_schema_url: str | None
) -> None:
    harness = Harness.create(database_url)
    engine = harness.app.engine
    first, second = leadership_for(engine), leadership_for(engine)
    try:
        if not is_postgres(harness.app):
            # SQLite: one instance is assumed, and it leads without asking anyone.
            assert type(first) is Leadership and first.is_leader and second.is_leader
            assert await first.refresh() is False  # never "became" leader: it always was
            return
        assert isinstance(first, AdvisoryLockLeadership) and isinstance(second, AdvisoryLockLeadership)
        assert not first.is_leader and not second.is_leader  # nobody leads before asking
        assert await first.refresh() is True and first.is_leader
        assert len(lock_holders(engine, first.key)) == 1
        assert await second.refresh() is False and not second.is_leader
        assert await first.refresh() is False and first.is_leader  # still leading; not news
        assert first.key == second.key

        # Another deployment on the same server, in another schema, has a leader of its own.
        assert other_schema_url is not None
        other = Harness.create(other_schema_url)
        neighbour = leadership_for(other.app.engine)
        try:
            assert await neighbour.refresh() is True and neighbour.key != first.key
        finally:
            await neighbour.release()
            other.app.engine.dispose()

        # The leader's connection vanishes as if its process were killed: the follower takes over.
        first.abandon()
        assert await take_over([second]) is second and not first.is_leader
        # The old leader comes back as a follower, and a clean release hands over at once.
        assert await first.refresh() is False and not first.is_leader
        await second.release()
        assert not second.is_leader
        assert await first.refresh() is True

        # The server ends the leader's session (a restart, an admin): it steps down, then leads again if it can.
        [holder] = lock_holders(engine, first.key)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder})
        assert await first.refresh() is False and not first.is_leader
        assert await take_over([first]) is first and lock_holders(engine, first.key) != [holder]
    finally:
        await first.release()
        await second.release()
        engine.dispose()


# -- a week on three instances ----------------------------------------------------------------------------


def build_instance(database_url: str, clock: ManualClock, harness: Harness) -> tuple[App, MemoryAdapter]:
    """Build one more instance on the same database and clock, with its own memory adapter."""
    from lianfang.app.cli import build_app

    app = build_app(Settings(_env_file=None, database_url=database_url), harness.org, clock=clock)
    adapter = MemoryAdapter()
    app.add_adapter(adapter)
    return app, adapter


async def say(app: App, chat: Chat, words: str) -> None:
    """Say something in a reporter's private chat, to whichever instance the platform reaches."""
    await app.handle(
        IncomingMessage(
            platform=PLATFORM_MEMORY, chat_id=chat.chat_id, user_id=chat.user_id, text=words, is_private=True
        )
    )


def first_keys(messages: list[OutgoingMessage], key: str) -> Counter[str]:
    """Count, per chat, the messages that have a line with ``key``."""
    return Counter(m.chat.chat_id for m in messages if any(line.key == key for line in m.lines))


async def test_a_week_on_three_instances_sends_everything_once_and_survives_the_leader(database_url: str) -> None:
    harness = Harness.create(database_url)
    clock = harness.clock
    instances = [(harness.app, harness.adapter)]
    instances += [build_instance(database_url, clock, harness) for _ in range(INSTANCES - 1)]
    apps = [app for app, _ in instances]
    for app in apps:
        app.leadership = leadership_for(app.engine)
        await app.start()
    _, leadership_chat, coordination_chat = await harness.bound_org_chats()
    reporters = {group: await harness.member(name, group, "reporter") for group, name in REPORTERS.items()}
    alive = list(apps)
    postgres = is_postgres(harness.app)

    def delivered_since(marks: list[int]) -> list[OutgoingMessage]:
        return [m for (_, adapter), mark in zip(instances, marks, strict=True) for m in adapter.delivered[mark:]]

    try:
        for offset in range(DAYS):
            day = TEST_DAY + timedelta(days=offset)
            marks = [len(adapter.delivered) for _, adapter in instances]
            for moment in day_steps():
                clock.now = harness.clock.now.replace(
                    year=day.year, month=day.month, day=day.day, hour=moment.hour, minute=moment.minute
                )
                for app in alive:
                    await follow_leadership(app, app.leadership)  # type: ignore[arg-type]
                leaders = [app for app in alive if app.leadership.is_leader]
                assert len(leaders) == (1 if postgres else len(alive)), (day, moment)
                for app in alive:
                    await app.tick()
                if moment == time(15, 5):
                    for group in ON_TIME:
                        await say(alive[-1], reporters[group], "/daily nil")
                if moment == time(15, 20) and offset % 2 == 0:
                    await say(alive[0], reporters[EVEN_DAYS_LATE], "/daily nil")
                for app in alive:
                    await app.drain()
                if offset == KILL_DAY and moment == KILL_AT:
                    # The leader dies: its connection closes without a word, and it does nothing more.
                    dead = leaders[0]
                    if isinstance(dead.leadership, AdvisoryLockLeadership):
                        dead.leadership.abandon()
                    alive.remove(dead)
                    if postgres:
                        survivors = [app.leadership for app in alive]
                        await take_over(survivors)  # type: ignore[arg-type]

            sent = delivered_since(marks)
            reporter_chats = {chat.chat_id for chat in reporters.values()}
            assert first_keys(sent, "reminder.text") == Counter(reporter_chats), day
            pending_at_first = {"publicity", "supervision", EVEN_DAYS_LATE}
            pending_at_second = {"publicity", "supervision"} | ({EVEN_DAYS_LATE} if offset % 2 else set())
            assert first_keys(sent, "reminder.chase") == Counter(
                [reporters[g].chat_id for g in pending_at_first] + [reporters[g].chat_id for g in pending_at_second]
            ), day
            assert first_keys(sent, "report.title") == Counter([leadership_chat.chat_id, coordination_chat.chat_id]), (
                day
            )
            missing = [line for m in sent if m.chat.chat_id == leadership_chat.chat_id for line in m.lines]
            missing_groups = {str(line.params["group"]) for line in missing if line.key == "report.missing_line"}
            assert len(missing_groups) == len(pending_at_second), day
        assert len(alive) == INSTANCES - 1
    finally:
        for app in apps:
            await app.stop()
            if isinstance(app.leadership, AdvisoryLockLeadership):
                await app.leadership.release()
            app.engine.dispose()
