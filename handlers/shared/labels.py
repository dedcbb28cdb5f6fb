"""Labels: how groups, communities, members, choices and times are named to a reader."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lianfang.bot.context import Context
from lianfang.bot.forms import Choice
from lianfang.bot.org import Community, Group, Org
from lianfang.bot.types import Text
from lianfang.models.members import Member

TIME_FORMAT = "%H:%M"


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
    key = ctx.community
    community = ctx.org.community(key) if key else None
    return {"community": community.key} if community else {}


def local_time(ctx: Context, moment: datetime) -> str:
    """Format a moment as local HH:MM."""
    return moment.astimezone(ctx.tz).strftime(TIME_FORMAT)


def choice_label(choices: Sequence[Choice], value: Any) -> Text | None:
    """Return the label of the choice with this value, if there is one."""
    return next((choice.label for choice in choices if choice.value == value), None)


def community_name(org: Org, key: str | None) -> Text:
    """Return a community's name, or the 'no community' label."""
    community = org.community(key) if key else None
    return community_label(community) if community else Text("screening.no_community")
