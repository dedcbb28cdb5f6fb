"""Scheduler leadership: of several instances on one PostgreSQL database, only one runs the daily loop.

The leader is whoever holds a session-level advisory lock on a connection of its own, outside the pool. The lock
goes with the session: when the leader's process dies its connection closes and the lock is free at once; when
its host or network vanishes, TCP keepalives on both ends end the session. Followers try for the lock every
``CHECK_SECONDS``, so a handover takes a few seconds. On SQLite one instance is assumed, and it always leads.

Leadership only decides who does the work; the send ledger is what makes every scheduled send happen once, also
while two instances briefly both believe they lead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from lianfang.bot.runtime import SoleInstance
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
"""How often a follower tries for the lock and the leader checks its connection is alive."""
LOCK_NAMESPACE = "lianfang:scheduler"
CONNECT_TIMEOUT_SECONDS = 5
KEEPALIVE_IDLE_SECONDS = 5
KEEPALIVE_INTERVAL_SECONDS = 2
KEEPALIVE_COUNT = 3
"""Keepalives end a vanished peer's session after about idle + interval x count = 11 s, on either end."""
USER_TIMEOUT_MS = 10_000
"""Linux TCP_USER_TIMEOUT: a leader whose sends go unanswered this long sees its connection as lost."""
CLIENT_KEEPALIVES: dict[str, Any] = {
    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    "keepalives": 1,
    "keepalives_idle": KEEPALIVE_IDLE_SECONDS,
    "keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
    "keepalives_count": KEEPALIVE_COUNT,
    "tcp_user_timeout": USER_TIMEOUT_MS,
}
SERVER_KEEPALIVES = (
    f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE_SECONDS}",
    f"SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL_SECONDS}",
    f"SET tcp_keepalives_count = {KEEPALIVE_COUNT}",
)
"""The server's side of the keepalives, so that PostgreSQL itself ends a vanished leader's session."""


def lock_key(database: str, schema: str) -> int:
    """Return the advisory lock key of one deployment: a stable signed 64-bit hash of its database and schema."""
    digest = hashlib.blake2b(f"{LOCK_NAMESPACE}:{database}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Leadership(SoleInstance):
    """The leadership of an instance alone on its database (SQLite): it always leads, with nothing to hold."""

    async def refresh(self) -> bool:
        """Try for leadership or check it is still held; return True when this instance has just become leader."""
        return False

    async def release(self) -> None:
        """Give leadership up, so another instance can take over at once."""


class AdvisoryLockLeadership(Leadership):
    """Lead while holding a PostgreSQL session-level advisory lock on a dedicated connection."""

    def __init__(self, engine: Engine, *, key: int | None = None) -> None:
        # A connection of its own: a pooled one would be handed to other work, and the lock with it.
        self._engine = create_engine(
            engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=CLIENT_KEEPALIVES
        )
        self._key = key
        self._connection: Connection | None = None
        self._busy = asyncio.Lock()
        """One use of the dedicated connection at a time: a refresh and a release may overlap at a stop."""
        self.is_leader = False

    @property
    def key(self) -> int | None:
        """Return the lock key (known once connected, unless configured)."""
        return self._key

    async def refresh(self) -> bool:
        """Try for the lock as a follower, or check the connection as the leader; step down if it is lost."""
        async with self._busy:
            was_leader = self.is_leader
            try:
                self.is_leader = await asyncio.to_thread(self._refresh)
            except Exception as error:  # the database is unreachable: nobody here may lead until it is back
                self.is_leader = False
                if was_leader:
                    logger.warning("scheduler leadership lost: %s", type(error).__name__)
                else:
                    logger.debug("scheduler leadership: database unreachable", exc_info=True)
                await asyncio.to_thread(self._close)
                return False
        if self.is_leader and not was_leader:
            logger.info("this instance is now the scheduler leader")
        return self.is_leader and not was_leader

    def _refresh(self) -> bool:
        if self._connection is None:
            self._connection = self._engine.connect()
            for statement in SERVER_KEEPALIVES:
                self._connection.execute(text(statement))
            if self._key is None:
                database, schema = self._connection.execute(text("SELECT current_database(), current_schema()")).one()
                self._key = lock_key(database, schema)
        if self.is_leader:
            # The lock lives as long as the session; a round trip proves the session is still there.
            self._connection.execute(text("SELECT 1"))
            return True
        return bool(self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())

    async def release(self) -> None:
        """Unlock and close the dedicated connection."""
        async with self._busy:
            was_leader = self.is_leader
            self.is_leader = False
            await asyncio.to_thread(self._close, unlock=was_leader)
        if was_leader:
            logger.info("scheduler leadership released")

    def _close(self, *, unlock: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if unlock:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            connection.close()
        except Exception:  # a broken connection: closing the socket is all that is left, and the lock goes with it
            logger.debug("scheduler leadership: closing a broken connection", exc_info=True)
            _drop(connection)

    def abandon(self) -> None:
        """Drop the connection without unlocking, as a crashed process would (tests of the handover)."""
        connection, self._connection = self._connection, None
        self.is_leader = False
        if connection is not None:
            _drop(connection)


def _drop(connection: Connection) -> None:
    """Close a connection's socket without another word to the server."""
    with contextlib.suppress(Exception):
        connection.invalidate()
        connection.close()


def leadership_for(engine: Engine, *, key: int | None = None) -> Leadership:
    """Return the leadership fitting the database: an advisory lock on PostgreSQL, sole leadership otherwise."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(engine, key=key)
    return Leadership()
