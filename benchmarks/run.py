"""Benchmarks; each result is one JSON line: {"bench", "value", "unit", "target", ...}.

Run: python benchmarks/run.py [--quick]. Figures are compared with a floor measured in the same run (or, for the
outbox drain, the floor a rate limit sets; see drain.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path and benchmarks/telegram.py would shadow the package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from lianfang.bot.db import session_scope  # noqa: E402
from lianfang.models.checks import CheckResult, rebuild_check_totals  # noqa: E402
from lianfang.models.members import create_member  # noqa: E402
from lianfang.models.outbox import enqueue  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from tests.fakes import Harness  # noqa: E402


def emit(bench: str, value: float, unit: str, target: str, **extra: object) -> None:
    """Print one result line."""
    print(
        json.dumps(
            {"bench": bench, "value": round(value, 3), "unit": unit, "target": target, **extra}, ensure_ascii=False
        )
    )


async def form_steps(url: str, steps: int) -> tuple[float, float]:
    """Return (form steps per second through the core, floor: bare transactions per second)."""
    harness = Harness.create(url)
    await harness.app.start()
    chat = await harness.member("张伟", "screening", "staff", "chaoyang")
    answers = ["/check", "3栋2单元501", "张三", "/skip", "36.5", "无", "1", "4", "提交"]
    delivered = harness.adapter.delivered
    started = time.perf_counter()
    for n in range(steps):
        await chat.say(answers[n % len(answers)])
        # the test harness scans every delivered message per call; keep it from growing with the run
        delivered.clear()
        chat.read = 0
    core = steps / (time.perf_counter() - started)
    # floor: one transaction per message that writes one outbox row, the least a reply costs
    started = time.perf_counter()
    for _ in range(steps):
        with session_scope(harness.app.engine) as session:
            enqueue(session=session, platform="memory", chat_id="x", payload={"lines": []}, now=harness.clock.now)
    floor = steps / (time.perf_counter() - started)
    harness.app.engine.dispose()
    return core, floor


def report_build(url: str, records: int) -> float:
    """Return milliseconds to build the merged report with ``records`` check results across 3 communities."""
    harness = Harness.create(url)
    engine = harness.app.engine
    with session_scope(engine) as session:
        member = create_member(
            session=session,
            name="x",
            group_key="screening",
            role="staff",
            community="chaoyang",
            lang="zh_CN",
            now=harness.clock.now,
        )
        member_id = member.id
    rng = random.Random(1)
    start = date(2020, 1, 1)
    batch = []
    with engine.begin() as connection:
        for n in range(records):
            day = start + timedelta(days=n * 28 // records)
            batch.append(
                {
                    "day": day,
                    "created_at": datetime(2020, 1, 1, tzinfo=UTC),
                    "member_id": member_id,
                    "community": rng.choice(["chaoyang", "dongfeng", "xinhua"]),
                    "address": "3栋",
                    "person": "张三",
                    "temperature": 36.5,
                    "symptoms": "无",
                    "history": "none",
                    "measure": "none",
                    "is_alert": rng.random() < 0.01,
                    "is_referral": rng.random() < 0.005,
                }
            )
            if len(batch) == 10_000:
                connection.execute(insert(CheckResult), batch)
                batch.clear()
        if batch:
            connection.execute(insert(CheckResult), batch)
    # the bulk load bypassed add_check, which keeps the per-day totals the report reads
    with session_scope(engine) as session:
        rebuild_check_totals(session=session)
    from lianfang.handlers.daily_report.report import build_daily_report

    timings = []
    for _ in range(5):
        with session_scope(engine) as session:
            ctx = harness.app.dispatcher.context(session, harness.clock.now)
            began = time.perf_counter()
            build_daily_report(ctx, date(2020, 1, 28))
            timings.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return sorted(timings)[len(timings) // 2]


@contextmanager
def databases(base: str | None) -> Iterator[Callable[[str], str]]:
    """Yield a maker of empty databases, one per benchmark: SQLite files, or new schemas on the given PostgreSQL.

    Whatever was made is removed at the end.
    """
    if base is not None and not base.startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL; SQLite runs on temporary files by default")
    schemas: list[str] = []
    with tempfile.TemporaryDirectory() as folder:

        def make(name: str) -> str:
            if base is None:
                return f"sqlite:///{folder}/{name}.db"
            schemas.append(f"bench_{name}_{uuid.uuid4().hex[:8]}")
            _on_admin(base, f'CREATE SCHEMA "{schemas[-1]}"')
            separator = "&" if "?" in base else "?"
            return f"{base}{separator}options=-csearch_path%3D{schemas[-1]}"

        try:
            yield make
        finally:
            for schema in schemas:
                _on_admin(base or "", f'DROP SCHEMA "{schema}" CASCADE')


def _on_admin(url: str, statement: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def main() -> None:
    """Run every benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--database-url",
        help="run on this PostgreSQL (each benchmark in a new schema) instead of temporary SQLite files",
    )
    args = parser.parse_args()
    steps = 300 if args.quick else 2000
    sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    database = "postgresql" if args.database_url else "sqlite"
    with databases(args.database_url) as database_for:
        core, floor = asyncio.run(form_steps(database_for("steps"), steps))
        emit(
            "form_steps_per_second",
            core,
            "steps/s",
            ">= 1000 on SQLite",
            floor=round(floor, 1),
            ratio=round(floor / core, 2),
            database=database,
        )
        times = []
        for size in sizes:
            times.append(report_build(database_for(f"report{size}"), size))
            emit(f"report_build_{size}", times[-1], "ms", "<= 200 ms at 1M on SQLite", database=database)
        emit("report_build_ratio", times[1] / times[0], "x", "<= 2", sizes=list(sizes), database=database)
        from benchmarks.drain import MESSAGES, QUICK_MESSAGES, RATE, emit_drain, outbox_drain

        messages = QUICK_MESSAGES if args.quick else MESSAGES
        url = database_for("drain")
        emit_drain(messages, RATE, asyncio.run(outbox_drain(url, messages, RATE)))


if __name__ == "__main__":
    main()
