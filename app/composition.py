"""The features' org-file sections and CLI subcommands, in the order the org model and ``lianfang`` list them.

For now two small explicit tuples; the merge will derive them from ``FEATURES``
(``tuple(f.settings for f in FEATURES if f.settings)``, likewise ``f.cli``).
"""

from typing import Any

from lianfang.bot.org import OrgSection
from lianfang.bot.subcommands import CliRegistrar
from lianfang.handlers.alerts import settings as alerts_settings
from lianfang.handlers.membership import cli as membership_cli
from lianfang.handlers.observation import settings as observation_settings
from lianfang.handlers.referrals import settings as referrals_settings
from lianfang.handlers.screening import cli as screening_cli
from lianfang.handlers.screening import settings as screening_settings

ORG_SECTIONS: tuple[OrgSection[Any], ...] = (
    alerts_settings.SECTION,
    referrals_settings.SECTION,
    screening_settings.SECTION,
    observation_settings.SECTION,
)

FEATURE_CLIS: tuple[CliRegistrar, ...] = (
    membership_cli.add_subcommands,
    screening_cli.add_subcommands,
)
