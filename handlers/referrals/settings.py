"""The org file's [referrals] section: how fever-clinic referrals are followed."""

from lianfang.bot.org import OrgModel, OrgSection
from pydantic import Field

SECTION_NAME = "referrals"
DEFAULT_REFERRAL_CHASE_HOURS = 4
MAX_REFERRAL_CHASE_HOURS = 72


class Referrals(OrgModel):
    """Describe how fever-clinic referrals are followed."""

    chase_hours: int = Field(default=DEFAULT_REFERRAL_CHASE_HOURS, ge=1, le=MAX_REFERRAL_CHASE_HOURS, strict=True)
    """An open referral with no new step for this many hours is chased (its referrer, and the screening group)."""


REFERRALS = OrgSection(SECTION_NAME, Referrals)
