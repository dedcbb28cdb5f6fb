"""Per-recipient pacing of WeCom sends: sliding-window limits per member, group chat and group robot.

WeCom silently drops app messages beyond 30 per minute (and 1,000 per hour) for one member, so at most 25 per
minute and 900 per hour go to one member, 20 per minute to one group chat, and 20 per minute to one group robot
(its documented limit); beyond that a send fails with a transient ``SendError`` with ``retry_after`` and the outbox
sends the rest later. Each message is counted before it goes (reserved), in a ledger: on PostgreSQL the database's,
where every instance of the app counts, so several instances keep one member's limit together; on SQLite (one
instance) the process's.
"""

from __future__ import annotations

from collections.abc import Sequence

from lianfang.bot.platforms.wecom.api import REASON_RATE_LIMITED
from lianfang.bot.ports import SendError
from lianfang.bot.recipient_pace import PaceLedger

MEMBER_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 25), (3600.0, 900))
"""(window seconds, messages) per member; WeCom drops what exceeds 30 a minute or 1,000 an hour."""
APPCHAT_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 20),)
ROBOT_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 20),)
"""A group robot may post 20 messages a minute."""


def pace_wait(limits: Sequence[tuple[float, int]], recent: Sequence[float], count: int, now: float) -> float:
    """Return how many seconds ``count`` more messages must wait (0: none), given the recipient's recent sends."""
    wait = 0.0
    for window, limit in limits:
        within = [moment for moment in recent if moment > now - window]
        excess = len(within) + min(count, limit) - limit
        if excess > 0:
            wait = max(wait, within[excess - 1] + window - now)
    return wait


class Pacer:
    """Keep one kind of chat (members, group chats, robots) within its sliding-window limits, in a ledger."""

    def __init__(self, target: str, limits: Sequence[tuple[float, int]], ledger: PaceLedger) -> None:
        self.target = target
        self.limits = tuple(limits)
        self.horizon = max(window for window, _ in self.limits)
        self.ledger = ledger

    async def reserve(
        self, addresses: Sequence[str], count: int, at: float, *, room: int | None = None
    ) -> dict[str, float]:
        """Count ``count`` messages going ``at`` (``time.time()``) to each address within its pace; return the
        waits of the others.

        ``room``: how many places must be free (default ``count``), so that a long message's parts go together.
        """
        needed = count if room is None else room

        def wait(recent: Sequence[float], now: float) -> float:
            return pace_wait(self.limits, recent, needed, now)

        recipients = {self._key(address): address for address in addresses}
        waits = await self.ledger.reserve(list(recipients), count, at, wait, self.horizon)
        return {recipients[recipient]: waited for recipient, waited in waits.items()}

    async def settle(self, addresses: Sequence[str], reserved: int, went: int, at: float) -> None:
        """Correct what was reserved ``at`` by what went: a failed send gives its places back, a card refused and
        sent again as text takes one more."""
        recipients = [self._key(address) for address in addresses]
        if not recipients:
            return
        if went < reserved:
            await self.ledger.release(recipients, reserved - went, at)
        elif went > reserved:
            await self.ledger.reserve(recipients, went - reserved, at, _never, self.horizon)

    def _key(self, address: str) -> str:
        return f"{self.target}:{address}"


def _never(recent: Sequence[float], now: float) -> float:
    return 0.0


# -- the adapter --------------------------------------------------------------------------------------------


def paced(target: str, wait: float) -> SendError:
    """Return the transient failure of a message held back to keep under a recipient's limit."""
    return SendError(
        f"{REASON_RATE_LIMITED}: pacing {target} messages, retry after {wait:.0f}s", permanent=False, retry_after=wait
    )
