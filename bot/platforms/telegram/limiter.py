"""Pacing of Bot API calls to chats: the bot's overall pace, shared by its instances, and each group's, in process.

PTB hands every request to the bot's rate limiter. A call with a ``chat_id`` (a message sent or edited) first waits
for its group chat's share of Telegram's 20 a minute (a group's limiter lives in this process, as in PTB's
``AIORateLimiter``), then for a slot of the bot's overall pace (``SendPace``), which every instance of the bot
counts in the database. Calls without a chat (getUpdates, answerCallbackQuery, setMyCommands) go at once. A 429
is not retried here: it reaches the outbox, which retries the message after ``retry_after``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from lianfang.bot.send_pace import SendPace
from telegram.constants import FloodLimit
from telegram.ext import BaseRateLimiter

GROUP_MESSAGES_PER_MINUTE = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP
GROUP_PERIOD_SECONDS = 60.0
MAX_IDLE_GROUPS = 512
"""Group limiters kept beyond this many are dropped once idle (full again), so a long run does not pile them up."""
CHAT_ID = "chat_id"

Request = Callable[..., Coroutine[Any, Any, Any]]


def group_of(chat_id: object) -> int | str | None:
    """Return the group a Bot API call goes to: a negative id or an ``@channel`` name; None for a private chat."""
    if isinstance(chat_id, str):
        if chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        else:
            return chat_id
    return chat_id if isinstance(chat_id, int) and chat_id < 0 else None


class PacedRateLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter for one bot: each group at 20 a minute in this process, all chats at the shared pace."""

    def __init__(self, pace: SendPace, group_per_minute: int = GROUP_MESSAGES_PER_MINUTE) -> None:
        self.pace = pace
        self.group_per_minute = group_per_minute
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        """Nothing to set up: slots are claimed as requests come."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Wait for the group's limit and a slot of the pace when the call goes to a chat, then make it."""
        chat_id = data.get(CHAT_ID)
        if chat_id is None:
            return await callback(*args, **kwargs)
        group = group_of(chat_id)
        async with self._group(group) if group is not None else contextlib.nullcontext():
            # the slot is claimed last, right before the call: a slot taken and then held by a group's wait
            # would count in a second when nothing was sent
            await self.pace.acquire()
            return await callback(*args, **kwargs)

    def _group(self, group: int | str) -> AsyncLimiter:
        limiter = self._groups.get(group)
        if limiter is None:
            if len(self._groups) >= MAX_IDLE_GROUPS:
                self._groups = {key: kept for key, kept in self._groups.items() if not kept.has_capacity(kept.max_rate)}
            limiter = self._groups[group] = AsyncLimiter(self.group_per_minute, GROUP_PERIOD_SECONDS)
        return limiter
