"""Inbound deliveries already processed, so a redelivered update is handled once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import UniqueConstraint, delete
from sqlmodel import Field, Session, SQLModel, col

from models.base import insert_if_absent, to_db_time


class ProcessedEvent(SQLModel, table=True):
    """One platform delivery id (Telegram update_id, WeCom MsgId) seen and handled."""

    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=128)
    received_at: datetime


def record_event(*, session: Session, platform: str, event_id: str, now: datetime) -> bool:
    """Record a delivery in the caller's transaction; False if it was already processed."""
    values = {"platform": platform, "event_id": event_id, "received_at": to_db_time(now)}
    return insert_if_absent(session, ProcessedEvent, values, ["platform", "event_id"])



def purge_events(
    *, session: Session, before: datetime, before_by_platform: Mapping[str, datetime] | None = None
) -> int:
    """Forget deliveries received before ``before``, or before their platform's own cutoff; return how many."""
    cutoffs = dict(before_by_platform or {})
    platform, received_at = col(ProcessedEvent.platform), col(ProcessedEvent.received_at)
    removed = 0
    for name, cutoff in cutoffs.items():
        kept_longer = delete(ProcessedEvent).where(platform == name, received_at < to_db_time(cutoff))
        removed += session.execute(kept_longer).rowcount
    others = delete(ProcessedEvent).where(platform.not_in(cutoffs), received_at < to_db_time(before))
    return removed + session.execute(others).rowcount
