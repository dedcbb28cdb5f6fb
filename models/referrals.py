"""Fever-clinic referrals (转诊): referred, arrived at the clinic, a result, closed; each step kept."""

from __future__ import annotations

from datetime import datetime

from lianfang.models.base import table_of, to_db_time
from lianfang.models.sealed import Sealed, index_field
from sqlalchemy import Index, func, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

STATUS_REFERRED = "referred"
STATUS_ARRIVED = "arrived"
STATUS_EXCLUDED = "excluded"
STATUS_SUSPECTED = "suspected"
STATUS_CONFIRMED = "confirmed"
STATUS_CLOSED = "closed"
STATUSES = (STATUS_REFERRED, STATUS_ARRIVED, STATUS_EXCLUDED, STATUS_SUSPECTED, STATUS_CONFIRMED, STATUS_CLOSED)
RESULTS = (STATUS_EXCLUDED, STATUS_SUSPECTED, STATUS_CONFIRMED)
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    STATUS_REFERRED: (STATUS_ARRIVED,),
    STATUS_ARRIVED: RESULTS,
    # A suspected case is settled by later tests either way.
    STATUS_SUSPECTED: (STATUS_EXCLUDED, STATUS_CONFIRMED, STATUS_CLOSED),
    STATUS_EXCLUDED: (STATUS_CLOSED,),
    STATUS_CONFIRMED: (STATUS_CLOSED,),
    STATUS_CLOSED: (),
}
"""Which step may follow which: the order of the plan's referral, never backwards."""
PHONE_COLUMN = "referral.phone"
"""The sealed phone's context: its associated data and the blind index's domain."""


class Referral(SQLModel, table=True):
    """One person referred to a fever clinic, from a check result or a ledger visit."""

    __table_args__ = (
        Index("ix_referral_status_updated", "status", "updated_at"),
        Index("ix_referral_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    check_id: int | None = Field(default=None, foreign_key="checkresult.id")
    visit_id: int | None = Field(default=None, foreign_key="screeningvisit.id")
    target_id: int | None = Field(default=None, foreign_key="screeningtarget.id")
    member_id: int = Field(foreign_key="member.id")
    """Who referred the person, and is chased while it stays open."""
    community: str = Field(max_length=32, index=True)
    person: str = Field(max_length=64)
    phone: str | None = Field(default=None, sa_type=Sealed(PHONE_COLUMN, index="phone_index"))
    phone_index: str | None = index_field("phone", PHONE_COLUMN)
    """The phone's blind index, filled on insert (a phone is never changed after): a resident's referrals by phone."""
    address: str = Field(max_length=200)
    status: str = Field(default=STATUS_REFERRED, max_length=16)
    created_at: datetime
    updated_at: datetime
    last_chased_at: datetime | None = None


class ReferralStep(SQLModel, table=True):
    """One recorded step of a referral: what, when, by whom, with an optional note."""

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    status: str = Field(max_length=16)
    member_id: int = Field(foreign_key="member.id")
    at: datetime
    note: str = Field(default="", max_length=200)


def create_referral(
    *,
    session: Session,
    now: datetime,
    member_id: int,
    community: str,
    person: str,
    phone: str | None,
    address: str,
    check_id: int | None = None,
    visit_id: int | None = None,
    target_id: int | None = None,
) -> Referral:
    """Open a referral and record its first step, in the caller's transaction."""
    stamp = to_db_time(now)
    referral = Referral(
        check_id=check_id,
        visit_id=visit_id,
        target_id=target_id,
        member_id=member_id,
        community=community,
        person=person,
        phone=phone,
        address=address,
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(referral)
    session.flush()
    assert referral.id is not None
    session.add(ReferralStep(referral_id=referral.id, status=STATUS_REFERRED, member_id=member_id, at=stamp))
    session.flush()
    return referral


def get_referral(*, session: Session, referral_id: int) -> Referral | None:
    """Return a referral by number."""
    return session.get(Referral, referral_id)


def advance(
    *, session: Session, referral: Referral, status: str, member_id: int, now: datetime, note: str = ""
) -> bool:
    """Move a referral to its next step; False if it is no longer where the caller saw it (a double tap)."""
    if status not in NEXT_STEPS[referral.status]:
        return False
    table = table_of(Referral)
    stamp = to_db_time(now)
    moved = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == referral.id, table.c.status == referral.status)
            .values(status=status, updated_at=stamp)
            .returning(table.c.id)
        )
        .first()
    )
    if moved is None:
        return False
    assert referral.id is not None
    session.add(ReferralStep(referral_id=referral.id, status=status, member_id=member_id, at=stamp, note=note))
    session.flush()
    session.refresh(referral)
    return True


def steps_of(*, session: Session, referral_id: int) -> list[ReferralStep]:
    """Return a referral's steps, oldest first."""
    return list(
        session.exec(select(ReferralStep).where(ReferralStep.referral_id == referral_id).order_by(col(ReferralStep.id)))
    )


def open_referrals(
    *, session: Session, community: str | None = None, member_id: int | None = None, limit: int = 50
) -> list[Referral]:
    """Return referrals not yet closed, oldest first: all, or those of a community or made by a member."""
    query = select(Referral).where(Referral.status != STATUS_CLOSED)
    mine = [col(Referral.community) == community] if community is not None else []
    mine += [col(Referral.member_id) == member_id] if member_id is not None else []
    if mine:
        query = query.where(or_(*mine))
    return list(session.exec(query.order_by(col(Referral.id)).limit(limit)))


def stale_referrals(*, session: Session, before: datetime, limit: int = 100) -> list[Referral]:
    """Return open referrals with no step since ``before`` and not chased since then."""
    moment = to_db_time(before)
    return list(
        session.exec(
            select(Referral)
            .where(
                Referral.status != STATUS_CLOSED,
                col(Referral.updated_at) <= moment,
                or_(col(Referral.last_chased_at).is_(None), col(Referral.last_chased_at) <= moment),
            )
            .order_by(col(Referral.id))
            .limit(limit)
        )
    )


def claim_chase(*, session: Session, referral: Referral, now: datetime) -> bool:
    """Take the chase of a stale referral; False if another tick or instance chased it, or it moved on."""
    table = table_of(Referral)
    seen = (
        table.c.last_chased_at.is_(None)
        if referral.last_chased_at is None
        else (table.c.last_chased_at == to_db_time(referral.last_chased_at))
    )
    won = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == referral.id, table.c.updated_at == to_db_time(referral.updated_at), seen)
            .values(last_chased_at=to_db_time(now))
            .returning(table.c.id)
        )
        .first()
    )
    return won is not None


CUMULATIVE = (STATUS_CONFIRMED, STATUS_EXCLUDED)
"""Results the daily report counts to date (累计确诊, 排除): a referral keeps counting after it is closed."""


def referral_counts(*, session: Session) -> dict[str, int]:
    """Count referrals for the daily report, in SQL; every status is present.

    Waiting, arrived, suspected and closed are where referrals stand now; confirmed and excluded count every
    referral that ever had that result, since closing a confirmed case does not undo it.
    """
    rows = session.exec(select(col(Referral.status), func.count()).group_by(col(Referral.status))).all()
    current = {status: 0 for status in STATUSES} | {status: int(count) for status, count in rows}
    ever = session.exec(
        select(col(ReferralStep.status), func.count(func.distinct(ReferralStep.referral_id)))
        .where(col(ReferralStep.status).in_(CUMULATIVE))
        .group_by(col(ReferralStep.status))
    ).all()
    return current | {status: 0 for status in CUMULATIVE} | {status: int(count) for status, count in ever}


def referrals_opened(*, session: Session, start: datetime, end: datetime) -> int:
    """Count referrals opened in [start, end)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Referral)
            .where(col(Referral.created_at) >= to_db_time(start), col(Referral.created_at) < to_db_time(end))
        ).one()
    )
