"""Deliveries acknowledged to their platform and not yet handled, so a crash loses none of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lianfang.models.base import inserted_id, table_of, to_db_time
from lianfang.models.sealed import SealedJson
from sqlalchemy import Column, UniqueConstraint, bindparam, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel

KEY_LENGTH = 256


class InboxEvent(SQLModel, table=True):
    """One delivery a platform was told was received, kept until it has been handled.

    It is claimed by the instance that received it until ``claimed_until``; another instance takes it over only
    after that, which is how a delivery whose instance died is handled after all.
    """

    __table_args__ = (UniqueConstraint("platform", "event_id", name="uq_inbox_event"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=128)
    chat_key: str = Field(max_length=KEY_LENGTH)
    """Whose deliveries must be handled in order (a member)."""
    payload: dict[str, Any] = Field(sa_column=Column(SealedJson("inboxevent.payload"), nullable=False))
    """The delivery as received (what the user typed): sealed."""
    received_at: datetime
    claimed_until: datetime | None = None


INBOX = table_of(InboxEvent)


@dataclass(frozen=True)
class Stored:
    """A delivery in the inbox, as its handler gets it."""

    id: int
    chat_key: str
    payload: dict[str, Any]


def accept_event(
    *,
    session: Session,
    platform: str,
    event_id: str,
    chat_key: str,
    payload: dict[str, Any],
    now: datetime,
    lease: timedelta,
) -> Stored | None:
    """Keep a delivery, claimed by the caller for ``lease``; None if it is in the inbox already (a retry)."""
    key = chat_key[:KEY_LENGTH]
    values = {
        "platform": platform,
        "event_id": event_id,
        "chat_key": key,
        "payload": payload,
        "received_at": to_db_time(now),
        "claimed_until": to_db_time(now + lease),
    }
    row_id = inserted_id(session, InboxEvent, values, ["platform", "event_id"])
    return None if row_id is None else Stored(row_id, key, payload)


def claim_abandoned(*, session: Session, platform: str, now: datetime, lease: timedelta, limit: int) -> list[Stored]:
    """Take over up to ``limit`` deliveries whose claim ran out (their instance died), oldest first."""
    c = INBOX.c
    chosen = (
        sa_select(c.id)
        .where(c.platform == platform, c.claimed_until.is_(None) | (c.claimed_until <= bindparam("now")))
        .order_by(c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    statement = (
        update(INBOX)
        .where(c.id.in_(chosen.scalar_subquery()))
        .values(claimed_until=bindparam("until"))
        .returning(c.id, c.chat_key, c.payload)
    )
    rows = session.connection().execute(statement, {"now": to_db_time(now), "until": to_db_time(now + lease)})
    return sorted((Stored(*row) for row in rows), key=lambda stored: stored.id)


def release_inbox(*, session: Session, platform: str) -> int:
    """Free every claim of a platform's deliveries; return how many (for an instance alone on its database)."""
    c = INBOX.c
    statement = update(INBOX).where(c.platform == platform, c.claimed_until.is_not(None)).values(claimed_until=None)
    return session.connection().execute(statement).rowcount


def drop_event(*, session: Session, stored_id: int) -> None:
    """Forget a delivery that has been handled."""
    session.connection().execute(delete(INBOX).where(INBOX.c.id == stored_id))
