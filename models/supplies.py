"""Supply needs (物资需求) raised by staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lianfang.models.base import to_db_time
from sqlalchemy import Index, Integer, cast, func
from sqlmodel import Field, Session, SQLModel, select

URGENCY_HIGH = "high"
URGENCY_NORMAL = "normal"
URGENCIES = (URGENCY_HIGH, URGENCY_NORMAL)

STATUS_OPEN = "open"
STATUS_FULFILLED = "fulfilled"


class SupplyNeed(SQLModel, table=True):
    """One request for supplies."""

    __table_args__ = (Index("ix_supplyneed_status_day", "status", "day"),)

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


@dataclass(frozen=True)
class SupplyFigures:
    """Supply needs raised on a day, and those still open as of that day, urgent ones counted apart."""

    raised_today: int
    open_total: int
    open_urgent: int


def add_supply_need(*, session: Session, now: datetime, day: date, member_id: int, **fields: Any) -> SupplyNeed:
    """Store one supply need."""
    record = SupplyNeed(day=day, created_at=to_db_time(now), member_id=member_id, **fields)
    session.add(record)
    session.flush()
    return record


def supply_figures(*, session: Session, day: date) -> SupplyFigures:
    """Count supply needs in SQL."""
    raised = session.exec(select(func.count()).select_from(SupplyNeed).where(SupplyNeed.day == day)).one()
    open_rows = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(SupplyNeed.urgency == URGENCY_HIGH, Integer)), 0),
        ).where(SupplyNeed.status == STATUS_OPEN, SupplyNeed.day <= day)
    ).one()
    return SupplyFigures(raised_today=int(raised), open_total=int(open_rows[0]), open_urgent=int(open_rows[1]))
