"""Benchmark 督办 at 10,000 open items: one group's ``/supervise`` list, the morning digest, the report section.

``/supervise`` is measured through the core, as a member's message is answered (routing, the colour counts and the
list in SQL, the reply queued); its floor is ``/help`` answered for the same member in the same run. The digest and
the 督办事项 section of the merged report are the pure functions the scheduler and the report call.

Run: python benchmarks/supervision.py [--quick] [--database-url URL]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.bot.db import session_scope
from lianfang.handlers.supervision import digest_lines, section_lines
from lianfang.models.base import to_db_time
from lianfang.models.members import create_member
from lianfang.models.supervision import STATES, SupervisionItem, SupervisionShare
from sqlalchemy import insert

from benchmarks.run import databases, emit
from tests.fakes import Harness

ITEMS = 10_000
QUICK_ITEMS = 1_000
GROUPS = ("coordination", "screening", "supplies", "publicity", "stability", "supervision")
RUNS = 21
INSERT_BATCH = 5_000


def fill(harness: Harness, items: int) -> None:
    """Store ``items`` open items spread over the groups and the colours, plus as many closed ones."""
    with session_scope(harness.app.engine) as session:
        creator = create_member(
            session=session,
            name="王宏武",
            group_key="coordination",
            role="leader",
            community=None,
            lang="zh_CN",
            now=harness.clock.now,
        )
        creator_id = creator.id
    now = harness.clock.now
    open_states = [state for state in STATES if state not in ("done", "withdrawn")]
    rows = []
    for n in range(items * 2):
        closed = n >= items
        due = now + timedelta(hours=(n % 200) - 50)
        rows.append(
            {
                "id": n + 1,
                "created_at": to_db_time(now - timedelta(hours=n % 96)),
                "creator_id": creator_id,
                "source": "instruction",
                "reference": "",
                "content": f"督办事项{n}：完成朝阳新村返长人员全覆盖核查",
                "lead_group": GROUPS[n % len(GROUPS)],
                "assist_groups": f" {GROUPS[(n + 1) % len(GROUPS)]} " if n % 5 == 0 else "",
                "priority": "normal",
                "due_at": to_db_time(due),
                "state": "done" if closed else open_states[n % len(open_states)],
                "last_activity_at": to_db_time(now - timedelta(hours=n % 72)),
                "request_reason": "",
                "closed_at": to_db_time(now - timedelta(hours=n % 48)) if closed else None,
                "extensions": 0,
                "returns": 0,
                "red_repeats": 0,
            }
        )
    shares = [
        {"item_id": row["id"], "group_key": group}
        for row in rows
        for group in (str(row["lead_group"]), *str(row["assist_groups"]).split())
    ]
    with session_scope(harness.app.engine) as session:
        for start in range(0, len(rows), INSERT_BATCH):
            session.execute(insert(SupervisionItem), rows[start : start + INSERT_BATCH])
        for start in range(0, len(shares), INSERT_BATCH):
            session.execute(insert(SupervisionShare), shares[start : start + INSERT_BATCH])


async def answer_ms(harness: Harness, chat, text: str) -> float:  # noqa: ANN001
    """Return the median milliseconds to answer a message."""
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        answer = await chat.say(text)
        timings.append((time.perf_counter() - began) * 1000)
        assert answer, text
    return statistics.median(timings)


def function_ms(harness: Harness, work) -> float:  # noqa: ANN001
    """Return the median milliseconds of a pure function of a context."""
    timings = []
    for _ in range(RUNS):
        with session_scope(harness.app.engine) as session:
            ctx = harness.app.dispatcher.context(session, harness.clock())
            began = time.perf_counter()
            lines = work(ctx)
            timings.append((time.perf_counter() - began) * 1000)
        assert lines
    return statistics.median(timings)


async def measure(url: str, items: int) -> dict[str, float]:
    """Return the medians: one group's list and its floor, the digest, the report section."""
    harness = Harness.create(url)
    lead = await harness.member("刘洋", "screening", "group_lead")
    fill(harness, items)
    harness.at("10:00")
    results = {
        "list": await answer_ms(harness, lead, "/supervise"),
        "floor": await answer_ms(harness, lead, "/help"),
        "digest": function_ms(harness, digest_lines),
        "section": function_ms(harness, lambda ctx: section_lines(ctx, ctx.today)),
    }
    harness.app.engine.dispose()
    return results


AT_10000 = "< 200 ms at 10,000 open items"


def main() -> None:
    """Print each result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--database-url", help="run on this PostgreSQL (each benchmark in a new schema)")
    args = parser.parse_args()
    items = QUICK_ITEMS if args.quick else ITEMS
    database = "postgresql" if args.database_url else "sqlite"
    with databases(args.database_url) as database_for:
        found = asyncio.run(measure(database_for("supervision"), items))
    emit(
        f"supervision_list_{items}",
        found["list"],
        "ms",
        50,
        goal="< 50 ms for one group's /supervise at 10,000 open items on SQLite",
        floor=round(found["floor"], 3),
        ratio=round(found["list"] / found["floor"], 2),
        database=database,
    )
    emit(f"supervision_digest_{items}", found["digest"], "ms", 200, goal=AT_10000, database=database)
    emit(f"supervision_section_{items}", found["section"], "ms", 200, goal=AT_10000, database=database)


if __name__ == "__main__":
    main()
