"""Access: who may see and do what, and the audit of what they saw."""

from __future__ import annotations

from datetime import datetime, timedelta

from lianfang.bot.context import Context
from lianfang.bot.types import Text
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.screening_settings import SCREENING
from lianfang.models.audit import ACTION_VIEW, CHANNEL_PRIVATE, record_access, views_since
from lianfang.models.members import ROLE_ADMIN, ROLE_GROUP_LEAD, ROLE_LEADER, Member, list_members
from lianfang.models.send_ledger import claim, ledger_key

KIND_VIEW_LIMIT = "view_limit"
"""The send ledger's kind for a member stopped by the hourly view limit: they and the admins are told once."""
HOUR_FORMAT = "%H:%M"


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
    """Tell whether a member may see personal data unmasked now (in private chats only); it never widens scope.

    Their role must allow it, and they must not have reached the hourly limit of full views
    (``access.max_full_views_per_hour``): past it they see masked records until the hour ends.
    """
    return member.role in ctx.org.access.full_data_roles and not over_view_limit(ctx, member)


def _hour_start(ctx: Context) -> datetime:
    """Return the start of the current local hour: the limit counts views within it."""
    return ctx.now.astimezone(ctx.tz).replace(minute=0, second=0, microsecond=0)


def over_view_limit(ctx: Context, member: Member) -> bool:
    """Tell whether a member has seen as many full records this hour as the org allows."""
    if member.id is None:
        return False
    seen = views_since(session=ctx.session, member_id=member.id, since=_hour_start(ctx))
    return seen >= ctx.org.access.max_full_views_per_hour


def _stop_at_limit(ctx: Context, reader: Member) -> None:
    """Once a member reaches the hourly limit, tell them until when they see masked records, and alert the admins.

    Both are sent once per member and hour, whichever instance records the view that crossed it.
    """
    if reader.id is None or not over_view_limit(ctx, reader):
        return
    start = _hour_start(ctx)
    key = ledger_key(start.date(), KIND_VIEW_LIMIT, reader.id, start.strftime(HOUR_FORMAT))
    if not claim(session=ctx.session, day=start.date(), kind=KIND_VIEW_LIMIT, key=key, now=ctx.now):
        return
    limit = ctx.org.access.max_full_views_per_hour
    until = (start + timedelta(hours=1)).strftime(HOUR_FORMAT)
    send_privately(ctx, [reader], [Text("retention.view_limit_reached", {"limit": limit, "until": until})])
    admins = [m for m in list_members(session=ctx.session, roles=(ROLE_ADMIN,)) if m.id != reader.id]
    alert = Text("retention.view_limit_alert", {"name": reader.name, "limit": limit, "until": until})
    send_privately(ctx, admins, [alert])


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
    _stop_at_limit(ctx, reader)


def in_screening_group(ctx: Context, member: Member) -> bool:
    """Tell whether a member belongs to the screening group (排查组), whatever their role."""
    return member.group_key == SCREENING.of(ctx.org).group


def is_admin(_ctx: Context, member: Member) -> bool:
    """Tell whether a member is an admin."""
    return member.role == ROLE_ADMIN
