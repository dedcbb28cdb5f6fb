"""``lianfang supervision export``: write 督办台账 and 问题台账 as .xlsx."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_OK, CliRuntime, Subcommands, cli_actor
from lianfang.bot.types import Text


def cmd_supervision_export(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Write the two ledgers as .xlsx; the export is audited."""
    from lianfang.handlers.supervision.export import export_supervision

    app = runtime.app()
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        out = args.out or Path(f"supervision-{ctx.today:%Y%m%d}.xlsx")
        try:
            with out.open("wb") as stream:  # opened first, so a bad path fails before a workbook is built
                summary = export_supervision(ctx, stream, actor=cli_actor())
        except OSError as error:
            print(f"lianfang: cannot write {out}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
    params = {"path": str(out), "items": summary.items, "problems": summary.problems}
    print(render(Text("supervision.export_done", params), app.settings.default_language))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``supervision export`` to ``lianfang``."""
    supervision = subcommands.add_parser("supervision", help="督办 and 督查 ledgers").add_subparsers(
        dest="supervision_command", required=True
    )
    exporter = supervision.add_parser("export", help="write 督办台账 and 问题台账 as .xlsx")
    exporter.add_argument("--out", type=Path, help="the .xlsx file to write (default: supervision-DATE.xlsx)")
    exporter.set_defaults(func=partial(cmd_supervision_export, runtime))
