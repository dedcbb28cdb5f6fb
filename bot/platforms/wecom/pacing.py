"""Per-recipient pacing of WeCom sends: sliding-window limits per member, group chat and group robot.

WeCom silently drops app messages beyond 30 per minute (and 1,000 per hour) for one member, so at most 25 per
minute and 900 per hour go to one member, 20 per minute to one group chat, and 20 per minute to one group robot
(its documented limit); beyond that a send fails with a transient ``SendError`` with ``retry_after`` and the outbox
sends the rest later. The counts live in the process: with several instances on one database each keeps its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from lianfang.bot.platforms.wecom.api import REASON_RATE_LIMITED
from lianfang.bot.ports import SendError

MEMBER_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 25), (3600.0, 900))
"""(window seconds, messages) per member; WeCom drops what exceeds 30 a minute or 1,000 an hour."""
APPCHAT_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 20),)
ROBOT_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 20),)
"""A group robot may post 20 messages a minute."""


class Pacer:
    """Count recent sends per recipient against sliding-window limits."""

    def __init__(self, limits: Sequence[tuple[float, int]]) -> None:
        self.limits = tuple(limits)
        self.horizon = max(window for window, _ in self.limits)
        self.sent: dict[str, deque[float]] = {}

    def delay(self, key: str, count: int, now: float) -> float:
        """Return how many seconds to wait before ``count`` more messages may go (0: now)."""
        times = self.sent.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.horizon:
            times.popleft()
        if not times:
            del self.sent[key]
            return 0.0
        wait = 0.0
        for window, limit in self.limits:
            recent = [moment for moment in times if moment > now - window]
            excess = len(recent) + min(count, limit) - limit
            if excess > 0:
                wait = max(wait, recent[excess - 1] + window - now)
        return wait

    def record(self, key: str, now: float) -> None:
        """Count one message sent now."""
        self.sent.setdefault(key, deque()).append(now)


# -- the adapter --------------------------------------------------------------------------------------------


def paced(target: str, wait: float) -> SendError:
    """Return the transient failure of a message held back to keep under a recipient's limit."""
    return SendError(
        f"{REASON_RATE_LIMITED}: pacing {target} messages, retry after {wait:.0f}s", permanent=False, retry_after=wait
    )
