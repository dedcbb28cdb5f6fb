"""The drill's adapter: every outgoing message printed with the chat it goes to, and kept per chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from lianfang.bot.render import document_line, render_plain
from lianfang.bot.runtime import ManualClock
from lianfang.bot.types import OutgoingMessage

DRILL_PLATFORM = "demo"
"""The platform name of the drill's chats (the demo's, so a drill and the old demo read alike)."""


@dataclass
class Transcript:
    """Print every outgoing message with the chat it goes to, and keep it in that chat's inbox."""

    out: TextIO
    clock: ManualClock
    chat_names: dict[str, str]
    platform: str = DRILL_PLATFORM
    quiet: bool = False
    inbox: dict[str, list[OutgoingMessage]] = field(default_factory=dict)

    async def start(self, dispatch: object) -> None:
        """Nothing to start: the drill speaks for the users."""

    async def send(self, message: OutgoingMessage) -> None:
        """Keep one message, and print it unless quiet."""
        self.inbox.setdefault(message.chat.chat_id, []).append(message)
        if self.quiet:
            return
        name = self.chat_names.get(message.chat.chat_id, message.chat.chat_id)
        self.out.write(f"  {self.clock.now:%H:%M} 🤖 → {name}\n")
        for line in text_of(message).split("\n"):
            self.out.write(f"      {line}\n")

    async def stop(self) -> None:
        """Nothing to release."""

    def count(self, chat_id: str) -> int:
        """Return how many messages went to a chat so far."""
        return len(self.inbox.get(chat_id, []))

    def window(self, chat_id: str, start: int, end: int) -> list[OutgoingMessage]:
        """Return the messages sent to a chat between two counts."""
        return self.inbox.get(chat_id, [])[start:end]


def text_of(message: OutgoingMessage) -> str:
    """Return a message as its reader sees it, with the name of a document it carries."""
    lines = render_plain(message).split("\n")
    if (named := document_line(message)) is not None:
        lines.append(named)
    return "\n".join(lines)
