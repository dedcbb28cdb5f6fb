"""The inbox: deliveries a platform was told were received, kept until they have been handled.

A platform that must answer its webhook at once (WeCom within 5 s) keeps each delivery here before it answers,
in one short transaction, and the inbox hands it on to be handled in the background, in order per member. So the
answer never waits for the handling, however long the queue is; and a delivery whose process dies before handling
it is handled after all: at once by the next instance on SQLite (alone on its database), by any instance on
PostgreSQL once its claim has run out. A delivery handled twice that way is recognised by its platform id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from itertools import count
from typing import Any, Protocol

from lianfang.bot import metrics
from lianfang.bot.db import run_db, session_scope
from lianfang.bot.ordering import ChatOrder
from lianfang.models.inbox import Stored, accept_event, claim_abandoned, drop_event, release_inbox
from sqlalchemy import Engine

logger = logging.getLogger(__name__)

RECOVER_SECONDS = 60.0
"""How often an instance looks for deliveries another instance took and did not handle (it died)."""
RECOVER_BATCH = 100

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class InboxStore(Protocol):
    """Where the inbox keeps deliveries until they are handled."""

    async def accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        """Keep a delivery; None if it is kept already (the platform sent it again)."""

    async def abandoned(self) -> list[Stored]:
        """Take over deliveries kept by a process that died before handling them."""

    async def done(self, stored_id: int) -> None:
        """Forget a handled delivery."""


class MemoryInboxStore:
    """Keep deliveries in this process only (an adapter without a database, in tests)."""

    def __init__(self) -> None:
        self._ids = count(1)
        self._kept: dict[str, int] = {}

    async def accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        """Keep a delivery unless the same one is waiting."""
        if event_id in self._kept:
            return None
        self._kept[event_id] = next(self._ids)
        return Stored(self._kept[event_id], chat_key, payload)

    async def abandoned(self) -> list[Stored]:
        """Nothing outlives its process here."""
        return []

    async def done(self, stored_id: int) -> None:
        """Forget a handled delivery."""
        self._kept = {event: kept for event, kept in self._kept.items() if kept != stored_id}


class DatabaseInboxStore:
    """Keep a platform's deliveries in the ``inboxevent`` table, claimed by the instance that received them."""

    def __init__(self, engine: Engine, platform: str, *, clock: Callable[[], datetime], lease: timedelta) -> None:
        self.engine = engine
        self.platform = platform
        self.clock = clock
        self.lease = lease
        self._released = engine.dialect.name != "sqlite"
        """SQLite has one instance: the claims it finds at start are a dead process's and are freed at once."""

    async def accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        """Keep a delivery in its own transaction, claimed by this instance."""
        return await run_db(self.engine, self._accept, event_id, chat_key, payload)

    async def abandoned(self) -> list[Stored]:
        """Claim the deliveries whose claim has run out."""
        return await run_db(self.engine, self._abandoned)

    async def done(self, stored_id: int) -> None:
        """Forget a handled delivery."""
        await run_db(self.engine, self._done, stored_id)

    def _accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        with session_scope(self.engine) as session:
            return accept_event(
                session=session,
                platform=self.platform,
                event_id=event_id,
                chat_key=chat_key,
                payload=payload,
                now=self.clock(),
                lease=self.lease,
            )

    def _abandoned(self) -> list[Stored]:
        with session_scope(self.engine) as session:
            if not self._released:
                freed = release_inbox(session=session, platform=self.platform)
                if freed:
                    logger.info(
                        "%s: %d delivery(ies) left unhandled by a stopped process are handled now", self.platform, freed
                    )
                self._released = True
            return claim_abandoned(
                session=session, platform=self.platform, now=self.clock(), lease=self.lease, limit=RECOVER_BATCH
            )

    def _done(self, stored_id: int) -> None:
        with session_scope(self.engine) as session:
            drop_event(session=session, stored_id=stored_id)


class Inbox:
    """Keep each delivery, then hand it to ``handle`` in the background, in order per chat key."""

    def __init__(self, store: InboxStore, order: ChatOrder, handle: Handler, what: str) -> None:
        self.store = store
        self.order = order
        self.handle = handle
        self.what = what
        """Names the deliveries in the log (never their content)."""
        self._queue: deque[Stored] = deque()
        self._wake = asyncio.Event()
        self._open = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._pump: asyncio.Task[None] | None = None

    async def put(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> bool:
        """Keep a delivery and queue it for handling; False if it was kept already (a retry by the platform)."""
        stored = await self.store.accept(event_id, chat_key, payload)
        if stored is None:
            metrics.redelivered(self.order.platform)
            return False
        self._enqueue(stored)
        return True

    def start(self) -> None:
        """Start handing deliveries on, beginning with those a dead process left."""
        if self._pump is None:
            self._pump = asyncio.create_task(self._run(), name=f"inbox: {self.what}")

    async def stop(self) -> None:
        """Stop handing deliveries on; those not yet handed on stay kept for the next start."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None

    async def join(self) -> None:
        """Wait until every delivery queued so far has been handled."""
        await self._idle.wait()
        await self.order.join()

    def _enqueue(self, stored: Stored) -> None:
        self._open += 1
        self._idle.clear()
        self._queue.append(stored)
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        recover_at = loop.time()
        while True:
            if loop.time() >= recover_at:
                recover_at = loop.time() + RECOVER_SECONDS
                for stored in await _quietly(self.store.abandoned(), "recovery", []):
                    self._enqueue(stored)
            if not self._queue:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, recover_at - loop.time()))
                continue
            stored = self._queue.popleft()
            # waits while the order has no free slot: the queue, not the platform's answer, takes the wait
            await self.order.submit(stored.chat_key, partial(self._handled, stored), self.what)

    async def _handled(self, stored: Stored) -> None:
        try:
            await self.handle(stored.payload)
        finally:
            await _quietly(self.store.done(stored.id), "forgetting a handled delivery", None)
            self._open -= 1
            if not self._open:
                self._idle.set()


async def _quietly(step: Awaitable[Any], what: str, default: Any) -> Any:
    """Run a database step of the inbox; a failure is logged and the step tried again later, not raised."""
    try:
        return await step
    except Exception:
        logger.exception("inbox: %s failed; it is tried again later", what)
        return default
