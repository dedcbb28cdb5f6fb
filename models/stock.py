"""Stock (库存) per item and place: a running total per pair, every movement kept, batches with an expiry date.

On hand is kept as a running total updated in the same statement that checks it, never summed from history, so
reading every item and place stays fast however many movements there are, and it can never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lianfang.models.base import insert_if_absent, table_of, to_db_time
from sqlalchemy import Index, UniqueConstraint, func, update
from sqlmodel import Field, Session, SQLModel, col, select

KIND_IN = "in"
KIND_OUT = "out"
KIND_TRANSFER_OUT = "transfer_out"
KIND_TRANSFER_IN = "transfer_in"
KIND_COUNT = "count"
KIND_EXPIRED = "expired"
KINDS = (KIND_IN, KIND_OUT, KIND_TRANSFER_OUT, KIND_TRANSFER_IN, KIND_COUNT, KIND_EXPIRED)
USE_KINDS = (KIND_OUT,)
"""Movements that count as use, for days of cover."""


class StockLevel(SQLModel, table=True):
    """The running total of one item at one place."""

    __table_args__ = (UniqueConstraint("item", "place", name="uq_stocklevel_item_place"),)

    id: int | None = Field(default=None, primary_key=True)
    item: str = Field(max_length=64)
    place: str = Field(max_length=32)
    on_hand: int = 0
    updated_at: datetime


class StockMovement(SQLModel, table=True):
    """One movement of stock: signed quantity, the balance it left, why, and against which request."""

    __table_args__ = (Index("ix_stockmovement_item_place_day", "item", "place", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    day: date
    kind: str = Field(max_length=16)
    item: str = Field(max_length=64)
    place: str = Field(max_length=32)
    quantity: int
    """Signed: what it added to (or took from) the place's stock."""
    balance: int
    source: str = Field(default="", max_length=16)
    batch: str = Field(default="", max_length=32)
    expiry: date | None = None
    reason: str = Field(default="", max_length=200)
    need_id: int | None = Field(default=None, foreign_key="supplyneed.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")


class StockBatch(SQLModel, table=True):
    """What is left of one batch with an expiry date at one place; used first-expiring-first."""

    __table_args__ = (Index("ix_stockbatch_item_place", "item", "place"),)

    id: int | None = Field(default=None, primary_key=True)
    item: str = Field(max_length=64)
    place: str = Field(max_length=32)
    batch: str = Field(default="", max_length=32)
    expiry: date = Field(index=True)
    remaining: int


@dataclass(frozen=True)
class Moved:
    """The outcome of a movement: done, with the balance left, or refused, with what there is."""

    done: bool
    on_hand: int


def on_hand(*, session: Session, item: str, place: str) -> int:
    """Return the stock on hand of one item at one place."""
    found = session.exec(select(StockLevel.on_hand).where(StockLevel.item == item, StockLevel.place == place)).first()
    return int(found or 0)


def all_on_hand(*, session: Session) -> dict[tuple[str, str], int]:
    """Return the stock on hand of every item at every place, by (item, place)."""
    table = table_of(StockLevel)
    rows = session.connection().execute(select(table.c.item, table.c.place, table.c.on_hand))
    return {(item, place): int(amount) for item, place, amount in rows}


def _change(*, session: Session, item: str, place: str, delta: int, now: datetime, floor: int = 0) -> int | None:
    """Add ``delta`` to a running total unless it would leave less than ``floor``; return the new total or None."""
    stamp = to_db_time(now)
    insert_if_absent(
        session, StockLevel, {"item": item, "place": place, "on_hand": 0, "updated_at": stamp}, ["item", "place"]
    )
    table = table_of(StockLevel)
    row = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.item == item, table.c.place == place, table.c.on_hand + delta >= floor)
            .values(on_hand=table.c.on_hand + delta, updated_at=stamp)
            .returning(table.c.on_hand)
        )
        .first()
    )
    return None if row is None else int(row[0])


def move(
    *,
    session: Session,
    now: datetime,
    day: date,
    kind: str,
    item: str,
    place: str,
    quantity: int,
    member_id: int | None = None,
    **details: object,
) -> Moved:
    """Record one movement of a signed quantity; refused (nothing written) if it would take stock below zero."""
    balance = _change(session=session, item=item, place=place, delta=quantity, now=now)
    if balance is None:
        return Moved(False, on_hand(session=session, item=item, place=place))
    session.add(
        StockMovement(
            at=to_db_time(now),
            day=day,
            kind=kind,
            item=item,
            place=place,
            quantity=quantity,
            balance=balance,
            member_id=member_id,
            **details,  # type: ignore[arg-type]  # source, batch, expiry, reason, need_id: the table's own columns
        )
    )
    expiry = details.get("expiry")
    if quantity > 0 and isinstance(expiry, date):
        session.add(
            StockBatch(item=item, place=place, batch=str(details.get("batch", "")), expiry=expiry, remaining=quantity)
        )
    elif quantity < 0:
        _use_batches(session=session, item=item, place=place, amount=-quantity, balance=balance)
    session.flush()
    return Moved(True, balance)


def _use_batches(*, session: Session, item: str, place: str, amount: int, balance: int) -> None:
    """Take what left the place from its batches, first expiring first, and never keep more in batches than is left."""
    batches = list(
        session.exec(
            select(StockBatch)
            .where(StockBatch.item == item, StockBatch.place == place, StockBatch.remaining > 0)
            .order_by(col(StockBatch.expiry), col(StockBatch.id))
        )
    )
    for batch in batches:
        taken = min(batch.remaining, amount)
        batch.remaining -= taken
        amount -= taken
        session.add(batch)
    # A count below what the batches hold: the difference was not unbatched stock, so the batches shrink too.
    excess = sum(batch.remaining for batch in batches) - balance
    for batch in reversed(batches):
        if excess <= 0:
            break
        cut = min(batch.remaining, excess)
        batch.remaining -= cut
        excess -= cut


def expired_batches(*, session: Session, day: date) -> list[StockBatch]:
    """Return batches with stock left whose expiry date has come."""
    return list(
        session.exec(
            select(StockBatch).where(StockBatch.expiry <= day, StockBatch.remaining > 0).order_by(col(StockBatch.id))
        )
    )


def write_off(*, session: Session, batch: StockBatch, now: datetime, day: date) -> Moved:
    """Count an expired batch as gone: a movement out of its place, and the batch emptied."""
    table = table_of(StockBatch)
    taken = (
        session.connection()
        .execute(
            update(table)
            .where(table.c.id == batch.id, table.c.remaining == batch.remaining, table.c.remaining > 0)
            .values(remaining=0)
            .returning(table.c.id)
        )
        .first()
    )
    if taken is None:
        return Moved(False, on_hand(session=session, item=batch.item, place=batch.place))
    amount = min(batch.remaining, on_hand(session=session, item=batch.item, place=batch.place))
    balance = _change(session=session, item=batch.item, place=batch.place, delta=-amount, now=now)
    assert balance is not None
    session.add(
        StockMovement(
            at=to_db_time(now),
            day=day,
            kind=KIND_EXPIRED,
            item=batch.item,
            place=batch.place,
            quantity=-amount,
            balance=balance,
            batch=batch.batch,
            expiry=batch.expiry,
        )
    )
    session.flush()
    session.refresh(batch)
    return Moved(True, balance)


def used_since(*, session: Session, item: str, place: str, since: date) -> int:
    """Return how much of an item left a place as use (issues and direct 出库) since a day, included."""
    used = session.exec(
        select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
            StockMovement.item == item,
            StockMovement.place == place,
            StockMovement.day >= since,
            col(StockMovement.kind).in_(USE_KINDS),
        )
    ).one()
    return -int(used)


def movements(*, session: Session, limit: int = 100_000) -> list[StockMovement]:
    """Return movements, oldest first."""
    return list(session.exec(select(StockMovement).order_by(col(StockMovement.id)).limit(limit)))
