"""The org file's [observation] section: how long key persons are observed, when followed up, escalated, lost."""

from datetime import time

from lianfang.bot.org import ClockTime, Located, Org, OrgModel, OrgSection, format_time
from pydantic import Field

SECTION_NAME = "observation"
DEFAULT_OBSERVATION_DAYS = 14
MAX_OBSERVATION_DAYS = 60
DEFAULT_FOLLOWUP_TIME = time(9, 0)
DEFAULT_FOLLOWUP_ESCALATE = time(15, 0)
DEFAULT_LOST_AFTER_DAYS = 3


class ObservationRules(OrgModel):
    """Describe the observation of key persons: how long, when followed up, when escalated, when lost."""

    days: int = Field(default=DEFAULT_OBSERVATION_DAYS, ge=1, le=MAX_OBSERVATION_DAYS, strict=True)
    """Days of observation counted from the last exposure."""
    followup_time: ClockTime = DEFAULT_FOLLOWUP_TIME
    """When each staff member gets the day's list of follow-ups."""
    escalate_at: ClockTime = DEFAULT_FOLLOWUP_ESCALATE
    """When follow-ups still not recorded become not done and go to the 排查组 leads."""
    lost_after_days: int = Field(default=DEFAULT_LOST_AFTER_DAYS, ge=1, le=MAX_OBSERVATION_DAYS, strict=True)
    """Consecutive days without seeing the person after which they are lost to follow-up."""


def observation_problems(org: Org, rules: ObservationRules) -> Located:
    """Require follow-up time < escalation time < the daily report deadline."""
    followup, escalate = format_time(rules.followup_time), format_time(rules.escalate_at)
    problems: Located = []
    if rules.escalate_at <= rules.followup_time:
        problems.append((("escalate_at",), f"escalate_at {escalate} must be after followup_time {followup}"))
    elif rules.escalate_at >= org.schedule.deadline:
        deadline = format_time(org.schedule.deadline)
        problems.append((("escalate_at",), f"escalate_at {escalate} must be before the report deadline {deadline}"))
    return problems


OBSERVATION = OrgSection(SECTION_NAME, ObservationRules, check=observation_problems)
