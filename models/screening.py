"""The screening ledger (排查台账): people the district asks to be checked, and each verification visit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lianfang.models.base import to_db_time
from lianfang.models.coverage import count_places, coverage_totals, ledger_totals
from lianfang.models.sealed import INDEX_LENGTH, Sealed, blind_index, blind_indexes
from sqlalchemy import Index, Integer, cast, event, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

STATUS_OPEN = "open"
"""Imported, not yet verified."""
STATUS_UNREACHED = "unreached"
"""Tried and not reached; stays on the staff member's list."""
STATUS_VERIFIED = "verified"
STATUSES = (STATUS_OPEN, STATUS_UNREACHED, STATUS_VERIFIED)
OPEN_STATUSES = (STATUS_OPEN, STATUS_UNREACHED)
FIELD_PHONE = "phone"
FIELD_ADDRESS = "address"
TRACKED_FIELDS = (FIELD_PHONE, FIELD_ADDRESS)
"""Fields whose earlier values are kept when a list changes them: staff find people by them."""
COUNTED_FIELDS = ("community", "compound", "status")
"""Fields the coverage totals count by."""
MAX_ACTOR = 64
ID_NUMBER_COLUMN = "screeningtarget.id_number"
"""The sealed ID number's context: its associated data and the blind index's domain."""
ID_LOOKUP_CHUNK = 500
"""ID numbers per IN (...) lookup; well below SQLite's and PostgreSQL's parameter limits."""


class ScreeningTarget(SQLModel, table=True):
    """One person on the ledger: who, where, why, to whom assigned, and when next due."""

    __table_args__ = (
        # Today's list for a staff member: WHERE member_id = ? AND due_on <= ? (an index range scan).
        Index("ix_screeningtarget_member_due", "member_id", "due_on"),
        # Export and per-community figures walk one community in ledger order.
        Index("ix_screeningtarget_community_id", "community", "id"),
        # Coverage by community and compound (the dashboard, /coverage) counts from this index, not the wide rows.
        Index("ix_screeningtarget_coverage", "community", "compound", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    id_number: str | None = Field(default=None, sa_type=Sealed(ID_NUMBER_COLUMN, index="id_number_index"))
    """Normalised 18-character ID number, sealed; found through ``id_number_index``."""
    id_number_index: str | None = Field(default=None, max_length=INDEX_LENGTH, unique=True, index=True)
    """The ID number's blind index; NULLs do not collide, so people without one never merge."""
    name: str = Field(max_length=64)
    phone: str | None = Field(default=None, sa_type=Sealed("screeningtarget.phone"))
    address: str = Field(max_length=200)
    community: str | None = Field(default=None, max_length=32)
    compound: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=200)
    arrival_date: date | None = None
    batch: str = Field(max_length=64)
    source_row: int | None = None
    member_id: int | None = Field(default=None, foreign_key="member.id")
    status: str = Field(default=STATUS_OPEN, max_length=16, index=True)
    due_on: date | None = None
    """The day from which the target is on its staff member's list; None when nothing is due."""
    created_at: datetime
    updated_at: datetime


class ScreeningVisit(SQLModel, table=True):
    """One verification of a target by a field staff member."""

    __table_args__ = (Index("ix_screeningvisit_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="screeningtarget.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    day: date
    visited_at: datetime
    reached: bool
    at_home: bool | None = None
    temperature: float | None = None
    symptoms: str = Field(default="", max_length=200)
    measure: str = Field(max_length=16)
    notes: str = Field(default="", max_length=500)
    is_alert: bool = False


class ScreeningTargetChange(SQLModel, table=True):
    """An earlier phone or address of a target, kept when a later list changed it."""

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="screeningtarget.id", index=True)
    field: str = Field(max_length=16)
    old_value: str = Field(sa_type=Sealed("screeningtargetchange.old_value"))
    batch: str = Field(max_length=64)
    """The list that brought the new value."""
    actor: str = Field(max_length=64)
    changed_at: datetime


def merge_into_target(
    *, session: Session, target: ScreeningTarget, now: datetime, batch: str, actor: str, fields: dict[str, Any]
) -> tuple[str, ...]:
    """Merge a list's values into a target, keeping each phone or address it replaces; return the fields replaced."""
    replaced = tuple(
        name
        for name in TRACKED_FIELDS
        if name in fields and getattr(target, name) not in (None, "") and getattr(target, name) != fields[name]
    )
    assert target.id is not None
    stamp = to_db_time(now)
    for name in replaced:
        session.add(
            ScreeningTargetChange(
                target_id=target.id,
                field=name,
                old_value=getattr(target, name),
                batch=batch,
                actor=actor[:MAX_ACTOR],
                changed_at=stamp,
            )
        )
    update_target(session=session, target=target, now=now, **fields)
    return replaced


def target_changes(*, session: Session, target_id: int) -> list[ScreeningTargetChange]:
    """Return a target's earlier phones and addresses, oldest first."""
    return list(
        session.exec(
            select(ScreeningTargetChange)
            .where(ScreeningTargetChange.target_id == target_id)
            .order_by(col(ScreeningTargetChange.id))
        )
    )


def id_number_index(id_number: str | None) -> str | None:
    """Return the blind index of an ID number under the current data key (None for none)."""
    return blind_index(id_number, context=ID_NUMBER_COLUMN) if id_number else None


@event.listens_for(ScreeningTarget, "before_insert")
@event.listens_for(ScreeningTarget, "before_update")
def _index_id_number(_mapper: object, _connection: object, target: ScreeningTarget) -> None:
    """Keep a target's blind index in step with its ID number, however the target was changed."""
    target.id_number_index = id_number_index(target.id_number)


def existing_by_id_number(*, session: Session, id_numbers: Iterable[str]) -> dict[str, ScreeningTarget]:
    """Return the ledger's targets with any of these ID numbers, keyed by number, found by their blind index."""
    by_index = {
        index: number for number in set(id_numbers) for index in blind_indexes(number, context=ID_NUMBER_COLUMN)
    }
    wanted = sorted(by_index)
    found: dict[str, ScreeningTarget] = {}
    for start in range(0, len(wanted), ID_LOOKUP_CHUNK):
        chunk = wanted[start : start + ID_LOOKUP_CHUNK]
        for target in session.exec(select(ScreeningTarget).where(col(ScreeningTarget.id_number_index).in_(chunk))):
            assert target.id_number_index is not None
            found[by_index[target.id_number_index]] = target
    return found


def add_targets(*, session: Session, now: datetime, rows: Sequence[dict[str, Any]]) -> int:
    """Insert many targets in one executemany; return how many."""
    if not rows:
        return 0
    stamp = to_db_time(now)
    session.execute(
        insert(ScreeningTarget),
        [
            {**row, "id_number_index": id_number_index(row.get("id_number")), "created_at": stamp, "updated_at": stamp}
            for row in rows
        ],
    )
    count_places(
        session=session,
        changes=(
            ((row.get("community"), row.get("compound")), 1, int(row.get("status") == STATUS_VERIFIED)) for row in rows
        ),
    )
    return len(rows)


def update_target(*, session: Session, target: ScreeningTarget, now: datetime, **fields: Any) -> None:
    """Change some fields of a target (and the coverage totals, when its place or status changes)."""
    _recount_place(session=session, target=target, fields=fields)
    for name, value in fields.items():
        setattr(target, name, value)
    target.updated_at = to_db_time(now)
    session.add(target)


def _recount_place(*, session: Session, target: ScreeningTarget, fields: dict[str, Any]) -> None:
    """Move a target's count to its new place or status in the coverage totals, from what the database holds.

    The row is read (locked, on PostgreSQL) before the change, so two verifications of one person count once.
    """
    if target.id is None or not any(
        name in fields and getattr(target, name) != fields[name] for name in COUNTED_FIELDS
    ):
        return
    table = ScreeningTarget.__table__  # type: ignore[attr-defined]  # set on every table=True class
    columns = (table.c.community, table.c.compound, table.c.status)
    held = session.execute(sa_select(*columns).where(table.c.id == target.id).with_for_update()).first()
    if held is None:
        return
    community = fields.get("community", held.community)
    compound = fields.get("compound", held.compound)
    verified = fields.get("status", held.status) == STATUS_VERIFIED
    was_verified = held.status == STATUS_VERIFIED
    if (community, compound, verified) != (held.community, held.compound, was_verified):
        count_places(
            session=session,
            changes=(
                ((held.community, held.compound), -1, -int(was_verified)),
                ((community, compound), 1, int(verified)),
            ),
        )


def open_counts(*, session: Session, member_ids: Sequence[int]) -> dict[int, int]:
    """Count each member's open targets, in SQL."""
    if not member_ids:
        return {}
    rows = session.exec(
        select(ScreeningTarget.member_id, func.count())
        .where(col(ScreeningTarget.member_id).in_(member_ids), col(ScreeningTarget.status).in_(OPEN_STATUSES))
        .group_by(col(ScreeningTarget.member_id))
    )
    counts = {member_id: 0 for member_id in member_ids}
    counts.update({int(member_id): int(count) for member_id, count in rows if member_id is not None})
    return counts


def due_targets(*, session: Session, member_id: int, day: date, limit: int) -> list[ScreeningTarget]:
    """Return a member's targets due on or before a day, oldest due first."""
    return list(
        session.exec(
            select(ScreeningTarget)
            .where(ScreeningTarget.member_id == member_id, col(ScreeningTarget.due_on) <= day)
            .order_by(col(ScreeningTarget.due_on), col(ScreeningTarget.id))
            .limit(limit)
        )
    )


def count_due(*, session: Session, member_id: int, day: date) -> int:
    """Count a member's targets due on or before a day."""
    return int(
        session.exec(
            select(func.count())
            .select_from(ScreeningTarget)
            .where(ScreeningTarget.member_id == member_id, col(ScreeningTarget.due_on) <= day)
        ).one()
    )


def unassigned_targets(*, session: Session) -> list[ScreeningTarget]:
    """Return the targets no staff member has, in ledger order."""
    return list(
        session.exec(
            select(ScreeningTarget).where(col(ScreeningTarget.member_id).is_(None)).order_by(col(ScreeningTarget.id))
        )
    )


def get_target(*, session: Session, target_id: int) -> ScreeningTarget | None:
    """Return a target by id."""
    return session.get(ScreeningTarget, target_id)


def add_visit(*, session: Session, target: ScreeningTarget, now: datetime, day: date, **fields: Any) -> ScreeningVisit:
    """Record a verification and move the target on: verified and off the list, or kept due when not reached."""
    assert target.id is not None
    visit = ScreeningVisit(target_id=target.id, day=day, visited_at=to_db_time(now), **fields)
    session.add(visit)
    reached = bool(fields.get("reached"))
    update_target(
        session=session,
        target=target,
        now=now,
        status=STATUS_VERIFIED if reached else STATUS_UNREACHED,
        due_on=None if reached else target.due_on,
    )
    session.flush()
    return visit


def ledger_rows(
    *, session: Session, community: str | None = None
) -> list[tuple[ScreeningTarget, ScreeningVisit | None]]:
    """Return targets (one community, or all) in ledger order, each with its latest visit."""
    latest = (
        select(ScreeningVisit.target_id, func.max(ScreeningVisit.id).label("visit_id"))
        .group_by(col(ScreeningVisit.target_id))
        .subquery()
    )
    query = (
        select(ScreeningTarget, ScreeningVisit)
        .outerjoin(latest, col(latest.c.target_id) == col(ScreeningTarget.id))
        .outerjoin(ScreeningVisit, col(ScreeningVisit.id) == col(latest.c.visit_id))
    )
    if community is not None:
        query = query.where(ScreeningTarget.community == community)
    query = query.order_by(col(ScreeningTarget.community), col(ScreeningTarget.id))
    return [(target, visit) for target, visit in session.exec(query)]


@dataclass(frozen=True)
class LedgerFigures:
    """The ledger's figures for the daily report: people on it and verified, and the day's visits."""

    targets: int
    verified: int
    visited_today: int
    reached_today: int
    alerts_today: int

    @property
    def coverage(self) -> int:
        """Return the verified share of the ledger in whole percent."""
        return self.verified * 100 // self.targets if self.targets else 0


def ledger_figures(*, session: Session, day: date) -> LedgerFigures:
    """Count the ledger (from the running coverage totals) and one day's visits (on the day index), in SQL."""
    targets, verified = ledger_totals(session=session)
    visited, reached, alerts = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(ScreeningVisit.reached, Integer)), 0),
            func.coalesce(func.sum(cast(ScreeningVisit.is_alert, Integer)), 0),
        ).where(ScreeningVisit.day == day)
    ).one()
    return LedgerFigures(int(targets), int(verified), int(visited), int(reached), int(alerts))


def ledger_by_compound(
    *, session: Session, community: str | None = None
) -> dict[tuple[str | None, str | None], tuple[int, int]]:
    """Count ledger people and those verified by (community, compound), from the running totals."""
    return coverage_totals(session=session, community=community)
