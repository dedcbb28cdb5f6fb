"""The features' org-file sections, in the order the org model lists them.

For now a small explicit tuple; the merge will derive it from ``FEATURES``
(``tuple(f.settings for f in FEATURES if f.settings)``).
"""

from typing import Any

from lianfang.bot.org import OrgSection
from lianfang.handlers.alerts import settings as alerts_settings
from lianfang.handlers.observation import settings as observation_settings
from lianfang.handlers.referrals import settings as referrals_settings
from lianfang.handlers.screening import settings as screening_settings

ORG_SECTIONS: tuple[OrgSection[Any], ...] = (
    alerts_settings.SECTION,
    referrals_settings.SECTION,
    screening_settings.SECTION,
    observation_settings.SECTION,
)
