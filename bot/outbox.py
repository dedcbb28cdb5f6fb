"""Delivery of queued outbox messages through the adapters, with retries for transient failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.adapters.base import Adapter, SendError
from bot.db import session_scope
from bot.types import ChatRef, OutgoingMessage
from models.outbox import OutboxMessage, mark_failed, mark_retry, mark_sent, pending

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 300.0
BATCH = 100


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Return how long to wait before the next try."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts)))


class Deliverer:
    """Drain the outbox of the platforms this instance serves, one drain at a time."""

    def __init__(self, engine: Engine, adapters: Mapping[str, Adapter], clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.adapters = adapters
        self.clock = clock
        self._lock = asyncio.Lock()

    async def drain(self) -> int:
        """Send every due pending message; return how many were delivered."""
        if not self.adapters:
            return 0
        delivered = 0
        async with self._lock:
            while True:
                with session_scope(self.engine) as session:
                    batch = pending(session=session, platforms=list(self.adapters), now=self.clock(), limit=BATCH)
                    session.expunge_all()
                if not batch:
                    return delivered
                for row in batch:
                    delivered += await self._deliver(row)
                if len(batch) < BATCH:
                    return delivered

    async def _deliver(self, row: OutboxMessage) -> int:
        message = OutgoingMessage.from_json(ChatRef(row.platform, row.chat_id), row.payload)
        try:
            await self.adapters[row.platform].send(message)
        except SendError as error:
            self._record_failure(row, error)
            return 0
        except Exception as error:  # an adapter bug must not stop delivery of everything else
            logger.exception("adapter %s failed to send outbox message %s", row.platform, row.id)
            self._record_failure(row, SendError(type(error).__name__, permanent=False))
            return 0
        with session_scope(self.engine) as session:
            mark_sent(session=session, message=session.merge(row), now=self.clock())
        return 1

    def _record_failure(self, row: OutboxMessage, error: SendError) -> None:
        with session_scope(self.engine) as session:
            current = session.merge(row)
            if error.permanent or current.attempts + 1 >= MAX_ATTEMPTS:
                logger.warning("outbox message %s to %s failed for good: %s", row.id, row.platform, error.reason)
                mark_failed(session=session, message=current, error=error.reason)
            else:
                wait = backoff(current.attempts, error.retry_after)
                mark_retry(session=session, message=current, error=error.reason, not_before=self.clock() + wait)
