"""Deliveries acknowledged to their platform and not yet handled, so a crash loses none of them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lianfang.models.base import inserted_id, table_of, to_db_time
from lianfang.models.sealed import SealedJson
from sqlalchemy import Column, Index, Row, UniqueConstraint, bindparam, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel

KEY_LENGTH = 256


class InboxEvent(SQLModel, table=True):
    """One delivery a platform was told was received, kept until it has been handled.

    It is claimed by the instance that received it until ``claimed_until``; another instance takes it over only
    after that, which is how a delivery whose instance died is handled after all.
    """

    __table_args__ = (
        UniqueConstraint("platform", "event_id", name="uq_inbox_event"),
        Index("ix_inboxevent_chat", "platform", "chat_key", "id"),
    )

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
    behind: bool = False
    """Earlier deliveries of its chat may still be in the inbox: those are handled first."""
    earlier: tuple[int, ...] = ()
    """The earlier deliveries of its chat that were in the inbox when it was kept."""


EARLIER = (
    sa_select(INBOX.c.id)
    .where(
        INBOX.c.platform == bindparam("platform"),
        INBOX.c.chat_key == bindparam("chat_key"),
        INBOX.c.id < bindparam("before"),
    )
    .order_by(INBOX.c.id)
)
"""The deliveries of a chat kept before a given one, oldest first."""


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
    if row_id is None:
        return None
    found = session.connection().execute(EARLIER, {"platform": platform, "chat_key": key, "before": row_id})
    earlier = tuple(found.scalars().all())
    return Stored(row_id, key, payload, behind=bool(earlier), earlier=earlier)


def taken_over(row: Row[Any]) -> Stored:
    """Return a delivery claimed from the inbox: earlier ones of its chat may be waiting elsewhere."""
    return Stored(row.id, row.chat_key, row.payload, behind=True)


def take_earlier(
    *, session: Session, platform: str, stored: Stored, held: Collection[int], now: datetime, lease: timedelta
) -> tuple[list[Stored], bool]:
    """Claim the deliveries of ``stored``'s chat kept before it, oldest first, as far as they can be claimed.

    The caller's own (``held``) and those whose claim ran out (their instance died) are claimed; the first one
    another instance holds stops the run. Returns the claimed ones and whether one is held elsewhere.
    """
    connection = session.connection()
    c = INBOX.c
    earlier = connection.execute(EARLIER, {"platform": platform, "chat_key": stored.chat_key, "before": stored.id})
    claim = update(INBOX).values(claimed_until=to_db_time(now + lease)).returning(c.id, c.chat_key, c.payload)
    claimable = c.claimed_until.is_(None) | (c.claimed_until <= to_db_time(now))
    taken: list[Stored] = []
    for row_id in earlier.scalars().all():
        condition = c.id == row_id if row_id in held else (c.id == row_id) & claimable
        row = connection.execute(claim.where(condition)).first()
        if row is None:
            return taken, True
        taken.append(taken_over(row))
    return taken, False


RENEW_BATCH = 1000
"""Deliveries renewed per statement: a backlog can hold tens of thousands, more than a statement takes values."""


def renew_claims(*, session: Session, ids: Collection[int], now: datetime, lease: timedelta) -> None:
    """Keep holding deliveries still being handled (or waiting to be), so no other instance takes them over."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), RENEW_BATCH):
        chosen = INBOX.c.id.in_(ordered[start : start + RENEW_BATCH])
        session.connection().execute(update(INBOX).where(chosen).values(claimed_until=to_db_time(now + lease)))


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
    return sorted(map(taken_over, rows), key=lambda stored: stored.id)


def release_inbox(*, session: Session, platform: str) -> int:
    """Free every claim of a platform's deliveries; return how many (for an instance alone on its database)."""
    c = INBOX.c
    statement = update(INBOX).where(c.platform == platform, c.claimed_until.is_not(None)).values(claimed_until=None)
    return session.connection().execute(statement).rowcount


def drop_event(*, session: Session, stored_id: int) -> None:
    """Forget a delivery that has been handled."""
    session.connection().execute(delete(INBOX).where(INBOX.c.id == stored_id))
