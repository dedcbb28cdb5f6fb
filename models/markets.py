"""Market inspections (市场检查): what was checked, found and done; closures kept until lifted."""

from __future__ import annotations

from datetime import date, datetime

from lianfang.models.base import table_of, to_db_time
from sqlalchemy import func, update
from sqlmodel import Field, Session, SQLModel, col, select

ACTION_NONE = "none"
ACTION_RECTIFY = "rectify"
ACTION_CLOSE = "close"
ACTION_REFER = "refer"
ACTIONS = (ACTION_NONE, ACTION_RECTIFY, ACTION_CLOSE, ACTION_REFER)
CHECK_WILDLIFE = "wildlife"
CHECK_PRICES = "prices"
CHECK_HYGIENE = "hygiene"
CHECK_MEASURES = "measures"
CHECKS = (CHECK_WILDLIFE, CHECK_PRICES, CHECK_HYGIENE, CHECK_MEASURES)


class MarketInspection(SQLModel, table=True):
    """One inspection of a market or shop."""

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    created_at: datetime
    member_id: int = Field(foreign_key="member.id")
    market: str = Field(max_length=64)
    checked: str = Field(max_length=64)
    """The checks done, comma-separated keys (``CHECKS``)."""
    findings: str = Field(default="", max_length=500)
    action: str = Field(max_length=16)
    deadline: date | None = None
    """For 责令整改: when it is followed up."""
    photo_id: int | None = Field(default=None, foreign_key="keptfile.id")
    """A photo taken at the inspection, sent with its form."""
    followed_up_at: datetime | None = None


class MarketClosure(SQLModel, table=True):
    """A market closed (休市关闭) by an inspection, kept until it is lifted."""

    id: int | None = Field(default=None, primary_key=True)
    market: str = Field(max_length=64, index=True)
    inspection_id: int = Field(foreign_key="marketinspection.id")
    closed_at: datetime
    lifted_at: datetime | None = None
    lifted_by: int | None = Field(default=None, foreign_key="member.id")


def add_inspection(*, session: Session, now: datetime, day: date, member_id: int, **fields: object) -> MarketInspection:
    """Store an inspection, and a closure when it closed the market."""
    inspection = MarketInspection(day=day, created_at=to_db_time(now), member_id=member_id, **fields)  # type: ignore[arg-type]  # the table's own columns
    session.add(inspection)
    session.flush()
    if inspection.action == ACTION_CLOSE and open_closure(session=session, market=inspection.market) is None:
        assert inspection.id is not None
        session.add(MarketClosure(market=inspection.market, inspection_id=inspection.id, closed_at=to_db_time(now)))
        session.flush()
    return inspection


def open_closure(*, session: Session, market: str) -> MarketClosure | None:
    """Return a market's closure that is not lifted yet."""
    return session.exec(
        select(MarketClosure).where(MarketClosure.market == market, col(MarketClosure.lifted_at).is_(None))
    ).first()


def closures(*, session: Session) -> list[MarketClosure]:
    """Return the closures not lifted yet, oldest first."""
    return list(
        session.exec(
            select(MarketClosure).where(col(MarketClosure.lifted_at).is_(None)).order_by(col(MarketClosure.id))
        )
    )


def lift(*, session: Session, closure: MarketClosure, now: datetime, member_id: int) -> bool:
    """Lift a closure; False if it was lifted already (a double tap, someone else)."""
    table = table_of(MarketClosure)
    done = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == closure.id, table.c.lifted_at.is_(None))
            .values(lifted_at=to_db_time(now), lifted_by=member_id)
            .returning(table.c.id)
        )
        .first()
    )
    return done is not None


def due_followups(*, session: Session, day: date) -> list[MarketInspection]:
    """Return 责令整改 inspections whose deadline has come and that were not followed up yet."""
    return list(
        session.exec(
            select(MarketInspection)
            .where(
                MarketInspection.action == ACTION_RECTIFY,
                col(MarketInspection.deadline) <= day,
                col(MarketInspection.followed_up_at).is_(None),
            )
            .order_by(col(MarketInspection.id))
        )
    )


def mark_followed_up(*, session: Session, inspection: MarketInspection, now: datetime) -> bool:
    """Claim the follow-up of an inspection; False if another tick did."""
    table = table_of(MarketInspection)
    done = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == inspection.id, table.c.followed_up_at.is_(None))
            .values(followed_up_at=to_db_time(now))
            .returning(table.c.id)
        )
        .first()
    )
    return done is not None


def inspections_on(*, session: Session, day: date) -> int:
    """Count the inspections of a day."""
    return int(
        session.exec(select(func.count()).select_from(MarketInspection).where(MarketInspection.day == day)).one()
    )


def closed_count(*, session: Session) -> int:
    """Count the markets closed now."""
    return int(
        session.exec(
            select(func.count()).select_from(MarketClosure).where(col(MarketClosure.lifted_at).is_(None))
        ).one()
    )


def inspections(*, session: Session) -> list[MarketInspection]:
    """Return every inspection, oldest first."""
    return list(session.exec(select(MarketInspection).order_by(col(MarketInspection.id))))
