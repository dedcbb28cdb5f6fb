"""Supply requests (物资需求) followed from need to receipt, each step kept; purchases against budget lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lianfang.models.base import table_of, to_db_time
from sqlalchemy import Index, Integer, cast, func, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

URGENCY_HIGH = "high"
URGENCY_NORMAL = "normal"
URGENCIES = (URGENCY_HIGH, URGENCY_NORMAL)

STATUS_OPEN = "open"
"""待审批: waiting for a 保障组 lead (the value rows raised before the flow existed already hold)."""
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
STATUS_ALLOCATED = "allocated"
"""调拨 from stock or 采购 done: the goods are there to be issued."""
STATUS_ISSUED = "issued"
STATUS_RECEIVED = "received"
STATUSES = (STATUS_OPEN, STATUS_APPROVED, STATUS_REJECTED, STATUS_ALLOCATED, STATUS_ISSUED, STATUS_RECEIVED)
CLOSED = (STATUS_REJECTED, STATUS_RECEIVED)
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    STATUS_OPEN: (STATUS_APPROVED, STATUS_REJECTED),
    STATUS_APPROVED: (STATUS_ALLOCATED,),
    STATUS_ALLOCATED: (STATUS_ISSUED,),
    STATUS_ISSUED: (STATUS_RECEIVED,),
    STATUS_REJECTED: (),
    STATUS_RECEIVED: (),
}
"""Which step may follow which; never backwards."""

SOURCE_STOCK = "stock"
SOURCE_PURCHASE = "purchase"

PURCHASE_RECORDED = "recorded"
PURCHASE_WAITING = "waiting"
"""Over its budget line: recorded only once a leader approves it."""
PURCHASE_REFUSED = "refused"
PURCHASE_WITHDRAWN = "withdrawn"
"""A purchase that waited for a leader while its request was supplied from stock instead."""


class SupplyNeed(SQLModel, table=True):
    """One request for supplies, from 待审批 to 已签收."""

    __table_args__ = (
        Index("ix_supplyneed_status_day", "status", "day"),
        Index("ix_supplyneed_status_updated", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    created_at: datetime
    member_id: int = Field(foreign_key="member.id")
    item: str = Field(max_length=64)
    quantity: int
    unit: str = Field(max_length=16)
    urgency: str = Field(max_length=8)
    community: str = Field(max_length=32)
    reason: str = Field(default="", max_length=500)
    status: str = Field(default=STATUS_OPEN, max_length=16)
    updated_at: datetime | None = None
    """When the latest step was recorded (the chaser's clock)."""
    approved_quantity: int | None = None
    decision_note: str = Field(default="", max_length=200)
    source: str = Field(default="", max_length=8)
    place: str = Field(default="", max_length=32)
    """The stock place it was issued from (调拨), when it came from stock."""
    issued_to: str = Field(default="", max_length=64)
    received_quantity: int | None = None
    shortfall: int = 0


class SupplyStep(SQLModel, table=True):
    """One recorded step of a supply request: what, when, by whom, how many, with a note."""

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="supplyneed.id", index=True)
    status: str = Field(max_length=16)
    member_id: int = Field(foreign_key="member.id")
    at: datetime
    quantity: int | None = None
    note: str = Field(default="", max_length=200)


class Purchase(SQLModel, table=True):
    """One purchase (采购) against a budget line; amounts in fen (分) so that sums are exact."""

    id: int | None = Field(default=None, primary_key=True)
    need_id: int | None = Field(default=None, foreign_key="supplyneed.id")
    item: str = Field(max_length=64)
    quantity: int
    supplier: str = Field(max_length=64)
    unit_price_fen: int
    total_fen: int
    budget_line: str = Field(max_length=32, index=True)
    status: str = Field(max_length=16)
    member_id: int = Field(foreign_key="member.id")
    created_at: datetime
    decided_by: int | None = Field(default=None, foreign_key="member.id")


@dataclass(frozen=True)
class SupplyFigures:
    """Supply needs raised on a day, and those still open as of that day, urgent ones counted apart."""

    raised_today: int
    open_total: int
    open_urgent: int


def add_supply_need(*, session: Session, now: datetime, day: date, member_id: int, **fields: Any) -> SupplyNeed:
    """Store one supply need and its first step."""
    stamp = to_db_time(now)
    record = SupplyNeed(day=day, created_at=stamp, updated_at=stamp, member_id=member_id, **fields)
    session.add(record)
    session.flush()
    assert record.id is not None
    session.add(
        SupplyStep(need_id=record.id, status=STATUS_OPEN, member_id=member_id, at=stamp, quantity=record.quantity)
    )
    session.flush()
    return record


def get_need(*, session: Session, need_id: int) -> SupplyNeed | None:
    """Return a supply request by number."""
    return session.get(SupplyNeed, need_id)


def advance_need(
    *,
    session: Session,
    need: SupplyNeed,
    status: str,
    member_id: int,
    now: datetime,
    quantity: int | None = None,
    note: str = "",
    **values: Any,
) -> bool:
    """Move a request to its next step, setting ``values``; False if it is no longer where the caller saw it."""
    if status not in NEXT_STEPS[need.status]:
        return False
    table = table_of(SupplyNeed)
    stamp = to_db_time(now)
    moved = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == need.id, table.c.status == need.status)
            .values(status=status, updated_at=stamp, **values)
            .returning(table.c.id)
        )
        .first()
    )
    if moved is None:
        return False
    assert need.id is not None
    session.add(SupplyStep(need_id=need.id, status=status, member_id=member_id, at=stamp, quantity=quantity, note=note))
    session.flush()
    session.refresh(need)
    return True


def steps_of_need(*, session: Session, need_id: int) -> list[SupplyStep]:
    """Return a request's steps, oldest first."""
    return list(session.exec(select(SupplyStep).where(SupplyStep.need_id == need_id).order_by(col(SupplyStep.id))))


def open_needs(
    *, session: Session, community: str | None = None, member_id: int | None = None, limit: int = 50
) -> list[SupplyNeed]:
    """Return requests not yet closed, by status then age: all, or those of a community or raised by a member."""
    query = select(SupplyNeed).where(col(SupplyNeed.status).not_in(CLOSED))
    mine = [col(SupplyNeed.community) == community] if community is not None else []
    mine += [col(SupplyNeed.member_id) == member_id] if member_id is not None else []
    if mine:
        query = query.where(or_(*mine))
    return list(session.exec(query.order_by(col(SupplyNeed.id)).limit(limit)))


def stale_needs(*, session: Session, before: datetime, urgency: str, limit: int = 100) -> list[SupplyNeed]:
    """Return open requests of one urgency whose latest step is older than ``before``."""
    return list(
        session.exec(
            select(SupplyNeed)
            .where(
                col(SupplyNeed.status).not_in(CLOSED),
                SupplyNeed.urgency == urgency,
                col(SupplyNeed.updated_at) <= to_db_time(before),
            )
            .order_by(col(SupplyNeed.id))
            .limit(limit)
        )
    )


def supply_figures(*, session: Session, day: date) -> SupplyFigures:
    """Count supply needs in SQL: raised that day, and not yet closed (received or rejected)."""
    raised = session.exec(select(func.count()).select_from(SupplyNeed).where(SupplyNeed.day == day)).one()
    open_rows = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(SupplyNeed.urgency == URGENCY_HIGH, Integer)), 0),
        ).where(col(SupplyNeed.status).not_in(CLOSED), SupplyNeed.day <= day)
    ).one()
    return SupplyFigures(raised_today=int(raised), open_total=int(open_rows[0]), open_urgent=int(open_rows[1]))


def open_by_status(*, session: Session) -> dict[str, int]:
    """Count the requests not yet closed by status, in SQL; every open status is present."""
    rows = session.exec(
        select(col(SupplyNeed.status), func.count())
        .where(col(SupplyNeed.status).not_in(CLOSED))
        .group_by(col(SupplyNeed.status))
    ).all()
    return {status: 0 for status in STATUSES if status not in CLOSED} | {status: int(n) for status, n in rows}


# -- purchases -------------------------------------------------------------------------------------------------


def add_purchase(*, session: Session, now: datetime, member_id: int, **fields: Any) -> Purchase:
    """Store one purchase (recorded, or waiting for a leader)."""
    purchase = Purchase(created_at=to_db_time(now), member_id=member_id, **fields)
    session.add(purchase)
    session.flush()
    return purchase


def waiting_purchase(*, session: Session, need_id: int) -> Purchase | None:
    """Return a request's purchase waiting for a leader, if any."""
    return session.exec(
        select(Purchase).where(Purchase.need_id == need_id, Purchase.status == PURCHASE_WAITING)
    ).first()


def withdraw_waiting_purchases(*, session: Session, need_id: int) -> int:
    """Withdraw a request's purchases still waiting for a leader (it was supplied otherwise); return how many."""
    table = table_of(Purchase)
    statement = (
        update(table)
        .where(table.c.need_id == need_id, table.c.status == PURCHASE_WAITING)
        .values(status=PURCHASE_WITHDRAWN)
    )
    return session.connection().execute(statement).rowcount


def get_purchase(*, session: Session, purchase_id: int) -> Purchase | None:
    """Return a purchase by number."""
    return session.get(Purchase, purchase_id)


def decide_purchase(*, session: Session, purchase: Purchase, status: str, member_id: int) -> bool:
    """Record or refuse a waiting purchase; False if it no longer waits (a double tap, another leader)."""
    table = table_of(Purchase)
    moved = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == purchase.id, table.c.status == PURCHASE_WAITING)
            .values(status=status, decided_by=member_id)
            .returning(table.c.id)
        )
        .first()
    )
    if moved is None:
        return False
    session.refresh(purchase)
    return True


def spent_by_line(*, session: Session) -> dict[str, int]:
    """Return the recorded purchases' total per budget line, in fen."""
    rows = session.exec(
        select(col(Purchase.budget_line), func.sum(Purchase.total_fen))
        .where(Purchase.status == PURCHASE_RECORDED)
        .group_by(col(Purchase.budget_line))
    ).all()
    return {line: int(total or 0) for line, total in rows}


def purchases(*, session: Session) -> list[Purchase]:
    """Return every purchase, oldest first."""
    return list(session.exec(select(Purchase).order_by(col(Purchase.id))))
