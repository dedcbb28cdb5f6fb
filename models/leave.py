"""Leave (请假): a member's days away, asked and approved, so their reminders go to a stand-in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from lianfang.models.base import to_db_time
from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel, col, select

LEAVE_PENDING = "pending"
LEAVE_APPROVED = "approved"
LEAVE_REFUSED = "refused"
MAX_REASON = 200


class Leave(SQLModel, table=True):
    """One request for leave over a span of days, and its decision."""

    __table_args__ = (Index("ix_leave_member_days", "member_id", "start_day", "end_day"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    start_day: date
    end_day: date
    reason: str = Field(max_length=MAX_REASON)
    status: str = Field(default=LEAVE_PENDING, max_length=16)
    approver_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime
    decided_at: datetime | None = None


def overlapping_leave(*, session: Session, member_id: int, start: date, end: date) -> Leave | None:
    """Return a pending or approved leave of the member that overlaps [start, end], if any."""
    statement = select(Leave).where(
        Leave.member_id == member_id,
        col(Leave.status).in_((LEAVE_PENDING, LEAVE_APPROVED)),
        Leave.start_day <= end,
        Leave.end_day >= start,
    )
    return session.exec(statement).first()


def add_leave(*, session: Session, member_id: int, start: date, end: date, reason: str, now: datetime) -> Leave:
    """Store a pending leave request."""
    leave = Leave(member_id=member_id, start_day=start, end_day=end, reason=reason, created_at=to_db_time(now))
    session.add(leave)
    session.flush()
    return leave


def decide_leave(*, session: Session, leave: Leave, approve: bool, approver_id: int, now: datetime) -> None:
    """Approve or refuse a pending leave."""
    leave.status = LEAVE_APPROVED if approve else LEAVE_REFUSED
    leave.approver_id = approver_id
    leave.decided_at = to_db_time(now)
    session.add(leave)
    session.flush()


def on_leave(*, session: Session, member_ids: Sequence[int], day: date) -> set[int]:
    """Return which of these members are on approved leave on a day."""
    if not member_ids:
        return set()
    statement = select(Leave.member_id).where(
        col(Leave.member_id).in_(list(member_ids)),
        Leave.status == LEAVE_APPROVED,
        Leave.start_day <= day,
        Leave.end_day >= day,
    )
    return set(session.exec(statement))


def leave_on(*, session: Session, member_id: int, day: date) -> Leave | None:
    """Return the member's approved leave that covers a day, if any."""
    statement = select(Leave).where(
        Leave.member_id == member_id,
        Leave.status == LEAVE_APPROVED,
        Leave.start_day <= day,
        Leave.end_day >= day,
    )
    return session.exec(statement).first()
