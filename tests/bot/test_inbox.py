"""The inbox keeps each member's messages in order across instances and crashes, not only within one process.

A message kept by an instance that then died is handled before the member's next one, wherever that arrives; a
message another live instance is still handling is waited for, not taken over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lianfang.bot import inbox as inbox_module
from lianfang.bot.db import session_scope
from lianfang.bot.inbox import DatabaseInboxStore, Inbox
from lianfang.bot.ordering import ChatOrder
from lianfang.bot.runtime import ManualClock
from lianfang.models.inbox import RENEW_BATCH, InboxEvent, Stored, accept_event, claim_abandoned, renew_claims
from sqlalchemy import Engine, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

LEASE = timedelta(seconds=30)
SHORT_LEASE = timedelta(seconds=0.6)
"""Renewed every 0.2 s: a live instance's claim must outlast several of these."""
QUIET_SECONDS = 1.0
"""Long enough for a delivery that is not made to wait to be handled many times over."""
MEMBER, OTHER = "member-1", "member-2"


@dataclass
class Instance:
    """One instance's inbox on the shared database, recording what it handled; ``stuck`` holds numbers back."""

    store: DatabaseInboxStore
    handled: list[int]
    stuck: dict[int, asyncio.Event] = field(default_factory=dict)
    inbox: Inbox | None = None

    async def handle(self, payload: dict[str, Any]) -> None:
        number = payload["n"]
        if number in self.stuck:
            await self.stuck[number].wait()
        self.handled.append(number)

    def start(self) -> Inbox:
        self.inbox = Inbox(self.store, ChatOrder(10, platform="test"), self.handle, "a test delivery")
        self.inbox.start()
        return self.inbox


def instance(
    engine: Engine, clock: Callable[[], datetime], handled: list[int], lease: timedelta = LEASE, **options: Any
) -> Instance:
    return Instance(DatabaseInboxStore(engine, "test", clock=clock, lease=lease), handled, **options)


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    async def polled() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(polled(), timeout)
    except TimeoutError:
        raise AssertionError(f"not within {timeout}s: {what}") from None


def real_time() -> datetime:
    return datetime.now(UTC)


def kept(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(InboxEvent)).one()


async def test_a_member_s_next_message_waits_for_the_one_a_dead_instance_kept(engine: Engine) -> None:
    clock = ManualClock(datetime(2020, 1, 28, 10, 0, tzinfo=UTC))
    handled: list[int] = []
    dead = instance(engine, clock, handled)
    assert await dead.store.accept("1", MEMBER, {"n": 1}) is not None  # answered 200, then kill -9
    survivor = instance(engine, clock, handled)
    inbox = survivor.start()
    await inbox.put("2", MEMBER, {"n": 2})
    await inbox.put("3", OTHER, {"n": 3})
    if engine.dialect.name == "postgresql":
        # The dead instance may be alive for all the survivor knows: the member's message waits out its claim,
        # while other members are served at once.
        await until(lambda: handled == [3], "another member's message handled")
        await asyncio.sleep(QUIET_SECONDS)
        assert handled == [3]
        clock.now += LEASE
    # SQLite: one instance at a time, so the next one takes the dead one's deliveries over at once
    await until(lambda: len(handled) == 3, "every message handled")
    await inbox.join()
    assert handled.index(1) < handled.index(2) and sorted(handled) == [1, 2, 3]
    assert kept(engine) == 0
    await inbox.stop()


class FailsOnce(DatabaseInboxStore):
    """A store whose first look at a chat's earlier deliveries fails (the database blinked)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failed = False

    async def earlier(self, stored: Stored, held: Collection[int]) -> tuple[list[Stored], bool]:
        if not self.failed:
            self.failed = True
            raise OperationalError("SELECT", {}, Exception("connection lost"))
        return await super().earlier(stored, held)


async def test_a_message_whose_turn_could_not_be_checked_is_kept_and_handled_in_order_later(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "RECOVER_SECONDS", 0.1)
    handled: list[int] = []
    dead = instance(engine, real_time, handled, SHORT_LEASE)
    assert await dead.store.accept("1", MEMBER, {"n": 1}) is not None
    store = FailsOnce(engine, "test", clock=real_time, lease=SHORT_LEASE)
    store._released = True  # the dead instance's claim stands until it runs out, on either database
    inbox = Instance(store, handled).start()
    await inbox.put("2", MEMBER, {"n": 2})
    await until(lambda: store.failed, "the failed look")
    assert handled == [] and kept(engine) == 2  # nothing handled out of turn, nothing lost
    # no longer renewed by this instance, its claim runs out like the dead one's, and the recovery takes both
    await until(lambda: len(handled) == 2, "both handled once their claims ran out")
    await inbox.join()
    assert handled == [1, 2] and kept(engine) == 0
    await inbox.stop()


class SlowToKeep(DatabaseInboxStore):
    """A store whose keeping of delivery "1" returns late: its webhook's answer overtaken by the next one's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_one = asyncio.Event()
        self.release = asyncio.Event()

    async def accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        stored = await super().accept(event_id, chat_key, payload)
        if event_id == "1":
            self.kept_one.set()
            await self.release.wait()
        return stored


async def test_messages_kept_in_one_order_and_queued_in_another_are_handled_in_the_order_kept(
    engine: Engine,
) -> None:
    clock = ManualClock(datetime(2020, 1, 28, 10, 0, tzinfo=UTC))
    handled: list[int] = []
    store = SlowToKeep(engine, "test", clock=clock, lease=LEASE)
    inbox = Instance(store, handled).start()
    first = asyncio.create_task(inbox.put("1", MEMBER, {"n": 1}))
    await store.kept_one.wait()
    await inbox.put("2", MEMBER, {"n": 2})  # queued first, kept second
    await asyncio.sleep(QUIET_SECONDS / 4)
    assert handled == []  # the second waits for the first, which this instance holds
    store.release.set()
    await first
    await until(lambda: len(handled) == 2, "both handled")
    await inbox.join()
    assert handled == [1, 2] and kept(engine) == 0
    await inbox.stop()


@pytest.fixture
def shared(engine: Engine) -> Engine:
    """The database two live instances share: PostgreSQL (on SQLite, one instance at a time is the rule)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("two live instances share PostgreSQL only; SQLite runs one (see the previous tests)")
    return engine


async def test_a_live_instance_keeps_a_slow_message_and_the_member_s_next_one_waits_for_it(shared: Engine) -> None:
    handled: list[int] = []
    slow = instance(shared, real_time, handled, SHORT_LEASE, stuck={1: asyncio.Event()})
    first = slow.start()
    await first.put("1", MEMBER, {"n": 1})
    await asyncio.sleep(3 * SHORT_LEASE.total_seconds())  # the claim outlives its lease: it is renewed
    other = instance(shared, real_time, handled, SHORT_LEASE)
    second = other.start()
    await second.put("2", MEMBER, {"n": 2})
    await asyncio.sleep(QUIET_SECONDS)
    assert handled == []  # neither taken over from the live instance nor overtaking it
    slow.stuck[1].set()
    await until(lambda: len(handled) == 2, "both handled")
    await asyncio.gather(first.join(), second.join())
    assert handled == [1, 2] and kept(shared) == 0
    for inbox in (first, second):
        await inbox.stop()


def test_a_backlog_larger_than_a_statement_takes_is_renewed_whole(engine: Engine) -> None:
    at = datetime(2020, 1, 28, 10, 0, tzinfo=UTC)
    backlog = 2 * RENEW_BATCH + 1
    with session_scope(engine) as session:
        ids = [
            stored.id
            for n in range(backlog)
            if (
                stored := accept_event(
                    session=session,
                    platform="test",
                    event_id=str(n),
                    chat_key=f"m{n}",
                    payload={"n": n},
                    now=at,
                    lease=LEASE,
                )
            )
        ]
        renew_claims(session=session, ids=ids, now=at + LEASE, lease=LEASE)
    with session_scope(engine) as session:
        abandoned = claim_abandoned(session=session, platform="test", now=at + LEASE, lease=LEASE, limit=backlog)
    assert len(ids) == backlog and abandoned == []  # every claim renewed: none up for a takeover
