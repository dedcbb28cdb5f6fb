"""Incidents (事件) handled by the 社会稳定组: kind, place, time, what happened, who was involved, where it stands."""

from __future__ import annotations

from datetime import date, datetime

from lianfang.models.base import table_of, to_db_time
from lianfang.models.sealed import Sealed
from sqlalchemy import func, update
from sqlmodel import Field, Session, SQLModel, col, select

KIND_MASS = "mass"
KIND_RUMOUR = "rumour"
KIND_GOUGING = "gouging"
KIND_HOARDING = "hoarding"
KIND_FAKES = "fakes"
KIND_ISOLATION = "isolation"
KIND_TRAFFIC = "traffic"
KIND_OTHER = "other"
KINDS = (KIND_MASS, KIND_RUMOUR, KIND_GOUGING, KIND_HOARDING, KIND_FAKES, KIND_ISOLATION, KIND_TRAFFIC, KIND_OTHER)
URGENT_KINDS = (KIND_MASS, KIND_ISOLATION)
STATUS_HANDLING = "handling"
STATUS_HANDLED = "handled"
STATUS_POLICE = "police"
STATUSES = (STATUS_HANDLING, STATUS_HANDLED, STATUS_POLICE)
OPEN_STATUSES = (STATUS_HANDLING,)


class Incident(SQLModel, table=True):
    """One incident recorded by the 社会稳定组."""

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    created_at: datetime
    updated_at: datetime
    member_id: int = Field(foreign_key="member.id")
    kind: str = Field(max_length=16)
    community: str = Field(max_length=32)
    place: str = Field(max_length=200)
    occurred: str = Field(max_length=32)
    """When it happened, as told (``09:40``, ``今天上午``)."""
    description: str = Field(max_length=1000)
    people: str = Field(default="", sa_type=Sealed("incident.people"))
    """The people involved: personal data, shown in full only privately to roles that see full data."""
    urgent: bool = False
    status: str = Field(default=STATUS_HANDLING, max_length=16, index=True)


def add_incident(*, session: Session, now: datetime, day: date, member_id: int, **fields: object) -> Incident:
    """Store an incident."""
    stamp = to_db_time(now)
    incident = Incident(day=day, created_at=stamp, updated_at=stamp, member_id=member_id, **fields)  # type: ignore[arg-type]  # the table's own columns
    session.add(incident)
    session.flush()
    return incident


def get_incident(*, session: Session, incident_id: int) -> Incident | None:
    """Return an incident by number."""
    return session.get(Incident, incident_id)


def set_status(*, session: Session, incident: Incident, status: str, now: datetime) -> bool:
    """Move an incident on from 处置中; False if it is no longer where the caller saw it."""
    table = table_of(Incident)
    done = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == incident.id, table.c.status == incident.status, table.c.status != status)
            .values(status=status, updated_at=to_db_time(now))
            .returning(table.c.id)
        )
        .first()
    )
    if done is None:
        return False
    session.refresh(incident)
    return True


def open_incidents(*, session: Session, limit: int = 30) -> list[Incident]:
    """Return the incidents still being handled, oldest first."""
    return list(
        session.exec(
            select(Incident).where(col(Incident.status).in_(OPEN_STATUSES)).order_by(col(Incident.id)).limit(limit)
        )
    )


def incidents_by_kind(*, session: Session, day: date) -> dict[str, int]:
    """Count a day's incidents by kind, in SQL; every kind present."""
    rows = session.exec(
        select(col(Incident.kind), func.count()).where(Incident.day == day).group_by(col(Incident.kind))
    ).all()
    return dict.fromkeys(KINDS, 0) | {kind: int(count) for kind, count in rows}


def open_count(*, session: Session) -> int:
    """Count the incidents still being handled."""
    return int(
        session.exec(select(func.count()).select_from(Incident).where(col(Incident.status).in_(OPEN_STATUSES))).one()
    )


def incidents(*, session: Session) -> list[Incident]:
    """Return every incident, oldest first."""
    return list(session.exec(select(Incident).order_by(col(Incident.id))))
