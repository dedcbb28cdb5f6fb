"""Key persons under observation (重点人员): the observation period and one follow-up per person per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from lianfang.models.base import insert_if_absent, json_column, table_of, to_db_time
from lianfang.models.checks import CheckResult
from lianfang.models.screening import ScreeningTarget
from sqlalchemy import Index, UniqueConstraint, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

KIND_HOME = "home"
KIND_CENTRAL = "central"
KINDS = (KIND_HOME, KIND_CENTRAL)

STATUS_ACTIVE = "active"
STATUS_CLOSED = "closed"
STATUS_LOST = "lost"
STATUSES = (STATUS_ACTIVE, STATUS_CLOSED, STATUS_LOST)

CLOSE_RELEASED = "released"
"""Closed by a follow-up with nobody unwell on or after the end date."""
CLOSE_EARLY = "early"
"""Closed before the end by the 排查组 lead or an overseer, with a reason."""
CLOSE_LOST = "lost"
"""Not seen for the configured number of days in a row."""

FOLLOWUP_SEEN_OK = "seen_ok"
FOLLOWUP_SEEN_SYMPTOMS = "seen_symptoms"
FOLLOWUP_MISSED = "missed"
FOLLOWUP_NOT_DONE = "not_done"
FOLLOWUP_STATUSES = (FOLLOWUP_SEEN_OK, FOLLOWUP_SEEN_SYMPTOMS, FOLLOWUP_MISSED, FOLLOWUP_NOT_DONE)
SEEN_STATUSES = (FOLLOWUP_SEEN_OK, FOLLOWUP_SEEN_SYMPTOMS)
UNREACHED_STATUSES = (FOLLOWUP_MISSED, FOLLOWUP_NOT_DONE)


class Observation(SQLModel, table=True):
    """One person under observation: where they came from, who follows them up, and for how long.

    Personal data is not copied: name, address and phone are read from the ledger target or check result.
    """

    __table_args__ = (
        # A staff member's list: WHERE member_id = ? AND status = 'active' AND start_on < ?.
        Index("ix_observation_member_status", "member_id", "status", "start_on"),
        # Report figures: started on a day, closed on a day, under observation on a day.
        Index("ix_observation_start_on", "start_on"),
        Index("ix_observation_closed_on", "closed_on", "status"),
        Index("ix_observation_status_start", "status", "start_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_id: int | None = Field(default=None, foreign_key="screeningtarget.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="screeningvisit.id")
    check_id: int | None = Field(default=None, foreign_key="checkresult.id", unique=True, index=True)
    member_id: int = Field(foreign_key="member.id")
    community: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    last_exposure: date
    start_on: date
    end_on: date
    status: str = Field(default=STATUS_ACTIVE, max_length=16)
    close_reason: str = Field(default="", max_length=16)
    """Why it closed: released, early or lost."""
    close_note: str = Field(default="", max_length=200)
    """The reason given for an early close."""
    closed_on: date | None = None
    closed_by: int | None = Field(default=None, foreign_key="member.id")
    extensions: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    """Each extension: ``{"at", "by", "days", "from", "to", "reason"}``."""
    created_at: datetime
    updated_at: datetime


class FollowUp(SQLModel, table=True):
    """One day's follow-up of one person; unique per day so a double tap or a second instance never doubles it."""

    __table_args__ = (
        UniqueConstraint("observation_id", "day", name="uq_followup_observation_day"),
        Index("ix_followup_day_status", "day", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    observation_id: int = Field(foreign_key="observation.id")
    day: date
    status: str = Field(max_length=16)
    temperature: float | None = None
    symptoms: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=500)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    """Who recorded it; None when the scheduler marked it not done."""
    recorded_at: datetime


@dataclass(frozen=True)
class Person:
    """The personal data of an observed person, read from where the observation came from."""

    name: str
    address: str
    phone: str | None
    history: str


@dataclass(frozen=True)
class ObservationFigures:
    """Counts for the daily report on one day."""

    under_observation: int
    new: int
    released: int
    missed: int
    not_done: int
    lost: int
    lost_total: int


def start_observation(
    *,
    session: Session,
    now: datetime,
    day: date,
    days: int,
    member_id: int,
    community: str,
    kind: str,
    last_exposure: date,
    target_id: int | None = None,
    visit_id: int | None = None,
    check_id: int | None = None,
) -> Observation:
    """Start an observation ending ``days`` after the last exposure."""
    end_on = last_exposure + timedelta(days=days)
    stamp = to_db_time(now)
    observation = Observation(
        target_id=target_id,
        visit_id=visit_id,
        check_id=check_id,
        member_id=member_id,
        community=community,
        kind=kind,
        last_exposure=last_exposure,
        start_on=day,
        end_on=end_on,
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(observation)
    session.flush()
    return observation


def active_for_target(*, session: Session, target_id: int) -> Observation | None:
    """Return the ledger target's active observation, if any."""
    return session.exec(
        select(Observation).where(Observation.target_id == target_id, Observation.status == STATUS_ACTIVE)
    ).first()


def get_observation(*, session: Session, observation_id: int) -> Observation | None:
    """Return an observation by number."""
    return session.get(Observation, observation_id)


def person_of(*, session: Session, observation: Observation) -> Person:
    """Return the observed person's data from the ledger target or the check result."""
    if observation.target_id is not None:
        target = session.get(ScreeningTarget, observation.target_id)
        if target is not None:
            return Person(target.name, target.address, target.phone, target.reason)
    check = session.get(CheckResult, observation.check_id) if observation.check_id is not None else None
    if check is not None:
        return Person(check.person, check.address, check.phone, check.history)
    return Person("-", "-", None, "")


def _due_query(day: date) -> Any:
    """Select active observations started before ``day`` with no follow-up recorded for ``day``."""
    recorded = select(FollowUp.id).where(FollowUp.observation_id == Observation.id, FollowUp.day == day).exists()
    return select(Observation).where(Observation.status == STATUS_ACTIVE, col(Observation.start_on) < day, ~recorded)


def due_followups(*, session: Session, day: date, member_id: int | None = None) -> list[Observation]:
    """Return observations due a follow-up on a day (one member's, or everyone's), oldest first."""
    query = _due_query(day)
    if member_id is not None:
        query = query.where(Observation.member_id == member_id)
    return list(session.exec(query.order_by(col(Observation.member_id), col(Observation.id))))


def active_observations(*, session: Session, member_id: int) -> list[Observation]:
    """Return a member's active observations, oldest first."""
    return list(
        session.exec(
            select(Observation)
            .where(Observation.member_id == member_id, Observation.status == STATUS_ACTIVE)
            .order_by(col(Observation.id))
        )
    )


def followup_of(*, session: Session, observation_id: int, day: date) -> FollowUp | None:
    """Return the follow-up recorded for an observation on a day."""
    return session.exec(select(FollowUp).where(FollowUp.observation_id == observation_id, FollowUp.day == day)).first()


def record_followup(
    *,
    session: Session,
    observation_id: int,
    day: date,
    now: datetime,
    status: str,
    member_id: int | None,
    temperature: float | None = None,
    symptoms: str = "",
    notes: str = "",
) -> bool:
    """Record a day's follow-up; False if one was already recorded that day (the first one stands)."""
    values = {
        "observation_id": observation_id,
        "day": day,
        "status": status,
        "temperature": temperature,
        "symptoms": symptoms,
        "notes": notes,
        "member_id": member_id,
        "recorded_at": to_db_time(now),
    }
    return insert_if_absent(session, FollowUp, values, ["observation_id", "day"])


def close_observation(
    *,
    session: Session,
    observation: Observation,
    now: datetime,
    day: date,
    status: str,
    reason: str,
    by: int | None,
    note: str = "",
) -> bool:
    """Close an active observation (released, closed early or lost); False if it was no longer active."""
    table = table_of(Observation)
    won = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == observation.id, table.c.status == STATUS_ACTIVE)
            .values(
                status=status,
                close_reason=reason,
                close_note=note,
                closed_on=day,
                closed_by=by,
                updated_at=to_db_time(now),
            )
            .returning(table.c.id)
        )
        .first()
    )
    session.expire(observation)
    return won is not None


def extend_observation(
    *, session: Session, observation: Observation, now: datetime, days: int, reason: str, by: int
) -> date:
    """Move an active observation's end date later by some days, keeping the history; return the new end."""
    new_end = observation.end_on + timedelta(days=days)
    entry = {
        "at": to_db_time(now).isoformat(),
        "by": by,
        "days": days,
        "from": observation.end_on.isoformat(),
        "to": new_end.isoformat(),
        "reason": reason,
    }
    observation.extensions = [*observation.extensions, entry]
    observation.end_on = new_end
    observation.updated_at = to_db_time(now)
    session.add(observation)
    session.flush()
    return new_end


def is_unreachable_for(*, session: Session, observation: Observation, day: date, days: int) -> bool:
    """Tell whether nobody saw the person on any of the ``days`` days up to ``day`` (all after the start)."""
    first = day - timedelta(days=days - 1)
    if first <= observation.start_on:
        return False
    seen = session.exec(
        select(func.count())
        .select_from(FollowUp)
        .where(
            FollowUp.observation_id == observation.id,
            col(FollowUp.day) >= first,
            col(FollowUp.day) <= day,
            col(FollowUp.status).in_(SEEN_STATUSES),
        )
    ).one()
    return int(seen) == 0


def _count(session: Session, table: Any, *conditions: Any) -> int:
    """Count a table's rows matching some conditions."""
    return int(session.connection().execute(sa_select(func.count()).select_from(table).where(*conditions)).scalar_one())


def observation_figures(*, session: Session, day: date) -> ObservationFigures:
    """Return the day's figures for the daily report, each one indexed count in SQL."""
    obs = table_of(Observation)
    followups = table_of(FollowUp)
    ongoing = (obs.c.start_on <= day, or_(obs.c.closed_on.is_(None), obs.c.closed_on >= day))
    return ObservationFigures(
        under_observation=_count(session, obs, *ongoing),
        new=_count(session, obs, obs.c.start_on == day),
        released=_count(session, obs, obs.c.closed_on == day, obs.c.status == STATUS_CLOSED),
        missed=_count(session, followups, followups.c.day == day, followups.c.status == FOLLOWUP_MISSED),
        not_done=_count(session, followups, followups.c.day == day, followups.c.status == FOLLOWUP_NOT_DONE),
        lost=_count(session, obs, obs.c.closed_on == day, obs.c.status == STATUS_LOST),
        lost_total=_count(session, obs, obs.c.status == STATUS_LOST),
    )
