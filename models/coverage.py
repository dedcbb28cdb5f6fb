"""Running totals of the screening ledger per community and compound: people on it and those verified.

Kept in step with every write to the ledger (an import adds people, a verification or a move changes one), in the
same transaction, so coverage is read from a few rows instead of counted over every person on the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from lianfang.models.base import dialect_insert, table_of
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel

NO_PLACE = ""
"""Stands for a person without a community or compound: the key columns cannot hold NULL."""

Place = tuple[str | None, str | None]
"""A (community, compound) pair as the ledger holds it; None where it has none."""


class CoverageTotal(SQLModel, table=True):
    """The ledger's people and those verified in one community and compound ("" for none)."""

    community: str = Field(primary_key=True, max_length=32)
    compound: str = Field(primary_key=True, max_length=64)
    targets: int = 0
    verified: int = 0


TOTALS = table_of(CoverageTotal)
COUNTED = ("targets", "verified")


@cache
def _count_statement(dialect: str) -> Any:
    """Build the upsert that adds to one place's totals, once per dialect."""
    insert = dialect_insert(dialect)
    statement = insert(TOTALS)
    return statement.on_conflict_do_update(
        index_elements=[TOTALS.c.community, TOTALS.c.compound],
        set_={name: TOTALS.c[name] + statement.excluded[name] for name in COUNTED},
    )


def count_places(*, session: Session, changes: Iterable[tuple[Place, int, int]]) -> None:
    """Add (people, verified) changes, each to its place's totals; changes of one place are summed first."""
    summed: dict[Place, list[int]] = {}
    for place, targets, verified in changes:
        total = summed.setdefault(place, [0, 0])
        total[0] += targets
        total[1] += verified
    rows = [
        {"community": c or NO_PLACE, "compound": p or NO_PLACE, "targets": t, "verified": v}
        for (c, p), (t, v) in sorted(summed.items(), key=lambda item: (item[0][0] or "", item[0][1] or ""))
        if t or v
    ]
    if rows:
        session.connection().execute(_count_statement(session.get_bind().dialect.name), rows)


def coverage_totals(*, session: Session, community: str | None = None) -> dict[Place, tuple[int, int]]:
    """Return (people, verified) per (community, compound) with anyone on the ledger; of one community when given."""
    query = sa_select(TOTALS.c.community, TOTALS.c.compound, TOTALS.c.targets, TOTALS.c.verified).where(
        TOTALS.c.targets > 0
    )
    if community is not None:
        query = query.where(TOTALS.c.community == community)
    return {(row[0] or None, row[1] or None): (int(row[2]), int(row[3])) for row in session.connection().execute(query)}


def ledger_totals(*, session: Session) -> tuple[int, int]:
    """Return the people on the whole ledger and those verified."""
    targets, verified = (
        session.connection()
        .execute(sa_select(func.coalesce(func.sum(TOTALS.c.targets), 0), func.coalesce(func.sum(TOTALS.c.verified), 0)))
        .one()
    )
    return int(targets), int(verified)
