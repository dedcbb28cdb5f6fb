"""``lianfang screening``: import a district list into the ledger, assign its targets, export it as .xlsx."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import (
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_OK,
    CliRuntime,
    Subcommands,
    cli_actor,
    community_or_exit,
)
from lianfang.bot.types import Text

if TYPE_CHECKING:
    from lianfang.handlers.screening.importing import RowProblem


def _confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; anything but y/yes/是 means no."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().casefold() in {"y", "yes", "是"}


def _print_section(title: Text, items: Sequence[RowProblem], lang: str) -> None:
    """Print a titled list of rows, or nothing when it is empty."""
    if items:
        print(render(title, lang))
        for item in items:
            print("  " + render(item.text(), lang))


def cmd_screening_import(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Import a district screening list; exit 2 when rows were rejected."""
    from lianfang.handlers.screening.importing import ImportFileError, ImportReport, import_list, notify_replaced
    from lianfang.handlers.screening.verification import notify_assignees

    app = runtime.app()
    lang = app.settings.default_language
    batch = args.batch or args.file.stem

    def run(only_valid: bool) -> ImportReport:
        with session_scope(app.engine) as session:
            ctx = app.dispatcher.context(session, app.clock())
            report = import_list(
                ctx, args.file, batch=batch, actor=cli_actor(), dry_run=args.dry_run, only_valid=only_valid
            )
            if report.written:
                notify_assignees(ctx, report.assigned)
                notify_replaced(ctx, report)
        return report

    try:
        report = run(args.only_valid)  # one pass when every row is good or --only-valid is given
        _print_section(Text("screening.import_rejected_title", {"count": len(report.rejected)}), report.rejected, lang)
        if report.rejected and not report.written and not args.dry_run and sys.stdin.isatty():
            question = Text("screening.import_confirm", {"good": len(report.good), "bad": report.bad_rows})
            if _confirm(render(question, lang)):
                report = run(True)
    except ImportFileError as error:
        print(f"lianfang: {args.file}: {render(error.text(), lang)}", file=sys.stderr)
        return EXIT_INVALID
    _print_section(Text("screening.import_cleaned_title", {"count": len(report.cleaned)}), report.cleaned, lang)
    _print_section(Text("screening.import_merged_title", {"count": len(report.merged)}), report.merged, lang)
    _print_section(
        Text("screening.import_unassigned_title", {"count": len(report.unassigned)}), report.unassigned, lang
    )
    summary = "screening.import_done" if report.written else "screening.import_nothing"
    params = {
        "rows": report.rows,
        "good": len(report.good),
        "bad": report.bad_rows,
        "added": report.added,
        "merged": report.updated if report.written else len(report.merged),
        "unassigned": len(report.unassigned),
    }
    print(render(Text(summary, params), lang))
    return EXIT_INVALID if report.rejected else EXIT_OK


def cmd_screening_assign(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Assign the ledger's unassigned targets now, e.g. after staff joined, and tell the staff."""
    from lianfang.handlers.screening.importing import assign_unassigned
    from lianfang.handlers.screening.verification import notify_assignees

    app = runtime.app()
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        assigned, left = assign_unassigned(ctx)
        notify_assignees(ctx, assigned)
    params = {"assigned": sum(assigned.values()), "left": left}
    print(render(Text("screening.assign_done", params), app.settings.default_language))
    return EXIT_OK


def cmd_screening_export(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Write the screening ledger as .xlsx, one sheet per community; the export is audited."""
    from lianfang.handlers.screening.export import export_ledger

    settings = runtime.load_settings()
    org = runtime.load_org(settings)
    community = community_or_exit(org, args.community)
    app = runtime.build_app(settings, org)
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        out = args.out or Path(f"screening-ledger-{ctx.today:%Y%m%d}.xlsx")
        try:
            summary = export_ledger(ctx, out, actor=cli_actor(), community=community)
        except OSError as error:
            print(f"lianfang: cannot write {out}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
    print(render(Text("screening.export_done", {"path": str(out), "rows": summary.rows}), settings.default_language))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``screening import|assign|export`` to ``lianfang``."""
    screening = subcommands.add_parser("screening", help="the screening ledger (排查台账)").add_subparsers(
        dest="screening_command", required=True
    )
    importer = screening.add_parser("import", help="import a district list (.xlsx or .csv)")
    importer.add_argument("file", type=Path)
    importer.add_argument("--batch", help="name of the list, e.g. 区指挥部 1月28日 (default: the file name)")
    importer.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")
    importer.add_argument("--only-valid", action="store_true", help="import the good rows even if some are rejected")
    importer.set_defaults(func=partial(cmd_screening_import, runtime))
    assigner = screening.add_parser("assign", help="assign unassigned targets now (after staff joined)")
    assigner.set_defaults(func=partial(cmd_screening_assign, runtime))
    exporter = screening.add_parser("export", help="write the ledger as .xlsx, one sheet per community")
    exporter.add_argument("--out", type=Path, help="the .xlsx file to write (default: screening-ledger-DATE.xlsx)")
    exporter.add_argument("--community", help="one community only (key or name)")
    exporter.set_defaults(func=partial(cmd_screening_export, runtime))
