"""Leave (请假): asked and approved by button; while it lasts, reminders go to a stand-in (see shared.standins)."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.leave.org_check import backup_reporter_problems
from lianfang.handlers.leave.requests import COMMANDS

FEATURE = Feature(
    name="leave",
    org_members=backup_reporter_problems,
    commands=COMMANDS,
    menu=(MenuEntry(help=Text("leave.help"), help_at=69),),
)

__all__ = ["FEATURE"]
