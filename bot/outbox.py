"""Delivery of queued outbox messages through the adapters, with retries for transient failures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from lianfang.bot import metrics
from lianfang.bot.db import run_db, session_scope
from lianfang.bot.ports import Adapter, BatchSender, SendError
from lianfang.bot.privacy import PersonLoader, block, guard
from lianfang.bot.types import ChatRef, Document, OutgoingMessage
from lianfang.models.files import delete_files, load_file
from lianfang.models.outbox import (
    Claimed,
    FailureKind,
    claim_due,
    mark_failed,
    mark_retry,
    mark_sent,
    release_held,
)
from sqlalchemy import Connection, Engine
from sqlmodel import Session

logger = logging.getLogger(__name__)

Undeliverable = Callable[[Session, ChatRef, dict[str, Any], SendError], None]
"""Called in the transaction that marks a message failed for good, to queue what should go instead."""

MAX_ATTEMPTS = 10
"""Tries after which a message failing for another reason than an outage (an adapter bug) fails for good."""
MAX_BACKOFF_SECONDS = 300.0
MAX_AGE = timedelta(hours=24)
"""How long from its queueing a message is held through an outage (``LIANFANG_OUTBOX_MAX_AGE_HOURS``)."""
OUTAGE_WARNING_INTERVAL = timedelta(minutes=1)
"""An outage is logged at WARNING at most this often per platform, however many messages it holds."""
BATCH = 100
REASON_FILE_GONE = "file gone"
LEASE = timedelta(minutes=5)
"""How long a claimed message stays with its deliverer before another may take it (a crash mid-send)."""
MARK_DELAY_SECONDS = 0.05
"""A delivered reply is marked sent in the next transaction of this instance (handling the next message), or after
this long in one of its own: one transaction per message handled, not two. A kill -9 makes a reply sent within this
time (not yet marked) go again, each once, as a reply whose mark was being committed always could."""


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Return how long to wait before the next try."""
    if retry_after is not None:
        return timedelta(seconds=retry_after)
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts)))


@dataclass
class Outage:
    """A platform that cannot take messages for now: since when, its latest error, and the messages it holds."""

    platform: str
    since: datetime
    error: str
    held: set[int] = field(default_factory=set)
    warned_at: datetime | None = None

    def describe(self) -> dict[str, object]:
        """Return what ``/healthz`` shows of it."""
        return {"platform": self.platform, "since": self.since.isoformat(), "error": self.error, "held": len(self.held)}


class Deliverer:
    """Drain the outbox of the platforms this instance serves, one drain at a time per instance."""

    def __init__(
        self,
        engine: Engine,
        adapters: Mapping[str, Adapter],
        clock: Callable[[], datetime],
        on_undeliverable: Undeliverable | None = None,
        lease: timedelta = LEASE,
        persons: PersonLoader | None = None,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self.engine = engine
        self.lease = lease
        self.max_age = max_age
        self.outages: dict[str, Outage] = {}
        """Platforms with an outage now, as this instance saw them (``/healthz`` shows them)."""
        self.adapters = adapters
        self.clock = clock
        self.on_undeliverable = on_undeliverable
        self.persons = persons
        """Reads the records of a message's subjects for the privacy guard."""
        self._lock = asyncio.Lock()
        self._in_hand: set[int] = set()
        """Messages a send of this instance is working on: a lease that ran out under load must not send them twice."""
        self._unmarked: dict[int, Claimed] = {}
        """Replies delivered and not yet marked sent (see ``MARK_DELAY_SECONDS``); not to be sent again meanwhile."""
        self._marker: asyncio.Task[None] | None = None

    async def drain(self) -> int:
        """Send every due message; return how many were delivered."""
        if not self.adapters:
            return 0
        delivered = 0
        async with self._lock:
            while True:
                marks = self.pending_marks()  # replies delivered lately are marked sent with the claim
                batch = await run_db(self.engine, self._claim, marks)
                self.marked(marks)
                with self._holding(batch) as mine:
                    sent = await self._send_all(mine)
                delivered += sent
                # Go round again only if more may be waiting: a full batch, or a failure that queued a reroute.
                if len(batch) < BATCH and sent == len(mine):
                    return delivered

    async def deliver(self, claimed: list[Claimed]) -> int:
        """Send messages this instance has claimed, marking each as it goes; return how many were delivered.

        A message another send of this instance is already working on is left to it (and not counted).
        """
        with self._holding(claimed) as mine:
            return await self._send_all(mine, defer_marks=True)

    def pending_marks(self) -> list[Claimed]:
        """Return the delivered replies not yet marked sent, for the next transaction to mark (``mark_in``)."""
        return list(self._unmarked.values())

    def mark_in(self, connection: Connection, rows: list[Claimed]) -> None:
        """Mark delivered replies sent in the caller's transaction; call ``marked`` once it is committed."""
        mark_sent(connection=connection, ids=[row.id for row in rows], now=self.clock())
        delete_files(connection=connection, file_ids=_file_ids(rows))

    def marked(self, rows: list[Claimed]) -> None:
        """Forget replies whose sent mark is committed."""
        for row in rows:
            self._unmarked.pop(row.id, None)

    async def flush(self) -> None:
        """Mark every delivered reply sent now, in one transaction (before a stop, or when no message came)."""
        rows = self.pending_marks()
        if rows:
            await run_db(self.engine, self._mark_sent, rows)
            self.marked(rows)

    def _defer_mark(self, done: list[Claimed]) -> None:
        """Leave delivered replies to be marked by the next transaction, or by ``_mark_soon``."""
        self._unmarked.update((row.id, row) for row in done)
        if self._marker is None or self._marker.done():
            self._marker = asyncio.get_running_loop().create_task(self._mark_soon(), name="outbox: mark sent")

    async def _mark_soon(self) -> None:
        """Mark what no transaction took along within ``MARK_DELAY_SECONDS``; try again later on a failure."""
        while self._unmarked:
            await asyncio.sleep(MARK_DELAY_SECONDS)
            try:
                await self.flush()
            except Exception:
                logger.exception(
                    "outbox: marking %d delivered message(s) sent failed; tried again", len(self._unmarked)
                )

    @contextmanager
    def _holding(self, claimed: list[Claimed]) -> Iterator[list[Claimed]]:
        """Take into hand the claimed messages no other send of this instance holds, until the block ends."""
        mine = [row for row in claimed if row.id not in self._in_hand and row.id not in self._unmarked]
        ids = {row.id for row in mine}
        self._in_hand |= ids
        try:
            yield mine
        finally:
            self._in_hand -= ids

    async def _send_all(self, claimed: list[Claimed], *, defer_marks: bool = False) -> int:
        sent = 0
        for rows in self._plan(claimed):
            done = await self._deliver(rows)
            if done and defer_marks and not _file_ids(done):
                self._defer_mark(done)
            elif done:
                # marked right after their send: a crash must not make the whole batch go again, and a file's
                # bytes (personal data, often) are not kept a moment longer than its delivery
                await run_db(self.engine, self._mark_sent, done)
            if done:
                sent += len(done)
                metrics.sent(done[0].platform, len(done))
        return sent

    def _claim(self, marks: list[Claimed]) -> list[Claimed]:
        with session_scope(self.engine) as session:
            if marks:
                self.mark_in(session.connection(), marks)
            return claim_due(
                session=session, platforms=list(self.adapters), now=self.clock(), lease=self.lease, limit=BATCH
            )

    def _mark_sent(self, done: list[Claimed]) -> None:
        with self.engine.begin() as connection:
            self.mark_in(connection, done)

    def _plan(self, batch: list[Claimed]) -> list[list[Claimed]]:
        """Group claimed messages into sends: one payload to many chats where the adapter can, else one by one.

        A chat with several messages in the batch gets them one by one, in order: sending one of them together
        with other chats' copies would change the order that chat reads them in.
        """
        if len(batch) < 2:
            return [batch] if batch else []
        per_chat = Counter((row.platform, row.chat_id) for row in batch)
        sends: dict[Hashable, list[Claimed]] = {}
        for row in batch:
            key: Hashable = row.id
            if per_chat[row.platform, row.chat_id] == 1 and isinstance(self.adapters[row.platform], BatchSender):
                key = (row.platform, json.dumps(row.payload, sort_keys=True, ensure_ascii=False))
            sends.setdefault(key, []).append(row)
        return list(sends.values())

    async def _deliver(self, rows: list[Claimed]) -> list[Claimed]:
        """Send one payload to the chats of claimed messages; record each failure and return the delivered."""
        first = rows[0]
        adapter = self.adapters[first.platform]
        message = first.decoded
        if not isinstance(message, OutgoingMessage):
            message = OutgoingMessage.from_json(ChatRef(first.platform, first.chat_id), first.payload)
        if not message.private and not await run_db(self.engine, self._guard, rows, message):
            return []
        failures: dict[str, SendError] = {}
        try:
            if message.document is not None:
                message = replace(message, document=await run_db(self.engine, self._load_document, message.document))
            if len(rows) > 1 and isinstance(adapter, BatchSender):
                failures = await adapter.send_many([row.chat_id for row in rows], message)
            else:
                await adapter.send(message)
        except SendError as error:
            failures = {row.chat_id: error for row in rows}
        except Exception as error:  # an adapter bug must not stop delivery of everything else
            logger.exception("adapter %s failed to send outbox message(s) from %s", first.platform, first.id)
            failures = {row.chat_id: SendError(type(error).__name__, permanent=False) for row in rows}
        for row in rows:
            if row.chat_id in failures:
                await run_db(self.engine, self._record_failure, row, failures[row.chat_id])
        delivered = [row for row in rows if row.chat_id not in failures]
        if delivered and first.platform in self.outages:
            await run_db(self.engine, self._end_outage, first.platform)
        return delivered

    def _guard(self, rows: list[Claimed], message: OutgoingMessage) -> bool:
        """Let a message for group chats pass the privacy guard, or keep it from every chat; True if it passed."""
        with session_scope(self.engine) as session:
            found = guard(session, message, self.persons)
            for row in rows if found else []:
                block(session=session, claimed=row, found=found, now=self.clock())
                delete_files(connection=session.connection(), file_ids=_file_ids([row]))
        return not found

    def _load_document(self, document: Document) -> Document:
        """Return the document with its bytes; a permanent failure when they are gone."""
        with session_scope(self.engine) as session:
            data = load_file(session=session, file_id=document.file_id) if document.file_id is not None else None
        if data is None:
            raise SendError(REASON_FILE_GONE, permanent=True)
        return replace(document, data=data)

    def _record_failure(self, claimed: Claimed, error: SendError) -> None:
        metrics.send_failed(claimed.platform, throttled=error.retry_after is not None)
        now = self.clock()
        if error.kind == FailureKind.OUTAGE and now - claimed.created_at < self.max_age:
            self._hold(claimed, error, now)
            return
        self._forget_held(claimed)
        with session_scope(self.engine) as session:
            if not error.permanent and error.kind != FailureKind.OUTAGE and claimed.attempts + 1 < MAX_ATTEMPTS:
                wait = backoff(claimed.attempts, error.retry_after)
                # A flood wait (429 with retry_after) is the platform pacing us, not a failed attempt.
                mark_retry(
                    session=session,
                    message_id=claimed.id,
                    error=error.reason,
                    not_before=self.clock() + wait,
                    count_attempt=error.retry_after is None,
                )
                return
            logger.warning("outbox message %s to %s failed for good: %s", claimed.id, claimed.platform, error.reason)
            mark_failed(session=session, message_id=claimed.id, error=error.reason, kind=error.kind)
            # personal data is not kept for nothing
            delete_files(connection=session.connection(), file_ids=_file_ids([claimed]))
            if self.on_undeliverable is not None:
                chat = ChatRef(claimed.platform, claimed.chat_id)
                self.on_undeliverable(session, chat, claimed.payload, error)

    def _hold(self, claimed: Claimed, error: SendError, now: datetime) -> None:
        """Put a message back until its platform's outage is over; log the outage, at most once a minute."""
        with session_scope(self.engine) as session:
            mark_retry(
                session=session,
                message_id=claimed.id,
                error=error.reason,
                not_before=now + backoff(claimed.attempts, error.retry_after),
            )
        outage = self.outages.get(claimed.platform)
        if outage is None:
            outage = self.outages[claimed.platform] = Outage(claimed.platform, now, error.reason)
        outage.error = error.reason
        outage.held.add(claimed.id)
        if outage.warned_at is None or now - outage.warned_at >= OUTAGE_WARNING_INTERVAL:
            outage.warned_at = now
            logger.warning(
                "%s cannot be reached since %s: %d message(s) held, each retried for %s from its queueing; "
                "last error: %s",
                claimed.platform,
                outage.since.isoformat(timespec="seconds"),
                len(outage.held),
                self.max_age,
                error.reason,
            )

    def _forget_held(self, claimed: Claimed) -> None:
        outage = self.outages.get(claimed.platform)
        if outage is not None:
            outage.held.discard(claimed.id)

    def _end_outage(self, platform: str) -> None:
        """Record that a platform took a message again, and let the messages its outage held go at once."""
        outage = self.outages.pop(platform, None)
        if outage is None:
            return
        logger.warning(
            "%s is back after an outage since %s; %d held message(s) go now",
            platform,
            outage.since.isoformat(timespec="seconds"),
            len(outage.held),
        )
        with session_scope(self.engine) as session:
            release_held(session=session, ids=sorted(outage.held))


def _file_ids(rows: list[Claimed]) -> list[int]:
    """Return the documents the delivered messages carried."""
    documents = [row.payload.get("document") or {} for row in rows]
    return [int(document["file_id"]) for document in documents if document.get("file_id")]
