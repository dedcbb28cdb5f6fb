"""``lianfang supplies export``: the supplies ledger (物资台账) as .xlsx."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_OK, CliRuntime, Subcommands, cli_actor
from lianfang.bot.types import Text
from lianfang.handlers.supplies.parse_cli import add_parse_supply


def cmd_supplies_export(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Write the supplies ledger as .xlsx; the export is audited."""
    from lianfang.handlers.supplies.export import export_supplies

    app = runtime.app()
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        out = args.out or Path(f"物资台账-{ctx.today:%Y%m%d}.xlsx")
        try:
            rows = export_supplies(ctx, out, actor=cli_actor())
        except OSError as error:
            print(f"lianfang: cannot write {out}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
    print(render(Text("supplies_export.done", {"path": str(out), "rows": rows}), app.settings.default_language))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``supplies export`` and ``parse supply`` to ``lianfang``."""
    add_parse_supply(subcommands, runtime)
    supplies = subcommands.add_parser("supplies", help="supplies (物资保障)").add_subparsers(
        dest="supplies_command", required=True
    )
    exporter = supplies.add_parser("export", help="write requests, stock, movements, purchases and budget as .xlsx")
    exporter.add_argument("--out", type=Path, help="the .xlsx file to write (default: 物资台账-DATE.xlsx)")
    exporter.set_defaults(func=partial(cmd_supplies_export, runtime))
