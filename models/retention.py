"""Retention: the emergency's end date, the personal fields of every table, and their erasure in batches.

Erased means anonymised: names, ID numbers, phones, free-text notes and the house number of addresses go; counts,
dates, community, compound and outcome stay, so the figures and reports of past days do not change. Every erased
record is marked in ``Erasure``, so a purge that stops half-way resumes with the records it had not reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lianfang.models.alerts import Alert
from lianfang.models.base import insert_if_absent, table_of, to_db_time, upsert
from lianfang.models.checks import CheckResult
from lianfang.models.incidents import OPEN_STATUSES as INCIDENT_OPEN
from lianfang.models.incidents import Incident
from lianfang.models.observation import STATUS_ACTIVE, FollowUp, Observation
from lianfang.models.outbox import STATUS_SENT, OutboxMessage
from lianfang.models.referrals import STATUS_CLOSED, Referral, ReferralStep
from lianfang.models.screening import (
    STATUS_VERIFIED,
    ScreeningTarget,
    ScreeningTargetChange,
    ScreeningVisit,
)
from sqlalchemy import BindParameter, UniqueConstraint, and_, bindparam, delete, exists, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col

EMERGENCY_ROW = 1
"""The emergency is one row: a sub-district fights one emergency at a time."""
MAX_TABLE = 32
MAX_ACTOR = 128
REASON_RETENTION = "retention"
REASON_PERSON = "person"

# How a personal field is erased.
ERASE_NAME = "name"
"""A name becomes ERASED_NAME (names are required columns)."""
ERASE_NULL = "null"
"""An ID number, a phone or a blind index becomes NULL."""
ERASE_TEXT = "text"
"""Free text (notes, history, an earlier value) becomes empty."""
ERASE_HOUSE = "house"
"""An address keeps its compound and building; the unit, floor and room go."""
ERASE_MASKED = "masked"
"""An alert's full lines become the masked lines the groups got."""
ERASED_NAME = ""
MASKED_SOURCE = "masked"
"""The column an ``ERASE_MASKED`` field takes its new value from."""
ROW_ID = "erased_row_id"
ROW_VALUE = "erased_"
"""Bound values get a prefix: SQLAlchemy reserves a column's own name in an UPDATE's SET clause."""

PERSONAL_FIELDS: Mapping[type[SQLModel], Mapping[str, str]] = {
    ScreeningTarget: {
        "name": ERASE_NAME,
        "id_number": ERASE_NULL,
        "id_number_index": ERASE_NULL,
        "phone": ERASE_NULL,
        "address": ERASE_HOUSE,
    },
    ScreeningTargetChange: {"old_value": ERASE_TEXT},
    ScreeningVisit: {"notes": ERASE_TEXT},
    CheckResult: {
        "person": ERASE_NAME,
        "phone": ERASE_NULL,
        "phone_index": ERASE_NULL,
        "address": ERASE_HOUSE,
        "history": ERASE_TEXT,
    },
    Referral: {"person": ERASE_NAME, "phone": ERASE_NULL, "phone_index": ERASE_NULL, "address": ERASE_HOUSE},
    ReferralStep: {"note": ERASE_TEXT},
    Observation: {"close_note": ERASE_TEXT},
    FollowUp: {"notes": ERASE_TEXT},
    Alert: {"full": ERASE_MASKED},
    Incident: {"people": ERASE_TEXT, "description": ERASE_TEXT, "place": ERASE_HOUSE},
}
"""Every personal field of every table, and how it is erased: the one list a purge and an erasure follow."""

KIND_CHECKS = "checks"
KIND_LEDGER = "ledger"
KIND_OBSERVATIONS = "observations"
KIND_REFERRALS = "referrals"
KIND_INCIDENTS = "incidents"
KINDS = (KIND_CHECKS, KIND_LEDGER, KIND_OBSERVATIONS, KIND_REFERRALS, KIND_INCIDENTS)
"""The kinds of personal record with a retention period of their own, in the order a purge erases them."""

HouseStripper = Callable[[str], str]
"""Return an address without its house number (the caller's rule: models know no address format)."""


class Emergency(SQLModel, table=True):
    """The emergency's end date, once the command line sets it: retention periods count from it."""

    id: int | None = Field(default=None, primary_key=True)
    end_on: date | None = None
    set_at: datetime
    set_by: str = Field(max_length=MAX_ACTOR)


class Erasure(SQLModel, table=True):
    """One personal record that was anonymised; a purge skips it, so an interrupted purge resumes where it stopped."""

    __table_args__ = (UniqueConstraint("table_name", "row_id", name="uq_erasure_table_row"),)

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=MAX_TABLE)
    row_id: int
    erased_at: datetime
    reason: str = Field(max_length=16)
    """``retention`` (a purge past retention) or ``person`` (one resident's request)."""


@dataclass(frozen=True)
class Cutoff:
    """Records of a kind closed on or before ``through`` (a local day; ``before`` is the moment after it) may go."""

    through: date
    before: datetime


# -- the emergency ----------------------------------------------------------------------------------------


def emergency_end(*, session: Session) -> date | None:
    """Return the emergency's end date, or None while it has not ended."""
    row = session.get(Emergency, EMERGENCY_ROW)
    return None if row is None else row.end_on


def set_emergency_end(*, session: Session, end_on: date | None, now: datetime, actor: str) -> None:
    """Set (or with None clear) the emergency's end date."""
    values = {"id": EMERGENCY_ROW, "end_on": end_on, "set_at": to_db_time(now), "set_by": actor[:MAX_ACTOR]}
    upsert(session, Emergency, values, ["id"])
    session.expire_all()


# -- which records are past retention ---------------------------------------------------------------------


def not_erased(model: type[SQLModel]) -> Any:
    """Return the condition that a row of a table has not been erased yet."""
    core = table_of(model)
    marked = sa_select(col(Erasure.id)).where(col(Erasure.table_name) == core.name, col(Erasure.row_id) == core.c.id)
    return ~exists(marked)


def _observation_holds(link: Any, cutoffs: Mapping[str, Cutoff | None]) -> Any:
    """Return the condition that an observation of the person still needs their record."""
    cutoff = cutoffs.get(KIND_OBSERVATIONS)
    kept = col(Observation.status) == STATUS_ACTIVE
    if cutoff is None:
        kept = or_(kept, col(Observation.status) != STATUS_ACTIVE)
    else:
        kept = or_(kept, col(Observation.closed_on).is_(None), col(Observation.closed_on) > cutoff.through)
    return exists(sa_select(col(Observation.id)).where(link, kept))


def _referral_holds(link: Any, cutoffs: Mapping[str, Cutoff | None]) -> Any:
    """Return the condition that a referral of the person still needs their record."""
    cutoff = cutoffs.get(KIND_REFERRALS)
    kept = col(Referral.status) != STATUS_CLOSED
    if cutoff is None:
        kept = or_(kept, col(Referral.status) == STATUS_CLOSED)
    else:
        kept = or_(kept, col(Referral.updated_at) >= to_db_time(cutoff.before))
    return exists(sa_select(col(Referral.id)).where(link, kept))


def _past_retention(kind: str, cutoff: Cutoff, cutoffs: Mapping[str, Cutoff | None]) -> tuple[type[SQLModel], Any]:
    """Return a kind's table and the condition that a row is closed, past retention and needed by no open case."""
    if kind == KIND_CHECKS:
        return CheckResult, and_(
            col(CheckResult.day) <= cutoff.through,
            ~_observation_holds(col(Observation.check_id) == col(CheckResult.id), cutoffs),
            ~_referral_holds(col(Referral.check_id) == col(CheckResult.id), cutoffs),
        )
    if kind == KIND_LEDGER:
        return ScreeningTarget, and_(
            col(ScreeningTarget.status) == STATUS_VERIFIED,
            col(ScreeningTarget.updated_at) < to_db_time(cutoff.before),
            ~_observation_holds(col(Observation.target_id) == col(ScreeningTarget.id), cutoffs),
            ~_referral_holds(col(Referral.target_id) == col(ScreeningTarget.id), cutoffs),
        )
    if kind == KIND_OBSERVATIONS:
        return Observation, and_(
            col(Observation.status) != STATUS_ACTIVE,
            col(Observation.closed_on).is_not(None),
            col(Observation.closed_on) <= cutoff.through,
        )
    if kind == KIND_INCIDENTS:
        return Incident, and_(
            col(Incident.status).not_in(INCIDENT_OPEN), col(Incident.updated_at) < to_db_time(cutoff.before)
        )
    return Referral, and_(col(Referral.status) == STATUS_CLOSED, col(Referral.updated_at) < to_db_time(cutoff.before))


def due_for_erasure(
    *, session: Session, kind: str, cutoffs: Mapping[str, Cutoff | None], limit: int | None = None, after: int = 0
) -> list[int]:
    """Return the ids of a kind's records past retention and not yet erased, in id order, after ``after``."""
    cutoff = cutoffs.get(kind)
    if cutoff is None:
        return []
    model, condition = _past_retention(kind, cutoff, cutoffs)
    core = table_of(model)
    query = sa_select(core.c.id).where(condition, not_erased(model), core.c.id > after).order_by(core.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [int(row_id) for row_id in session.execute(query).scalars()]


# -- what a record takes with it --------------------------------------------------------------------------


def visits_of(target_ids: Sequence[int]) -> Any:
    """Return the ids of the visits to these ledger targets, as a subquery."""
    return sa_select(col(ScreeningVisit.id)).where(col(ScreeningVisit.target_id).in_(target_ids))


def _observations_of(column: Any, ids: Sequence[int]) -> Any:
    return sa_select(col(Observation.id)).where(column.in_(ids))


def _dependents(kind: str, ids: Sequence[int]) -> list[tuple[type[SQLModel], Any]]:
    """Return the rows (table, condition) that hold personal data of a kind's records besides their own."""
    if kind == KIND_CHECKS:
        return [(Alert, col(Alert.check_id).in_(ids))]
    if kind == KIND_LEDGER:
        return [
            (ScreeningTargetChange, col(ScreeningTargetChange.target_id).in_(ids)),
            (ScreeningVisit, col(ScreeningVisit.target_id).in_(ids)),
            (Alert, col(Alert.visit_id).in_(visits_of(ids))),
        ]
    if kind == KIND_OBSERVATIONS:
        return [(FollowUp, col(FollowUp.observation_id).in_(ids))]
    if kind == KIND_INCIDENTS:
        return [(Alert, col(Alert.incident_id).in_(ids))]
    return [(ReferralStep, col(ReferralStep.referral_id).in_(ids))]


ROOTS: Mapping[str, type[SQLModel]] = {
    KIND_CHECKS: CheckResult,
    KIND_LEDGER: ScreeningTarget,
    KIND_OBSERVATIONS: Observation,
    KIND_REFERRALS: Referral,
    KIND_INCIDENTS: Incident,
}
"""The table whose rows a kind's retention counts from."""


def table_name(model: type[SQLModel]) -> str:
    """Return the name of a table, as purge reports and erasure marks name it."""
    return str(table_of(model).name)


def count_with_dependents(*, session: Session, kind: str, ids: Sequence[int]) -> dict[str, int]:
    """Return how many rows per table erasing these records of a kind touches."""
    counts = {table_name(ROOTS[kind]): len(ids)}
    if not ids:
        return counts
    for model, condition in _dependents(kind, ids):
        core = table_of(model)
        counts[table_name(model)] = int(session.execute(sa_select(func.count(core.c.id)).where(condition)).scalar_one())
    return counts


def _anonymise(session: Session, model: type[SQLModel], condition: Any, strip_house: HouseStripper) -> int:
    """Erase the personal fields of the rows a condition selects; return how many rows."""
    core = table_of(model)
    fields = PERSONAL_FIELDS[model]
    values: dict[str, Any] = {}
    for name, how in fields.items():
        if how == ERASE_NAME:
            values[name] = ERASED_NAME
        elif how == ERASE_NULL:
            values[name] = None
        elif how == ERASE_TEXT:
            values[name] = ""
    per_row = {name: how for name, how in fields.items() if how in (ERASE_HOUSE, ERASE_MASKED)}
    ids = [int(i) for i in session.execute(sa_select(core.c.id).where(condition)).scalars()]
    if not ids:
        return 0
    if values:
        session.execute(update(core).where(core.c.id.in_(ids)).values(**values))
    if per_row:
        # Read and written in Python, through the columns' types: a sealed column (an alert's full lines) is
        # written sealed, as SQL copying one column into another could not.
        sources = [core.c[MASKED_SOURCE if how == ERASE_MASKED else name] for name, how in per_row.items()]
        rows = session.execute(sa_select(core.c.id, *sources).where(core.c.id.in_(ids))).all()
        params: dict[str, BindParameter[Any]] = {name: bindparam(ROW_VALUE + name) for name in per_row}
        statement = update(core).where(core.c.id == bindparam(ROW_ID)).values(params)
        changes = [
            {
                ROW_ID: row[0],
                **{
                    ROW_VALUE + name: strip_house(value or "") if how == ERASE_HOUSE else value
                    for (name, how), value in zip(per_row.items(), row[1:], strict=True)
                },
            }
            for row in rows
        ]
        session.connection().execute(statement, changes)
    return len(ids)


def erase_records(
    *, session: Session, kind: str, ids: Sequence[int], now: datetime, reason: str, strip_house: HouseStripper
) -> dict[str, int]:
    """Anonymise records of a kind and what they take with them, and mark them erased; return rows per table."""
    if not ids:
        return {}
    root = ROOTS[kind]
    counts = {table_name(root): _anonymise(session, root, col(table_of(root).c.id).in_(ids), strip_house)}
    for model, condition in _dependents(kind, ids):
        counts[table_name(model)] = counts.get(table_name(model), 0) + _anonymise(
            session, model, condition, strip_house
        )
    stamp = to_db_time(now)
    for row_id in ids:
        values = {"table_name": table_name(root), "row_id": row_id, "erased_at": stamp, "reason": reason}
        insert_if_absent(session, Erasure, values, ["table_name", "row_id"])
    session.flush()
    session.expire_all()
    return counts


# -- sent messages ----------------------------------------------------------------------------------------


def old_sent_messages(*, session: Session, before: datetime, limit: int | None = None) -> list[int]:
    """Return the ids of messages delivered before a moment: a private one holds the full record it showed."""
    core = table_of(OutboxMessage)
    query = (
        sa_select(core.c.id)
        .where(core.c.status == STATUS_SENT, core.c.created_at < to_db_time(before))
        .order_by(core.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [int(row_id) for row_id in session.execute(query).scalars()]


def delete_messages(*, session: Session, ids: Sequence[int]) -> int:
    """Delete delivered messages (nothing refers to them once sent); return how many."""
    core = table_of(OutboxMessage)
    session.execute(delete(core).where(core.c.id.in_(ids), core.c.status == STATUS_SENT))
    return len(ids)
