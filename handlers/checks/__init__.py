"""Check results (排查登记) by form or one line, with the immediate fever alert."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.checks.checks import CHECK_FIELDS, COMMANDS, FORMS, parse_check_line
from lianfang.handlers.checks.cli import add_subcommands

FEATURE = Feature(
    name="checks",
    commands=COMMANDS,
    forms=FORMS,
    cli=add_subcommands,
    menu=(MenuEntry("check", label=Text("menu.check"), private_at=40, help=Text("help.check"), help_at=10),),
)

__all__ = ["CHECK_FIELDS", "FEATURE", "parse_check_line"]
