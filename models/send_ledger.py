"""The send ledger: every scheduled send is claimed here once, so no restart or second instance repeats it."""

from __future__ import annotations

from datetime import date, datetime

from lianfang.models.base import insert_if_absent, to_db_time
from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, col, select

KIND_REMINDER = "reminder"
KIND_CHASE = "chase"
KIND_REPORT = "report"
KIND_LATE = "late"
KIND_UNREACHABLE = "unreachable"
KIND_SKIPPED = "skipped"
KIND_LOOP = "loop"
"""One step of the daily loop (reminder, a chaser round, the deadline) done for a day."""


class SendLedger(SQLModel, table=True):
    """One claimed scheduled send, unique by (day, kind, recipient) encoded in ``key``."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    day: date = Field(index=True)
    kind: str = Field(max_length=16)
    group_key: str = Field(default="", max_length=32)
    recipient: str = Field(default="", max_length=160)
    claimed_at: datetime


def ledger_key(day: date, kind: str, *parts: object) -> str:
    """Build the unique key of one scheduled send."""
    return ":".join([day.isoformat(), kind, *(str(part) for part in parts)])


def claim(
    *,
    session: Session,
    day: date,
    kind: str,
    key: str,
    now: datetime,
    group_key: str = "",
    recipient: str = "",
) -> bool:
    """Claim a send; True only for the one caller that inserted the row."""
    values = {
        "key": key,
        "day": day,
        "kind": kind,
        "group_key": group_key,
        "recipient": recipient,
        "claimed_at": to_db_time(now),
    }
    return insert_if_absent(session, SendLedger, values, ["key"])


def is_claimed(*, session: Session, key: str) -> bool:
    """Tell whether a send was already claimed."""
    return session.exec(select(SendLedger.id).where(SendLedger.key == key)).first() is not None


def chase_counts(*, session: Session, day: date) -> dict[str, int]:
    """Return how many chaser rounds reached each group on a day."""
    rows = session.exec(
        select(SendLedger.group_key, func.count(func.distinct(SendLedger.key)))
        .where(SendLedger.day == day, SendLedger.kind == KIND_CHASE)
        .group_by(SendLedger.group_key)
    )
    return {group: int(count) for group, count in rows}


def first_day(*, session: Session) -> date | None:
    """Return the earliest day anything was claimed: the loop has run since then."""
    return session.exec(select(col(SendLedger.day)).order_by(col(SendLedger.day)).limit(1)).first()


def claimed_keys(*, session: Session, keys: list[str]) -> set[str]:
    """Return which of these keys were already claimed, in one query."""
    if not keys:
        return set()
    return set(session.exec(select(SendLedger.key).where(col(SendLedger.key).in_(keys))))


def count_kind(*, session: Session, kind: str) -> int:
    """Count the claimed sends of one kind (every daily report sent, for one)."""
    return int(session.exec(select(func.count()).select_from(SendLedger).where(SendLedger.kind == kind)).one())
