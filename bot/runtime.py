"""One running lianfang instance: the dispatcher, its adapters, outbox delivery and the scheduled tick."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from lianfang.bot import logs, metrics
from lianfang.bot.config import Settings
from lianfang.bot.context import Context
from lianfang.bot.db import run_db, session_scope
from lianfang.bot.dispatcher import Command, Dispatcher, Handled
from lianfang.bot.exports import Exports
from lianfang.bot.forms import Form, FormRunner
from lianfang.bot.menu import Menu
from lianfang.bot.org import Org
from lianfang.bot.outbox import Deliverer
from lianfang.bot.ports import Adapter, Outcome, SendError
from lianfang.bot.privacy import PersonLoader
from lianfang.bot.report_parts import ReportParts
from lianfang.bot.types import (
    FETCH_FAILED,
    FETCH_TOO_LARGE,
    AttachmentTooLarge,
    ChatRef,
    IncomingMessage,
    OutgoingMessage,
)
from lianfang.models.outbox import release_claims
from sqlalchemy import Engine
from sqlmodel import Session

logger = logging.getLogger(__name__)

Tick = Callable[[Dispatcher, datetime], list[OutgoingMessage]]
Reroute = Callable[[Context, ChatRef, dict[str, Any], SendError], None]


class LeaderState(Protocol):
    """Whether this instance is the one that runs the scheduled loop (see scheduler/leadership.py)."""

    is_leader: bool


class SoleInstance:
    """The leadership of an instance alone on its database: it always leads."""

    is_leader = True


@dataclass
class ManualClock:
    """A clock that is set by hand: the demo's simulated day and the tests' injected time."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


class App:
    """Wire the core to adapters; the CLI builds one per process."""

    def __init__(
        self,
        *,
        settings: Settings,
        org: Org,
        engine: Engine,
        commands: Sequence[Command],
        forms: Sequence[Form],
        tick: Tick,
        undeliverable: Reroute | None = None,
        clock: Callable[[], datetime] | None = None,
        leadership: LeaderState | None = None,
        persons: PersonLoader | None = None,
        menu: Menu | None = None,
        redelivery: Mapping[str, timedelta] | None = None,
        report_parts: ReportParts | None = None,
        exports: Exports | None = None,
    ) -> None:
        self.settings = settings
        self.org = org
        self.engine = engine
        self.tz = ZoneInfo(org.schedule.timezone or settings.timezone)
        self.clock = clock or (lambda: datetime.now(self.tz))
        self.adapters: dict[str, Adapter] = {}
        self.dispatcher = Dispatcher(
            engine=engine,
            settings=settings,
            org=org,
            tz=self.tz,
            commands=commands,
            runner=FormRunner(forms),
            claim_platforms=self.adapters,
            menu=menu,
            redelivery=redelivery,
            report_parts=report_parts,
            exports=exports,
        )
        # one lease for replies claimed as they are queued and for messages a drain claims
        lease = self.dispatcher.lease
        max_age = timedelta(hours=settings.outbox_max_age_hours)
        self.deliverer = Deliverer(
            engine, self.adapters, self.clock, self._undeliverable, lease=lease, persons=persons, max_age=max_age
        )
        self.ticker = tick
        self._running: set[asyncio.Task[object]] = set()
        self._reroute = undeliverable
        self.leadership: LeaderState = leadership or SoleInstance()

    def add_adapter(self, adapter: Adapter) -> None:
        """Serve one more platform."""
        self.adapters[adapter.platform] = adapter

    async def handle(self, msg: IncomingMessage) -> list[OutgoingMessage]:
        """Handle one incoming message, then deliver what it queued.

        The replies were queued already claimed by this instance, so they go out without another transaction to
        claim them. Anything else due waits for the next drain, unless a reply failed: a fallback it queued (an
        @mention in a group) goes at once.
        """
        return (await self._handle_and_deliver(msg)).sent

    async def _handle_and_deliver(self, msg: IncomingMessage) -> Handled:
        with logs.request(msg.platform, msg.event_id), metrics.handling(msg.platform):
            handled = await self._handle_message(msg)
            if await self.deliverer.deliver(handled.claimed) < len(handled.claimed):
                await self.deliverer.drain()
        return handled

    async def tick(self) -> list[OutgoingMessage]:
        """Run the scheduled loop once for the current time, then deliver; only the scheduler leader does."""
        metrics.ticked()
        if not self.leadership.is_leader:
            return []
        with self._tracked():
            sent = await asyncio.to_thread(self.ticker, self.dispatcher, self.clock())
            await self.deliverer.drain()
            return sent

    async def drain(self) -> int:
        """Deliver what is due in the outbox (retries, and messages queued by other instances)."""
        with self._tracked():
            return await self.deliverer.drain()

    async def settle(self, timeout: float) -> None:
        """Wait for scheduled work in progress (a tick, a drain) to finish, so a stop never cuts a send in half."""
        running = [task for task in self._running if task is not asyncio.current_task()]
        if running:
            await asyncio.wait(running, timeout=timeout)

    @contextmanager
    def _tracked(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            self._running.discard(task)

    async def start(self) -> None:
        """Start every adapter, then deliver what is due, including what a crash left unsent."""
        self.dispatcher.transactions.keep_on_this_thread()
        if self.engine.dialect.name == "sqlite" and self.adapters:
            # SQLite has one instance (see README): whatever is claimed now was claimed by a process that died.
            with session_scope(self.engine) as session:
                released = release_claims(session=session, platforms=list(self.adapters))
            if released:
                logger.info("%d message(s) left unsent by a stopped process go out now", released)
        for adapter in self.adapters.values():
            await adapter.start(self._dispatch)
        await self.deliverer.drain()

    async def stop(self) -> None:
        """Stop every adapter, then mark what they delivered last as sent, so a restart sends none of it again."""
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.deliverer.flush()
        self.dispatcher.transactions.close()

    def _undeliverable(self, session: Session, chat: ChatRef, payload: dict[str, Any], error: SendError) -> None:
        if self._reroute is not None:
            ctx = self.dispatcher.context(session, self.clock())
            self._reroute(ctx, chat, payload, error)

    async def _dispatch(self, msg: IncomingMessage) -> Outcome:
        """Handle a message for its adapter and tell it whether a tapped button was taken."""
        handled = await self._handle_and_deliver(msg)
        return Outcome(taken=not handled.refused)

    async def _handle_message(self, msg: IncomingMessage) -> Handled:
        if msg.attachment is not None and msg.attachment.data is None:
            msg = await self._fetch_attachment(msg)
        # replies delivered earlier are marked sent in this message's transaction: one commit per message
        marks = self.deliverer.pending_marks()
        riding = partial(self.deliverer.mark_in, rows=marks) if marks else None
        handled = await run_db(self.engine, self.dispatcher.handle, msg, self.clock(), riding=riding)
        self.deliverer.marked(marks)
        return handled

    async def _fetch_attachment(self, msg: IncomingMessage) -> IncomingMessage:
        """Download a file the file command wants, within the size limit; note why when it could not be had."""
        attachment = msg.attachment
        assert attachment is not None
        limit = self.settings.max_import_bytes
        if attachment.fetch is None or (attachment.size is not None and attachment.size > limit):
            return msg  # the handler answers from the announced size; nothing is downloaded
        if not await run_db(self.engine, self.dispatcher.wants_attachment, msg, self.clock()):
            return msg
        try:
            data = await attachment.fetch(limit)
        except AttachmentTooLarge:
            return replace(msg, attachment=replace(attachment, error=FETCH_TOO_LARGE))
        except Exception as error:  # the platform's download failed; the user is told, the update is not lost
            logger.warning("%s: file download failed: %s", msg.platform, type(error).__name__)
            return replace(msg, attachment=replace(attachment, error=FETCH_FAILED))
        if len(data) > limit:
            return replace(msg, attachment=replace(attachment, error=FETCH_TOO_LARGE))
        return replace(msg, attachment=replace(attachment, data=data, size=len(data)))
