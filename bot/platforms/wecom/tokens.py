"""WeCom access tokens: one cached token per app, shared between calls and between instances."""

from __future__ import annotations

from typing import Protocol

from lianfang.bot.platform_stores import CachedToken

TOKEN_LIFETIME_SECONDS = 7200


class TokenStore(Protocol):
    """Where access tokens are kept between calls and shared between instances (the database in production)."""

    async def load(self, key: str) -> CachedToken | None:
        """Return the cached token of an app, if any."""

    async def save(self, key: str, token: CachedToken) -> None:
        """Cache an app's token."""

    async def discard(self, key: str, token: str) -> None:
        """Forget a token WeCom refused (unless it was replaced meanwhile)."""


class MemoryTokenStore:
    """Keep tokens in this process only (one-off commands, tests)."""

    def __init__(self) -> None:
        self.tokens: dict[str, CachedToken] = {}

    async def load(self, key: str) -> CachedToken | None:
        """Return the cached token, if any."""
        return self.tokens.get(key)

    async def save(self, key: str, token: CachedToken) -> None:
        """Cache a token."""
        self.tokens[key] = token

    async def discard(self, key: str, token: str) -> None:
        """Forget a refused token."""
        if key in self.tokens and self.tokens[key].token == token:
            del self.tokens[key]
