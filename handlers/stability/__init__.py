"""Social stability (社会稳定组) and market inspections (市场环境整治): /incident and /market."""

from lianfang.bot.feature import Feature
from lianfang.bot.jobs import Job, in_one_transaction
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.stability.figures import (
    REPORT,
    incidents_open,
    incidents_today,
    market_checks_today,
    markets_closed,
)
from lianfang.handlers.stability.incidents import COMMANDS as INCIDENT_COMMANDS
from lianfang.handlers.stability.incidents import EXPORT, INCIDENT_FORM
from lianfang.handlers.stability.markets import COMMANDS as MARKET_COMMANDS
from lianfang.handlers.stability.markets import MARKET_FORM, follow_up_rectifications, may_inspect
from lianfang.handlers.stability.settings import STABILITY

FOLLOWUP_JOB = Job(
    "market-followup",
    in_one_transaction(follow_up_rectifications),
    times=lambda org: [STABILITY.of(org).followup_time],
)
"""A 责令整改 whose deadline has come is followed up once, at the follow-up time."""

FEATURE = Feature(
    name="stability",
    settings=STABILITY,
    commands=MARKET_COMMANDS + INCIDENT_COMMANDS,
    forms=(MARKET_FORM, INCIDENT_FORM),
    jobs=(FOLLOWUP_JOB,),
    menu=(
        MenuEntry(
            "market",
            label=Text("menu.market"),
            private_at=83,
            help=Text("help.market"),
            help_at=63,
            shown_to=may_inspect,
        ),
        MenuEntry("incident", label=Text("menu.incident"), private_at=84, help=Text("help.incident"), help_at=64),
    ),
    report=REPORT,
    exports=(EXPORT,),
)

__all__ = ["FEATURE", "incidents_open", "incidents_today", "market_checks_today", "markets_closed"]
