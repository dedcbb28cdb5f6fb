"""Stock arithmetic: the running total equals the movements' sum and never goes below zero; batches expire."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from lianfang.bot.db import make_engine, session_scope, upgrade
from lianfang.models.stock import (
    KIND_COUNT,
    KIND_IN,
    KIND_OUT,
    StockMovement,
    expired_batches,
    move,
    on_hand,
    write_off,
)
from sqlalchemy import func
from sqlmodel import select

NOW = datetime(2020, 1, 28, 2, tzinfo=UTC)
DAY = date(2020, 1, 28)


def test_running_totals_match_the_history_and_never_go_below_zero(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    rng = random.Random(17)
    refused = 0
    with session_scope(engine) as session:
        for _ in range(400):
            place = rng.choice(("a", "b"))
            quantity = rng.choice((1, 5, 20)) * rng.choice((1, -1, -1))
            moved = move(
                session=session, now=NOW, day=DAY, kind=KIND_IN if quantity > 0 else KIND_OUT, item="N95",
                place=place, quantity=quantity,
            )  # fmt: skip
            if not moved.done:
                refused += 1
                assert moved.on_hand < -quantity  # refused only when there was not enough, saying how much
            assert on_hand(session=session, item="N95", place=place) >= 0
        for place in ("a", "b"):
            history = session.exec(select(func.sum(StockMovement.quantity)).where(StockMovement.place == place)).one()
            assert on_hand(session=session, item="N95", place=place) == int(history or 0)
    assert refused > 0
    engine.dispose()


def test_an_expired_batch_goes_first_and_is_written_off_for_what_is_left(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        common = {"session": session, "now": NOW, "day": DAY, "item": "酒精", "place": "a"}
        move(**common, kind=KIND_IN, quantity=50)  # no expiry date
        move(**common, kind=KIND_IN, quantity=100, batch="B1", expiry=date(2020, 2, 1))
        move(**common, kind=KIND_OUT, quantity=-30)  # from B1, the batch that expires
        move(**common, kind=KIND_COUNT, quantity=-30)  # a count finds 30 fewer: taken as used, B1 first too
        assert on_hand(session=session, item="酒精", place="a") == 90
        assert expired_batches(session=session, day=date(2020, 1, 31)) == []
        (batch,) = expired_batches(session=session, day=date(2020, 2, 1))
        assert batch.remaining == 40
        assert write_off(session=session, batch=batch, now=NOW, day=date(2020, 2, 1)).on_hand == 50
        assert not write_off(session=session, batch=batch, now=NOW, day=date(2020, 2, 1)).done  # only once
    engine.dispose()
