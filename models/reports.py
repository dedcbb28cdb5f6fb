"""Daily group reports (每日工作信息) submitted by each working group's reporter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from models.base import json_column


class DailyReport(SQLModel, table=True):
    """One working group's report for one day; resubmitting replaces it."""

    __table_args__ = (UniqueConstraint("day", "group_key", name="uq_dailyreport_day_group"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    group_key: str = Field(max_length=32)
    member_id: int = Field(foreign_key="member.id")
    submitted_at: datetime
    is_nil: bool = False
    is_late: bool = False
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))


def reports_of_day(*, session: Session, day: date) -> dict[str, DailyReport]:
    """Return the day's reports by group key."""
    return {row.group_key: row for row in session.exec(select(DailyReport).where(DailyReport.day == day))}


def get_report(*, session: Session, day: date, group_key: str) -> DailyReport | None:
    """Return one group's report of a day."""
    return session.exec(select(DailyReport).where(DailyReport.day == day, DailyReport.group_key == group_key)).first()


def upsert_report(
    *,
    session: Session,
    day: date,
    group_key: str,
    member_id: int,
    submitted_at: datetime,
    is_nil: bool,
    is_late: bool,
    data: dict[str, Any],
) -> DailyReport:
    """Store a group's report of a day, replacing an earlier one."""
    report = get_report(session=session, day=day, group_key=group_key)
    if report is None:
        report = DailyReport(day=day, group_key=group_key, member_id=member_id, submitted_at=submitted_at)
    report.member_id = member_id
    report.submitted_at = submitted_at
    report.is_nil = is_nil
    report.is_late = is_late
    report.data = dict(data)
    session.add(report)
    session.flush()
    return report
