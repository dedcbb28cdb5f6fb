"""Per-recipient pace: each message counted before it goes, so a recipient's limit holds however many instances send.

A platform limits how many messages one recipient may get in a while (WeCom drops what passes 30 a minute to a
member). A sender reserves its messages in a ledger first: in this process, or in the database, where every instance
counts and a recipient's row is locked while a reservation is made, so two instances never both take the last place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from lianfang.models.recipient_pace import lock_paces, save_paces
from sqlalchemy import Engine, text

Wait = Callable[[Sequence[float], float], float]
"""How long the messages being reserved must wait, given their recipient's recent send times and now (0: not at all)."""


class PaceLedger(Protocol):
    """Where recent sends per recipient are counted."""

    async def reserve(
        self, recipients: Sequence[str], count: int, now: float, wait: Wait, horizon: float
    ) -> dict[str, float]:
        """Count ``count`` messages sent now to each recipient ``wait`` lets have them; return the others' waits.

        ``horizon``: how far back the limits look; older sends are forgotten.
        """

    async def release(self, recipients: Sequence[str], count: int, at: float) -> None:
        """Forget ``count`` messages reserved ``at`` for each recipient: they did not go."""


def counted(sent: Sequence[float], count: int, now: float, wait: Wait, horizon: float) -> tuple[list[float], float]:
    """Return a recipient's recent sends after reserving ``count`` more now, and the wait (if any, nothing reserved)."""
    recent = [moment for moment in sent if moment > now - horizon]
    waited = wait(recent, now) if count else 0.0
    return (recent, waited) if waited > 0 else (recent + [now] * count, 0.0)


def released(sent: Sequence[float], count: int, at: float) -> list[float]:
    """Return a recipient's recent sends without ``count`` of those reserved ``at``."""
    kept = list(sent)
    for _ in range(count):
        if at in kept:
            kept.remove(at)
    return kept


class MemoryPaceLedger:
    """Count sends in this process: one instance alone (SQLite), and tests."""

    def __init__(self) -> None:
        self.sent: dict[str, list[float]] = {}

    async def reserve(
        self, recipients: Sequence[str], count: int, now: float, wait: Wait, horizon: float
    ) -> dict[str, float]:
        """Count the messages of each recipient within its pace; return the waits of the others."""
        waits: dict[str, float] = {}
        for recipient in recipients:
            self.sent[recipient], waited = counted(self.sent.get(recipient, ()), count, now, wait, horizon)
            if waited:
                waits[recipient] = waited
        return waits

    async def release(self, recipients: Sequence[str], count: int, at: float) -> None:
        """Forget messages reserved that did not go."""
        for recipient in recipients:
            self.sent[recipient] = released(self.sent.get(recipient, ()), count, at)


class DatabasePaceLedger:
    """Count a platform's sends per recipient in the ``recipientpace`` table, shared by every instance."""

    def __init__(self, engine: Engine, platform: str) -> None:
        self.engine = engine
        self.platform = platform

    async def reserve(
        self, recipients: Sequence[str], count: int, now: float, wait: Wait, horizon: float
    ) -> dict[str, float]:
        """Count the messages of each recipient within its pace, its row locked meanwhile; return the others' waits."""
        return await asyncio.to_thread(self._reserve, recipients, count, now, wait, horizon)

    async def release(self, recipients: Sequence[str], count: int, at: float) -> None:
        """Forget messages reserved that did not go."""
        await asyncio.to_thread(self._release, recipients, count, at)

    def _reserve(
        self, recipients: Sequence[str], count: int, now: float, wait: Wait, horizon: float
    ) -> dict[str, float]:
        waits: dict[str, float] = {}
        with self._locked(recipients) as sent:
            for recipient in recipients:
                sent[recipient], waited = counted(sent[recipient], count, now, wait, horizon)
                if waited:
                    waits[recipient] = waited
        return waits

    def _release(self, recipients: Sequence[str], count: int, at: float) -> None:
        with self._locked(recipients) as sent:
            for recipient in recipients:
                sent[recipient] = released(sent[recipient], count, at)

    @contextmanager
    def _locked(self, recipients: Sequence[str]) -> Iterator[dict[str, list[float]]]:
        """Yield the recipients' recent sends, their rows locked; store them as changed when the block ends."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # a count lost to a crash in the next milliseconds costs nothing: no wait for the disk
                connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
            sent = lock_paces(connection=connection, platform=self.platform, recipients=recipients)
            yield sent
            save_paces(connection=connection, platform=self.platform, sent=sent)


def pace_ledger(engine: Engine, platform: str) -> PaceLedger:
    """Return where a platform's sends are counted: the database on PostgreSQL, where instances share the limits;
    the process on SQLite, which runs one instance."""
    return DatabasePaceLedger(engine, platform) if engine.dialect.name == "postgresql" else MemoryPaceLedger()
