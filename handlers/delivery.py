"""What to do when a private message cannot be delivered: @mention in the group chat, and tell 综合组."""

from __future__ import annotations

import logging
from typing import Any

from bot.adapters.base import REASON_FORBIDDEN
from bot.context import Context
from bot.types import Button, ChatRef, OutgoingMessage, Text
from handlers.common import group_chat, group_label
from models.ledger import KIND_UNREACHABLE, claim, ledger_key
from models.members import get_member, identity_by_chat

logger = logging.getLogger(__name__)


def reroute_undeliverable(ctx: Context, chat: ChatRef, payload: dict[str, Any], reason: str) -> None:
    """@mention the member in their group chat (with the message only if it is shareable); tell 综合组 once a day."""
    if not reason.startswith(REASON_FORBIDDEN):
        return
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
