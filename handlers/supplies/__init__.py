"""Supplies (保障组): requests from need to receipt, stock per item and place, and the funds that pay for them."""

from lianfang.bot.feature import Feature
from lianfang.bot.jobs import Job, in_one_transaction
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.supplies.chase import chase_needs
from lianfang.handlers.supplies.cli import add_subcommands
from lianfang.handlers.supplies.export import EXPORT
from lianfang.handlers.supplies.figures import REPORT, supplies_line, supplies_lines
from lianfang.handlers.supplies.funds import COMMANDS as FUNDS_COMMANDS
from lianfang.handlers.supplies.funds import may_see_funds
from lianfang.handlers.supplies.requests import COMMANDS as REQUEST_COMMANDS
from lianfang.handlers.supplies.requests import FORMS
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.handlers.supplies.stock import COMMANDS as STOCK_COMMANDS
from lianfang.handlers.supplies.stock import check_stock, stock_outs

CHASE_JOB = Job("supply-chase", in_one_transaction(chase_needs))
"""Requests that stayed at one step too long are chased, once per step; in the quiet hours the chasers wait."""
STOCK_JOB = Job("stock-check", in_one_transaction(check_stock), times=lambda org: [SUPPLIES.of(org).stock_check])
"""Once a day: expired batches written off, low and empty stock alerted."""

FEATURE = Feature(
    name="supplies",
    settings=SUPPLIES,
    commands=REQUEST_COMMANDS + STOCK_COMMANDS + FUNDS_COMMANDS,
    forms=FORMS,
    jobs=(CHASE_JOB, STOCK_JOB),
    menu=(
        MenuEntry("supply", label=Text("menu.supply"), private_at=80, help=Text("help.supply"), help_at=60),
        MenuEntry("stock", label=Text("menu.stock"), private_at=81, help=Text("help.stock"), help_at=61),
        MenuEntry(
            "funds",
            label=Text("menu.funds"),
            private_at=82,
            help=Text("help.funds"),
            help_at=62,
            shown_to=may_see_funds,
        ),
    ),
    report=REPORT,
    exports=(EXPORT,),
    cli=add_subcommands,
)

__all__ = ["FEATURE", "stock_outs", "supplies_line", "supplies_lines"]
