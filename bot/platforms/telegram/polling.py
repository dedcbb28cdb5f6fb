"""The getUpdates offset of long polling: an update is confirmed to Telegram only once it has been handled.

Telegram keeps every update it has not been told to forget (by a later ``offset``) and sends it again to the next
``getUpdates``. So an offset that never passes an update still being handled makes Telegram itself the inbox: a
process killed in the middle loses nothing, and the next one gets every unfinished update again. Updates handled
before the kill but not yet confirmed come again too; the core recognises them by their update id and does
nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib

PENDING_POLL_SECONDS = 0.2
"""While updates are being handled, ``getUpdates`` answers at once (those updates are still unconfirmed), so the
poller asks again when one of them is done or after this long, never in a busy loop."""


class Offsets:
    """Which updates were handed on for handling and which are done; the offset that confirms only done ones."""

    def __init__(self) -> None:
        self._open: set[int] = set()
        self._newest: int | None = None
        self._changed = asyncio.Event()
        self.confirmed: int | None = None
        """The offset last sent to Telegram."""

    def take(self, update_id: int) -> bool:
        """Note an update as being handled; False if it was taken already (an unconfirmed one sent again)."""
        if self._newest is not None and update_id <= self._newest:
            return False
        self._newest = update_id
        self._open.add(update_id)
        return True

    def done(self, update_id: int) -> None:
        """Note an update as handled (or given up on after an error), so the offset may pass it."""
        self._open.discard(update_id)
        self._changed.set()

    @property
    def busy(self) -> bool:
        """Tell whether an update is still being handled."""
        return bool(self._open)

    def poll_offset(self) -> int | None:
        """Return the offset for a getUpdates about to be sent; ``settled`` then waits for what is done after it."""
        self._changed.clear()
        self.confirmed = self.offset
        return self.confirmed

    @property
    def offset(self) -> int | None:
        """Return the offset that confirms only handled updates: the oldest not handled, else one past the newest."""
        if self._open:
            return min(self._open)
        return None if self._newest is None else self._newest + 1

    @property
    def unconfirmed(self) -> bool:
        """Tell whether updates were handled since the offset last sent to Telegram."""
        offset = self.offset
        return offset is not None and offset != self.confirmed

    async def settled(self, timeout: float = PENDING_POLL_SECONDS) -> None:
        """Wait until an update is done since the last ``poll_offset``, or ``timeout`` passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
