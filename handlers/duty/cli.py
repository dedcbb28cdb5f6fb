"""``lianfang duty import``: load a duty roster (值班表) from .xlsx or .csv, all rows or none."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands
from lianfang.bot.types import Text


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


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``duty import`` to ``lianfang``."""
    duty = subcommands.add_parser("duty", help="the duty roster (值班表)").add_subparsers(
        dest="duty_command", required=True
    )
    importer = duty.add_parser(
        "import", help="import a roster (.xlsx or .csv: 日期, 班次, 值班领导, 值班人员, 联系电话, 备注)"
    )
    importer.add_argument("file", type=Path)
    importer.set_defaults(func=partial(cmd_duty_import, runtime))
