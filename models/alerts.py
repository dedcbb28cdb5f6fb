"""Urgent alerts (fever, listed symptoms) waiting for someone in charge to acknowledge them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lianfang.models.base import json_column, table_of, to_db_time
from lianfang.models.sealed import SealedJson
from sqlalchemy import Column, Index, func, update
from sqlmodel import Field, Session, SQLModel, col, select


class Alert(SQLModel, table=True):
    """One alert: what was sent (masked and in full), and whether and by whom it was acknowledged."""

    __table_args__ = (Index("ix_alert_next_at", "next_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    check_id: int | None = Field(default=None, foreign_key="checkresult.id")
    visit_id: int | None = Field(default=None, foreign_key="screeningvisit.id")
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    """What raised the alert: a check result (/check), a visit to a ledger target (/verify) or an urgent incident."""
    raised_by: int | None = Field(default=None, foreign_key="member.id")
    community: str = Field(max_length=32)
    masked: list[dict[str, Any]] = Field(sa_column=json_column(nullable=False))
    """The lines group chats got, as ``Text.to_json`` dicts; re-sent as they were."""
    full: list[dict[str, Any]] = Field(sa_column=Column(SealedJson("alert.full"), nullable=False))
    """The lines authorised overseers got privately (names, phones, addresses): sealed."""
    escalations: int = 0
    next_at: datetime | None = None
    """When to re-send and escalate if still unacknowledged; None once acknowledged or escalated for the last time."""
    acked_at: datetime | None = None
    acked_by: int | None = Field(default=None, foreign_key="member.id")


def create_alert(
    *,
    session: Session,
    now: datetime,
    check_id: int | None,
    visit_id: int | None,
    incident_id: int | None = None,
    raised_by: int | None,
    community: str,
    masked: list[dict[str, Any]],
    full: list[dict[str, Any]],
    next_at: datetime | None,
) -> Alert:
    """Store a new alert in the caller's transaction."""
    alert = Alert(
        created_at=to_db_time(now),
        check_id=check_id,
        visit_id=visit_id,
        incident_id=incident_id,
        raised_by=raised_by,
        community=community,
        masked=masked,
        full=full,
        next_at=to_db_time(next_at) if next_at is not None else None,
    )
    session.add(alert)
    session.flush()
    return alert


def get_alert(*, session: Session, alert_id: int) -> Alert | None:
    """Return an alert by number."""
    return session.get(Alert, alert_id)


def acknowledge(*, session: Session, alert_id: int, member_id: int, now: datetime) -> bool:
    """Record who acknowledged an alert; False if it was already acknowledged (the first tap wins)."""
    table = table_of(Alert)
    won = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == alert_id, table.c.acked_at.is_(None))
            .values(acked_at=to_db_time(now), acked_by=member_id, next_at=None)
            .returning(table.c.id)
        )
        .first()
    )
    session.expire_all()  # the ORM copy of this alert, if loaded, is now stale
    return won is not None


def due_escalations(*, session: Session, now: datetime, limit: int = 100) -> list[Alert]:
    """Return unacknowledged alerts whose re-send is due, oldest first."""
    return list(
        session.exec(
            select(Alert)
            .where(col(Alert.next_at).is_not(None), col(Alert.next_at) <= to_db_time(now))
            .order_by(col(Alert.next_at))
            .limit(limit)
        )
    )


def claim_escalation(*, session: Session, alert: Alert, next_at: datetime | None) -> bool:
    """Take the alert's next escalation round; False if another tick or instance took it, or it was acknowledged."""
    table = table_of(Alert)
    won = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == alert.id, table.c.escalations == alert.escalations, table.c.acked_at.is_(None))
            .values(escalations=alert.escalations + 1, next_at=to_db_time(next_at) if next_at else None)
            .returning(table.c.id)
        )
        .first()
    )
    return won is not None


def count_unacknowledged(*, session: Session) -> int:
    """Count the alerts nobody has acknowledged yet."""
    return int(session.exec(select(func.count()).select_from(Alert).where(col(Alert.acked_at).is_(None))).one())
