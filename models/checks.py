"""Household check results (排查登记) and the figures the daily report takes from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Index, Integer, cast, func
from sqlmodel import Field, Session, SQLModel, select

from models.base import to_db_time

MEASURE_HOME = "home"
MEASURE_CENTRAL = "central"
MEASURE_REFERRED = "referred"
MEASURE_NONE = "none"
MEASURES = (MEASURE_HOME, MEASURE_CENTRAL, MEASURE_REFERRED, MEASURE_NONE)


class CheckResult(SQLModel, table=True):
    """One household or person checked by field staff."""

    __table_args__ = (
        Index("ix_checkresult_day_alert", "day", "is_alert"),
        Index("ix_checkresult_day_community", "day", "community"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    created_at: datetime
    member_id: int = Field(foreign_key="member.id")
    community: str = Field(max_length=32)
    address: str = Field(max_length=200)
    person: str = Field(max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    temperature: float | None = None
    symptoms: str = Field(default="", max_length=200)
    history: str = Field(default="", max_length=500)
    measure: str = Field(max_length=16)
    is_alert: bool = False
    is_referral: bool = False


@dataclass(frozen=True)
class CheckFigures:
    """Counts for one day: checked that day and to date, alerts and referrals that day."""

    checked_today: int
    checked_total: int
    alerts_today: int
    referrals_today: int


def add_check(*, session: Session, now: datetime, day: date, member_id: int, **fields: object) -> CheckResult:
    """Store one check result."""
    record = CheckResult(day=day, created_at=to_db_time(now), member_id=member_id, **fields)
    session.add(record)
    session.flush()
    return record


def check_figures(*, session: Session, day: date) -> CheckFigures:
    """Count the day's checks, alerts and referrals, and checks to date, in SQL."""
    today = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(CheckResult.is_alert, Integer)), 0),
            func.coalesce(func.sum(cast(CheckResult.is_referral, Integer)), 0),
        ).where(CheckResult.day == day)
    ).one()
    total = session.exec(select(func.count()).select_from(CheckResult).where(CheckResult.day <= day)).one()
    return CheckFigures(
        checked_today=int(today[0]),
        checked_total=int(total),
        alerts_today=int(today[1]),
        referrals_today=int(today[2]),
    )
