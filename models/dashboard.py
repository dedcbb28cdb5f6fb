"""The dashboard's records and reads: one-time login links (recorded when sent, marked when used, ended at logout),
open alerts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lianfang.models.alerts import Alert
from lianfang.models.base import to_db_time
from lianfang.models.screening import ScreeningVisit
from lianfang.models.stock import StockMovement
from sqlalchemy import Integer, cast, func, update
from sqlmodel import Field, Session, SQLModel, col, select

NONCE_LENGTH = 43
"""A URL-safe rendering of 32 random bytes."""


class DashboardLogin(SQLModel, table=True):
    """A login link sent to a member: its random nonce, until when it works, and when it was used."""

    id: int | None = Field(default=None, primary_key=True)
    nonce: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    ended_at: datetime | None = None
    """When the browser session the link opened was logged out; it cannot be used again after that."""


def add_login(*, session: Session, nonce: str, member_id: int, now: datetime, expires_at: datetime) -> None:
    """Record a login link just sent."""
    session.add(
        DashboardLogin(nonce=nonce, member_id=member_id, created_at=to_db_time(now), expires_at=to_db_time(expires_at))
    )
    session.flush()


def use_login(*, session: Session, nonce: str, now: datetime) -> int | None:
    """Mark a link used and return its id (the browser session it opens); None if unknown, expired or used already.

    One UPDATE does it, so two requests racing with the same link cannot both get in.
    """
    moment = to_db_time(now)
    used = session.execute(
        update(DashboardLogin)
        .where(
            col(DashboardLogin.nonce) == nonce,
            col(DashboardLogin.used_at).is_(None),
            col(DashboardLogin.expires_at) > moment,
        )
        .values(used_at=moment)
    )
    if not used.rowcount:  # type: ignore[attr-defined]
        return None
    return session.exec(select(DashboardLogin.id).where(DashboardLogin.nonce == nonce)).one()


def get_login(*, session: Session, login_id: int) -> DashboardLogin | None:
    """Return a recorded link (and the browser session it opened) by id."""
    return session.get(DashboardLogin, login_id)


def end_login(*, session: Session, login_id: int, now: datetime) -> bool:
    """End the browser session a used link opened; True only if this call ended it."""
    ended = session.execute(
        update(DashboardLogin)
        .where(
            col(DashboardLogin.id) == login_id,
            col(DashboardLogin.used_at).is_not(None),
            col(DashboardLogin.ended_at).is_(None),
        )
        .values(ended_at=to_db_time(now))
    )
    return bool(ended.rowcount)  # type: ignore[attr-defined]


def login_of(*, session: Session, nonce: str) -> DashboardLogin | None:
    """Return the recorded link with a nonce (to tell a used link from an unknown one)."""
    return session.exec(select(DashboardLogin).where(DashboardLogin.nonce == nonce)).first()


def open_alerts(*, session: Session, community: str | None = None, limit: int = 50) -> list[Alert]:
    """Return alerts nobody has acknowledged yet, newest first; of one community when given."""
    query = select(Alert).where(col(Alert.acked_at).is_(None))
    if community is not None:
        query = query.where(Alert.community == community)
    return list(session.exec(query.order_by(col(Alert.created_at).desc(), col(Alert.id).desc()).limit(limit)))


def acknowledged_between(*, session: Session, start: datetime, end: datetime, community: str | None = None) -> int:
    """Count the alerts acknowledged in a span of time, in SQL."""
    query = select(func.count()).select_from(Alert)
    query = query.where(col(Alert.acked_at) >= to_db_time(start), col(Alert.acked_at) < to_db_time(end))
    if community is not None:
        query = query.where(Alert.community == community)
    return int(session.exec(query).one())


def visits_by_day(*, session: Session, start: date, end: date) -> dict[date, tuple[int, int]]:
    """Count the ledger visits that reached someone, and those that raised an alert, per day in [start, end)."""
    reached = func.coalesce(func.sum(cast(ScreeningVisit.reached, Integer)), 0)
    alerts = func.coalesce(func.sum(cast(ScreeningVisit.is_alert, Integer)), 0)
    query = (
        select(col(ScreeningVisit.day), reached, alerts)
        .where(ScreeningVisit.day >= start, ScreeningVisit.day < end)
        .group_by(col(ScreeningVisit.day))
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in session.exec(query)}


def zero_stock_by_day(*, session: Session, first: date, last: date) -> dict[date, set[tuple[str, str]]]:
    """Return, for each day from ``first`` to ``last``, the (item, place) pairs whose stock was at zero that evening.

    A pair's stock at the end of a day is the balance its last movement up to that day left (movements keep it).
    """
    latest = (
        select(func.max(StockMovement.id))
        .where(StockMovement.day < first)
        .group_by(col(StockMovement.item), col(StockMovement.place))
    )
    balances = {
        (item, place): balance
        for item, place, balance in session.exec(
            select(StockMovement.item, StockMovement.place, StockMovement.balance).where(
                col(StockMovement.id).in_(latest)
            )
        )
    }
    later = session.exec(
        select(col(StockMovement.day), col(StockMovement.item), col(StockMovement.place), col(StockMovement.balance))
        .where(StockMovement.day >= first, StockMovement.day <= last)
        .order_by(col(StockMovement.day), col(StockMovement.id))
    ).all()
    out: dict[date, set[tuple[str, str]]] = {}
    moved = iter(later)
    pending = next(moved, None)
    day = first
    while day <= last:
        while pending is not None and pending[0] == day:
            balances[(pending[1], pending[2])] = pending[3]
            pending = next(moved, None)
        out[day] = {pair for pair, balance in balances.items() if balance == 0}
        day += timedelta(days=1)
    return out
