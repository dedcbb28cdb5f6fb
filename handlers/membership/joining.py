"""Joining by invite, binding group chats, language, help, and form controls sent outside a form."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command, OpenCommand
from lianfang.bot.forms import CMD_BACK, CMD_CANCEL, CMD_SKIP, Form, FormField, static_fields
from lianfang.bot.i18n import LANG_EN, LANG_ZH
from lianfang.bot.types import Button, Text
from lianfang.handlers.membership.roster import revoke, role_label
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.labels import community_label, group_label, member_label
from lianfang.handlers.shared.parsers import parse_text
from lianfang.models.audit import ACTION_JOIN, CHANNEL_GROUP, CHANNEL_PRIVATE, record_access
from lianfang.models.base import to_db_time
from lianfang.models.members import (
    CHAT_GROUP,
    CHAT_LEADERSHIP,
    ROLE_ADMIN,
    Invite,
    Member,
    bind_chat,
    bind_identity,
    create_invite,
    create_member,
    find_invite,
    get_member,
    name_member,
    normalize_invite_code,
)

logger = logging.getLogger(__name__)

INVITE_CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")
MAX_NAME_LENGTH = 64
FORM_NAME = "name"
RESEND_WINDOW = timedelta(hours=24)
"""Private messages refused this recently are sent again when the member sends /start; older ones are stale."""
LEADERSHIP_WORDS = frozenset({"leadership", "leaders", "领导", "领导小组", "领导群"})
GROUP_WORDS = frozenset({"group", "组", "工作组"})
LANGUAGE_WORDS = {
    LANG_ZH: frozenset({"zh", "zh_cn", "zh-cn", "cn", "中文", "汉语", "简体中文"}),
    LANG_EN: frozenset({"en", "english", "英文", "英语"}),
}


VOIDED_IN_GROUP = "posted in a group chat"
"""Why a code sent in a group is voided, for the audit log."""


def start(ctx: MemberContext, args: str) -> None:
    """Greet a member, sending again what could not reach them lately (the dispatcher tells a stranger how to join)."""
    lines = [Text("start.welcome_back", {"name": member_label(ctx.member)}), *help_lines(ctx)]
    assert ctx.msg is not None
    if ctx.msg.is_private:
        # Whoever could not be messaged privately was told in their group chat to send /start: now we can.
        resent = ctx.resend_refused(ctx.chat, since=ctx.now - RESEND_WINDOW)
        if resent:
            lines.insert(1, Text("start.resent", {"count": resent}))
    ctx.reply(*lines)
    if ctx.member.name_pending and ctx.msg.is_private:
        ask_name(ctx)


def help_command(ctx: MemberContext, args: str) -> None:
    """List what the speaker can do."""
    ctx.reply(*help_lines(ctx))


def help_lines(ctx: MemberContext) -> list[Text]:
    """Return the help text for the speaker's role: the /help lines of every feature that the speaker may see."""
    return ctx.menu.help_lines(ctx, ctx.member)


def join(ctx: Context, args: str) -> None:
    """Make the sender a member with a one-time invite code, or move a member to this account with a relink code."""
    assert ctx.msg is not None
    code = normalize_invite_code(args)
    if not ctx.msg.is_private:
        _join_in_group(ctx, code)
        return
    if ctx.member is not None:
        ctx.reply("join.already", name=member_label(ctx.member))
        return
    if not code:
        ctx.reply("join.usage")
        return
    invite = find_invite(session=ctx.session, code=code) if INVITE_CODE.match(code) else None
    member = _member_of(ctx, invite) if invite is not None and invite.is_open(ctx.now) else None
    if invite is None or member is None:
        ctx.reply("join.invalid")
        return
    bind_identity(
        session=ctx.session,
        member=member,
        platform=ctx.msg.platform,
        user_id=ctx.msg.user_id,
        chat_id=ctx.msg.chat_id,
        now=ctx.now,
    )
    invite.used_at = to_db_time(ctx.now)
    invite.member_id = member.id
    ctx.session.add(invite)
    joined = ctx.joined(member)
    logger.info("member %s joined group %s as %s", member.id, member.group_key, member.role)
    if invite.relink:
        detail = f"member {member.id} {member.name} moved to a new account by invite {invite.id}"
        record_access(
            session=ctx.session,
            now=ctx.now,
            actor=member.name,
            action=ACTION_JOIN,
            channel=CHANNEL_PRIVATE,
            member_id=member.id,
            detail=detail,
        )
        ctx.reply(Text("join.relinked", {"name": member.name}), *help_lines(joined))
        return
    group, role = _group_text(ctx, invite), role_label(invite.role)
    if member.name_pending:
        lines = [Text("name.welcome", {"group": group, "role": role})]
    else:
        lines = [Text("join.welcome", {"name": member.name, "group": group, "role": role})]
    community = ctx.org.community(invite.community) if invite.community else None
    if community is not None:
        lines.append(Text("join.community", {"community": community_label(community)}))
    ctx.reply(*lines, *help_lines(joined))
    if member.name_pending:
        ask_name(joined)


def _member_of(ctx: Context, invite: Invite) -> Member | None:
    """Return the member an open invite makes: the active member a relink code moves, or a new one."""
    assert ctx.msg is not None
    if invite.relink:
        member = get_member(session=ctx.session, member_id=invite.member_id or 0)
        return member if member is not None and member.active else None
    shown = ctx.msg.display_name.strip()
    if shown.casefold() == ctx.msg.user_id.casefold():
        shown = ""  # a platform that knows no name gives the account id in its place
    given = (invite.name or "").strip() or shown
    return create_member(
        session=ctx.session,
        name=given[:MAX_NAME_LENGTH] or ctx.msg.user_id[:MAX_NAME_LENGTH],
        group_key=invite.group_key,
        role=invite.role,
        community=invite.community,
        lang=ctx.lang,
        now=ctx.now,
        name_pending=not given,
    )


def ask_name(ctx: MemberContext) -> None:
    """Ask a member whose real name is unknown for it; they are a member meanwhile, shown by number."""
    ctx.start_form(FORM_NAME, lead=Text("name.lead"))


def submit_name(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store the name the member gave."""
    name_member(session=ctx.session, member=ctx.member, name=data["name"])
    logger.info("member %s gave their name", ctx.member.id)
    ctx.reply("name.saved", name=ctx.member.name)


def _join_in_group(ctx: Context, code: str) -> None:
    """Void a code everyone in a group has now seen, and tell the sender, never repeating the code."""
    assert ctx.msg is not None
    if not code:
        ctx.reply("common.private_only", buttons=[Button(Text("common.open_private"), "/join", private=True)])
        return
    invite = find_invite(session=ctx.session, code=code) if INVITE_CODE.match(code) else None
    if invite is not None and invite.is_open(ctx.now):
        actor = ctx.member.name if ctx.member else f"{ctx.msg.platform}:{ctx.msg.user_id}"
        revoke(ctx, invite, actor=actor, channel=CHANNEL_GROUP, why=VOIDED_IN_GROUP)
        logger.warning("invite %s was sent in a group chat and is voided", invite.id)
    if ctx.member is not None and send_privately(ctx, [ctx.member], [Text("join.voided")]):
        return
    ctx.reply("join.voided", buttons=[Button(Text("common.open_private"), "/join", private=True)])


def _group_text(ctx: Context, invite: Invite) -> Text:
    group = ctx.org.group(invite.group_key)
    return group_label(group) if group else Text.raw(invite.group_key)


def bind(ctx: MemberContext, args: str) -> None:
    """Bind the current group chat as the leadership chat or a working group's chat."""
    assert ctx.msg is not None
    if ctx.msg.is_private:
        ctx.reply("bind.group_only")
        return
    words = args.split()
    if not words:
        ctx.reply("bind.usage", groups=_group_keys(ctx))
        return
    kind = words[0].lower()
    if kind in LEADERSHIP_WORDS and len(words) == 1:
        bind_chat(
            session=ctx.session,
            platform=ctx.msg.platform,
            chat_id=ctx.msg.chat_id,
            kind=CHAT_LEADERSHIP,
            group_key="",
            member_id=ctx.member.id,
            now=ctx.now,
        )
        ctx.reply("bind.done_leadership")
        return
    ref = words[1] if kind in GROUP_WORDS and len(words) == 2 else words[0] if len(words) == 1 else ""
    group = next((g for g in ctx.org.groups if ref in (g.key, g.name) or ref.lower() == g.name_en.lower()), None)
    if group is None:
        ctx.reply("bind.usage", groups=_group_keys(ctx))
        return
    bind_chat(
        session=ctx.session,
        platform=ctx.msg.platform,
        chat_id=ctx.msg.chat_id,
        kind=CHAT_GROUP,
        group_key=group.key,
        member_id=ctx.member.id,
        now=ctx.now,
    )
    ctx.reply("bind.done_group", group=group_label(group))


def _group_keys(ctx: Context) -> str:
    return ", ".join(f"{g.key} ({g.name})" for g in ctx.org.groups)


def lang(ctx: MemberContext, args: str) -> None:
    """Switch the speaker's language, or offer the choice."""
    word = args.strip().lower()
    chosen = next((code for code, words in LANGUAGE_WORDS.items() if word in words), None)
    if chosen is None:
        buttons = [Button(Text("lang.name_zh"), "/lang zh"), Button(Text("lang.name_en"), "/lang en")]
        ctx.reply("lang.choose", buttons=buttons)
        return
    ctx.member.lang = chosen
    ctx.session.add(ctx.member)
    ctx.lang = chosen
    ctx.reply("lang.set")


def no_form(ctx: Context, args: str) -> None:
    """Answer /cancel, /back or /skip sent when no form is open (inside a form the runner takes them)."""
    ctx.reply("form.no_active")


def new_invite(
    ctx: Context, *, group_key: str, role: str, community: str | None, name: str | None, ttl: timedelta
) -> Invite:
    """Create an invite (the CLI's ``invite create``)."""
    return create_invite(
        session=ctx.session, group_key=group_key, role=role, community=community, name=name, now=ctx.now, ttl=ttl
    )


NAME_FORM = Form(
    FORM_NAME,
    Text("name.title"),
    static_fields(FormField("name", Text("name.ask"), Text("name.label"), parse=parse_text(MAX_NAME_LENGTH))),
    submit_name,
    confirm=False,
)


COMMANDS = (
    Command("start", start, aliases=("开始",)),
    Command("help", help_command, aliases=("帮助",)),
    OpenCommand("join", join, aliases=("加入",)),
    Command("bind", bind, aliases=("绑定",), roles=(ROLE_ADMIN,)),
    Command("lang", lang, aliases=("语言",)),
    Command(CMD_CANCEL, no_form, aliases=("取消",)),
    Command(CMD_BACK, no_form, aliases=("返回",)),
    Command(CMD_SKIP, no_form, aliases=("跳过",)),
)
FORMS = (NAME_FORM,)
