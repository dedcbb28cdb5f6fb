"""``lianfang invite`` and ``lianfang members``: invite codes and the roster, from the operator's terminal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, TextIO

from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.bot.subcommands import EXIT_INVALID, EXIT_OK, CliRuntime, Subcommands, cli_actor, community_or_exit
from lianfang.bot.types import Text
from lianfang.models.audit import CHANNEL_CLI

if TYPE_CHECKING:
    from lianfang.bot.context import Context
    from lianfang.bot.runtime import App
    from lianfang.models.members import Member
    from sqlmodel import Session

MAX_INVITE_HOURS = 720
"""An invite code lives at most 30 days: a code that lingers is a code that leaks."""


def cmd_invite_create(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Print a one-time invite code for a new member; a name already taken is refused with the relink command."""
    from lianfang.handlers.membership.joining import new_invite
    from lianfang.models.members import ROLES, members_named

    settings = runtime.load_settings()
    org = runtime.load_org(settings)
    if org.group(args.group) is None:
        keys = ", ".join(g.key for g in org.groups)
        print(f"lianfang: unknown group {args.group!r}; groups: {keys}", file=sys.stderr)
        return EXIT_INVALID
    if args.role not in ROLES:
        print(f"lianfang: unknown role {args.role!r}; roles: {', '.join(ROLES)}", file=sys.stderr)
        return EXIT_INVALID
    community = community_or_exit(org, args.community)
    app = runtime.build_app(settings, org)
    with session_scope(app.engine) as session:
        namesakes = members_named(session=session, ref=args.name) if args.name and not args.same_name else []
        if namesakes:
            print(f"lianfang: a member named {args.name!r} already exists:", file=sys.stderr)
            print_members(app, namesakes, file=sys.stderr)
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


def cmd_invite_list(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """List the invite codes that can still be used."""
    from lianfang.models.members import open_invites

    app = runtime.app()
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


def cmd_invite_revoke(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Void an invite code that has not been used."""
    from lianfang.handlers.membership.roster import revoke
    from lianfang.models.members import find_invite, normalize_invite_code

    app = runtime.app()
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
        revoke(ctx, invite, actor=cli_actor(), channel=CHANNEL_CLI)
    print("OK")
    return EXIT_OK


def print_members(app: App, members: Sequence[Member], *, file: TextIO | None = None) -> None:
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
    if ambiguous(app, ref, found):
        raise SystemExit(EXIT_INVALID)
    return found[0]


def ambiguous(app: App, ref: str, found: Sequence[Member]) -> bool:
    """Tell whether a name fits several members, listing them when it does."""
    if len(found) <= 1:
        return False
    print(f"lianfang: {len(found)} members are called {ref!r}; give the id of one:", file=sys.stderr)
    print_members(app, found, file=sys.stderr)
    return True


def cmd_members_list(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """List active members (or deactivated ones), optionally of one group."""
    from lianfang.models.members import list_members

    settings = runtime.load_settings()
    org = runtime.load_org(settings)
    if args.group is not None and org.group(args.group) is None:
        keys = ", ".join(g.key for g in org.groups)
        print(f"lianfang: unknown group {args.group!r}; groups: {keys}", file=sys.stderr)
        return EXIT_INVALID
    app = runtime.build_app(settings, org)
    with session_scope(app.engine) as session:
        members = list_members(session=session, group_key=args.group, active=not args.inactive)
        print_members(app, members)
    if not members:
        print("no deactivated members" if args.inactive else "no members")
    return EXIT_OK


def _roster_change(runtime: CliRuntime, args: argparse.Namespace, change: Callable[[Context, Member], str]) -> int:
    """Apply one roster change to the member ARGS.member names, printing its result or why it was refused."""
    from lianfang.handlers.membership.roster import RosterError

    app = runtime.app()
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


def cmd_members_deactivate(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Deactivate a member with a reason: from their next message on they are a stranger."""
    from lianfang.handlers.membership.roster import deactivate

    def change(ctx: Context, member: Member) -> str:
        deactivate(ctx, member, reason=args.reason, actor=cli_actor(), channel=CHANNEL_CLI)
        return render(Text("members.deactivated", {"name": member.name}), ctx.lang)

    return _roster_change(runtime, args, change)


def cmd_members_reactivate(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Make a deactivated member active again."""
    from lianfang.handlers.membership.roster import reactivate

    def change(ctx: Context, member: Member) -> str:
        reactivate(ctx, member, actor=cli_actor(), channel=CHANNEL_CLI)
        return render(Text("members.reactivated", {"name": member.name}), ctx.lang)

    return _roster_change(runtime, args, change)


def cmd_members_relink(runtime: CliRuntime, args: argparse.Namespace) -> int:
    """Unlink a member's accounts and print a one-time code that binds their new one."""
    from lianfang.handlers.membership.roster import local_moment, relink

    def change(ctx: Context, member: Member) -> str:
        invite = relink(ctx, member, actor=cli_actor(), channel=CHANNEL_CLI)
        params = {"name": member.name, "code": invite.code, "expires": local_moment(ctx, invite.expires_at)}
        print(render(Text("members.relink_code", params), ctx.lang), file=sys.stderr)
        return invite.code

    return _roster_change(runtime, args, change)


def add_subcommands(subcommands: Subcommands, runtime: CliRuntime) -> None:
    """Add ``invite`` and ``members`` to ``lianfang``."""
    invite = subcommands.add_parser("invite", help="invites").add_subparsers(dest="invite_command", required=True)
    create = invite.add_parser("create", help="print a one-time invite code")
    create.add_argument("--group", required=True, help="working group key, e.g. screening")
    create.add_argument("--role", required=True, help="admin, leader, group_lead, reporter or staff")
    create.add_argument("--community", help="community key or name (field staff)")
    create.add_argument("--name", help="the new member's name (default: their chat display name)")
    create.add_argument("--hours", type=_invite_hours, help=f"hours the code stays valid, 1 to {MAX_INVITE_HOURS}")
    create.add_argument("--same-name", action="store_true", help="invite a new person who shares a member's name")
    create.set_defaults(func=partial(cmd_invite_create, runtime))
    invite.add_parser("list", help="list the codes that can still be used").set_defaults(
        func=partial(cmd_invite_list, runtime)
    )
    revoker = invite.add_parser("revoke", help="void an unused code")
    revoker.add_argument("code")
    revoker.set_defaults(func=partial(cmd_invite_revoke, runtime))

    members = subcommands.add_parser("members", help="members: list, deactivate, reactivate, relink").add_subparsers(
        dest="members_command", required=True
    )
    lister = members.add_parser("list", help="list active members (or deactivated ones)")
    lister.add_argument("--group", help="one working group's key")
    lister.add_argument("--inactive", action="store_true", help="list deactivated members instead")
    lister.set_defaults(func=partial(cmd_members_list, runtime))
    deactivator = members.add_parser("deactivate", help="shut a member out from their next message on")
    deactivator.add_argument("member", help="member id or exact name")
    deactivator.add_argument("--reason", required=True, help="why, for the audit log")
    deactivator.set_defaults(func=partial(cmd_members_deactivate, runtime))
    reactivator = members.add_parser("reactivate", help="let a deactivated member back in")
    reactivator.add_argument("member", help="member id or exact name")
    reactivator.set_defaults(func=partial(cmd_members_reactivate, runtime))
    relinker = members.add_parser("relink", help="unlink a member's accounts; print a code for their new one")
    relinker.add_argument("member", help="member id or exact name")
    relinker.set_defaults(func=partial(cmd_members_relink, runtime))


def _invite_hours(text: str) -> int:
    """Read ``--hours``: a whole number of hours from 1 to MAX_INVITE_HOURS."""
    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of hours: {text!r}") from None
    if not 1 <= hours <= MAX_INVITE_HOURS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_INVITE_HOURS} hours, not {hours}")
    return hours
