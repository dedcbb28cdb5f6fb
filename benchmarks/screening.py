"""Benchmark the screening ledger: importing a 50,000-row district list, and one staff member's list at 1M rows.

The import goes through the same code as ``lianfang screening import`` (read the .csv, find the header, check
every ID number and phone, merge, assign to communities and staff, insert in one transaction). Its floor is
the bare insert of the same rows in one executemany, measured in the same run. Today's list is the query behind
``/tasks`` on a ledger of 1M people spread over 300 staff members.

Run: python benchmarks/screening.py [--quick] [--database-url URL]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import time
from datetime import date, timedelta

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.bot.db import session_scope
from lianfang.handlers.screening.importing import import_rows, read_table_data
from lianfang.models.members import create_member
from lianfang.models.screening import ScreeningTarget, add_targets, due_targets

from benchmarks.run import databases, emit
from tests.fakes import Harness
from tests.screening_files import id_number

IMPORT_ROWS = 50_000
QUICK_IMPORT_ROWS = 5_000
LEDGER_ROWS = 1_000_000
QUICK_LEDGER_ROWS = 100_000
STAFF = 300
LIST_LIMIT = 20
QUERY_RUNS = 21
INSERT_BATCH = 20_000
COMPOUNDS = ("朝阳新村", "朝阳小区", "东风小区", "东风新村", "新华苑", "新华小区")
HEADER = ["姓名", "身份证号", "联系电话", "现住址", "事由", "抵达日期"]


def district_list(rows: int) -> bytes:
    """Return a district list as UTF-8 .csv bytes: unique valid ID numbers, phones, addresses in the org's compounds."""
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    first = date(1950, 1, 1)
    for n in range(rows):
        birth = first + timedelta(days=n % 20_000)
        number = id_number("430102", birth.strftime("%Y%m%d"), f"{n // 20_000:03d}")
        address = f"{rng.choice(COMPOUNDS)}{rng.randint(1, 40)}栋{rng.randint(101, 1802)}"
        writer.writerow([f"居民{n}", number, f"138{n:08d}", address, "武汉返长", "2020-01-23"])
    return out.getvalue().encode("utf-8-sig")


def import_seconds(url: str, data: bytes) -> tuple[float, float, int]:
    """Return (seconds to import the list through the product's path, floor: bare insert seconds, rows added)."""
    harness = Harness.create(url)
    engine = harness.app.engine
    with session_scope(engine) as session:
        for n in range(STAFF // 30):
            create_member(
                session=session,
                name=f"排查员{n}",
                group_key="screening",
                role="staff",
                community=("chaoyang", "dongfeng", "xinhua")[n % 3],
                lang="zh_CN",
                now=harness.clock.now,
            )
    started = time.perf_counter()
    rows = read_table_data("list.csv", data)
    with session_scope(engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        report = import_rows(ctx, rows, file_name="list.csv", batch="bench", actor="bench")
    seconds = time.perf_counter() - started
    assert not report.bad_rows, "the generated list must be valid"
    added = report.added
    # floor: the same number of rows written by one executemany, nothing read or checked
    bare = [_target(n, None, None) for n in range(len(rows) - 1)]
    started = time.perf_counter()
    with session_scope(engine) as session:
        session.execute(ScreeningTarget.__table__.delete())  # type: ignore[attr-defined]
        add_targets(session=session, now=harness.clock.now, rows=bare)
    floor = time.perf_counter() - started
    engine.dispose()
    return seconds, floor, added


def list_milliseconds(url: str, rows: int) -> float:
    """Return the median milliseconds of one staff member's list on a ledger of ``rows`` people."""
    harness = Harness.create(url)
    engine = harness.app.engine
    with session_scope(engine) as session:
        members = [
            create_member(
                session=session,
                name=f"排查员{n}",
                group_key="screening",
                role="staff",
                community="chaoyang",
                lang="zh_CN",
                now=harness.clock.now,
            ).id
            for n in range(STAFF)
        ]
    today = harness.clock.now.date()
    for start in range(0, rows, INSERT_BATCH):
        batch = [
            _target(n, members[n % STAFF], today - timedelta(days=n % 30))
            for n in range(start, min(rows, start + INSERT_BATCH))
        ]
        with session_scope(engine) as session:
            add_targets(session=session, now=harness.clock.now, rows=batch)
    timings = []
    for run in range(QUERY_RUNS):
        with session_scope(engine) as session:
            began = time.perf_counter()
            found = due_targets(session=session, member_id=members[run * 7 % STAFF], day=today, limit=LIST_LIMIT)
            timings.append((time.perf_counter() - began) * 1000)
        assert len(found) == LIST_LIMIT
    engine.dispose()
    return statistics.median(timings)


def _target(n: int, member_id: int | None, due_on: date | None) -> dict[str, object]:
    return {
        "id_number": None,
        "name": f"居民{n}",
        "phone": f"138{n:08d}",
        "address": f"朝阳新村{n % 40}栋",
        "community": "chaoyang",
        "compound": "朝阳新村",
        "reason": "武汉返长",
        "arrival_date": date(2020, 1, 23),
        "batch": "bench",
        "member_id": member_id,
        "status": "open",
        "due_on": due_on,
    }


def main() -> None:
    """Print each result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--database-url", help="run on this PostgreSQL (each benchmark in a new schema)")
    args = parser.parse_args()
    import_size = QUICK_IMPORT_ROWS if args.quick else IMPORT_ROWS
    ledger_size = QUICK_LEDGER_ROWS if args.quick else LEDGER_ROWS
    database = "postgresql" if args.database_url else "sqlite"
    with databases(args.database_url) as database_for:
        seconds, floor, added = import_seconds(database_for("import"), district_list(import_size))
        emit(
            f"screening_import_{IMPORT_ROWS}",  # the name scripts read, also for a quick run (see ``rows``)
            seconds,
            "s",
            10,
            goal="< 10 s for 50,000 rows on SQLite",
            rows=import_size,
            floor=round(floor, 3),
            ratio=round(seconds / floor, 2),
            added=added,
            database=database,
        )
        ms = list_milliseconds(database_for("ledger"), ledger_size)
        emit(f"screening_list_{ledger_size}", ms, "ms", 50, goal="< 50 ms with 1M ledger rows", database=database)


if __name__ == "__main__":
    main()
