"""Feature modules; this package lists every command and form they provide."""

from bot.dispatcher import Command
from bot.forms import Form
from handlers import alerts, checks, daily_report, ledger_files, membership, screening, supplies

COMMANDS: tuple[Command, ...] = (
    *membership.COMMANDS,
    *checks.COMMANDS,
    *screening.COMMANDS,
    *supplies.COMMANDS,
    *daily_report.COMMANDS,
    *alerts.COMMANDS,
    *ledger_files.COMMANDS,
)
FORMS: tuple[Form, ...] = (*checks.FORMS, *screening.FORMS, *supplies.FORMS, *daily_report.FORMS)
