"""``lianfang emergency end|show|clear`` and ``lianfang purge [--dry-run] [--person ID_NUMBER]``."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands, cli_actor
from lianfang.bot.types import Text
from lianfang.handlers.retention.erasure import Counts, Purge, erase_person, plan_purge, run_purge
from lianfang.handlers.shared.idcard import IdNumberError, parse_id_number
from lianfang.models.retention import emergency_end, set_emergency_end

if TYPE_CHECKING:
    from lianfang.bot.runtime import App

DATE_FORMAT = "%Y-%m-%d"


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_emergency_end(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Set the emergency's end date: retention periods count from it."""
    app = runtime.app()
    lang = app.settings.default_language
    with session_scope(app.engine) as session:
        set_emergency_end(session=session, end_on=args.date, now=app.clock(), actor=cli_actor())
    print(render(Text("retention.emergency_ended", {"date": args.date.isoformat()}), lang))
    return EXIT_OK


def cmd_emergency_show(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Print the emergency's end date, or that it has not ended."""
    app = runtime.app()
    lang = app.settings.default_language
    with session_scope(app.engine) as session:
        end_on = emergency_end(session=session)
    if end_on is None:
        print(render(Text("retention.emergency_open"), lang))
    else:
        print(render(Text("retention.emergency_ended", {"date": end_on.isoformat()}), lang))
    return EXIT_OK


def cmd_emergency_clear(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Clear the emergency's end date (the emergency goes on): nothing is purged until it is set again."""
    app = runtime.app()
    lang = app.settings.default_language
    with session_scope(app.engine) as session:
        set_emergency_end(session=session, end_on=None, now=app.clock(), actor=cli_actor())
    print(render(Text("retention.emergency_cleared"), lang))
    return EXIT_OK


def print_counts(counts: Counts, lang: str, key: str) -> None:
    """Print one line per table: what was (or would be) erased."""
    for table, count in counts.items():
        print(render(Text(key, {"table": table, "count": count}), lang))


def report_purge(purge: Purge, lang: str, *, dry_run: bool) -> None:
    """Print what a purge found or did, or why it could do nothing."""
    if purge.end_on is None:
        print(render(Text("retention.no_end_date"), lang))
        return
    if not purge.counts:
        print(render(Text("retention.nothing_due", {"date": purge.end_on.isoformat()}), lang))
        return
    print_counts(purge.counts, lang, "retention.would_erase" if dry_run else "retention.erased")
    print(render(Text("retention.dry_run_total" if dry_run else "retention.total", {"count": purge.total}), lang))


def cmd_purge(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Erase personal records past retention (or count them with --dry-run), or one resident with --person."""
    app = runtime.app()
    lang = app.settings.default_language
    if args.person is not None:
        return _erase_person(app, args.person, lang)
    if args.dry_run:
        now = app.clock()
        with session_scope(app.engine) as session:
            purge = plan_purge(session=session, org=app.org, today=now.astimezone(app.tz).date(), tz=app.tz)
    else:
        purge = run_purge(engine=app.engine, org=app.org, clock=app.clock, tz=app.tz, actor=cli_actor())
    report_purge(purge, lang, dry_run=args.dry_run)
    return EXIT_OK


def _erase_person(app: App, text: str, lang: str) -> int:
    """Erase the resident with an ID number as typed; exit 2, erasing nothing, for a bad or unknown number."""
    now = app.clock()
    try:
        number = parse_id_number(text, today=now.astimezone(app.tz).date()).number
    except IdNumberError:
        print(f"lianfang: {render(Text('retention.bad_id_number'), lang)}", file=sys.stderr)
        return EXIT_INVALID
    with session_scope(app.engine) as session:
        counts = erase_person(session=session, id_number=number, now=now, actor=cli_actor())
    if counts is None:
        print(f"lianfang: {render(Text('retention.no_such_person'), lang)}", file=sys.stderr)
        return EXIT_INVALID
    print_counts(counts, lang, "retention.erased")
    print(render(Text("retention.person_erased", {"count": sum(counts.values())}), lang))
    return EXIT_OK


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``emergency end|show|clear`` and ``purge`` to ``lianfang``."""
    emergency = subcommands.add_parser("emergency", help="the emergency's end date, which retention counts from")
    steps = emergency.add_subparsers(dest="emergency_command", required=True)
    end = steps.add_parser("end", help="set the day the emergency ended")
    end.add_argument("date", type=_day, help="YYYY-MM-DD")
    end.set_defaults(func=partial(cmd_emergency_end, runtime))
    steps.add_parser("show", help="print the end date").set_defaults(func=partial(cmd_emergency_show, runtime))
    steps.add_parser("clear", help="the emergency goes on: purge nothing").set_defaults(
        func=partial(cmd_emergency_clear, runtime)
    )
    purge = subcommands.add_parser("purge", help="erase personal data past retention, or one resident's")
    purge.add_argument("--dry-run", action="store_true", help="only print what would be erased, per table")
    purge.add_argument("--person", metavar="ID_NUMBER", help="erase every record of this resident now")
    purge.set_defaults(func=partial(cmd_purge, runtime))
