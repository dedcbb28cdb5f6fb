"""An in-memory adapter: records what the bot sends, for tests and the demo."""

from __future__ import annotations

from bot.adapters.base import Dispatch, SendError
from bot.types import PLATFORM_MEMORY, OutgoingMessage


class MemoryAdapter:
    """Keep every delivered message in order; optionally pass each to a callback."""

    def __init__(self, platform: str = PLATFORM_MEMORY) -> None:
        self.platform = platform
        self.delivered: list[OutgoingMessage] = []
        self.dispatch: Dispatch | None = None
        self.refuse: dict[str, SendError] = {}
        """Chat id → the error the "platform" answers for it (tests set this)."""

    async def start(self, dispatch: Dispatch) -> None:
        """Remember the dispatch callable (tests call it through their harness)."""
        self.dispatch = dispatch

    async def send(self, message: OutgoingMessage) -> None:
        """Record one message, or refuse it as configured."""
        if message.chat.chat_id in self.refuse:
            raise self.refuse[message.chat.chat_id]
        self.delivered.append(message)

    async def stop(self) -> None:
        """Nothing to release."""
