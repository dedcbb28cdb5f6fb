"""The duty roster (值班): shifts, reminders, check-in (到岗), missed check-ins and their escalation."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.report_parts import ReportPart, ReportSection
from lianfang.bot.types import Text
from lianfang.handlers.duty.checkin import COMMANDS, FORMS
from lianfang.handlers.duty.cli import add_subcommands
from lianfang.handlers.duty.jobs import DUTY_JOBS, duty_times
from lianfang.handlers.duty.org_check import duty_member_problems
from lianfang.handlers.duty.roster import DutySummary, duty_report_lines, duty_summary, leader_of
from lianfang.handlers.duty.settings import DUTY
from lianfang.handlers.duty.uploads import UPLOAD_COMMAND, UPLOAD_FORM

FEATURE = Feature(
    name="duty",
    org_members=duty_member_problems,
    commands=(*COMMANDS, UPLOAD_COMMAND),
    forms=(*FORMS, UPLOAD_FORM),
    jobs=DUTY_JOBS,
    settings=DUTY,
    cli=add_subcommands,
    report=ReportPart(section=ReportSection(Text("duty.report_title"), duty_report_lines)),
    menu=(MenuEntry("duty", label=Text("duty.menu"), private_at=88, help=Text("duty.help"), help_at=68),),
)

__all__ = ["DUTY", "FEATURE", "DutySummary", "duty_report_lines", "duty_summary", "duty_times", "leader_of"]
