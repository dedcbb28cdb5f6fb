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
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from itertools import count
from typing import TYPE_CHECKING, Any, Protocol

from lianfang.bot import metrics
from lianfang.bot.db import run_db, session_scope
from lianfang.bot.ordering import ChatOrder
from lianfang.models.inbox import (
    Stored,
    accept_event,
    claim_abandoned,
    drop_event,
    release_inbox,
    renew_claims,
    take_earlier,
)
from sqlalchemy import Engine

if TYPE_CHECKING:
    from lianfang.bot.runtime import App

logger = logging.getLogger(__name__)

RECOVER_SECONDS = 60.0
"""How often an instance looks for deliveries another instance took and did not handle (it died)."""
RECOVER_BATCH = 100
EARLIER_WAIT_SECONDS = 0.2
"""How often a delivery waiting for an earlier one of its chat, held by another instance, looks again."""
RENEWALS_PER_LEASE = 3
"""How many times per lease an instance renews its claim on the deliveries it holds."""

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class InboxStore(Protocol):
    """Where the inbox keeps deliveries until they are handled."""

    async def accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        """Keep a delivery; None if it is kept already (the platform sent it again)."""

    async def abandoned(self) -> list[Stored]:
        """Take over deliveries kept by a process that died before handling them."""

    async def earlier(self, stored: Stored, held: Collection[int]) -> tuple[list[Stored], bool]:
        """Take the earlier deliveries of ``stored``'s chat still kept, oldest first: this instance's (``held``)
        and a dead one's; stop at one another instance holds. Return them and whether one was held elsewhere."""

    async def renew(self, held: Collection[int]) -> None:
        """Keep holding these deliveries (handled or waiting), so no other instance takes them over."""

    async def done(self, stored_id: int) -> None:
        """Forget a handled delivery."""

    @property
    def renew_seconds(self) -> float | None:
        """How often the held deliveries are renewed; None: claims never run out."""


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

    async def earlier(self, stored: Stored, held: Collection[int]) -> tuple[list[Stored], bool]:
        """One process hands on its deliveries in the order it kept them: none is ever behind another here."""
        return [], False

    async def renew(self, held: Collection[int]) -> None:
        """Claims do not run out here."""

    renew_seconds = None

    async def done(self, stored_id: int) -> None:
        """Forget a handled delivery."""
        self._kept = {event: kept for event, kept in self._kept.items() if kept != stored_id}


class DatabaseInboxStore:
    """Keep a platform's deliveries in the ``inboxevent`` table, claimed by the instance that received them."""

    @classmethod
    def of(cls, app: App, platform: str) -> DatabaseInboxStore:
        """Return the store of a platform's deliveries on the app's database, clock and inbox lease."""
        lease = timedelta(seconds=app.settings.inbox_lease_seconds)
        return cls(app.engine, platform, clock=lambda: app.clock(), lease=lease)

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

    async def earlier(self, stored: Stored, held: Collection[int]) -> tuple[list[Stored], bool]:
        """Claim the earlier deliveries of the chat that are this instance's or whose claim ran out."""
        return await run_db(self.engine, self._earlier, stored, frozenset(held))

    async def renew(self, held: Collection[int]) -> None:
        """Extend this instance's claim on the deliveries it holds."""
        await run_db(self.engine, self._renew, frozenset(held))

    async def done(self, stored_id: int) -> None:
        """Forget a handled delivery."""
        await run_db(self.engine, self._done, stored_id)

    @property
    def renew_seconds(self) -> float:
        """Renew well before the claim runs out."""
        return self.lease.total_seconds() / RENEWALS_PER_LEASE

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

    def _earlier(self, stored: Stored, held: frozenset[int]) -> tuple[list[Stored], bool]:
        with session_scope(self.engine) as session:
            return take_earlier(
                session=session, platform=self.platform, stored=stored, held=held, now=self.clock(), lease=self.lease
            )

    def _renew(self, held: frozenset[int]) -> None:
        with session_scope(self.engine) as session:
            renew_claims(session=session, ids=held, now=self.clock(), lease=self.lease)

    def _done(self, stored_id: int) -> None:
        with session_scope(self.engine) as session:
            drop_event(session=session, stored_id=stored_id)


class Inbox:
    """Keep each delivery, then hand it to ``handle`` in the background, in order per chat key.

    The order holds across instances and crashes too: a delivery whose chat had earlier ones waiting when it was
    kept is handled only after them. Those this instance holds, or a dead one held, it handles first itself; for
    one another instance is handling, it waits. While it holds deliveries, it renews its claim on them.
    """

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
        self._held: set[int] = set()
        """The deliveries this instance has claimed and not yet handled."""
        self._tasks: list[asyncio.Task[None]] = []

    async def put(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> bool:
        """Keep a delivery and queue it for handling; False if it was kept already (a retry by the platform)."""
        stored = await self.store.accept(event_id, chat_key, payload)
        if stored is None:
            metrics.redelivered(self.order.platform)
            return False
        if stored.behind and self._held.issuperset(stored.earlier):
            stored = replace(stored, behind=False)  # the earlier ones are queued ahead of it, here
        self._enqueue(stored)
        return True

    def start(self) -> None:
        """Start handing deliveries on, beginning with those a dead process left."""
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._run(), name=f"inbox: {self.what}")]
            if self.store.renew_seconds is not None:
                self._tasks.append(asyncio.create_task(self._renew(self.store.renew_seconds), name="inbox: claims"))

    async def stop(self) -> None:
        """Stop handing deliveries on; those not yet handed on stay kept for the next start."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def join(self) -> None:
        """Wait until every delivery queued so far has been handled."""
        await self._idle.wait()
        await self.order.join()

    def _enqueue(self, stored: Stored) -> None:
        self._open += 1
        self._idle.clear()
        self._held.add(stored.id)
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

    async def _renew(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            if self._held:
                await _quietly(self.store.renew(self._held), "renewing the claim on held deliveries", None)

    async def _handled(self, stored: Stored) -> None:
        try:
            if stored.id in self._held:  # else a later delivery of its chat handled it first
                if stored.behind:
                    try:
                        await self._earlier_first(stored)
                    except Exception:
                        self._held.discard(stored.id)  # its claim runs out, and the recovery takes it up again
                        raise
                await self._handle(stored)
        finally:
            self._open -= 1
            if not self._open:
                self._idle.set()

    async def _earlier_first(self, stored: Stored) -> None:
        """Handle the chat's earlier deliveries still kept, waiting while another instance is handling one."""
        waited = False
        while True:
            taken, elsewhere = await self.store.earlier(stored, self._held)
            for earlier in taken:
                self._held.add(earlier.id)
                try:
                    await self._handle(earlier)
                except Exception:
                    logger.exception("%s: error while handling %s", self.order.platform, self.what)
            if not elsewhere:
                return
            if not waited:
                waited = True
                platform, what = self.order.platform, self.what
                logger.info("%s: %s waits for an earlier one of its chat, held by another instance", platform, what)
            await asyncio.sleep(EARLIER_WAIT_SECONDS)

    async def _handle(self, stored: Stored) -> None:
        try:
            await self.handle(stored.payload)
        finally:
            self._held.discard(stored.id)
            await _quietly(self.store.done(stored.id), "forgetting a handled delivery", None)


async def _quietly(step: Awaitable[Any], what: str, default: Any) -> Any:
    """Run a database step of the inbox; a failure is logged and the step tried again later, not raised."""
    try:
        return await step
    except Exception:
        logger.exception("inbox: %s failed; it is tried again later", what)
        return default
