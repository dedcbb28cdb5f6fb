"""Household check results (排查登记) and the figures the daily report takes from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from lianfang.models.base import Prepared, dialect_insert, table_of, to_db_time
from lianfang.models.sealed import Sealed, blind_index, index_field
from sqlalchemy import Connection, Index, Integer, bindparam, cast, delete, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel

MEASURE_HOME = "home"
MEASURE_CENTRAL = "central"
MEASURE_REFERRED = "referred"
MEASURE_NONE = "none"
MEASURES = (MEASURE_HOME, MEASURE_CENTRAL, MEASURE_REFERRED, MEASURE_NONE)
PHONE_COLUMN = "checkresult.phone"
"""The sealed phone's context: its associated data and the blind index's domain."""


class CheckResult(SQLModel, table=True):
    """One household or person checked by field staff."""

    __table_args__ = (
        Index("ix_checkresult_day_alert", "day", "is_alert"),
        Index("ix_checkresult_day_community", "day", "community"),
        Index("ix_checkresult_community_compound", "community", "compound"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    created_at: datetime
    member_id: int = Field(foreign_key="member.id")
    community: str = Field(max_length=32)
    compound: str | None = Field(default=None, max_length=64)
    """The compound or road of the address, when the org file names it (for coverage per compound)."""
    address: str = Field(max_length=200)
    person: str = Field(max_length=64)
    phone: str | None = Field(default=None, sa_type=Sealed(PHONE_COLUMN, index="phone_index"))
    phone_index: str | None = index_field("phone", PHONE_COLUMN)
    """The phone's blind index, filled on insert (a phone is never changed after): a resident's checks by phone."""
    temperature: float | None = None
    symptoms: str = Field(default="", max_length=200)
    history: str = Field(default="", max_length=500)
    measure: str = Field(max_length=16)
    is_alert: bool = False
    is_referral: bool = False


class CheckDailyTotal(SQLModel, table=True):
    """Running counts of check results per day and community, kept in step with every insert.

    The daily report reads these instead of counting results, so its cost follows days, not records.
    """

    day: date = Field(primary_key=True)
    community: str = Field(primary_key=True, max_length=32)
    checked: int = 0
    alerts: int = 0
    referrals: int = 0


RESULTS = table_of(CheckResult)
TOTALS = table_of(CheckDailyTotal)
COUNTED = ("checked", "alerts", "referrals")
STORED = tuple(column.name for column in RESULTS.columns if column.name != "id")
"""The columns a check result is stored with: every one but its id, which the database gives."""
STORE = Prepared(insert(RESULTS).values({name: bindparam(name) for name in STORED}).returning(RESULTS.c.id))
"""Store one check result and return its id: run by every submitted ``/check``, past the ORM's unit of work."""


@cache
def _count_statement(dialect: str) -> Prepared:
    """Build the upsert that adds one result to its day's totals, once per dialect."""
    insert = dialect_insert(dialect)
    statement = insert(TOTALS).values({name: bindparam(name) for name in ("day", "community", *COUNTED)})
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=[TOTALS.c.day, TOTALS.c.community],
            set_={name: TOTALS.c[name] + statement.excluded[name] for name in COUNTED},
        )
    )


@dataclass(frozen=True)
class CheckFigures:
    """Counts for one day: checked that day and to date, alerts and referrals that day."""

    checked_today: int
    checked_total: int
    alerts_today: int
    referrals_today: int


def add_check(*, db: Session | Connection, now: datetime, day: date, member_id: int, **fields: Any) -> CheckResult:
    """Store one check result and count it in its day's totals; return it with its id (not added to a session).

    ``db`` is a session, or the connection of a transaction that has no session open. The statements run on the
    connection, so the phone's blind index is computed here: a column default would not run for them.
    """
    record = CheckResult(day=day, created_at=to_db_time(now), member_id=member_id, **fields)
    record.phone_index = blind_index(str(record.phone), context=PHONE_COLUMN) if record.phone else None
    connection = db if isinstance(db, Connection) else db.connection()
    row = STORE.first(connection, {name: getattr(record, name) for name in STORED})
    assert row is not None  # an INSERT ... RETURNING returns the row it inserted
    record.id = int(row[0])
    counts = {
        "day": day,
        "community": record.community,
        "checked": 1,
        "alerts": int(record.is_alert),
        "referrals": int(record.is_referral),
    }
    _count_statement(connection.dialect.name).run(connection, counts)
    return record


def rebuild_check_totals(*, session: Session) -> None:
    """Recount every day's totals from the results (after a bulk load that bypassed ``add_check``)."""
    result = RESULTS
    counts = sa_select(
        result.c.day,
        result.c.community,
        func.count(),
        func.sum(cast(result.c.is_alert, Integer)),
        func.sum(cast(result.c.is_referral, Integer)),
    ).group_by(result.c.day, result.c.community)
    connection = session.connection()
    connection.execute(delete(TOTALS))
    connection.execute(insert(TOTALS).from_select(["day", "community", *COUNTED], counts))


def check_figures(*, session: Session, day: date) -> CheckFigures:
    """Return the day's checks, alerts and referrals, and checks to date, from the daily totals."""
    sums = [func.coalesce(func.sum(TOTALS.c[name]), 0) for name in COUNTED]
    today = session.connection().execute(sa_select(*sums).where(TOTALS.c.day == day)).one()
    total = session.connection().execute(sa_select(sums[0]).where(TOTALS.c.day <= day)).scalar_one()
    return CheckFigures(
        checked_today=int(today[0]),
        checked_total=int(total),
        alerts_today=int(today[1]),
        referrals_today=int(today[2]),
    )


def checks_by_compound(*, session: Session, community: str | None = None) -> dict[tuple[str | None, str | None], int]:
    """Count check results to date by (community, compound), in SQL."""
    result = table_of(CheckResult)
    query = sa_select(result.c.community, result.c.compound, func.count()).group_by(
        result.c.community, result.c.compound
    )
    if community is not None:
        query = query.where(result.c.community == community)
    return {(row[0], row[1]): int(row[2]) for row in session.connection().execute(query)}
