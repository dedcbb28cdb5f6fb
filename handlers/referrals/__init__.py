"""Fever-clinic referrals (发热门诊转诊), followed to their outcome."""

from lianfang.bot.feature import Feature
from lianfang.bot.jobs import Job, in_one_transaction
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.referrals.referrals import COMMANDS, chase_referrals, open_referral
from lianfang.handlers.referrals.settings import REFERRALS

CHASE_JOB = Job("referral-chase", in_one_transaction(chase_referrals))
"""Referrals with no step for too long are chased; in the quiet hours the chasers wait."""

FEATURE = Feature(
    name="referrals",
    settings=REFERRALS,
    commands=COMMANDS,
    jobs=(CHASE_JOB,),
    menu=(MenuEntry("referral", label=Text("menu.referral"), private_at=70, help=Text("help.referral"), help_at=40),),
)

__all__ = ["FEATURE", "open_referral"]
