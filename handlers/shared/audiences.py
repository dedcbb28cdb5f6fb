"""Audiences: which chats and members a feature's messages go to."""

from __future__ import annotations

from collections.abc import Sequence

from lianfang.bot.context import Context
from lianfang.bot.types import Button, ChatRef, Document, Subject, Text
from lianfang.models.members import CHAT_GROUP, CHAT_LEADERSHIP, Member, bound_chats, identities_of


def leadership_chats(ctx: Context) -> list[ChatRef]:
    """Return the chats where merged reports and alerts go: leadership and 综合组, each once."""
    bindings = bound_chats(session=ctx.session, kind=CHAT_LEADERSHIP) + bound_chats(
        session=ctx.session, kind=CHAT_GROUP, group_key=ctx.org.coordination_group
    )
    seen: dict[tuple[str, str], ChatRef] = {}
    for binding in bindings:
        seen.setdefault((binding.platform, binding.chat_id), ChatRef(binding.platform, binding.chat_id))
    return list(seen.values())


def group_chat(ctx: Context, group_key: str) -> ChatRef | None:
    """Return a working group's bound chat, if any."""
    bindings = bound_chats(session=ctx.session, kind=CHAT_GROUP, group_key=group_key)
    return ChatRef(bindings[0].platform, bindings[0].chat_id) if bindings else None


def send_privately(
    ctx: Context,
    members: Sequence[Member],
    lines: list[Text],
    *,
    buttons: Sequence[Button] = (),
    subjects: Sequence[Subject] = (),
    document: Document | None = None,
) -> list[Member]:
    """Send the same lines (and document) to each member's private chat, in their language; return the members it
    could reach."""
    identities = identities_of(session=ctx.session, member_ids=[m.id for m in members if m.id is not None])
    reached = []
    for member in members:
        identity = identities.get(member.id or 0)
        if identity is not None:
            chat = ChatRef(identity.platform, identity.chat_id)
            ctx.send(
                chat,
                lines,
                member.lang,
                buttons=tuple(buttons),
                subjects=tuple(subjects),
                private=True,
                document=document,
            )
            reached.append(member)
    return reached


def broadcast(ctx: Context, chats: list[ChatRef], lines: list[Text]) -> None:
    """Send the same lines to several group chats in the default language."""
    for chat in chats:
        ctx.send(chat, lines, ctx.settings.default_language)
