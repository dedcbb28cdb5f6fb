"""What platforms keep in the database, shared by every instance: cached access tokens and members' card taps.

A platform package never reads the database itself; the kernel hands it these stores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lianfang.bot.db import session_scope
from lianfang.models.cards import card_users_since, record_card_use
from lianfang.models.tokens import discard_token, load_token, store_token
from sqlalchemy import Engine

TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
"""A cached token is replaced this long before it expires, so no call races its expiry."""


@dataclass(frozen=True)
class CachedToken:
    """An access token and the moment it expires (aware, UTC)."""

    token: str
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        """Tell whether the token can still be used for a while."""
        return self.expires_at - TOKEN_REFRESH_MARGIN > now


class DatabaseTokenStore:
    """Keep a platform's access tokens in the ``platformtoken`` table, so every instance on the database shares one."""

    def __init__(self, engine: Engine, platform: str) -> None:
        self.engine = engine
        self.platform = platform

    async def load(self, key: str) -> CachedToken | None:
        """Return the cached token of an app, if any."""
        return await asyncio.to_thread(self._load, key)

    async def save(self, key: str, token: CachedToken) -> None:
        """Cache an app's token."""
        await asyncio.to_thread(self._save, key, token)

    async def discard(self, key: str, token: str) -> None:
        """Forget a token WeCom refused, unless another instance replaced it already."""
        await asyncio.to_thread(self._discard, key, token)

    def _load(self, key: str) -> CachedToken | None:
        with session_scope(self.engine) as session:
            row = load_token(session=session, platform=self.platform, key=key)
            return CachedToken(row.token, row.expires_at) if row is not None else None

    def _save(self, key: str, token: CachedToken) -> None:
        with session_scope(self.engine) as session:
            store_token(
                session=session,
                platform=self.platform,
                key=key,
                token=token.token,
                expires_at=token.expires_at,
                now=datetime.now(UTC),
            )

    def _discard(self, key: str, token: str) -> None:
        with session_scope(self.engine) as session:
            discard_token(session=session, platform=self.platform, key=key, token=token)


class DatabaseCardStore:
    """Keep members' last card taps on a platform in the ``carduse`` table, shared by every instance."""

    def __init__(self, engine: Engine, platform: str) -> None:
        self.engine = engine
        self.platform = platform

    async def recent(self, users: Sequence[str], since: datetime) -> set[str]:
        """Return the members among ``users`` who tapped a card since then."""
        return await asyncio.to_thread(self._recent, users, since)

    async def record(self, user: str, at: datetime) -> None:
        """Note that a member tapped a card."""
        await asyncio.to_thread(self._record, user, at)

    def _recent(self, users: Sequence[str], since: datetime) -> set[str]:
        with session_scope(self.engine) as session:
            return card_users_since(session=session, platform=self.platform, user_ids=users, since=since)

    def _record(self, user: str, at: datetime) -> None:
        with session_scope(self.engine) as session:
            record_card_use(session=session, platform=self.platform, user_id=user, at=at)
