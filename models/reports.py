"""Daily group reports (每日工作信息) submitted by each working group's reporter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lianfang.models.base import json_column
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select


class DailyReport(SQLModel, table=True):
    """One working group's current report for one day; resubmitting before the deadline replaces it."""

    __table_args__ = (UniqueConstraint("day", "group_key", name="uq_dailyreport_day_group"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    group_key: str = Field(max_length=32)
    member_id: int = Field(foreign_key="member.id")
    submitted_at: datetime
    is_nil: bool = False
    is_late: bool = False
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))


class DailyReportVersion(SQLModel, table=True):
    """A version of a group's report that a later edit after the deadline superseded, kept as it was sent."""

    __table_args__ = (Index("ix_dailyreportversion_day_group", "day", "group_key", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="dailyreport.id")
    day: date
    group_key: str = Field(max_length=32)
    member_id: int = Field(foreign_key="member.id")
    submitted_at: datetime
    is_nil: bool = False
    is_late: bool = False
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    superseded_at: datetime


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
    """Store a group's report of a day, replacing an earlier one; one sent after the deadline keeps the earlier.

    An edit that is late (``is_late``) first stores the version it replaces as a ``DailyReportVersion``: what
    the leaders received stays in the record.
    """
    report = get_report(session=session, day=day, group_key=group_key)
    if report is not None and is_late:
        assert report.id is not None
        kept = report.model_dump(exclude={"id"})
        session.add(DailyReportVersion(**kept, report_id=report.id, superseded_at=submitted_at))
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


def earlier_versions(*, session: Session, day: date) -> dict[str, list[DailyReportVersion]]:
    """Return the superseded versions of the day's reports by group key, oldest first."""
    versions: dict[str, list[DailyReportVersion]] = {}
    rows = session.exec(
        select(DailyReportVersion).where(DailyReportVersion.day == day).order_by(col(DailyReportVersion.id))
    )
    for row in rows:
        versions.setdefault(row.group_key, []).append(row)
    return versions
