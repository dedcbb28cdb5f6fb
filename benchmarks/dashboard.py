"""Benchmark the leadership dashboard: one leader's page, built and rendered, with 1M check records and 1M ledger rows.

The issue's target: under 300 ms on SQLite. Its floor is the same page on an empty database (the queries, the
templates and the SVG lines with nothing to count), measured in the same run.

Run: python benchmarks/dashboard.py [--quick] [--database-url URL]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.bot.db import session_scope
from lianfang.handlers.dashboard.pages import render_page
from lianfang.handlers.dashboard.view import build_dashboard
from lianfang.models.checks import CheckResult, rebuild_check_totals
from lianfang.models.members import Member, create_member
from lianfang.models.screening import add_targets
from sqlalchemy import insert
from sqlmodel import select

from benchmarks.run import databases, emit
from benchmarks.screening import INSERT_BATCH, _target
from tests.fakes import Harness

ROWS = 1_000_000
QUICK_ROWS = 100_000
RUNS = 7
COMMUNITIES = ("chaoyang", "dongfeng", "xinhua")


def seeded(url: str, rows: int) -> Harness:
    """Return an instance whose database holds ``rows`` check records over 28 days and ``rows`` ledger people."""
    harness = Harness.create(url)
    engine = harness.app.engine
    now = harness.clock.now
    with session_scope(engine) as session:
        member_id = create_member(
            session=session,
            name="排查员",
            group_key="screening",
            role="staff",
            community="chaoyang",
            lang="zh_CN",
            now=now,
        ).id
        create_member(
            session=session, name="领导", group_key="coordination", role="leader", community=None, lang="zh_CN", now=now
        )
    rng = random.Random(1)
    start = date(2020, 1, 1)
    with engine.begin() as connection:
        for first in range(0, rows, INSERT_BATCH):
            batch = [_check(n, rows, start, member_id, rng) for n in range(first, min(rows, first + INSERT_BATCH))]
            connection.execute(insert(CheckResult), batch)
    with session_scope(engine) as session:
        rebuild_check_totals(session=session)  # the bulk load bypassed add_check, which keeps the day totals
    today = now.date()
    for first in range(0, rows, INSERT_BATCH):
        batch = [
            _target(n, member_id, today - timedelta(days=n % 30)) for n in range(first, min(rows, first + INSERT_BATCH))
        ]
        with session_scope(engine) as session:
            add_targets(session=session, now=now, rows=batch)
    return harness


def _check(n: int, rows: int, start: date, member_id: int | None, rng: random.Random) -> dict[str, object]:
    return {
        "day": start + timedelta(days=n * 28 // rows),
        "created_at": datetime(2020, 1, 1, tzinfo=UTC),
        "member_id": member_id,
        "community": rng.choice(COMMUNITIES),
        "address": "3栋",
        "person": "张三",
        "temperature": 36.5,
        "symptoms": "无",
        "history": "none",
        "measure": "none",
        "is_alert": rng.random() < 0.01,
        "is_referral": rng.random() < 0.005,
    }


def page_milliseconds(harness: Harness) -> float:
    """Return the median milliseconds to build and render the leader's page of today (after one warm-up)."""
    timings = []
    for _ in range(RUNS + 1):
        with session_scope(harness.app.engine) as session:
            ctx = harness.app.dispatcher.context(session, harness.clock.now)
            leader = session.exec(select(Member).where(Member.role == "leader")).one()
            began = time.perf_counter()
            board = build_dashboard(ctx, leader, ctx.today)
            html = render_page(board, leader.lang, "08:00", ctx.today)
            timings.append((time.perf_counter() - began) * 1000)
        assert "全街道" in html
    return statistics.median(timings[1:])


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100k rows instead of 1M, for a smoke run")
    parser.add_argument("--database-url", help="run on this PostgreSQL (a new schema) instead of SQLite files")
    args = parser.parse_args()
    rows = QUICK_ROWS if args.quick else ROWS
    database = "postgresql" if args.database_url else "sqlite"
    with databases(args.database_url) as database_for:
        empty = Harness.create(database_for("dashboard_empty"))
        empty_ms = _with_leader(empty)
        full = seeded(database_for("dashboard"), rows)
        full_ms = page_milliseconds(full)
        for harness in (empty, full):
            harness.app.engine.dispose()
    emit(
        f"dashboard_page_{rows}",
        full_ms,
        "ms",
        300,
        goal="< 300 ms with 1M checks and 1M ledger rows on SQLite",
        floor=round(empty_ms, 1),
        ratio=round(full_ms / empty_ms, 2),
        database=database,
    )


def _with_leader(harness: Harness) -> float:
    with session_scope(harness.app.engine) as session:
        create_member(
            session=session,
            name="领导",
            group_key="coordination",
            role="leader",
            community=None,
            lang="zh_CN",
            now=harness.clock.now,
        )
    return page_milliseconds(harness)


if __name__ == "__main__":
    main()
