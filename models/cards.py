"""When members last tapped a template card: the proof that their client shows cards (WeChat users' does not)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lianfang.models.base import to_db_time, upsert
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select


class CardUse(SQLModel, table=True):
    """The last template-card tap of one platform user."""

    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_card_use"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    tapped_at: datetime


def record_card_use(*, session: Session, platform: str, user_id: str, at: datetime) -> None:
    """Note that a user tapped a card now (one row per user, kept up to date)."""
    values = {"platform": platform, "user_id": user_id, "tapped_at": to_db_time(at)}
    upsert(session, CardUse, values, ["platform", "user_id"])


def card_users_since(*, session: Session, platform: str, user_ids: Sequence[str], since: datetime) -> set[str]:
    """Return the users among ``user_ids`` who tapped a card at or after ``since``."""
    query = select(CardUse.user_id).where(
        CardUse.platform == platform, col(CardUse.user_id).in_(list(user_ids)), CardUse.tapped_at >= to_db_time(since)
    )
    return set(session.exec(query).all())
