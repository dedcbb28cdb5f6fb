"""The shared send pace: claims per second of the clock, counted in memory or in the database for every instance."""

from __future__ import annotations

from lianfang.bot.db import make_engine, session_scope, upgrade
from lianfang.bot.send_pace import KEEP_SECONDS, DatabaseSlots, MemorySlots, SendPace
from lianfang.bot.types import PLATFORM_TELEGRAM, PLATFORM_WECOM
from lianfang.models.send_slots import SendSlot
from sqlmodel import select

START = 1_700_000_000.25
"""A quarter past a second of Unix time."""


class StoppedClock:
    """A wall clock that moves only when someone sleeps."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Note the wait and let that much time pass."""
        self.slept.append(round(seconds, 6))
        self.now += seconds


def pace(per_second: int, slots: MemorySlots | DatabaseSlots, clock: StoppedClock) -> SendPace:
    """Return a pace on the stopped clock."""
    return SendPace(per_second, slots, clock=clock, sleep=clock.sleep)


async def test_one_instance_sends_its_limit_at_once_and_the_next_message_in_the_next_second() -> None:
    clock = StoppedClock()
    alone = pace(3, MemorySlots(), clock)
    for _ in range(3):
        await alone.acquire()
    assert clock.slept == []
    await alone.acquire()
    assert clock.slept == [0.75]  # to the start of the next second, not a second more
    for _ in range(2):
        await alone.acquire()
    assert clock.slept == [0.75] and clock.now == START + 0.75


class SlowSlots(MemorySlots):
    """Slots whose claims take 0.6 s of the clock, as on a machine too busy to answer at once."""

    def __init__(self, clock: StoppedClock) -> None:
        super().__init__()
        self.clock = clock
        self.seconds: list[int] = []

    async def claim(self, second: int) -> int:
        """Count the claim, then let the time pass."""
        self.seconds.append(second)
        claimed = await super().claim(second)
        self.clock.now += 0.6
        return claimed


async def test_a_claim_that_came_back_in_the_next_second_is_made_again_in_it() -> None:
    clock = StoppedClock()
    slots = SlowSlots(clock)
    await pace(5, slots, clock).acquire()
    second = int(START)
    assert slots.seconds == [second]  # claimed at .25, back at .85: the send goes in its second
    await pace(5, slots, clock).acquire()
    # claimed at .85, back at 1.45: made again at 1.45, back at 2.05: again at 2.05, back at 2.65: the send goes
    assert slots.seconds == [second, second, second + 1, second + 2]
    assert clock.slept == []


async def test_instances_on_one_database_share_one_limit(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    clock = StoppedClock()
    first = pace(5, DatabaseSlots(engine, PLATFORM_TELEGRAM, "7000001"), clock)
    second = pace(5, DatabaseSlots(engine, PLATFORM_TELEGRAM, "7000001"), clock)
    other_bot = pace(5, DatabaseSlots(engine, PLATFORM_TELEGRAM, "7000002"), clock)
    for instance in (first, second, first, second, first):
        await instance.acquire()
    await other_bot.acquire()  # another bot has a limit of its own
    assert clock.slept == []
    await second.acquire()
    assert clock.slept == [0.75]
    with session_scope(engine) as session:
        counts = {(row.bot, row.second): row.claimed for row in session.exec(select(SendSlot))}
    second_one = int(START)
    assert counts == {("7000001", second_one): 6, ("7000002", second_one): 1, ("7000001", second_one + 1): 1}


async def test_counts_older_than_a_minute_are_deleted_by_a_new_second(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    slots = DatabaseSlots(engine, PLATFORM_TELEGRAM, "7000001")
    wecom = DatabaseSlots(engine, PLATFORM_WECOM, "7000001")
    await slots.claim(100)
    await wecom.claim(100)
    await slots.claim(100 + KEEP_SECONDS)
    with session_scope(engine) as session:
        assert {(row.platform, row.second) for row in session.exec(select(SendSlot))} == {
            (PLATFORM_TELEGRAM, 100),
            (PLATFORM_WECOM, 100),
            (PLATFORM_TELEGRAM, 100 + KEEP_SECONDS),
        }
    await slots.claim(101 + KEEP_SECONDS)
    with session_scope(engine) as session:
        kept = {(row.platform, row.second) for row in session.exec(select(SendSlot))}
    assert kept == {
        (PLATFORM_WECOM, 100),
        (PLATFORM_TELEGRAM, 100 + KEEP_SECONDS),
        (PLATFORM_TELEGRAM, 101 + KEEP_SECONDS),
    }
