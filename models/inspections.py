"""督查 inspections: who inspected what, when and how; the problems found become 整改 items (``models.supervision``)."""

from __future__ import annotations

from datetime import date, datetime

from lianfang.models.base import to_db_time
from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, col, select

KIND_ROUTINE = "routine"
"""例行检查."""
KIND_SPECIAL = "special"
"""专项督查."""
KIND_UNANNOUNCED = "unannounced"
"""暗访."""
KINDS = (KIND_ROUTINE, KIND_SPECIAL, KIND_UNANNOUNCED)

SUBJECT_GROUP = "group"
SUBJECT_COMMUNITY = "community"
SUBJECT_UNIT = "unit"
MAX_SUBJECT = 64


class Inspection(SQLModel, table=True):
    """One inspection of a working group, a community or a unit."""

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    created_at: datetime
    inspector_id: int = Field(foreign_key="member.id")
    subject_kind: str = Field(max_length=16)
    subject: str = Field(max_length=MAX_SUBJECT)
    """A group's or community's key, or a unit's name as typed."""
    owner_group: str = Field(max_length=32)
    """The group that rectifies what was found."""
    kind: str = Field(max_length=16)
    problems: int = 0


def record_inspection(
    *,
    session: Session,
    now: datetime,
    day: date,
    inspector_id: int,
    subject_kind: str,
    subject: str,
    owner_group: str,
    kind: str,
    problems: int,
) -> Inspection:
    """Store an inspection, in the caller's transaction."""
    inspection = Inspection(
        day=day,
        created_at=to_db_time(now),
        inspector_id=inspector_id,
        subject_kind=subject_kind,
        subject=subject,
        owner_group=owner_group,
        kind=kind,
        problems=problems,
    )
    session.add(inspection)
    session.flush()
    return inspection


def inspections_on(*, session: Session, day: date) -> int:
    """Count the inspections of a day, in SQL."""
    return int(session.exec(select(func.count()).select_from(Inspection).where(Inspection.day == day)).one())


def get_inspection(*, session: Session, inspection_id: int) -> Inspection | None:
    """Return an inspection by number."""
    return session.get(Inspection, inspection_id)


def inspections_of(*, session: Session, ids: list[int]) -> dict[int, Inspection]:
    """Return inspections by number, in one query."""
    if not ids:
        return {}
    rows = session.exec(select(Inspection).where(col(Inspection.id).in_(ids)))
    return {row.id: row for row in rows if row.id is not None}
