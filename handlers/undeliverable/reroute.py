"""What to do when a message cannot be delivered.

A private message: @mention the member in their group chat, and tell 综合组. A bound group chat that moved
(a Telegram group became a supergroup): follow it and send again. A bound group chat that refuses the bot for
good (removed from it, chat gone): tell the admins and the leading group privately which purpose is cut off.
"""

from __future__ import annotations

import logging
from typing import Any

from lianfang.bot.context import Context
from lianfang.bot.ports import FailureKind, SendError
from lianfang.bot.types import Button, ChatRef, OutgoingMessage, Text
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.handlers.shared.labels import group_label
from lianfang.models.members import (
    CHAT_LEADERSHIP,
    ROLE_ADMIN,
    ROLE_LEADER,
    ChatBinding,
    Member,
    binding_of_chat,
    get_member,
    identity_by_chat,
    list_members,
    mark_unreachable,
    rebind_chat,
)
from lianfang.models.send_ledger import KIND_UNREACHABLE, claim, ledger_key

logger = logging.getLogger(__name__)


def reroute_undeliverable(ctx: Context, chat: ChatRef, payload: dict[str, Any], error: SendError) -> None:
    """Act on a message the platform refused for good: follow a moved chat, report a lost one, reroute a private one."""
    if error.kind == FailureKind.MIGRATED and error.new_chat_id and error.new_chat_id != chat.chat_id:
        follow_migration(ctx, chat, payload, error.new_chat_id)
        return
    if binding_of_chat(session=ctx.session, platform=chat.platform, chat_id=chat.chat_id):
        report_unreachable(ctx, chat, error.reason)
        return
    if error.kind == FailureKind.REFUSED:
        reroute_private(ctx, chat, payload)


def follow_migration(ctx: Context, chat: ChatRef, payload: dict[str, Any], new_chat_id: str) -> None:
    """Rebind every purpose of a moved chat to its new id, send the message again there, and tell the admins once."""
    moved = rebind_chat(session=ctx.session, platform=chat.platform, old_chat_id=chat.chat_id, new_chat_id=new_chat_id)
    target = ChatRef(chat.platform, new_chat_id)
    original = OutgoingMessage.from_json(target, payload)
    # A document's bytes were dropped with the failed row; its lines still go.
    ctx.send(target, original.lines, original.lang, buttons=original.buttons, mentions=original.mentions)
    logger.info("%s chat moved to a new id; %d binding(s) follow it", chat.platform, len(moved))
    if moved:  # the first refused message moves the bindings; the ones queued behind it only go again
        lines = [
            Text("chat.migrated", {"purpose": _purpose(ctx, binding), "platform": chat.platform}) for binding in moved
        ]
        send_privately(ctx, _overseers(ctx), lines)


def report_unreachable(ctx: Context, chat: ChatRef, reason: str) -> None:
    """Mark a bound group chat unreachable and tell the admins and the leading group privately, once."""
    lost = mark_unreachable(
        session=ctx.session, platform=chat.platform, chat_id=chat.chat_id, reason=reason, now=ctx.now
    )
    if not lost:
        return  # already reported; it stays so until the chat is bound again
    logger.warning("%s group chat bound to %d purpose(s) refuses the bot: %s", chat.platform, len(lost), reason)
    lines = [
        Text("chat.unreachable", {"purpose": _purpose(ctx, binding), "platform": chat.platform, "reason": reason})
        for binding in lost
    ]
    send_privately(ctx, _overseers(ctx), lines)


def _purpose(ctx: Context, binding: ChatBinding) -> Text:
    """Name what a bound chat is for: the leadership chat, or one working group's chat."""
    if binding.kind == CHAT_LEADERSHIP:
        return Text("chat.purpose_leadership")
    group = ctx.org.group(binding.group_key)
    return Text("chat.purpose_group", {"group": group_label(group) if group else Text.raw(binding.group_key)})


def _overseers(ctx: Context) -> list[Member]:
    """Return who hears that a bound chat moved or was lost: the admins and the leading group."""
    return list_members(session=ctx.session, roles=(ROLE_ADMIN, ROLE_LEADER))


def reroute_private(ctx: Context, chat: ChatRef, payload: dict[str, Any]) -> None:
    """@mention the member in their group chat (with the message only if it is shareable); tell 综合组 once a day."""
    identity = identity_by_chat(session=ctx.session, platform=chat.platform, chat_id=chat.chat_id)
    member = get_member(session=ctx.session, member_id=identity.member_id) if identity else None
    if identity is None or member is None:
        return
    group = ctx.org.group(member.group_key)
    label = group_label(group) if group else Text.raw(member.group_key)
    original = OutgoingMessage.from_json(chat, payload)
    target = group_chat(ctx, member.group_key)
    if target is not None and target.platform == chat.platform and original.shareable:
        # Buttons in a group open the bot privately, so a tap by anyone leads to their own form.
        buttons = [Button(b.label, b.value, private=True) for b in original.buttons if b.value.startswith("/")]
        lines = [Text("delivery.fallback", {"name": member.name}), *original.lines]
        ctx.send(target, lines, ctx.settings.default_language, buttons=buttons, mentions=[identity.user_id])
    elif target is not None and target.platform == chat.platform:
        # Personal data never goes to a group: say only that a private message is waiting.
        notice = Text("delivery.fallback_private", {"name": member.name})
        ctx.send(target, [notice], ctx.settings.default_language, mentions=[identity.user_id])
    key = ledger_key(ctx.today, KIND_UNREACHABLE, "private", member.id)
    if claim(session=ctx.session, day=ctx.today, kind=KIND_UNREACHABLE, key=key, now=ctx.now, recipient=str(member.id)):
        coordination = group_chat(ctx, ctx.org.coordination_group)
        if coordination is not None:
            notice = Text("delivery.unreachable", {"name": member.name, "group": label})
            ctx.send(coordination, [notice], ctx.settings.default_language)
    logger.info("private message to member %s refused; rerouted", member.id)
