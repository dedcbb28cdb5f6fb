"""The member roster: list, deactivate, reactivate and relink members, from the CLI or an admin's private chat."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Form, FormField, static_fields
from lianfang.bot.types import Button, Text, TextError
from lianfang.handlers.shared.labels import community_label, group_label, member_label
from lianfang.handlers.shared.parsers import parse_text
from lianfang.models.audit import (
    ACTION_DEACTIVATE,
    ACTION_REACTIVATE,
    ACTION_RELINK,
    ACTION_REVOKE,
    CHANNEL_PRIVATE,
    record_access,
)
from lianfang.models.members import (
    MAX_REASON,
    ROLE_ADMIN,
    ROLE_GROUP_LEAD,
    ROLE_LEADER,
    ROLE_REPORTER,
    ROLE_STAFF,
    Invite,
    Member,
    create_relink,
    deactivate_member,
    list_members,
    members_named,
    reactivate_member,
    revoke_invite,
)

logger = logging.getLogger(__name__)

CMD_MEMBERS = "members"
FORM_DEACTIVATE = "deactivate"
ACTION_WORD_DEACTIVATE = "deactivate"
ACTION_WORD_REACTIVATE = "reactivate"
ACTION_WORD_RELINK = "relink"
INACTIVE_WORD = "inactive"
ACTION_WORDS = {
    ACTION_WORD_DEACTIVATE: ACTION_WORD_DEACTIVATE,
    "停用": ACTION_WORD_DEACTIVATE,
    ACTION_WORD_REACTIVATE: ACTION_WORD_REACTIVATE,
    "恢复": ACTION_WORD_REACTIVATE,
    "启用": ACTION_WORD_REACTIVATE,
    ACTION_WORD_RELINK: ACTION_WORD_RELINK,
    "换绑": ACTION_WORD_RELINK,
}
"""Typed or tapped words after ``/members N``, in both languages, and the action each names."""
INACTIVE_WORDS = frozenset({INACTIVE_WORD, "已停用", "停用的"})
ROLE_KEYS = {
    ROLE_ADMIN: "role.admin",
    ROLE_LEADER: "role.leader",
    ROLE_GROUP_LEAD: "role.group_lead",
    ROLE_REPORTER: "role.reporter",
    ROLE_STAFF: "role.staff",
}
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
MAX_LIST_BUTTONS = 40
"""A button per member up to this many; beyond, admins type ``/members N`` from the numbered lines."""


def role_label(role: str) -> Text:
    """Return a role's name in the reader's language."""
    return Text(ROLE_KEYS[role]) if role in ROLE_KEYS else Text.raw(role)


class RosterError(TextError):
    """A roster change that cannot be made; ``key`` says why in the reader's language."""


# -- changes, shared by the CLI and the chat -------------------------------------------------------------


def _audit(ctx: Context, action: str, member: Member, *, actor: str, channel: str, detail: str = "") -> None:
    """Write one audit entry about a member, naming them by id and name."""
    speaker = ctx.member
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=actor,
        action=action,
        channel=channel,
        member_id=speaker.id if speaker is not None else None,
        detail=f"member {member.id} {member.name}" + (f": {detail}" if detail else ""),
    )


def deactivate(ctx: Context, member: Member, *, reason: str, actor: str, channel: str) -> None:
    """Deactivate a member with a reason, audited; raise RosterError if they cannot be."""
    reason = reason.strip()
    if not reason:
        raise RosterError("members.reason_required")
    if len(reason) > MAX_REASON:
        raise RosterError("form.error_too_long", limit=MAX_REASON, length=len(reason))
    _check_deactivatable(ctx, member)
    deactivate_member(session=ctx.session, member=member, reason=reason, now=ctx.now)
    _audit(ctx, ACTION_DEACTIVATE, member, actor=actor, channel=channel, detail=reason)
    logger.info("member %s deactivated", member.id)


def reactivate(ctx: Context, member: Member, *, actor: str, channel: str) -> None:
    """Make a deactivated member active again, audited; raise RosterError if they are active."""
    if member.active:
        raise RosterError("members.already_active", name=member.name)
    reactivate_member(session=ctx.session, member=member)
    _audit(ctx, ACTION_REACTIVATE, member, actor=actor, channel=channel)
    logger.info("member %s reactivated", member.id)


def relink(ctx: Context, member: Member, *, actor: str, channel: str) -> Invite:
    """Unlink a member's accounts and return a one-time code for a new one, audited."""
    if not member.active:
        raise RosterError("members.relink_inactive", name=member.name)
    ttl = timedelta(hours=ctx.settings.invite_ttl_hours)
    invite, unlinked = create_relink(session=ctx.session, member=member, now=ctx.now, ttl=ttl)
    _audit(ctx, ACTION_RELINK, member, actor=actor, channel=channel, detail=f"{unlinked} account(s) unlinked")
    logger.info("member %s relinked: %d account(s) unlinked", member.id, unlinked)
    return invite


def revoke(ctx: Context, invite: Invite, *, actor: str, channel: str, why: str = "") -> None:
    """Void an invite code, audited."""
    revoke_invite(session=ctx.session, invite=invite, now=ctx.now)
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=actor,
        action=ACTION_REVOKE,
        channel=channel,
        member_id=ctx.member.id if ctx.member is not None else None,
        detail=f"invite {invite.id}" + (f": {why}" if why else ""),
    )


def local_moment(ctx: Context, moment: datetime) -> str:
    """Format a moment as local date and time, for codes valid over several days."""
    return moment.astimezone(ctx.tz).strftime(MOMENT_FORMAT)


# -- the /members command --------------------------------------------------------------------------------


def member_line(ctx: Context, member: Member) -> Text:
    """Return one member as a line: number, name, group, role, community, and why they were deactivated."""
    group = ctx.org.group(member.group_key)
    community = ctx.org.community(member.community) if member.community else None
    params = {
        "id": member.id,
        "name": member_label(member),
        "group": group_label(group) if group else Text.raw(member.group_key),
        "role": role_label(member.role),
        "community": community_label(community) if community else Text.raw("-"),
    }
    if member.active:
        return Text("members.line", params)
    when = local_moment(ctx, member.deactivated_at) if member.deactivated_at else "-"
    return Text("members.line_inactive", {**params, "reason": member.deactivation_reason or "-", "time": when})


def _show_list(ctx: Context, *, active: bool) -> None:
    members = list_members(session=ctx.session, active=active)
    title = Text("members.title" if active else "members.title_inactive", {"count": len(members)})
    lines = [title, *(member_line(ctx, m) for m in members), Text("members.hint")]
    buttons = [Button(Text.raw(m.name), f"/{CMD_MEMBERS} {m.id}") for m in members[:MAX_LIST_BUTTONS]]
    other = Text("members.button_active" if not active else "members.button_inactive")
    buttons.append(Button(other, f"/{CMD_MEMBERS}" if not active else f"/{CMD_MEMBERS} {INACTIVE_WORD}"))
    ctx.reply(*lines, buttons=buttons)


def _show_member(ctx: Context, member: Member) -> None:
    base = f"/{CMD_MEMBERS} {member.id}"
    if member.active:
        buttons = [
            Button(Text("members.button_deactivate"), f"{base} {ACTION_WORD_DEACTIVATE}"),
            Button(Text("members.button_relink"), f"{base} {ACTION_WORD_RELINK}"),
        ]
    else:
        buttons = [Button(Text("members.button_reactivate"), f"{base} {ACTION_WORD_REACTIVATE}")]
    ctx.reply(member_line(ctx, member), buttons=buttons)


def members_command(ctx: MemberContext, args: str) -> None:
    """List members, show one, or deactivate, reactivate or relink one (admins, private chat)."""
    words = args.split(maxsplit=2)
    if not words:
        _show_list(ctx, active=True)
        return
    if words[0].lower() in INACTIVE_WORDS:
        _show_list(ctx, active=False)
        return
    found = members_named(session=ctx.session, ref=words[0].lstrip("#"))
    if not found:
        ctx.reply("members.not_found", ref=words[0][:64])
        return
    if len(found) > 1:
        lines = [Text("members.ambiguous", {"ref": words[0]}), *(member_line(ctx, m) for m in found)]
        ctx.reply(*lines, buttons=[Button(Text.raw(m.name), f"/{CMD_MEMBERS} {m.id}") for m in found])
        return
    member = found[0]
    action = ACTION_WORDS.get(words[1].lower()) if len(words) > 1 else None
    if len(words) > 1 and action is None:
        ctx.reply("members.usage")
        return
    actor = ctx.member.name
    try:
        if action is None:
            _show_member(ctx, member)
        elif action == ACTION_WORD_DEACTIVATE and len(words) < 3:
            _check_deactivatable(ctx, member)
            lead = Text("members.deactivate_lead", {"name": member.name})
            ctx.start_form(FORM_DEACTIVATE, context={"member": member.id}, lead=lead)
        elif action == ACTION_WORD_DEACTIVATE:
            deactivate(ctx, member, reason=words[2], actor=actor, channel=CHANNEL_PRIVATE)
            ctx.reply("members.deactivated", name=member.name)
        elif action == ACTION_WORD_REACTIVATE:
            reactivate(ctx, member, actor=actor, channel=CHANNEL_PRIVATE)
            ctx.reply("members.reactivated", name=member.name)
        else:
            invite = relink(ctx, member, actor=actor, channel=CHANNEL_PRIVATE)
            expires = local_moment(ctx, invite.expires_at)
            ctx.reply("members.relink_code", name=member.name, code=invite.code, expires=expires)
    except RosterError as error:
        ctx.reply(error.text())


def _check_deactivatable(ctx: Context, member: Member) -> None:
    """Refuse a member who cannot be deactivated (checked again before asking for a reason)."""
    if not member.active:
        raise RosterError("members.already_inactive", name=member.name)
    if ctx.member is not None and ctx.member.id == member.id:
        raise RosterError("members.not_self")


def submit_deactivate(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Deactivate the member the form was started for, with the reason given."""
    found = members_named(session=ctx.session, ref=str(context["member"]))
    actor = ctx.member.name
    try:
        if not found:
            raise RosterError("members.not_found", ref=context["member"])
        deactivate(ctx, found[0], reason=data["reason"], actor=actor, channel=CHANNEL_PRIVATE)
    except RosterError as error:
        ctx.reply(error.text())
        return
    ctx.reply("members.deactivated", name=found[0].name)


DEACTIVATE_FORM = Form(
    FORM_DEACTIVATE,
    Text("members.deactivate_title"),
    static_fields(
        FormField("reason", Text("members.ask_reason"), Text("members.reason"), parse=parse_text(MAX_REASON))
    ),
    submit_deactivate,
)

COMMANDS = (Command(CMD_MEMBERS, members_command, aliases=("成员",), roles=(ROLE_ADMIN,), private_only=True),)
FORMS = (DEACTIVATE_FORM,)
