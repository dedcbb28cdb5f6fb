"""An in-memory adapter: records what the bot sends, for tests and the demo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from lianfang.bot.ports import Dispatch, SendError
from lianfang.bot.types import PLATFORM_MEMORY, ChatRef, OutgoingMessage


class MemoryAdapter:
    """Keep every delivered message in order; optionally pass each to a callback."""

    def __init__(self, platform: str = PLATFORM_MEMORY) -> None:
        self.platform = platform
        self.delivered: list[OutgoingMessage] = []
        self.dispatch: Dispatch | None = None
        self.refuse: dict[str, SendError] = {}
        """Chat id → the error the "platform" answers for it (tests set this)."""
        self.batches: list[tuple[str, ...]] = []
        """The chats of each ``send_many`` call, in order."""

    async def start(self, dispatch: Dispatch) -> None:
        """Remember the dispatch callable (tests call it through their harness)."""
        self.dispatch = dispatch

    async def send(self, message: OutgoingMessage) -> None:
        """Record one message, or refuse it as configured."""
        if message.chat.chat_id in self.refuse:
            raise self.refuse[message.chat.chat_id]
        self.delivered.append(message)

    async def send_many(self, chat_ids: Sequence[str], message: OutgoingMessage) -> dict[str, SendError]:
        """Record one message for several chats, as a platform with batched sends would; return the refusals."""
        self.batches.append(tuple(chat_ids))
        failures: dict[str, SendError] = {}
        for chat_id in chat_ids:
            try:
                await self.send(replace(message, chat=ChatRef(message.chat.platform, chat_id)))
            except SendError as error:
                failures[chat_id] = error
        return failures

    async def stop(self) -> None:
        """Nothing to release."""
