"""The seam between the core and a chat platform."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from lianfang.bot.types import IncomingMessage, OutgoingMessage
from lianfang.models.outbox import FailureKind


@dataclass(frozen=True)
class Outcome:
    """What the core did with one message, as far as its adapter needs to know.

    ``taken`` is False when the core refused a tapped button (a card of another day): the adapter must not show
    that button as chosen.
    """

    taken: bool = True


Dispatch = Callable[[IncomingMessage], Awaitable[Outcome]]


class SendError(Exception):
    """A message the platform did not take; ``permanent`` means retrying cannot help (blocked, bad chat).

    ``kind`` is the typed fact the core acts on, and is stored with the message when it fails for good; ``reason``
    is for people and logs.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        kind: FailureKind = FailureKind.FAILED,
        new_chat_id: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.kind = kind
        self.new_chat_id = new_chat_id


class SetupRefused(Exception):
    """The platform refused the configured credentials or this server's address at start; ``hint`` says what to fix."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


class Adapter(Protocol):
    """What the core needs from a platform: start receiving, send one message, stop."""

    platform: str

    async def start(self, dispatch: Dispatch) -> None:
        """Begin delivering incoming messages to ``dispatch``."""

    async def send(self, message: OutgoingMessage) -> None:
        """Deliver one message; raise SendError when the platform refuses it."""

    async def stop(self) -> None:
        """Stop receiving and release resources."""


@runtime_checkable
class BatchSender(Protocol):
    """An adapter that can send one message to several chats at once (WeCom: one call reaches 1,000 members)."""

    async def send_many(self, chat_ids: Sequence[str], message: OutgoingMessage) -> dict[str, SendError]:
        """Deliver the same message to every chat (``message.chat`` is ignored); return the chats it failed for."""


class LRU(OrderedDict):
    """A bounded mapping that forgets the least recently used entries."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: Any, value: Any) -> None:
        """Store a value, evicting the oldest entries beyond the size."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def recall(self, key: Any) -> Any:
        """Return a stored value (marking it recently used), or None."""
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]
