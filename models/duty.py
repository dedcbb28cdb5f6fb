"""The duty roster (值班表): who is on which shift of which day, who leads the day, and who checked in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from lianfang.models.base import to_db_time
from lianfang.models.sealed import Sealed
from sqlalchemy import Index, UniqueConstraint, delete
from sqlmodel import Field, Session, SQLModel, col, select

MAX_SHIFT = 32
MAX_PHONE = 32
MAX_NOTE = 200
MAX_HANDOVER = 1000


class DutyAssignment(SQLModel, table=True):
    """One member on one shift of one day."""

    __table_args__ = (
        UniqueConstraint("day", "shift", "member_id", name="uq_dutyassignment_day_shift_member"),
        Index("ix_dutyassignment_member_day", "member_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    shift: str = Field(max_length=MAX_SHIFT)
    member_id: int = Field(foreign_key="member.id")
    phone: str = Field(default="", sa_type=Sealed("dutyassignment.phone"))
    note: str = Field(default="", max_length=MAX_NOTE)
    checked_in_at: datetime | None = None
    handover_note: str = Field(default="", max_length=MAX_HANDOVER)
    """What the person on duty hands over at the end of the shift; empty with ``handover_at`` set: nothing new."""
    handover_at: datetime | None = None
    created_at: datetime


class DutyLeader(SQLModel, table=True):
    """The leader on duty (值班领导) of one day, as an import set it."""

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    member_id: int = Field(foreign_key="member.id")


def assignments_on(*, session: Session, days: Sequence[date]) -> list[DutyAssignment]:
    """Return the assignments of these days, by day, shift and id."""
    if not days:
        return []
    statement = (
        select(DutyAssignment)
        .where(col(DutyAssignment.day).in_(list(days)))
        .order_by(col(DutyAssignment.day), col(DutyAssignment.shift), col(DutyAssignment.id))
    )
    return list(session.exec(statement))


def assignments_of(*, session: Session, member_id: int, days: Sequence[date]) -> list[DutyAssignment]:
    """Return one member's assignments on these days."""
    statement = select(DutyAssignment).where(
        DutyAssignment.member_id == member_id, col(DutyAssignment.day).in_(list(days))
    )
    return list(session.exec(statement.order_by(col(DutyAssignment.day), col(DutyAssignment.id))))


def leaders_on(*, session: Session, days: Sequence[date]) -> dict[date, int]:
    """Return the imported leader's member id of each of these days that has one."""
    rows = session.exec(select(DutyLeader).where(col(DutyLeader.day).in_(list(days))))
    return {row.day: row.member_id for row in rows}


def replace_days(
    *,
    session: Session,
    now: datetime,
    leaders: dict[date, int],
    rows: Sequence[tuple[date, str, int, str, str]],
) -> int:
    """Replace the roster of the days given (leaders, and (day, shift, member, phone, note) rows); return rows added.

    Check-ins already made on a replaced day are kept for the people still on the same shift.
    """
    days = sorted({row[0] for row in rows} | set(leaders))
    kept = {
        (a.day, a.shift, a.member_id): a.checked_in_at
        for a in assignments_on(session=session, days=days)
        if a.checked_in_at is not None
    }
    replaced = select(DutyAssignment.id).where(col(DutyAssignment.day).in_(days))
    session.execute(delete(DutySwap).where(col(DutySwap.assignment_id).in_(replaced)))
    session.execute(delete(DutyAssignment).where(col(DutyAssignment.day).in_(days)))
    session.execute(delete(DutyLeader).where(col(DutyLeader.day).in_(days)))
    for day, member_id in leaders.items():
        session.add(DutyLeader(day=day, member_id=member_id))
    for day, shift, member_id, phone, note in rows:
        session.add(
            DutyAssignment(
                day=day,
                shift=shift,
                member_id=member_id,
                phone=phone,
                note=note,
                checked_in_at=kept.get((day, shift, member_id)),
                created_at=to_db_time(now),
            )
        )
    session.flush()
    return len(rows)


def record_handover(*, session: Session, assignment: DutyAssignment, note: str, now: datetime) -> None:
    """Record the handover note of an assignment (empty: nothing new)."""
    assignment.handover_note = note
    assignment.handover_at = to_db_time(now)
    session.add(assignment)
    session.flush()


def check_in(*, session: Session, assignment: DutyAssignment, now: datetime) -> None:
    """Record that the member on this assignment arrived."""
    assignment.checked_in_at = to_db_time(now)
    session.add(assignment)
    session.flush()


SWAP_PENDING = "pending"
SWAP_ACCEPTED = "accepted"
SWAP_REFUSED = "refused"


class DutySwap(SQLModel, table=True):
    """A request that another member take over one assignment (换班), and its answer."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="dutyassignment.id", index=True)
    from_member_id: int = Field(foreign_key="member.id")
    to_member_id: int = Field(foreign_key="member.id")
    status: str = Field(default=SWAP_PENDING, max_length=16)
    created_at: datetime
    decided_at: datetime | None = None


def on_roster_since(*, session: Session, member_id: int, day: date) -> bool:
    """Tell whether a member has any assignment from a day on."""
    statement = select(DutyAssignment.id).where(DutyAssignment.member_id == member_id, DutyAssignment.day >= day)
    return session.exec(statement.limit(1)).first() is not None


def request_swap(*, session: Session, assignment: DutyAssignment, to_member_id: int, now: datetime) -> DutySwap:
    """Store a pending swap of an assignment to another member."""
    assert assignment.id is not None
    swap = DutySwap(
        assignment_id=assignment.id,
        from_member_id=assignment.member_id,
        to_member_id=to_member_id,
        created_at=to_db_time(now),
    )
    session.add(swap)
    session.flush()
    return swap


def decide_swap(*, session: Session, swap: DutySwap, assignment: DutyAssignment, accept: bool, now: datetime) -> None:
    """Accept (the assignment passes to the other member, unchecked) or refuse a pending swap."""
    swap.status = SWAP_ACCEPTED if accept else SWAP_REFUSED
    swap.decided_at = to_db_time(now)
    if accept:
        assignment.member_id = swap.to_member_id
        assignment.checked_in_at = None
        session.add(assignment)
    session.add(swap)
    session.flush()
