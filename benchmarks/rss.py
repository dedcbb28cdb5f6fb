"""Benchmark the peak memory (RSS) of an idle ``lianfang run`` instance.

The real process long-polls the fake Bot API on 127.0.0.1 (``tests/fake_telegram.py``) with the bundled org on
a temporary SQLite file (or ``--database-url``), runs its scheduler with a one-second catch-up tick, and is left
alone for a while after its first poll so that every job (tick, outbox drain, leadership check) has run several
times. Then its peak resident set size (VmHWM in /proc) is read. Linux only.

Run: python benchmarks/rss.py [--quick] [--database-url URL]. The result is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import _root  # noqa: F401 - before the project: see benchmarks/_root.py

from benchmarks.run import emit
from tests.fake_telegram import running
from tests.lianfang_process import base_env, lianfang_run

BENCH = "idle_rss_peak"
TARGET_MB = 150
TARGET = f"<= {TARGET_MB} MB"
IDLE_SECONDS = 15.0
QUICK_IDLE_SECONDS = 5.0
CLOCK_START = "2020-01-28T10:00:00"
"""A morning on a simulated clock: nothing of the daily loop is due, as on most minutes of a day."""
KIB_PER_MB = 1024


def status_kib(pid: int, field: str) -> int:
    """Return one ``kB`` field of /proc/<pid>/status (VmHWM: peak resident set, VmRSS: resident now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    raise KeyError(field)


async def idle_rss(database_url: str, idle_seconds: float, workdir: Path) -> tuple[float, float]:
    """Return (peak RSS, RSS now) in MB of a ``lianfang run`` left idle for ``idle_seconds`` after its first poll."""
    async with running() as fake, lianfang_run(fake, base_env(database_url, fake), workdir, CLOCK_START) as bot:
        await asyncio.sleep(idle_seconds)
        pid = bot.process.pid
        peak, now = status_kib(pid, "VmHWM"), status_kib(pid, "VmRSS")
        await bot.stop()
    return peak / KIB_PER_MB, now / KIB_PER_MB


def main() -> None:
    """Print the result as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = f"idle {QUICK_IDLE_SECONDS:g} s instead of {IDLE_SECONDS:g}"
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--database-url", help="a scratch database (the schema is created there); default: temp SQLite")
    args = parser.parse_args()
    idle = QUICK_IDLE_SECONDS if args.quick else IDLE_SECONDS
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        peak, now = asyncio.run(idle_rss(url, idle, workdir))
    database = url.split(":", 1)[0].split("+", 1)[0]
    emit(BENCH, peak, "MB", TARGET_MB, goal=TARGET, rss_now=round(now, 1), idle_seconds=idle, database=database)


if __name__ == "__main__":
    main()
