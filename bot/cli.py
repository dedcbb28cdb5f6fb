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

from pydantic import ValidationError

from bot.app import App
from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.i18n import render
from bot.org import Org, OrgError, check_org, default_org_path, load_org
from bot.types import Text

if TYPE_CHECKING:
    from handlers.screening_import import RowProblem

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
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
        return load_org(path)
    except OrgError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def build_app(settings: Settings, org: Org, *, clock: Callable[[], datetime] | None = None) -> App:
    """Build an instance on the configured database, with the schema brought up to date."""
    import handlers
    from handlers.delivery import reroute_undeliverable
    from scheduler.jobs import tick

    engine = make_engine(settings.database_url)
    upgrade(engine)
    if clock is None and settings.clock_start is not None:
        clock = drill_clock(settings.clock_start, ZoneInfo(org.schedule.timezone or settings.timezone))
    return App(
        settings=settings,
        org=org,
        engine=engine,
        commands=handlers.COMMANDS,
        forms=handlers.FORMS,
        tick=tick,
        undeliverable=reroute_undeliverable,
        clock=clock,
    )


def drill_clock(start: datetime, tz: ZoneInfo) -> Callable[[], datetime]:
    """Return a clock that reads ``start`` (local time if naive) now and runs on in real time."""
    offset = (start if start.tzinfo else start.replace(tzinfo=tz)) - datetime.now(tz)
    logger.warning("running on a simulated clock starting at %s", start.isoformat())
    return lambda: datetime.now(tz) + offset


def app_from_environment() -> App:
    """Build the instance the environment describes, exiting with a plain message if it is misconfigured."""
    settings = load_settings()
    return build_app(settings, load_org_or_exit(settings))


def community_or_exit(org: Org, ref: str | None) -> str | None:
    """Return the key of the community a key or name refers to (None if none given), exiting if it is unknown."""
    if not ref:
        return None
    found = org.community(ref)
    if found is None:
        names = ", ".join(f"{c.key} ({c.name})" for c in org.communities)
        print(f"lianfang: unknown community {ref!r}; communities: {names}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    return found.key


# -- subcommands ------------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    settings = load_settings()
    upgrade(make_engine(settings.database_url))
    print("OK")
    return EXIT_OK


def cmd_org_check(args: argparse.Namespace) -> int:
    """Validate an org file: print OK, or every problem with file, line and field."""
    problems = check_org(args.file)
    if not problems:
        print("OK")
        return EXIT_OK
    for problem in problems:
        print(problem)
    return EXIT_INVALID


def cmd_invite_create(args: argparse.Namespace) -> int:
    """Print a one-time invite code for a new member."""
    from handlers.membership import new_invite
    from models.members import ROLES

    settings = load_settings()
    org = load_org_or_exit(settings)
    if org.group(args.group) is None:
        keys = ", ".join(g.key for g in org.groups)
        print(f"lianfang: unknown group {args.group!r}; groups: {keys}", file=sys.stderr)
        return EXIT_INVALID
    if args.role not in ROLES:
        print(f"lianfang: unknown role {args.role!r}; roles: {', '.join(ROLES)}", file=sys.stderr)
        return EXIT_INVALID
    community = community_or_exit(org, args.community)
    app = build_app(settings, org)
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        invite = new_invite(
            ctx,
            group_key=args.group,
            role=args.role,
            community=community,
            name=args.name,
            ttl=timedelta(hours=args.hours or settings.invite_ttl_hours),
        )
        code = invite.code
    print(code)
    return EXIT_OK


def cmd_outbox_failed(args: argparse.Namespace) -> int:
    """List messages that could not be delivered, newest first, with the platform's reason."""
    from models.outbox import failed

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        rows = failed(session=session, limit=args.limit)
        for row in rows:
            print(
                f"{row.id}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.platform}\t{row.chat_id}\t{row.attempts}\t{row.error}"
            )
    if not rows:
        print("no failed messages")
    return EXIT_OK


def cmd_wecom_create_chat(args: argparse.Namespace) -> int:
    """Create a WeCom group chat of the app, bind it if asked, and print its chat id."""
    from bot.adapters.wecom import ApiError, ApiUnreachable
    from bot.serve import create_wecom_chat

    app = app_from_environment()
    members = [member.strip() for member in args.members.split(",") if member.strip()]
    owner = args.owner or (members[0] if members else "")
    try:
        chat_id = asyncio.run(create_wecom_chat(app, name=args.name, owner=owner, members=members, purpose=args.bind))
    except ValueError as error:
        print(f"lianfang: {error}", file=sys.stderr)
        return EXIT_INVALID
    except (ApiError, ApiUnreachable) as error:
        print(f"lianfang: WeCom: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(chat_id)
    return EXIT_OK


def cmd_wecom_bind_robot(args: argparse.Namespace) -> int:
    """Bind a WeCom group robot (its webhook URL or key) to a purpose, once a test message reached the group."""
    return _bind_tested(args.key, args.bind, robot=True)


def cmd_wecom_bind_chat(args: argparse.Namespace) -> int:
    """Bind a group chat of the app (created earlier) to a purpose, once a test message reached it."""
    return _bind_tested(args.chatid, args.bind, robot=False)


def _bind_tested(chat: str, purpose: str, *, robot: bool) -> int:
    from bot.adapters.base import SendError
    from bot.serve import bind_tested_wecom_chat

    app = app_from_environment()
    try:
        chat_id = asyncio.run(bind_tested_wecom_chat(app, chat=chat, purpose=purpose, robot=robot))
    except ValueError as error:
        print(f"lianfang: {error}", file=sys.stderr)
        return EXIT_INVALID
    except SendError as error:
        print(f"lianfang: the test message did not arrive, nothing bound: WeCom: {error.reason}", file=sys.stderr)
        return EXIT_INVALID if error.permanent else EXIT_ERROR
    print(f"OK {chat_id.split(':', 1)[0]} bound as {purpose}")
    return EXIT_OK


def _cli_actor() -> str:
    """Name the person at the terminal for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


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


def cmd_screening_import(args: argparse.Namespace) -> int:
    """Import a district screening list; exit 2 when rows were rejected."""
    from handlers.screening import notify_assignees
    from handlers.screening_import import ImportFileError, ImportReport, import_list

    settings = load_settings()
    app = build_app(settings, load_org_or_exit(settings))
    lang = settings.default_language
    batch = args.batch or args.file.stem

    def run(only_valid: bool) -> ImportReport:
        with session_scope(app.engine) as session:
            ctx = app.dispatcher.context(session, app.clock())
            report = import_list(
                ctx, args.file, batch=batch, actor=_cli_actor(), dry_run=args.dry_run, only_valid=only_valid
            )
            if report.written:
                notify_assignees(ctx, report.assigned)
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


def cmd_screening_assign(args: argparse.Namespace) -> int:
    """Assign the ledger's unassigned targets now, e.g. after staff joined, and tell the staff."""
    from handlers.screening import notify_assignees
    from handlers.screening_import import assign_unassigned

    settings = load_settings()
    app = build_app(settings, load_org_or_exit(settings))
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        assigned, left = assign_unassigned(ctx)
        notify_assignees(ctx, assigned)
    params = {"assigned": sum(assigned.values()), "left": left}
    print(render(Text("screening.assign_done", params), settings.default_language))
    return EXIT_OK


def cmd_screening_export(args: argparse.Namespace) -> int:
    """Write the screening ledger as .xlsx, one sheet per community; the export is audited."""
    from handlers.screening_export import export_ledger

    settings = load_settings()
    org = load_org_or_exit(settings)
    community = community_or_exit(org, args.community)
    app = build_app(settings, org)
    with session_scope(app.engine) as session:
        ctx = app.dispatcher.context(session, app.clock())
        out = args.out or Path(f"screening-ledger-{ctx.today:%Y%m%d}.xlsx")
        try:
            summary = export_ledger(ctx, out, actor=_cli_actor(), community=community)
        except OSError as error:
            print(f"lianfang: cannot write {out}: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
    print(render(Text("screening.export_done", {"path": str(out), "rows": summary.rows}), settings.default_language))
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """List audit entries (views of full records, exports, imports) in the order they were written."""
    from models.audit import audit_entries

    settings = load_settings()
    org = load_org_or_exit(settings)
    app = build_app(settings, org)
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=app.tz) if args.since else None
    with session_scope(app.engine) as session:
        entries = audit_entries(session=session, since=since, limit=args.limit)
        for entry in entries:
            target = "" if entry.target_id is None else str(entry.target_id)
            print(
                f"{entry.at.astimezone(app.tz):%Y-%m-%d %H:%M:%S}\t{entry.actor}\t{entry.action}\t"
                f"{entry.channel}\t{target}\t{entry.detail}"
            )
    if not entries:
        print("no audit entries")
    return EXIT_OK


def cmd_console(args: argparse.Namespace) -> int:
    """Chat with the bot in this terminal."""
    app = app_from_environment()
    return asyncio.run(_console(app, args.as_member, sys.stdin, sys.stdout))


async def _console(app: App, as_member: str | None, stream, out) -> int:  # noqa: ANN001 - text streams
    from bot.adapters.console import ConsoleAdapter
    from bot.types import PLATFORM_CONSOLE
    from models.members import bind_identity, find_identity, find_member

    user_id = "console-guest"
    if as_member:
        with session_scope(app.engine) as session:
            member = find_member(session=session, ref=as_member)
            if member is None:
                print(f"lianfang: no member {as_member!r}", file=sys.stderr)
                return EXIT_INVALID
            user_id = f"console-{member.id}"
            if find_identity(session=session, platform=PLATFORM_CONSOLE, user_id=user_id) is None:
                bind_identity(
                    session=session,
                    member=member,
                    platform=PLATFORM_CONSOLE,
                    user_id=user_id,
                    chat_id=user_id,
                    now=app.clock(),
                )
    adapter = ConsoleAdapter(out, user_id=user_id, display_name=as_member or "")
    app.add_adapter(adapter)
    await app.start()
    count = await adapter.run(stream, app.handle, prompt=stream.isatty())
    await app.stop()
    logger.info("console closed after %d line(s)", count)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot: platforms as configured, the scheduler, and the daily loop."""
    from bot.adapters.base import SetupRefused

    settings = load_settings()
    configure_logging(args.log_level or settings.log_level, jobs=settings.log_jobs)
    org = load_org_or_exit(settings)
    app = build_app(settings, org)
    if settings.telegram_enabled or settings.wecom_enabled:
        from bot.serve import serve

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
    from scheduler.service import start_scheduler

    scheduler = start_scheduler(app)
    try:
        return await _console(app, as_member, sys.stdin, sys.stdout)
    finally:
        scheduler.shutdown(wait=False)


def cmd_demo(args: argparse.Namespace) -> int:
    """Play a scripted day on a simulated clock and print every message."""
    from bot.demo import run_demo

    return run_demo(day=args.date, out=sys.stdout)


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

    demo = sub.add_parser("demo", help="play a scripted day on a temporary database")
    demo.add_argument("--date", type=_date, default=None, help="the simulated day, YYYY-MM-DD (default 2020-01-28)")
    demo.set_defaults(func=cmd_demo)

    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--as", dest="as_member", help="speak as this member (name or id)")
    console.set_defaults(func=cmd_console)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring the schema up to date").set_defaults(func=cmd_db_upgrade)

    org = sub.add_parser("org", help="organisation file").add_subparsers(dest="org_command", required=True)
    check = org.add_parser("check", help="validate an org file")
    check.add_argument("file", type=Path)
    check.set_defaults(func=cmd_org_check)

    invite = sub.add_parser("invite", help="invites").add_subparsers(dest="invite_command", required=True)
    create = invite.add_parser("create", help="print a one-time invite code")
    create.add_argument("--group", required=True, help="working group key, e.g. screening")
    create.add_argument("--role", required=True, help="admin, leader, group_lead, reporter or staff")
    create.add_argument("--community", help="community key or name (field staff)")
    create.add_argument("--name", help="the new member's name (default: their chat display name)")
    create.add_argument("--hours", type=int, help="hours the code stays valid")
    create.set_defaults(func=cmd_invite_create)

    wecom = sub.add_parser("wecom", help="WeChat Work setup").add_subparsers(dest="wecom_command", required=True)
    chat = wecom.add_parser("create-chat", help="create a group chat of the app and bind it")
    chat.add_argument("--name", required=True, help="the chat's name, e.g. 领导小组")
    chat.add_argument("--members", required=True, help="WeCom UserIDs, comma-separated (2 to 500)")
    chat.add_argument("--owner", help="the chat owner's UserID (default: the first member)")
    chat.add_argument("--bind", help="leadership, or group:KEY")
    chat.set_defaults(func=cmd_wecom_create_chat)
    robot = wecom.add_parser("bind-robot", help="bind a group robot to a purpose, after a test message")
    robot.add_argument("--key", required=True, help="the robot's webhook address as WeCom shows it, or its key")
    robot.add_argument("--bind", required=True, help="leadership, or group:KEY")
    robot.set_defaults(func=cmd_wecom_bind_robot)
    bound = wecom.add_parser("bind-chat", help="bind a group chat of the app to a purpose, after a test message")
    bound.add_argument("chatid", help="the chat id `wecom create-chat` printed")
    bound.add_argument("--bind", required=True, help="leadership, or group:KEY")
    bound.set_defaults(func=cmd_wecom_bind_chat)

    screening = sub.add_parser("screening", help="the screening ledger (排查台账)").add_subparsers(
        dest="screening_command", required=True
    )
    importer = screening.add_parser("import", help="import a district list (.xlsx or .csv)")
    importer.add_argument("file", type=Path)
    importer.add_argument("--batch", help="name of the list, e.g. 区指挥部 1月28日 (default: the file name)")
    importer.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")
    importer.add_argument("--only-valid", action="store_true", help="import the good rows even if some are rejected")
    importer.set_defaults(func=cmd_screening_import)
    assigner = screening.add_parser("assign", help="assign unassigned targets now (after staff joined)")
    assigner.set_defaults(func=cmd_screening_assign)
    exporter = screening.add_parser("export", help="write the ledger as .xlsx, one sheet per community")
    exporter.add_argument("--out", type=Path, help="the .xlsx file to write (default: screening-ledger-DATE.xlsx)")
    exporter.add_argument("--community", help="one community only (key or name)")
    exporter.set_defaults(func=cmd_screening_export)

    audit = sub.add_parser("audit", help="list who saw or exported personal data")
    audit.add_argument("--since", type=_date, default=None, help="from this day on, YYYY-MM-DD")
    audit.add_argument("--limit", type=int, default=1000)
    audit.set_defaults(func=cmd_audit)

    outbox = sub.add_parser("outbox", help="outgoing messages").add_subparsers(dest="outbox_command", required=True)
    failed_parser = outbox.add_parser("failed", help="list messages that could not be delivered")
    failed_parser.add_argument("--limit", type=int, default=100)
    failed_parser.set_defaults(func=cmd_outbox_failed)
    return parser


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
