"""Platform access tokens cached in the database, so every instance shares one token per app."""

from __future__ import annotations

from datetime import datetime

from lianfang.models.base import to_db_time, upsert
from sqlalchemy import UniqueConstraint, delete
from sqlmodel import Field, Session, SQLModel, col, select

MAX_TOKEN_LENGTH = 512
"""WeCom asks callers to keep at least 512 bytes for an access token."""


class PlatformToken(SQLModel, table=True):
    """The current access token of one platform app (WeCom: key ``corp_id:agent_id``) and when it expires."""

    __table_args__ = (UniqueConstraint("platform", "key", name="uq_platform_token"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    key: str = Field(max_length=128)
    token: str = Field(max_length=MAX_TOKEN_LENGTH)
    expires_at: datetime
    updated_at: datetime


def load_token(*, session: Session, platform: str, key: str) -> PlatformToken | None:
    """Return the cached token of an app, expired or not."""
    query = select(PlatformToken).where(PlatformToken.platform == platform, PlatformToken.key == key)
    return session.exec(query).first()


def store_token(*, session: Session, platform: str, key: str, token: str, expires_at: datetime, now: datetime) -> None:
    """Cache an app's token, replacing whatever was cached (another instance may have stored one meanwhile)."""
    values = {
        "platform": platform,
        "key": key,
        "token": token,
        "expires_at": to_db_time(expires_at),
        "updated_at": to_db_time(now),
    }
    upsert(session, PlatformToken, values, ["platform", "key"])


def discard_token(*, session: Session, platform: str, key: str, token: str) -> None:
    """Forget a token the platform refused, unless another instance has already replaced it."""
    session.execute(
        delete(PlatformToken).where(
            col(PlatformToken.platform) == platform, col(PlatformToken.key) == key, col(PlatformToken.token) == token
        )
    )
