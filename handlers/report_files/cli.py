"""``lianfang report``: write a day's report as .docx, .xlsx, the chart's .png, or the chat report's text."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from functools import partial
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render, render_lines
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands
from lianfang.bot.types import Text

FORMAT_TEXT = "text"
FORMATS = ("docx", "xlsx", "png", FORMAT_TEXT)
STDOUT = "-"
BYTES_PER_KB = 1024


def read_date(text: str | None) -> date | None:
    """Read ``--date`` as YYYY-MM-DD; None when it is not a real date."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def cmd_report(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Write one day's report in one format; exit 2 on a bad or future date."""
    from lianfang.handlers.daily_report import build_daily_report
    from lianfang.handlers.report_files.content import build_content
    from lianfang.handlers.report_files.delivery import FILE_KINDS

    day = read_date(args.date)
    if args.date is not None and day is None:
        print(f"lianfang: --date {args.date!r} is not a date; write it as YYYY-MM-DD, e.g. 2020-01-28", file=sys.stderr)
        return EXIT_INVALID
    app = runtime.app()
    lang = app.settings.default_language
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        day = day or ctx.today
        if day > ctx.today:
            print(f"lianfang: --date {day.isoformat()} is in the future (today is {ctx.today})", file=sys.stderr)
            return EXIT_INVALID
        if args.format == FORMAT_TEXT:
            data = (render_lines(build_daily_report(ctx, day), lang) + "\n").encode()
        else:
            data = FILE_KINDS[args.format].build(build_content(ctx, day))
    if args.format == FORMAT_TEXT and (args.out is None or str(args.out) == STDOUT):
        sys.stdout.write(data.decode())
        return EXIT_OK
    out = args.out or Path(f"report-{day:%Y%m%d}.{args.format if args.format != FORMAT_TEXT else 'txt'}")
    try:
        Path(out).write_bytes(data)
    except OSError as error:
        print(f"lianfang: cannot write {out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    kb = f"{len(data) / BYTES_PER_KB:.1f}"
    print(render(Text("report_files.written", {"path": str(out), "kb": kb}), lang))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``report`` to ``lianfang``."""
    report = subcommands.add_parser("report", help="write a day's report as .docx, .xlsx, the chart .png, or text")
    report.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")
    report.add_argument("--format", choices=FORMATS, default=FORMAT_TEXT, help="what to write (default: text)")
    report.add_argument("--out", type=Path, help="the file to write (default: report-DATE.EXT; text: standard output)")
    report.set_defaults(func=partial(cmd_report, runtime))
