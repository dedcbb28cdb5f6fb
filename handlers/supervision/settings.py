"""The org file's [supervision] section: when 督办 items change colour, who is told, and when the digest goes."""

from datetime import time, timedelta

from lianfang.bot.org import ClockTime, Located, Org, OrgModel, OrgSection
from lianfang.models.supervision import ColourRules
from pydantic import Field

SECTION_NAME = "supervision"
DEFAULT_GROUP = "supervision"
DEFAULT_NEAR_HOURS = 24
DEFAULT_STALE_DAYS = 2
DEFAULT_ACCEPT_HOURS = 2
DEFAULT_DIGEST_TIME = time(8, 30)
DEFAULT_DUE_TIME = time(17, 0)
DEFAULT_MAX_REPEATS = 3
DEFAULT_ACCOUNTABILITY_DAYS = 3
MAX_HOURS = 24 * 14
MAX_DAYS = 60


class SupervisionRules(OrgModel):
    """Describe how 督办 items are chased: colours, escalation, the daily digest."""

    group: str | None = None
    """The 执纪督查组's key: its chat gets red items; its members see every item and record inspections. Unset, the
    group keyed ``supervision`` if the org has one (see ``oversight_group``)."""
    near_hours: int = Field(default=DEFAULT_NEAR_HOURS, ge=1, le=MAX_HOURS, strict=True)
    """An open item turns blue when it is due within this many hours."""
    stale_days: int = Field(default=DEFAULT_STALE_DAYS, ge=1, le=MAX_DAYS, strict=True)
    """An open item turns yellow when no progress came for this many days."""
    accept_hours: int = Field(default=DEFAULT_ACCEPT_HOURS, ge=1, le=MAX_HOURS, strict=True)
    """An item nobody accepted turns yellow this many hours after it was sent."""
    digest_time: ClockTime = DEFAULT_DIGEST_TIME
    """When the daily digest goes to the leadership and 综合组 chats, and red items are chased again."""
    due_time: ClockTime = DEFAULT_DUE_TIME
    """The due time of an item given a date only."""
    max_repeats: int = Field(default=DEFAULT_MAX_REPEATS, ge=0, le=MAX_DAYS, strict=True)
    """How many daily red chases follow the first one."""
    accountability_days: int = Field(default=DEFAULT_ACCOUNTABILITY_DAYS, ge=1, le=MAX_DAYS, strict=True)
    """A rectification overdue by more than this many days is flagged 问责提示."""

    def colour_rules(self) -> ColourRules:
        """Return the colour thresholds as the data functions take them."""
        return ColourRules(
            near=timedelta(hours=self.near_hours),
            stale=timedelta(days=self.stale_days),
            accept_within=timedelta(hours=self.accept_hours),
        )


def oversight_group(org: Org) -> str | None:
    """Return the 执纪督查组's key: the one the section names, else ``supervision`` if the org has it, else None."""
    rules = SUPERVISION.of(org)
    if rules.group is not None:
        return rules.group
    return DEFAULT_GROUP if org.group(DEFAULT_GROUP) is not None else None


def supervision_problems(org: Org, rules: SupervisionRules) -> Located:
    """Require a 执纪督查组 named by the section to be one of the org's groups."""
    if rules.group is not None and org.group(rules.group) is None:
        known = ", ".join(group.key for group in org.groups)
        return [(("group",), f"no group has key {rules.group!r} (groups: {known})")]
    return []


SUPERVISION = OrgSection(SECTION_NAME, SupervisionRules, check=supervision_problems)
