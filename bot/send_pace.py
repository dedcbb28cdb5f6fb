"""The overall send pace of one bot: at most so many sends start in any second, shared by every instance of it.

A platform limits a bot, not a process (Telegram: about 30 messages a second). Each send first claims a slot in the
current second of the clock: one upsert that adds one to that second's count and returns it. A claim past the limit
waits for the next second and claims again. On PostgreSQL every instance of the bot counts in the same row, so N
instances together stay within the limit; one instance alone never waits more than the limit makes it. The count
of a second is deleted a minute later, by the first claim of a new second.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from lianfang.bot.db import run_db
from lianfang.models.send_slots import claim_slot, forget_slots
from sqlalchemy import Engine

AUTOCOMMIT = "AUTOCOMMIT"
MIN_WAIT_SECONDS = 0.001
MAX_LATE_CLAIMS = 2
"""Claims that came back after their second are made again this often, then the send goes (a very slow database)."""
KEEP_SECONDS = 60
"""How long a second's count is kept; only the current second's is read, older ones are for someone looking."""


class SlotStore(Protocol):
    """Where the sends of each second are counted."""

    async def claim(self, second: int) -> int:
        """Count one send in ``second``; return that second's count, this send included."""


class MemorySlots:
    """Count sends in this process only (an adapter without a database, in tests and benchmarks)."""

    def __init__(self) -> None:
        self.second: int | None = None
        self.claimed = 0

    async def claim(self, second: int) -> int:
        """Count one send in ``second``."""
        if second != self.second:
            self.second, self.claimed = second, 0
        self.claimed += 1
        return self.claimed


class DatabaseSlots:
    """Count the sends of one bot in the database, where every instance of the bot counts them."""

    def __init__(self, engine: Engine, platform: str, bot: str) -> None:
        self.engine = engine
        self.platform = platform
        self.bot = bot

    async def claim(self, second: int) -> int:
        """Count one send in ``second``, in a transaction of its own."""
        return await run_db(self.engine, self._claim, second)

    def _claim(self, second: int) -> int:
        # Every claim of a second updates one row. Each statement commits on its own, so the row is locked only
        # while the server runs it, not while a busy client gets round to sending COMMIT.
        with self.engine.connect().execution_options(isolation_level=AUTOCOMMIT) as connection:
            claimed = claim_slot(connection=connection, platform=self.platform, bot=self.bot, second=second)
            if claimed == 1:  # the first send of a second, once a second per bot
                forget_slots(connection=connection, platform=self.platform, bot=self.bot, before=second - KEEP_SECONDS)
        return claimed


class SendPace:
    """Let at most ``per_second`` sends start in any one second of the clock, counted in ``slots``."""

    def __init__(
        self,
        per_second: int,
        slots: SlotStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 1:
            raise ValueError("a send pace needs at least 1 message a second")
        self.per_second = per_second
        self.slots = slots or MemorySlots()
        self.clock = clock
        """Wall time, not monotonic: instances on several machines must agree on where a second starts."""
        self.sleep = sleep

    async def acquire(self) -> None:
        """Wait until a send may start, and count it."""
        late = 0
        while True:
            second = math.floor(self.clock())
            claimed = await self.slots.claim(second)
            if math.floor(self.clock()) > second and late < MAX_LATE_CLAIMS:
                # the claim took past its second (a busy machine or database): sent now, the message would count
                # in this second without a slot of it, so the slot is left unused and one of this second claimed
                late += 1
                continue
            if claimed <= self.per_second:
                return
            while math.floor(self.clock()) <= second:  # a wake a little early must not claim in the full second again
                await self.sleep(max(MIN_WAIT_SECONDS, second + 1 - self.clock()))
