"""Supply needs (物资需求) logged by field staff."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.supplies.supplies import COMMANDS, FORMS, REPORT

FEATURE = Feature(
    name="supplies",
    commands=COMMANDS,
    forms=FORMS,
    menu=(MenuEntry("supply", label=Text("menu.supply"), private_at=80, help=Text("help.supply"), help_at=60),),
    report=REPORT,
)

__all__ = ["FEATURE"]
