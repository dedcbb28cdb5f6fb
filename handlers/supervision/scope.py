"""Who may create, see, work on and close 督办 items."""

from __future__ import annotations

from lianfang.bot.context import Context
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.supervision.settings import oversight_group
from lianfang.models.members import ROLE_ADMIN, ROLE_GROUP_LEAD, ROLE_LEADER, ROLE_REPORTER, ROLE_STAFF, Member
from lianfang.models.supervision import SupervisionItem

HANDLER_ROLES = (ROLE_GROUP_LEAD, ROLE_REPORTER)
"""The lead group's members an item is delivered to, who accept it and report on it."""


def may_create(ctx: Context, member: Member) -> bool:
    """Tell whether a member may create items: leaders, admins and 综合组 members other than staff."""
    if member.role == ROLE_STAFF:
        return False
    return member.role in (ROLE_ADMIN, ROLE_LEADER) or member.group_key == ctx.org.coordination_group


def in_supervision_group(ctx: Context, member: Member) -> bool:
    """Tell whether a member belongs to the 执纪督查组."""
    group = oversight_group(ctx.org)
    return group is not None and member.group_key == group


def sees_every_item(ctx: Context, member: Member) -> bool:
    """Tell whether a member sees every group's items: overseers and the 执纪督查组."""
    return is_overseer(ctx, member) or in_supervision_group(ctx, member)


def uses_supervision(ctx: Context, member: Member) -> bool:
    """Tell whether /help shows the 督办 line to a member: those who create items or handle them."""
    return may_create(ctx, member) or sees_every_item(ctx, member) or member.role in HANDLER_ROLES


def may_see(ctx: Context, member: Member, item: SupervisionItem) -> bool:
    """Tell whether a member may see an item: their group leads or assists it, they created it, or they see all."""
    return (
        sees_every_item(ctx, member)
        or item.creator_id == member.id
        or member.group_key == item.lead_group
        or member.group_key in item.assisting
    )


def handles(member: Member, item: SupervisionItem) -> bool:
    """Tell whether a member works on an item: the lead group's members other than staff, or an admin."""
    return member.role == ROLE_ADMIN or (member.group_key == item.lead_group and member.role != ROLE_STAFF)


def oversees(ctx: Context, member: Member, item: SupervisionItem) -> bool:
    """Tell whether a member decides on an item (confirms, returns, extends, withdraws): its creator, 综合组, admins.

    Staff never close an item, whatever their group.
    """
    if member.role == ROLE_STAFF:
        return False
    return item.creator_id == member.id or member.role == ROLE_ADMIN or member.group_key == ctx.org.coordination_group


def visible_group(ctx: Context, member: Member) -> str | None:
    """Return the group whose items a member's list shows (leading or assisting), or None for every group.

    Whoever may create items sees every group's, so a list needs no "created by me" besides the groups.
    """
    return None if sees_every_item(ctx, member) else member.group_key
