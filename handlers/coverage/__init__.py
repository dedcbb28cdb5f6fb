"""Screening coverage (逐小区、逐户) per community and compound."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.coverage.coverage import COMMANDS, COVERAGE_COMMAND

FEATURE = Feature(
    name="coverage",
    commands=COMMANDS,
    menu=(
        MenuEntry(
            COVERAGE_COMMAND,
            label=Text("menu.coverage"),
            private_at=110,
            group_at=30,
            help=Text("help.coverage"),
            help_at=50,
        ),
    ),
)

__all__ = ["FEATURE"]
