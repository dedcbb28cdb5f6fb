"""``lianfang duty import|export``: load a duty roster (值班表), all rows or none; write a month's as .xlsx."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from functools import partial
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands
from lianfang.bot.types import Text

MONTH_FORMAT = "%Y-%m"


def cmd_duty_import(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Import a roster; exit 2, importing nothing, when any row is bad."""
    from lianfang.handlers.duty.importing import RosterFileError, import_roster

    app = runtime.app()
    lang = app.settings.default_language
    try:
        with session_scope(app.engine) as session:
            ctx = app.dispatcher.context(session, app.clock())
            result = import_roster(ctx, args.file)
    except RosterFileError as error:
        print(f"lianfang: {args.file}: {render(error.text(), lang)}", file=sys.stderr)
        return EXIT_INVALID
    if result.problems:
        print(render(Text("duty.import_rejected", {"count": len({p.row for p in result.problems})}), lang))
        for problem in result.problems:
            print("  " + render(problem.line(), lang))
        return EXIT_INVALID
    if not result.written:
        print(render(Text("duty.import_empty"), lang), file=sys.stderr)
        return EXIT_INVALID
    params = {"rows": result.rows, "assignments": len(result.assignments), "days": len(result.days)}
    print(render(Text("duty.import_done", params), lang))
    return EXIT_OK


def cmd_duty_export(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Write a month's roster with check-ins as .xlsx."""
    from lianfang.handlers.duty.export import export_roster

    app = runtime.app()
    lang = app.settings.default_language
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        month = ctx.today
        if args.month:
            try:
                month = datetime.strptime(args.month, MONTH_FORMAT).date()
            except ValueError:
                print(
                    f"lianfang: {render(Text('duty.export_bad_month', {'month': args.month[:20]}), lang)}",
                    file=sys.stderr,
                )
                return EXIT_INVALID
        out = args.out or Path(f"duty-roster-{month:%Y%m}.xlsx")
        try:
            rows = export_roster(ctx, out, month)
        except OSError as error:
            print(f"lianfang: cannot write {out}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
    print(render(Text("duty.export_done", {"path": str(out), "rows": rows}), lang))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``duty import|export`` to ``lianfang``."""
    duty = subcommands.add_parser("duty", help="the duty roster (值班表)").add_subparsers(
        dest="duty_command", required=True
    )
    importer = duty.add_parser(
        "import", help="import a roster (.xlsx or .csv: 日期, 班次, 值班领导, 值班人员, 联系电话, 备注)"
    )
    importer.add_argument("file", type=Path)
    importer.set_defaults(func=partial(cmd_duty_import, runtime))
    exporter = duty.add_parser("export", help="write a month's roster with check-ins as .xlsx")
    exporter.add_argument("--month", help="the month, YYYY-MM (default: this month)")
    exporter.add_argument("--out", type=Path, help="the .xlsx file to write (default: duty-roster-YYYYMM.xlsx)")
    exporter.set_defaults(func=partial(cmd_duty_export, runtime))
