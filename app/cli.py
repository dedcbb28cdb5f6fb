"""The ``lianfang`` command: the one place that knows every layer and wires them together."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from lianfang.bot.config import DEFAULT_DATABASE_FILE, Settings
from lianfang.bot.db import make_engine, session_scope, sqlite_file, upgrade
from lianfang.bot.i18n import render
from lianfang.bot.org import Org, OrgError, check_org, default_org_path, load_org
from lianfang.bot.runtime import App
from lianfang.bot.types import Text
from lianfang.models.audit import CHANNEL_CLI
from pydantic import ValidationError

if TYPE_CHECKING:
    from lianfang.bot.context import Context
    from lianfang.handlers.screening.importing import RowProblem
    from lianfang.models.members import Member
    from sqlalchemy import Engine
    from sqlmodel import Session

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2
CONSOLE_GUEST = "console-guest"
CONSOLE_MEMBER_PREFIX = "console-"
CONSOLE_NEWCOMER_PREFIX = "console:"
"""``--as NAME`` for someone who is not a member: an account of their own, distinct from every member's."""
RETRY_TIME_LAYOUTS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
MAX_INVITE_HOURS = 720
"""An invite code lives at most 30 days: a code that lingers is a code that leaks."""

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


def open_database(settings: Settings, *, announce: bool = True) -> Engine:
    """Open the configured database with its schema up to date; on stderr, name a SQLite file it had to create."""
    path = sqlite_file(settings.database_url)
    created = path is not None and not path.exists()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
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
    open_database(settings)
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
    """Print a one-time invite code for a new member; a name already taken is refused with the relink command."""
    from lianfang.handlers.membership.joining import new_invite
    from lianfang.models.members import ROLES, members_named

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
        namesakes = members_named(session=session, ref=args.name) if args.name and not args.same_name else []
        if namesakes:
            print(f"lianfang: a member named {args.name!r} already exists:", file=sys.stderr)
            _print_members(app, namesakes, file=sys.stderr)
            print(
                "To move that person to a new phone or account, run: lianfang members relink ID\n"
                "To invite a different person with the same name, add --same-name.",
                file=sys.stderr,
            )
            return EXIT_INVALID
        ctx = app.dispatcher.context(session, app.clock())
        invite = new_invite(
            ctx,
            group_key=args.group,
            role=args.role,
            community=community,
            name=args.name,
            ttl=timedelta(hours=settings.invite_ttl_hours if args.hours is None else args.hours),
        )
        code = invite.code
    print(code)
    return EXIT_OK


def cmd_invite_list(args: argparse.Namespace) -> int:
    """List the invite codes that can still be used."""
    from lianfang.models.members import open_invites

    app = app_from_environment()
    with session_scope(app.engine) as session:
        invites = open_invites(session=session, now=app.clock())
        for invite in invites:
            kind = "relink" if invite.relink else "invite"
            print(
                f"{invite.code}\t{kind}\t{invite.name or '-'}\t{invite.group_key}\t{invite.role}\t"
                f"{invite.community or '-'}\tuntil {invite.expires_at.astimezone(app.tz):%Y-%m-%d %H:%M}"
            )
    if not invites:
        print("no open invites")
    return EXIT_OK


def cmd_invite_revoke(args: argparse.Namespace) -> int:
    """Void an invite code that has not been used."""
    from lianfang.handlers.membership.roster import revoke
    from lianfang.models.members import find_invite, normalize_invite_code

    app = app_from_environment()
    code = normalize_invite_code(args.code)
    with session_scope(app.engine) as session:
        invite = find_invite(session=session, code=code) if code else None
        if invite is None:
            print(f"lianfang: no invite code {code!r}; see: lianfang invite list", file=sys.stderr)
            return EXIT_INVALID
        ctx = app.dispatcher.context(session, app.clock())
        if not invite.is_open(ctx.now):
            state = "used" if invite.used_at else "revoked" if invite.revoked_at else "expired"
            print(f"lianfang: invite code {code} is already {state}", file=sys.stderr)
            return EXIT_INVALID
        revoke(ctx, invite, actor=_cli_actor(), channel=CHANNEL_CLI)
    print("OK")
    return EXIT_OK


def _print_members(app: App, members: Sequence[Member], *, file: TextIO | None = None) -> None:
    """Print members one a line: id, name, group, role, community, and when and why deactivated."""
    for member in members:
        row = [str(member.id), member.name, member.group_key, member.role, member.community or "-"]
        if not member.active:
            when = member.deactivated_at.astimezone(app.tz) if member.deactivated_at else None
            row += [f"inactive since {when:%Y-%m-%d %H:%M}" if when else "inactive", member.deactivation_reason or "-"]
        print("\t".join(row), file=file or sys.stdout)


def _member_or_exit(app: App, session: Session, ref: str) -> Member:
    """Return the one member an id or exact name refers to, exiting 2 when there is none or several."""
    from lianfang.models.members import members_named

    found = members_named(session=session, ref=ref)
    if not found:
        print(f"lianfang: no member {ref!r}; see: lianfang members list", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    if _ambiguous(app, ref, found):
        raise SystemExit(EXIT_INVALID)
    return found[0]


def _ambiguous(app: App, ref: str, found: Sequence[Member]) -> bool:
    """Tell whether a name fits several members, listing them when it does."""
    if len(found) <= 1:
        return False
    print(f"lianfang: {len(found)} members are called {ref!r}; give the id of one:", file=sys.stderr)
    _print_members(app, found, file=sys.stderr)
    return True


def cmd_members_list(args: argparse.Namespace) -> int:
    """List active members (or deactivated ones), optionally of one group."""
    from lianfang.models.members import list_members

    settings = load_settings()
    org = load_org_or_exit(settings)
    if args.group is not None and org.group(args.group) is None:
        keys = ", ".join(g.key for g in org.groups)
        print(f"lianfang: unknown group {args.group!r}; groups: {keys}", file=sys.stderr)
        return EXIT_INVALID
    app = build_app(settings, org)
    with session_scope(app.engine) as session:
        members = list_members(session=session, group_key=args.group, active=not args.inactive)
        _print_members(app, members)
    if not members:
        print("no deactivated members" if args.inactive else "no members")
    return EXIT_OK


def _roster_change(args: argparse.Namespace, change: Callable[[Context, Member], str]) -> int:
    """Apply one roster change to the member ARGS.member names, printing its result or why it was refused."""
    from lianfang.handlers.membership.roster import RosterError

    app = app_from_environment()
    lang = app.settings.default_language
    with session_scope(app.engine) as session:
        member = _member_or_exit(app, session, args.member)
        ctx = app.dispatcher.context(session, app.clock())
        try:
            result = change(ctx, member)
        except RosterError as error:
            print(f"lianfang: {render(error.text(), lang)}", file=sys.stderr)
            return EXIT_INVALID
    print(result)
    return EXIT_OK


def cmd_members_deactivate(args: argparse.Namespace) -> int:
    """Deactivate a member with a reason: from their next message on they are a stranger."""
    from lianfang.handlers.membership.roster import deactivate

    def change(ctx: Context, member: Member) -> str:
        deactivate(ctx, member, reason=args.reason, actor=_cli_actor(), channel=CHANNEL_CLI)
        return render(Text("members.deactivated", {"name": member.name}), ctx.lang)

    return _roster_change(args, change)


def cmd_members_reactivate(args: argparse.Namespace) -> int:
    """Make a deactivated member active again."""
    from lianfang.handlers.membership.roster import reactivate

    def change(ctx: Context, member: Member) -> str:
        reactivate(ctx, member, actor=_cli_actor(), channel=CHANNEL_CLI)
        return render(Text("members.reactivated", {"name": member.name}), ctx.lang)

    return _roster_change(args, change)


def cmd_members_relink(args: argparse.Namespace) -> int:
    """Unlink a member's accounts and print a one-time code that binds their new one."""
    from lianfang.handlers.membership.roster import local_moment, relink

    def change(ctx: Context, member: Member) -> str:
        invite = relink(ctx, member, actor=_cli_actor(), channel=CHANNEL_CLI)
        params = {"name": member.name, "code": invite.code, "expires": local_moment(ctx, invite.expires_at)}
        print(render(Text("members.relink_code", params), ctx.lang), file=sys.stderr)
        return invite.code

    return _roster_change(args, change)


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

    settings = load_settings()
    app = build_app(settings, load_org_or_exit(settings))
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


def cmd_wecom_create_chat(args: argparse.Namespace) -> int:
    """Create a WeCom group chat of the app, bind it if asked, and print its chat id."""
    from lianfang.app.serve import create_wecom_chat
    from lianfang.bot.platforms.wecom.adapter import ApiError, ApiUnreachable

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
    from lianfang.app.serve import bind_tested_wecom_chat
    from lianfang.bot.ports import SendError

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
    from lianfang.handlers.screening.importing import ImportFileError, ImportReport, import_list, notify_replaced
    from lianfang.handlers.screening.verification import notify_assignees

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


def cmd_screening_assign(args: argparse.Namespace) -> int:
    """Assign the ledger's unassigned targets now, e.g. after staff joined, and tell the staff."""
    from lianfang.handlers.screening.importing import assign_unassigned
    from lianfang.handlers.screening.verification import notify_assignees

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
    from lianfang.handlers.screening.export import export_ledger

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
    from lianfang.models.audit import audit_entries

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
    if _ambiguous(app, ref, found):
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
    org = load_org_or_exit(settings)
    app = build_app(settings, org)
    if settings.telegram_enabled or settings.wecom_enabled:
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


def cmd_demo(args: argparse.Namespace) -> int:
    """Play a scripted day on a simulated clock and print every message."""
    from lianfang.app.demo import run_demo

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
    create.add_argument("--hours", type=_invite_hours, help=f"hours the code stays valid, 1 to {MAX_INVITE_HOURS}")
    create.add_argument("--same-name", action="store_true", help="invite a new person who shares a member's name")
    create.set_defaults(func=cmd_invite_create)
    invite.add_parser("list", help="list the codes that can still be used").set_defaults(func=cmd_invite_list)
    revoker = invite.add_parser("revoke", help="void an unused code")
    revoker.add_argument("code")
    revoker.set_defaults(func=cmd_invite_revoke)

    members = sub.add_parser("members", help="members: list, deactivate, reactivate, relink").add_subparsers(
        dest="members_command", required=True
    )
    lister = members.add_parser("list", help="list active members (or deactivated ones)")
    lister.add_argument("--group", help="one working group's key")
    lister.add_argument("--inactive", action="store_true", help="list deactivated members instead")
    lister.set_defaults(func=cmd_members_list)
    deactivator = members.add_parser("deactivate", help="shut a member out from their next message on")
    deactivator.add_argument("member", help="member id or exact name")
    deactivator.add_argument("--reason", required=True, help="why, for the audit log")
    deactivator.set_defaults(func=cmd_members_deactivate)
    reactivator = members.add_parser("reactivate", help="let a deactivated member back in")
    reactivator.add_argument("member", help="member id or exact name")
    reactivator.set_defaults(func=cmd_members_reactivate)
    relinker = members.add_parser("relink", help="unlink a member's accounts; print a code for their new one")
    relinker.add_argument("member", help="member id or exact name")
    relinker.set_defaults(func=cmd_members_relink)

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


def _invite_hours(text: str) -> int:
    """Read ``--hours``: a whole number of hours from 1 to MAX_INVITE_HOURS."""
    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of hours: {text!r}") from None
    if not 1 <= hours <= MAX_INVITE_HOURS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_INVITE_HOURS} hours, not {hours}")
    return hours


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
