"""Small helpers shared by the feature modules: labels, chats to notify, access rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lianfang.bot.context import Context
from lianfang.bot.forms import Choice, FieldError, Parser
from lianfang.bot.org import Community, Group, Org
from lianfang.bot.types import Button, ChatRef, Subject, Text
from lianfang.models.audit import ACTION_VIEW, CHANNEL_PRIVATE, record_access
from lianfang.models.base import MAX_ID
from lianfang.models.members import (
    CHAT_GROUP,
    CHAT_LEADERSHIP,
    ROLE_ADMIN,
    ROLE_GROUP_LEAD,
    ROLE_LEADER,
    Member,
    bound_chats,
    identities_of,
)

TIME_FORMAT = "%H:%M"
NUMBER_PREFIXES = "#＃№"
DIGITS = re.compile(r"[0-9]+")
MAX_RECORD_DIGITS = len(str(MAX_ID))
NO_RECORD = 0
"""What a number too large to be any record reads as: ids start at 1, so it finds nothing."""
MAX_NUMBER_SHOWN = 12
"""Characters of a typed number echoed back in a "no such number" answer."""


def group_label(group: Group) -> Text:
    """Return a group's name in the reader's language."""
    return Text.bilingual(group.name, group.name_en)


def community_label(community: Community) -> Text:
    """Return a community's name in the reader's language."""
    return Text.bilingual(community.name, community.name_en)


def member_label(member: Member) -> Text:
    """Return how a member is named to others: their name, or their number while they have not given one."""
    if member.name_pending:
        return Text("name.unnamed", {"number": member.id})
    return Text.raw(member.name)


def community_choices(org: Org) -> list[Choice]:
    """Offer the communities of the sub-district."""
    return [Choice(c.key, community_label(c), (c.name, c.name_en)) for c in org.communities]


def community_default(ctx: Context) -> dict[str, str]:
    """Return the speaker's own community as a form default, when they have one."""
    member = ctx.member
    community = ctx.org.community(member.community) if member is not None and member.community else None
    return {"community": community.key} if community else {}


def local_time(ctx: Context, moment: datetime) -> str:
    """Format a moment as local HH:MM."""
    return moment.astimezone(ctx.tz).strftime(TIME_FORMAT)


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
) -> list[Member]:
    """Send the same lines to each member's private chat, in their language; return the members it could reach."""
    identities = identities_of(session=ctx.session, member_ids=[m.id for m in members if m.id is not None])
    reached = []
    for member in members:
        identity = identities.get(member.id or 0)
        if identity is not None:
            chat = ChatRef(identity.platform, identity.chat_id)
            ctx.send(chat, lines, member.lang, buttons=buttons, subjects=tuple(subjects), private=True)
            reached.append(member)
    return reached


def broadcast(ctx: Context, chats: list[ChatRef], lines: list[Text]) -> None:
    """Send the same lines to several group chats in the default language."""
    for chat in chats:
        ctx.send(chat, lines, ctx.settings.default_language)


def is_overseer(ctx: Context, member: Member | None) -> bool:
    """Tell whether a member oversees the whole sub-district: admin, leader or 综合组."""
    return member is not None and (
        member.role in (ROLE_ADMIN, ROLE_LEADER) or member.group_key == ctx.org.coordination_group
    )


def sees_all_communities(ctx: Context, member: Member) -> bool:
    """Tell whether a member may see people of every community: overseers and the screening group's leads."""
    return is_overseer(ctx, member) or is_screening_lead(ctx, member)


def is_screening_lead(ctx: Context, member: Member) -> bool:
    """Tell whether a member leads the screening group."""
    return member.role == ROLE_GROUP_LEAD and member.group_key == ctx.org.screening.group


def may_import_lists(ctx: Context, member: Member | None) -> bool:
    """Tell whether a member may import district lists: admins, 综合组 and the screening group's leads.

    An import merges into records of every community, so it is kept to those who see them all and run the ledger;
    field staff would otherwise learn of, and overwrite, people outside their community.
    """
    return member is not None and (
        member.role == ROLE_ADMIN or member.group_key == ctx.org.coordination_group or is_screening_lead(ctx, member)
    )


def sees_full_data(ctx: Context, member: Member) -> bool:
    """Tell whether a member's role may see personal data unmasked (in private chats only); it never widens scope."""
    return member.role in ctx.org.access.full_data_roles


def in_reach(ctx: Context, member: Member, *, owner_id: int | None, community: str | None) -> bool:
    """Tell whether a member may see a person's record: their own, their community's, or all for the leads."""
    return (
        owner_id == member.id
        or sees_all_communities(ctx, member)
        or (member.community is not None and member.community == community)
    )


def audit_private_view(
    ctx: Context, *, target_ids: tuple[int, ...] = (), detail: str = "", reader: Member | None = None
) -> None:
    """Record that a member (the speaker by default) saw full personal records privately (one entry per target)."""
    reader = reader or ctx.member
    assert reader is not None
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=reader.name,
        action=ACTION_VIEW,
        channel=CHANNEL_PRIVATE,
        member_id=reader.id,
        target_ids=target_ids,
        detail=detail,
    )


def parse_text(max_length: int) -> Parser:
    """Return a parser for free text up to ``max_length`` characters."""

    def parse(text: str, _ctx: Context) -> str:
        if not text:
            raise FieldError("form.error_empty")
        if len(text) > max_length:
            raise FieldError("form.error_too_long", limit=max_length, length=len(text))
        return text

    return parse


def parse_int(low: int, high: int) -> Parser:
    """Return a parser for a whole number within [low, high]; Chinese full-width digits accepted."""

    def parse(text: str, _ctx: Context) -> int:
        cleaned = text.translate(FULLWIDTH_DIGITS).replace(",", "").replace("，", "").strip()
        try:
            value = int(cleaned)
        except ValueError:
            raise FieldError("form.error_not_int") from None
        if not low <= value <= high:
            raise FieldError("form.error_int_range", low=low, high=high)
        return value

    return parse


def parse_record_number(text: str) -> int | None:
    """Read a record number typed as ``12``, ``#12`` or ``＃１２``; None when the text is not a number.

    A number beyond any id reads as ``NO_RECORD``, so the caller's lookup finds nothing and says so.
    """
    ref = text.strip().translate(FULLWIDTH_DIGITS).lstrip(NUMBER_PREFIXES).strip()
    if not DIGITS.fullmatch(ref):
        return None
    if len(ref) > MAX_RECORD_DIGITS or int(ref) > MAX_ID:
        return NO_RECORD
    return int(ref)


def shown_number(text: str) -> str:
    """Return a typed number as it is echoed back in a "no such number" answer: trimmed and cut short."""
    return text.strip()[:MAX_NUMBER_SHOWN] or "-"


def choice_label(choices: Sequence[Choice], value: Any) -> Text | None:
    """Return the label of the choice with this value, if there is one."""
    return next((choice.label for choice in choices if choice.value == value), None)


FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
