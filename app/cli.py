"""The ``lianfang`` command: the one place that knows every layer and wires them together."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from lianfang.app.features import FEATURE_CLIS, FIGURES, ORG_SECTIONS
from lianfang.app.keys import add_keys_commands
from lianfang.app.platforms import PLATFORMS, Settings, configured
from lianfang.bot import logs
from lianfang.bot.config import DEFAULT_DATABASE_FILE
from lianfang.bot.db import session_scope, sqlite_file, upgrade
from lianfang.bot.org import Org, OrgError, check_org, default_org_path, load_org
from lianfang.bot.runtime import App
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK, CliRuntime
from lianfang.handlers.membership.cli import ambiguous
from lianfang.models.audit import ACTIONS as AUDIT_ACTIONS
from pydantic import ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

CONSOLE_GUEST = "console-guest"
CONSOLE_MEMBER_PREFIX = "console-"
CONSOLE_NEWCOMER_PREFIX = "console:"
"""``--as NAME`` for someone who is not a member: an account of their own, distinct from every member's."""
RETRY_TIME_LAYOUTS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")

AUDIT_CSV_HEADER = ("at", "actor", "action", "channel", "target", "detail")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DEFAULT_CLI_LOG_LEVEL = "WARNING"
"""One-off commands log warnings only unless asked; ``run`` logs at LIANFANG_LOG_LEVEL unless --log-level says."""
SCHEDULER_RUN_LOGGERS = ("apscheduler.executors.default", "apscheduler.scheduler")
"""APScheduler logs every job run ("Running job", "executed successfully") at INFO: ~130k lines an idle day."""

logger = logging.getLogger("lianfang")


def load_settings() -> Settings:
    """Read settings from the environment and .env, exiting with a plain message when they are wrong."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            print(f"lianfang: configuration error: LIANFANG_{field.upper()}: {problem['msg']}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def load_org_or_exit(settings: Settings) -> Org:
    """Load the configured org file (or the bundled sample), exiting with its problems when invalid."""
    path = settings.org_file or default_org_path()
    try:
        return load_org(path, ORG_SECTIONS, FIGURES)
    except OrgError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def open_database(settings: Settings, *, announce: bool = True) -> Engine:
    """Open the configured database with its schema up to date; on stderr, name a SQLite file it had to create."""
    path = sqlite_file(settings.database_url)
    created = path is not None and not path.exists()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    key_file = _install_data_key(settings)
    engine = settings.engine()
    upgrade(engine)
    if key_file is not None and announce:
        print(
            f"lianfang: made a new data key file: {key_file} (ID numbers and phones are encrypted with it; keep a "
            "copy with the database backups: without it they cannot be read)",
            file=sys.stderr,
        )
    if created and announce:
        # A command run with another working folder or another .env must not quietly use a database of its own.
        print(f"lianfang: created a new database: {path}", file=sys.stderr)
        old = Path(DEFAULT_DATABASE_FILE).absolute()
        if "database_url" not in settings.model_fields_set and old.is_file():
            print(
                f"lianfang: {old} (the old default location) is not used; to keep it, set "
                f"LIANFANG_DATABASE_URL=sqlite:///{old}",
                file=sys.stderr,
            )
    return engine


def _install_data_key(settings: Settings) -> Path | None:
    """Install the data key, exiting plainly when there is none to use; return a key file made just now."""
    from lianfang.bot.data_keys import install_data_key
    from lianfang.models.sealed import DataKeyError

    try:
        return install_data_key(settings).created
    except DataKeyError as error:
        print(f"lianfang: {error}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def build_app(
    settings: Settings, org: Org, *, clock: Callable[[], datetime] | None = None, announce: bool = True
) -> App:
    """Build an instance on the configured database, with the schema brought up to date."""
    from lianfang.app import features
    from lianfang.handlers.shared.personal_data import personal_data
    from lianfang.handlers.undeliverable.reroute import reroute_undeliverable

    engine = open_database(settings, announce=announce)
    if clock is None and settings.clock_start is not None:
        clock = drill_clock(settings.clock_start, ZoneInfo(org.schedule.timezone or settings.timezone))
    return App(
        settings=settings,
        org=org,
        engine=engine,
        commands=features.COMMANDS,
        forms=features.FORMS,
        tick=features.TICK,
        undeliverable=reroute_undeliverable,
        clock=clock,
        persons=personal_data,
        menu=features.MENU,
        report_parts=features.REPORT_PARTS,
        exports=features.EXPORTS,
        redelivery={p.name: window for p in PLATFORMS if (window := p.redelivery(settings)) is not None},
    )


def drill_clock(start: datetime, tz: ZoneInfo) -> Callable[[], datetime]:
    """Return a clock that reads ``start`` (local time if naive) now and runs on in real time."""
    offset = (start if start.tzinfo else start.replace(tzinfo=tz)) - datetime.now(tz)
    logger.warning("running on a simulated clock starting at %s", start.isoformat())
    return lambda: datetime.now(tz) + offset


RUNTIME = CliRuntime(load_settings=load_settings, load_org=load_org_or_exit, build_app=build_app)
"""How every subcommand builds its instance: from the environment, exiting plainly when it is misconfigured."""


# -- subcommands ------------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    settings = load_settings()
    open_database(settings)
    print("OK")
    return EXIT_OK


def cmd_org_check(args: argparse.Namespace) -> int:
    """Validate an org file: print OK, or every problem with file, line and field; with a database, also the
    member names it gives (saying on stderr whether they were checked)."""
    from lianfang.app.org_check import check_member_names

    problems = check_org(args.file, ORG_SECTIONS, FIGURES)
    if not problems:
        members = check_member_names(args.file)
        print(f"lianfang: {members.note}", file=sys.stderr)
        problems = members.problems
    if not problems:
        print("OK")
        return EXIT_OK
    for problem in problems:
        print(problem)
    return EXIT_INVALID


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    """Queue failed messages again (those named, or all since a time) and print what was requeued and what not."""
    from lianfang.models.outbox import requeue_failed

    settings = load_settings()
    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    since = args.since.replace(tzinfo=tz) if args.since else now - 2 * timedelta(hours=settings.outbox_max_age_hours)
    engine = open_database(settings)
    with session_scope(engine) as session:
        result = requeue_failed(session=session, now=now, since=since, ids=args.ids)
        for message_id in result.missing:
            print(f"lianfang: no failed message {message_id}; nothing was requeued", file=sys.stderr)
        for row, note in [
            *((row, "requeued") for row in result.requeued),
            *((row, "kept: blocked by the privacy guard; name its id to send it again") for row in result.privacy),
            *((row, "kept: its file was dropped when it failed") for row in result.file_gone),
        ]:
            when = row.created_at.astimezone(tz)
            print(f"{row.id}\t{when:%Y-%m-%d %H:%M}\t{row.platform}\t{row.chat_id}\t{row.error}\t{note}")
    engine.dispose()
    if result.missing:
        return EXIT_INVALID
    print(f"requeued {len(result.requeued)} message(s); the running bot sends them within a minute")
    return EXIT_OK


def cmd_outbox_failed(args: argparse.Namespace) -> int:
    """List messages that could not be delivered, newest first, with the platform's reason."""
    from lianfang.models.outbox import failed

    app = RUNTIME.app()
    with session_scope(app.engine) as session:
        rows = failed(session=session, limit=args.limit)
        for row in rows:
            print(
                f"{row.id}\t{row.created_at.astimezone(app.tz):%Y-%m-%d %H:%M}\t{row.platform}\t{row.chat_id}\t"
                f"{row.attempts}\t{row.error}"
            )
    if not rows:
        print("no failed messages")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """List audit entries (views of full records, exports, imports, purges), filtered, as lines or as CSV."""
    import csv

    from lianfang.models.audit import audit_entries
    from lianfang.models.members import members_named

    app = RUNTIME.app()
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=app.tz) if args.since else None
    with session_scope(app.engine) as session:
        member_ids: list[int] | None = None
        actor: str | None = None
        if args.member is not None:
            # A member's name or id; an actor the log names otherwise (``cli:alice``, ``scheduler``) matches as written.
            member_ids = [m.id for m in members_named(session=session, ref=args.member) if m.id is not None]
            actor = args.member.strip()
        entries = audit_entries(
            session=session,
            since=since,
            limit=args.limit,
            member_ids=member_ids,
            actor=actor,
            action=args.action,
            target_id=args.target,
        )
        rows = [
            (
                f"{entry.at.astimezone(app.tz):%Y-%m-%d %H:%M:%S}",
                entry.actor,
                entry.action,
                entry.channel,
                "" if entry.target_id is None else str(entry.target_id),
                entry.detail,
            )
            for entry in entries
        ]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(AUDIT_CSV_HEADER)
        writer.writerows(rows)
        return EXIT_OK
    for row in rows:
        print("\t".join(row))
    if not entries:
        print("no audit entries")
    return EXIT_OK


def cmd_console(args: argparse.Namespace) -> int:
    """Chat with the bot in this terminal."""
    app = RUNTIME.app()
    return asyncio.run(_console(app, args.as_member, sys.stdin, sys.stdout))


async def _console(app: App, as_member: str | None, stream, out) -> int:  # noqa: ANN001 - text streams
    from lianfang.bot.platforms.console.adapter import ConsoleAdapter

    user_id, display_name = CONSOLE_GUEST, ""
    if as_member:
        with session_scope(app.engine) as session:
            speaker = _console_speaker(app, session, as_member)
        if speaker is None:
            return EXIT_INVALID
        user_id, display_name = speaker
    adapter = ConsoleAdapter(out, user_id=user_id, display_name=display_name)
    app.add_adapter(adapter)
    await app.start()
    count = await adapter.run(stream, app.handle, prompt=stream.isatty())
    await app.stop()
    logger.info("console closed after %d line(s)", count)
    return EXIT_OK


def _console_speaker(app: App, session: Session, ref: str) -> tuple[str, str] | None:
    """Return the console account and display name ``--as REF`` speaks with; None (after saying why) if ambiguous.

    An active member speaks through their console account, made on first use. Any other name is a console account
    of its own, a stranger until it sends ``/join CODE``, so several people can join from one terminal.
    """
    from lianfang.bot.types import PLATFORM_CONSOLE
    from lianfang.models.members import bind_identity, identity_on, members_named

    found = [member for member in members_named(session=session, ref=ref) if member.active]
    if ambiguous(app, ref, found):
        return None
    if not found:
        return f"{CONSOLE_NEWCOMER_PREFIX}{ref.strip()}", ref.strip()
    member = found[0]
    assert member.id is not None
    identity = identity_on(session=session, member_id=member.id, platform=PLATFORM_CONSOLE)
    if identity is None:
        user_id = f"{CONSOLE_MEMBER_PREFIX}{member.id}"
        identity = bind_identity(
            session=session, member=member, platform=PLATFORM_CONSOLE, user_id=user_id, chat_id=user_id, now=app.clock()
        )
    return identity.user_id, member.name


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot: platforms as configured, the scheduler, and the daily loop."""
    from lianfang.bot.ports import SetupRefused

    settings = load_settings()
    configure_logging(args.log_level or settings.log_level, jobs=settings.log_jobs)
    logs.install(settings.log_format)
    org = load_org_or_exit(settings)
    app = build_app(settings, org)
    if configured(settings):
        from lianfang.app.serve import serve

        try:
            asyncio.run(serve(app))
        except SetupRefused as error:  # a wrong secret or token, an untrusted IP: the operator must fix it
            print(f"lianfang: {error.hint}", file=sys.stderr)
            return EXIT_INVALID
        except Exception as error:  # an unreachable platform API or a crashed part: say so plainly and exit
            logger.debug("serve failed", exc_info=True)
            print(f"lianfang: stopped: {type(error).__name__}: {error}", file=sys.stderr)
            return EXIT_ERROR
        return EXIT_OK
    print(
        "No chat platform is configured, so lianfang runs in this terminal (type /help).\n"
        "To run on Telegram set LIANFANG_TELEGRAM_TOKEN; for WeChat Work set LIANFANG_WECOM_CORP_ID and the "
        "other LIANFANG_WECOM_* settings (see README.md).",
        file=sys.stderr,
    )
    return asyncio.run(_run_console(app, args.as_member))


async def _run_console(app: App, as_member: str | None) -> int:
    from lianfang.scheduler.service import start_scheduler

    scheduler = start_scheduler(app)
    try:
        return await _console(app, as_member, sys.stdin, sys.stdout)
    finally:
        scheduler.shutdown(wait=False)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the settings, org file, database, platforms, disk and clock; a line each, non-zero on a failure."""
    from lianfang.app.doctor import MEBIBYTE, run_doctor

    return run_doctor(Settings, sys.stdout, min_free_bytes=args.min_free_mb * MEBIBYTE)


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent snapshot of the database to a file."""
    from lianfang.app.backup import run_backup

    return run_backup(load_settings(), args.out)


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a snapshot into the configured database (an empty one, unless --force)."""
    from lianfang.app.backup import run_restore

    return run_restore(load_settings(), args.file, force=args.force)


def cmd_demo(args: argparse.Namespace) -> int:
    """Play the bundled demo drill on a simulated clock and print every message."""
    from lianfang.app.demo import run_demo

    return run_demo(day=args.date, out=sys.stdout)


def cmd_drill(args: argparse.Namespace) -> int:
    """Play a drill file on a simulated clock, print every message, and check its expectations."""
    from lianfang.app.drill.command import run_drill
    from lianfang.app.drill.player import Options

    options = Options(database_url=args.database_url, org=args.org, quiet=args.quiet, lang=args.lang)
    return run_drill(args.file, sys.stdout, options)


# -- parser -----------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``lianfang``."""
    parser = argparse.ArgumentParser(prog="lianfang", description="联防 joint-prevention chat bot")
    parser.add_argument(
        "--log-level",
        default=None,
        type=str.upper,
        choices=LOG_LEVELS,
        help="DEBUG, INFO, WARNING, ERROR (run: default LIANFANG_LOG_LEVEL; other commands: WARNING)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot")
    run.add_argument("--as", dest="as_member", help="console mode: speak as this member (name or id)")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="play the bundled demo drill on a temporary database")
    demo.add_argument("--date", type=_date, default=None, help="the simulated day, YYYY-MM-DD (default 2020-01-28)")
    demo.set_defaults(func=cmd_demo)

    drill = sub.add_parser("drill", help="play a drill file on a simulated clock and check its expectations")
    drill.add_argument("file", type=Path)
    drill.add_argument("--org", type=Path, default=None, help="the org file (default: the drill's, else the bundled)")
    drill.add_argument("--database-url", default=None, help="play on this database (default: a temporary SQLite)")
    drill.add_argument("--quiet", action="store_true", help="print only failed expectations")
    drill.add_argument("--lang", choices=("zh", "en"), default="zh", help="the language the drill's people speak")
    drill.set_defaults(func=cmd_drill)

    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--as", dest="as_member", help="speak as this member (name or id)")
    console.set_defaults(func=cmd_console)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring the schema up to date").set_defaults(func=cmd_db_upgrade)

    org = sub.add_parser("org", help="organisation file").add_subparsers(dest="org_command", required=True)
    check = org.add_parser("check", help="validate an org file")
    check.add_argument("file", type=Path)
    check.set_defaults(func=cmd_org_check)

    for add_subcommands in FEATURE_CLIS:
        add_subcommands(sub, RUNTIME)

    from lianfang.app.screenshots import add_subcommands as add_screenshot  # it builds apps with this module

    add_screenshot(sub)

    for platform in PLATFORMS:
        platform.cli(sub, RUNTIME)

    add_keys_commands(sub)

    audit = sub.add_parser("audit", help="list who saw or exported personal data")
    audit.add_argument("--since", type=_date, default=None, help="from this day on, YYYY-MM-DD")
    audit.add_argument("--limit", type=int, default=1000)
    audit.add_argument("--member", default=None, help="of this member (name or id) or actor (cli:USER, scheduler)")
    audit.add_argument("--action", default=None, choices=AUDIT_ACTIONS, help="of this action only")
    audit.add_argument("--target", type=_message_id, default=None, help="about this ledger target (its id)")
    audit.add_argument("--csv", action="store_true", help="write CSV with a header line instead")
    audit.set_defaults(func=cmd_audit)

    doctor = sub.add_parser("doctor", help="check the setup: a line per check, with its fix")
    doctor.add_argument("--min-free-mb", type=int, default=1024, help="fail below this much free disk (default 1024)")
    doctor.set_defaults(func=cmd_doctor)
    backup = sub.add_parser("backup", help="write a consistent snapshot of the database")
    backup.add_argument("--out", type=Path, required=True, help="the snapshot file to write")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a snapshot made by `lianfang backup`")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    restore.set_defaults(func=cmd_restore)

    outbox = sub.add_parser("outbox", help="outgoing messages").add_subparsers(dest="outbox_command", required=True)
    failed_parser = outbox.add_parser("failed", help="list messages that could not be delivered")
    failed_parser.add_argument("--limit", type=int, default=100)
    failed_parser.set_defaults(func=cmd_outbox_failed)
    retry_parser = outbox.add_parser("retry", help="send failed messages again, once their cause is fixed")
    retry_parser.add_argument(
        "ids", nargs="*", type=_message_id, metavar="ID", help="these failed messages (privacy-blocked ones too)"
    )
    retry_parser.add_argument(
        "--since",
        type=_local_time,
        help="failed messages queued from this local time on, YYYY-MM-DD [HH:MM] (default: twice "
        "LIANFANG_OUTBOX_MAX_AGE_HOURS ago)",
    )
    retry_parser.set_defaults(func=cmd_outbox_retry)
    return parser


def _message_id(text: str) -> int:
    """Read an outbox message id: a positive whole number."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a message id: {text!r}")
    return int(text)


def _local_time(text: str) -> datetime:
    """Read ``--since``: a day, or a day and a time (naive: the configured timezone is applied later)."""
    for layout in RETRY_TIME_LAYOUTS:
        try:
            return datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"not a time (YYYY-MM-DD or YYYY-MM-DD HH:MM): {text!r}")


def _date(text: str):  # noqa: ANN202 - argparse type
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lianfang``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(format=LOG_FORMAT)
    configure_logging(args.log_level or DEFAULT_CLI_LOG_LEVEL)
    return int(args.func(args))


def configure_logging(level: str, *, jobs: bool = False) -> None:
    """Log at ``level``; APScheduler's line per job run only at DEBUG or when ``jobs`` asks (a readable log)."""
    name = level.upper()
    if name not in LOG_LEVELS:
        print(f"lianfang: unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    logging.getLogger().setLevel(name)
    quiet = logging.NOTSET if jobs or name == "DEBUG" else logging.WARNING
    for logger_name in SCHEDULER_RUN_LOGGERS:
        logging.getLogger(logger_name).setLevel(quiet)


if __name__ == "__main__":
    raise SystemExit(main())
