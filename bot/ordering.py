"""Per-chat ordering of incoming work: handled in the background, in arrival order within one chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class ChatOrder:
    """Run each chat's work one after another, chats side by side, at most ``limit`` pieces waiting or running.

    A platform that must answer its webhook at once (Telegram, WeCom's 5 s) hands the work here and answers; the
    work of one chat still runs in the order it arrived, so a member's second answer never overtakes the first.
    """

    def __init__(self, limit: int, *, platform: str) -> None:
        self.platform = platform
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[str, asyncio.Task[None]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        """The work not yet finished."""

    async def submit(self, key: str, work: Callable[[], Awaitable[None]], what: str) -> None:
        """Start ``work`` after the earlier work of the chat ``key``; wait only while ``limit`` pieces are open.

        ``what`` names the work in the log should it fail (an update id, a message type: never its content).
        """
        await self._slots.acquire()
        previous = self._tails.get(key)
        task = asyncio.create_task(self._in_order(key, work, what, previous))
        self._tails[key] = task
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _in_order(
        self, key: str, work: Callable[[], Awaitable[None]], what: str, previous: asyncio.Task[None] | None
    ) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            await work()
        except Exception:
            logger.exception("%s: error while handling %s", self.platform, what)
        finally:
            self._slots.release()
            if self._tails.get(key) is asyncio.current_task():
                del self._tails[key]

    async def join(self) -> None:
        """Wait until every piece of work submitted so far has finished."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def stop(self, grace: float) -> int:
        """Let work in progress finish for up to ``grace`` seconds, then cancel the rest; return how many were cut."""
        if not self.tasks:
            return 0
        _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        return len(pending)
