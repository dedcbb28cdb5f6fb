"""The outbox: every outgoing message is a row written with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, func
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import json_column, to_db_time

STATUS_PENDING = "pending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """One message waiting for, or done with, delivery to one chat."""

    __table_args__ = (Index("ix_outbox_status_platform", "status", "platform", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    payload: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    status: str = Field(default=STATUS_PENDING, max_length=16)
    attempts: int = 0
    created_at: datetime
    not_before: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = Field(default=None, max_length=500)


def enqueue(*, session: Session, platform: str, chat_id: str, payload: dict[str, Any], now: datetime) -> None:
    """Queue one message in the caller's transaction."""
    session.add(OutboxMessage(platform=platform, chat_id=chat_id, payload=payload, created_at=to_db_time(now)))


def pending(*, session: Session, platforms: list[str], now: datetime, limit: int = 100) -> list[OutboxMessage]:
    """Return due pending messages for some platforms, oldest first."""
    due = to_db_time(now)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == STATUS_PENDING, col(OutboxMessage.platform).in_(platforms))
        .where((col(OutboxMessage.not_before).is_(None)) | (col(OutboxMessage.not_before) <= due))
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def mark_sent(*, session: Session, message: OutboxMessage, now: datetime) -> None:
    """Record a delivered message."""
    message.status = STATUS_SENT
    message.sent_at = to_db_time(now)
    message.attempts += 1
    session.add(message)


def mark_failed(*, session: Session, message: OutboxMessage, error: str) -> None:
    """Record a message that can never be delivered, with the reason."""
    message.status = STATUS_FAILED
    message.attempts += 1
    message.error = error[:500]
    session.add(message)


def mark_retry(*, session: Session, message: OutboxMessage, error: str, not_before: datetime) -> None:
    """Put a message back for another try after a transient failure."""
    message.attempts += 1
    message.error = error[:500]
    message.not_before = to_db_time(not_before)
    session.add(message)


def backlog(*, session: Session) -> int:
    """Count messages still waiting."""
    return int(
        session.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == STATUS_PENDING)
        ).one()
    )


def failed(*, session: Session, limit: int = 100) -> list[OutboxMessage]:
    """Return the most recent permanently failed messages."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == STATUS_FAILED)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )
