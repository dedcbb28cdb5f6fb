"""Benchmark the report files: the chart, the .docx and the .xlsx of 30 days, and gathering their content.

The chart's target is the issue's: under 1 s for 30 days of data. Its floor is matplotlib saving an empty figure of
the same size, measured in the same run. Gathering the content runs the chat report's queries for each of the 30 days.

Run: python benchmarks/report_files.py [--quick] [--database-url URL]. Each result is one JSON line.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

import _root  # noqa: F401 - before the project: see benchmarks/_root.py
from lianfang.bot.db import session_scope
from lianfang.handlers.report_files.chart import DPI, HEIGHT_INCHES, WIDTH_INCHES, build_png
from lianfang.handlers.report_files.content import build_content
from lianfang.handlers.report_files.document import build_docx
from lianfang.handlers.report_files.workbook import build_xlsx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.run import databases, emit
from tests.fakes import Harness
from tests.handlers.report_files.conftest import sample_content

RUNS = 7
QUICK_RUNS = 3

TARGET_SECONDS = 1.0
"""Each report file, and the content behind it, is ready in under a second."""


def median_seconds(work: Callable[[], object], runs: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Return the median time of ``work`` after one warm-up call: wall time, or ``time.process_time`` for CPU."""
    work()
    times = []
    for _ in range(runs):
        started = clock()
        work()
        times.append(clock() - started)
    return statistics.median(times)


def empty_figure() -> bytes:
    """Save an empty figure of the chart's size: the floor of any PNG of it."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def main() -> None:
    """Run every measurement and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL (default: temporary SQLite)")
    args = parser.parse_args()
    runs = QUICK_RUNS if args.quick else RUNS
    content = sample_content()
    floor = median_seconds(empty_figure, runs)
    chart = median_seconds(lambda: build_png(content), runs)
    # CPU time too: on a shared machine the wall time says as much about the neighbours as about the chart.
    cpu = median_seconds(lambda: build_png(content), runs, time.process_time)
    emit("report_chart_30_days", chart, "s", TARGET_SECONDS, floor=round(floor, 3), cpu=round(cpu, 3))
    emit("report_docx", median_seconds(lambda: build_docx(content), runs), "s", TARGET_SECONDS)
    emit("report_xlsx", median_seconds(lambda: build_xlsx(content), runs), "s", TARGET_SECONDS)
    with databases(args.database_url) as make:
        harness = Harness.create(make("report_files"))

        def gather() -> object:
            with session_scope(harness.app.engine) as session:
                return build_content(harness.app.dispatcher.context(session, harness.clock()), harness.clock().date())

        emit("report_content_30_days", median_seconds(gather, runs), "s", TARGET_SECONDS)
        harness.app.engine.dispose()


if __name__ == "__main__":
    main()
