"""An in-memory adapter: records what the bot sends, for tests and the demo."""

from __future__ import annotations

from bot.adapters.base import Dispatch
from bot.types import PLATFORM_MEMORY, OutgoingMessage


class MemoryAdapter:
    """Keep every delivered message in order; optionally pass each to a callback."""

    def __init__(self, platform: str = PLATFORM_MEMORY) -> None:
        self.platform = platform
        self.delivered: list[OutgoingMessage] = []
        self.dispatch: Dispatch | None = None

    async def start(self, dispatch: Dispatch) -> None:
        """Remember the dispatch callable (tests call it through their harness)."""
        self.dispatch = dispatch

    async def send(self, message: OutgoingMessage) -> None:
        """Record one message."""
        self.delivered.append(message)

    async def stop(self) -> None:
        """Nothing to release."""
