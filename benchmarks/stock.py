"""Benchmark stock on hand: every item at every place with 1M stock movements recorded, on running totals.

Stock on hand is read from the running totals (one row per item and place), never summed from history, so it
stays flat however many movements there are. The floor is one bare round trip on the same connection; beside it,
for scale, summing the whole movement history per item and place (what the running totals avoid). A movement
through the product's path (check, update the total, write the movement) is timed on the full table too.

Run: python benchmarks/stock.py [--quick] [--database-url URL]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.bot.db import session_scope
from lianfang.models.base import table_of
from lianfang.models.stock import KIND_IN, KIND_OUT, StockLevel, StockMovement, all_on_hand, move
from sqlalchemy import func, insert, select, text

from benchmarks.run import databases, emit
from tests.fakes import Harness

MOVEMENTS = 1_000_000
QUICK_MOVEMENTS = 100_000
ITEMS = ("医用外科口罩", "N95口罩", "84消毒液", "75%酒精", "体温枪", "防护服")
PLACES = tuple(f"place{n}" for n in range(20))
INSERT_BATCH = 50_000
RUNS = 21
TARGET_MS = 100
MOVE_TARGET_MS = 50
"""One checked movement (a receipt or an issue) stays well within a chat reply's time."""


def fill(url: str, movements: int) -> Harness:
    """Return a harness whose database holds ``movements`` movements and the running totals they leave."""
    harness = Harness.create(url)
    pairs = [(item, place) for item in ITEMS for place in PLACES]
    balances = dict.fromkeys(pairs, 0)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    table = table_of(StockMovement)
    for first in range(0, movements, INSERT_BATCH):
        rows = []
        for n in range(first, min(movements, first + INSERT_BATCH)):
            item, place = pairs[n % len(pairs)]
            quantity = 10 if (n // len(pairs)) % 3 else -5  # in, in, out: never below zero
            balances[(item, place)] += quantity
            rows.append(
                {
                    "at": start + timedelta(seconds=n),
                    "day": date(2020, 1, 1) + timedelta(days=n // 20_000),
                    "kind": KIND_IN if quantity > 0 else KIND_OUT,
                    "item": item,
                    "place": place,
                    "quantity": quantity,
                    "balance": balances[(item, place)],
                    "source": "",
                    "batch": "",
                    "reason": "",
                }
            )
        with session_scope(harness.app.engine) as session:
            session.execute(insert(table), rows)
    levels = table_of(StockLevel)
    with session_scope(harness.app.engine) as session:
        session.execute(
            insert(levels),
            [{"item": i, "place": p, "on_hand": amount, "updated_at": start} for (i, p), amount in balances.items()],
        )
    return harness


def median_ms(harness: Harness, work) -> float:  # noqa: ANN001 - a callable taking the session
    """Return the median milliseconds of ``work(session)`` over several runs, each in its own transaction."""
    timings = []
    for _ in range(RUNS):
        with session_scope(harness.app.engine) as session:
            began = time.perf_counter()
            work(session)
            timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def main() -> None:
    """Print each result as one JSON line; fail if on-hand misses its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--database-url", help="run on this PostgreSQL (each benchmark in a new schema)")
    args = parser.parse_args()
    size = QUICK_MOVEMENTS if args.quick else MOVEMENTS
    database = "postgresql" if args.database_url else "sqlite"
    with databases(args.database_url) as database_for:
        harness = fill(database_for("stock"), size)
        pairs = len(ITEMS) * len(PLACES)

        def read_all(session) -> None:  # noqa: ANN001
            assert len(all_on_hand(session=session)) == pairs

        on_hand_ms = median_ms(harness, read_all)
        floor_ms = median_ms(harness, lambda session: session.execute(text("SELECT 1")).one())
        movement = table_of(StockMovement)
        history_ms = median_ms(
            harness,
            lambda session: session.execute(
                select(movement.c.item, movement.c.place, func.sum(movement.c.quantity)).group_by(
                    movement.c.item, movement.c.place
                )
            ).all(),
        )
        emit(
            f"stock_on_hand_{size}",
            on_hand_ms,
            "ms",
            TARGET_MS,
            goal=f"< {TARGET_MS} ms for every item and place with 1M movements",
            floor=round(floor_ms, 3),
            summing_history_ms=round(history_ms, 1),
            pairs=pairs,
            database=database,
        )
        now = datetime(2020, 2, 1, tzinfo=UTC)

        def one_move(session) -> None:  # noqa: ANN001
            moved = move(
                session=session, now=now, day=now.date(), kind=KIND_OUT, item=ITEMS[0], place=PLACES[0], quantity=-1
            )
            assert moved.done

        move_ms = median_ms(harness, one_move)
        emit(f"stock_move_{size}", move_ms, "ms", MOVE_TARGET_MS, goal="one movement, checked", database=database)
        harness.app.engine.dispose()
        if on_hand_ms >= TARGET_MS:
            raise SystemExit(f"stock on hand took {on_hand_ms:.1f} ms, over the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
