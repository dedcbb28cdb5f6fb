"""Every benchmark; each result is one JSON line: {"bench", "value", "unit", "target", "on", "better", ...}.

``target`` is a number; the line meets it when its field ``on`` (``value`` unless said) is at most the target
(``better``: ``lower``) or at least it (``higher``); ``meets`` checks that. ``goal`` says it in words. Where a
floor is measured in the same run, ``ratio`` is the figure against it (or, for the outbox drain, against the floor
a rate limit sets; see drain.py). This module's benchmarks (form steps, the merged report, the outbox drain) run
here; the other scripts of this folder each run in a process of their own, and their lines are relayed. The
PostgreSQL scale-out (scale.py) runs when ``--database-url`` is given or a PostgreSQL answers on 127.0.0.1.

Run: python benchmarks/run.py [--quick] [--database-url URL] [--only core,telegram,...].
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path and benchmarks/telegram.py would shadow the package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from lianfang.bot.db import session_scope  # noqa: E402
from lianfang.models.checks import CheckResult, rebuild_check_totals  # noqa: E402
from lianfang.models.members import create_member  # noqa: E402
from lianfang.models.outbox import enqueue  # noqa: E402
from lianfang.models.sealed import new_key_text  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from tests.environment import DATA_KEY  # noqa: E402
from tests.fakes import Harness  # noqa: E402

LOWER = "lower"
HIGHER = "higher"
"""Which way a figure is better, for ``emit``'s ``better``."""
FORM_STEPS_TARGET = 3.0
"""Form steps take at most 3x the time of the floor's one bare transaction per step."""
REPORT_TARGET_MS = 200
REPORT_RATIO_TARGET = 2.0


def emit(
    bench: str, value: float, unit: str, target: float, *, on: str = "value", better: str = LOWER, **extra: object
) -> None:
    """Print one result line; ``target`` is a number the field ``on`` meets when ``better`` (lower, higher) or equal."""
    line = {"bench": bench, "value": round(value, 3), "unit": unit, "target": target, "on": on, "better": better}
    print(json.dumps({**line, **extra}, ensure_ascii=False), flush=True)


def meets(line: dict[str, object]) -> bool:
    """Tell whether a result line meets its target."""
    figure, target = line[str(line["on"])], line["target"]
    assert isinstance(figure, int | float) and isinstance(target, int | float)
    return figure <= target if line["better"] == LOWER else figure >= target


async def form_steps(url: str, steps: int, rounds: int = 4) -> tuple[float, float]:
    """Return (form steps per second through the core, floor: bare transactions per second).

    The steps and the floor's transactions run in ``rounds`` rounds, taking turns, and each rate is taken over all
    its rounds: on a shared machine the speed drifts within a minute, and taking turns lets both meet the drift.
    """
    harness = Harness.create(url)
    await harness.app.start()
    chat = await harness.member("张伟", "screening", "staff", "chaoyang")
    answers = ["/check", "3栋2单元501", "张三", "/skip", "36.5", "无", "1", "4", "提交"]
    delivered = harness.adapter.delivered
    per_round = steps // rounds
    core_seconds = floor_seconds = 0.0
    for round_ in range(rounds):
        started = time.perf_counter()
        for n in range(round_ * per_round, (round_ + 1) * per_round):
            await chat.say(answers[n % len(answers)])
            # the test harness scans every delivered message per call; keep it from growing with the run
            delivered.clear()
            chat.read = 0
        core_seconds += time.perf_counter() - started
        # floor: one transaction per message that writes one outbox row, the least a reply costs
        started = time.perf_counter()
        for _ in range(per_round):
            with session_scope(harness.app.engine) as session:
                enqueue(session=session, platform="memory", chat_id="x", payload={"lines": []}, now=harness.clock.now)
        floor_seconds += time.perf_counter() - started
    await harness.app.stop()
    harness.app.engine.dispose()
    return per_round * rounds / core_seconds, per_round * rounds / floor_seconds


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


@dataclass(frozen=True)
class Script:
    """A benchmark script of this folder that ``run.py`` runs in a process of its own, relaying its lines."""

    name: str
    database: bool = True
    """It takes ``--database-url`` (and then runs on that PostgreSQL)."""


SCRIPTS = (
    Script("telegram", database=False),
    Script("wecom", database=False),
    Script("rss"),
    Script("screening"),
    Script("stock"),
    Script("supervision"),
    Script("dashboard"),
    Script("report_files"),
    Script("freetext", database=False),
)
CORE = "core"
"""The benchmarks of this module: form steps, the merged report, the outbox drain."""
SCALE = "scale"
NAMES = (CORE, *(script.name for script in SCRIPTS), SCALE)
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
"""Where the scale-out benchmark looks for a PostgreSQL when no ``--database-url`` is given."""
PROBE_SECONDS = 2
NUMERIC_TARGETS = {"telegram_updates_per_second": (1.5, "ratio_durable", LOWER)}
"""Numbers for lines whose script states its target in words only: (target, the field it is on, better)."""
REPORT_NAMES = ("report_build_100000", "report_build_1000000")
"""The names scripts read, also in a quick run (smaller sizes, given in ``rows``)."""


def numeric(line: dict[str, Any]) -> dict[str, Any]:
    """Return a result line with a numeric target: one stated in words moves to ``goal``."""
    if isinstance(line.get("target"), int | float) or line.get("bench") not in NUMERIC_TARGETS:
        return line
    target, on, better = NUMERIC_TARGETS[line["bench"]]
    return {**line, "target": target, "on": on, "better": better, "goal": line.get("target")}


def run_script(script: str, options: list[str]) -> bool:
    """Run ``benchmarks/<script>.py`` and print its result lines; tell whether it worked (its errors go to stderr)."""
    done = subprocess.run(
        [sys.executable, str(HERE / f"{script}.py"), *options], capture_output=True, text=True, check=False
    )
    for output in done.stdout.splitlines():
        if output.startswith("{"):
            print(json.dumps(numeric(json.loads(output)), ensure_ascii=False), flush=True)
    if done.returncode != 0:
        print(f"benchmarks/{script}.py failed ({done.returncode}):\n{done.stderr[-3000:]}", file=sys.stderr)
    return done.returncode == 0


def postgres_answering(url: str) -> bool:
    """Tell whether a PostgreSQL answers at ``url``."""
    engine = create_engine(url, connect_args={"connect_timeout": PROBE_SECONDS})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        return False
    finally:
        engine.dispose()
    return True


def core(quick: bool, base: str | None) -> None:
    """Run this module's benchmarks: form steps, the merged report at two sizes, the outbox drain."""
    steps = 300 if quick else 2000
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000)
    database = "postgresql" if base else "sqlite"
    with databases(base) as database_for:
        rate, floor = asyncio.run(form_steps(database_for("steps"), steps))
        emit(
            "form_steps_per_second",
            rate,
            "steps/s",
            FORM_STEPS_TARGET,
            on="ratio",
            floor=round(floor, 1),
            ratio=round(floor / rate, 2),
            database=database,
        )
        times = []
        for name, size in zip(REPORT_NAMES, sizes, strict=True):
            times.append(report_build(database_for(f"report{size}"), size))
            emit(name, times[-1], "ms", REPORT_TARGET_MS, goal="<= 200 ms at 1M", rows=size, database=database)
        emit("report_build_ratio", times[1] / times[0], "x", REPORT_RATIO_TARGET, sizes=list(sizes), database=database)
        from benchmarks.drain import MESSAGES, QUICK_MESSAGES, RATE, emit_drain, outbox_drain

        messages = QUICK_MESSAGES if quick else MESSAGES
        url = database_for("drain")
        emit_drain(messages, RATE, asyncio.run(outbox_drain(url, messages, RATE)))


def main() -> None:
    """Run every benchmark (or those named by ``--only``); exit 1 when one of them failed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--database-url",
        help="run on this PostgreSQL (each benchmark in a new schema) instead of temporary SQLite files",
    )
    parser.add_argument("--only", help=f"a comma-separated list of: {', '.join(NAMES)}")
    args = parser.parse_args()
    # lianfang seals personal data and refuses to run on PostgreSQL without a key: one for this run, unless given
    os.environ.setdefault(DATA_KEY, new_key_text())
    chosen = set(args.only.split(",")) if args.only else set(NAMES)
    if chosen - set(NAMES):
        parser.error(f"unknown benchmarks: {', '.join(sorted(chosen - set(NAMES)))}")
    quick = ["--quick"] if args.quick else []
    worked = True
    if CORE in chosen:
        core(args.quick, args.database_url)
    for script in SCRIPTS:
        if script.name in chosen:
            on = ["--database-url", args.database_url] if args.database_url and script.database else []
            worked = run_script(script.name, [*quick, *on]) and worked
    if SCALE in chosen:
        scale_url = args.database_url or (LOCAL_POSTGRES if postgres_answering(LOCAL_POSTGRES) else None)
        if scale_url:
            worked = run_script(SCALE, [*quick, "--database-url", scale_url]) and worked
    if not worked:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
