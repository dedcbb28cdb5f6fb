"""Feature modules; this package lists every command and form they provide."""

from bot.dispatcher import Command
from bot.forms import Form
from handlers import (
    alerts,
    checks,
    coverage,
    daily_report,
    ledger_files,
    membership,
    observation,
    referrals,
    roster,
    screening,
    supplies,
)

COMMANDS: tuple[Command, ...] = (
    *membership.COMMANDS,
    *roster.COMMANDS,
    *checks.COMMANDS,
    *referrals.COMMANDS,
    *screening.COMMANDS,
    *coverage.COMMANDS,
    *observation.COMMANDS,
    *supplies.COMMANDS,
    *daily_report.COMMANDS,
    *alerts.COMMANDS,
    *ledger_files.COMMANDS,
)
FORMS: tuple[Form, ...] = (
    *membership.FORMS,
    *checks.FORMS,
    *screening.FORMS,
    *observation.FORMS,
    *supplies.FORMS,
    *daily_report.FORMS,
    *roster.FORMS,
)
