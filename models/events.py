"""Inbound deliveries already processed, so a redelivered update is handled once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lianfang.models.base import insert_if_absent, to_db_time
from sqlalchemy import Connection, UniqueConstraint, and_, delete, or_
from sqlmodel import Field, Session, SQLModel, col, select


class ProcessedEvent(SQLModel, table=True):
    """One platform delivery id (Telegram update_id, WeCom MsgId) seen and handled."""

    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=128)
    received_at: datetime


def record_event(*, connection: Connection, platform: str, event_id: str, now: datetime) -> bool:
    """Record a delivery in the caller's transaction; False if it was already processed."""
    values = {"platform": platform, "event_id": event_id, "received_at": to_db_time(now)}
    return insert_if_absent(connection, ProcessedEvent, values, ["platform", "event_id"])


def purge_events(
    *, session: Session, before: datetime, before_by_platform: Mapping[str, datetime] | None = None
) -> int:
    """Forget deliveries received before ``before``, or before their platform's own cutoff; return how many."""
    cutoffs = dict(before_by_platform or {})
    platform, received_at = col(ProcessedEvent.platform), col(ProcessedEvent.received_at)
    expired = or_(
        *(and_(platform == name, received_at < to_db_time(cutoff)) for name, cutoff in cutoffs.items()),
        and_(platform.not_in(cutoffs), received_at < to_db_time(before)),
    )
    # Look before deleting: a read takes no write lock, and on most ticks there is nothing to forget.
    if session.exec(select(col(ProcessedEvent.id)).where(expired).limit(1)).first() is None:
        return 0
    return session.connection().execute(delete(ProcessedEvent).where(expired)).rowcount
