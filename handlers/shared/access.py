"""Access: who may see and do what, and the audit of what they saw."""

from __future__ import annotations

from lianfang.bot.context import Context
from lianfang.handlers.shared.screening_settings import SCREENING
from lianfang.models.audit import ACTION_VIEW, CHANNEL_PRIVATE, record_access
from lianfang.models.members import ROLE_ADMIN, ROLE_GROUP_LEAD, ROLE_LEADER, Member


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
    return member.role == ROLE_GROUP_LEAD and member.group_key == SCREENING.of(ctx.org).group


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


def in_screening_group(ctx: Context, member: Member) -> bool:
    """Tell whether a member belongs to the screening group (排查组), whatever their role."""
    return member.group_key == SCREENING.of(ctx.org).group


def is_admin(_ctx: Context, member: Member) -> bool:
    """Tell whether a member is an admin."""
    return member.role == ROLE_ADMIN
