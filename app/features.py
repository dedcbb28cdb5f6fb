"""Every command and form the features provide."""

from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Form
from lianfang.handlers.alerts import alerts
from lianfang.handlers.checks import checks
from lianfang.handlers.coverage import coverage
from lianfang.handlers.daily_report import report as daily_report
from lianfang.handlers.membership import joining as membership
from lianfang.handlers.membership import roster
from lianfang.handlers.observation import followups as observation
from lianfang.handlers.referrals import referrals
from lianfang.handlers.screening import files as ledger_files
from lianfang.handlers.screening import verification as screening
from lianfang.handlers.supplies import supplies

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

PRIVATE_COMMANDS = (
    "start",
    "help",
    "join",
    "check",
    "tasks",
    "followup",
    "referral",
    "supply",
    "daily",
    "report",
    "coverage",
    "export",
    "bind",
    "lang",
    "cancel",
)
"""The command menu in private chats, in menu order; each has a ``menu.<command>`` locale key."""
GROUP_COMMANDS = ("bind", "report", "coverage", "help")
