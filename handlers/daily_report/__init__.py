"""The daily group report: form, reminders, chasers and the merged report at the deadline."""

from lianfang.bot.context import Context
from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.daily_report.loop import LOOP_JOB, loop_times
from lianfang.handlers.daily_report.report import COMMANDS, FORMS, REPORT, build_daily_report
from lianfang.handlers.shared.access import is_overseer
from lianfang.models.members import REPORTING_ROLES, Member


def reports_daily(_ctx: Context, member: Member) -> bool:
    """Tell whether a member files their group's daily report."""
    return member.role in REPORTING_ROLES


FEATURE = Feature(
    name="daily_report",
    commands=COMMANDS,
    forms=FORMS,
    jobs=(LOOP_JOB,),
    menu=(
        MenuEntry(
            "daily",
            label=Text("menu.daily"),
            private_at=90,
            help=Text("help.daily"),
            help_at=80,
            shown_to=reports_daily,
        ),
        MenuEntry(
            "report",
            label=Text("menu.report"),
            private_at=100,
            group_at=20,
            help=Text("help.report"),
            help_at=90,
            shown_to=is_overseer,
        ),
    ),
    report=REPORT,
)

__all__ = ["FEATURE", "build_daily_report", "loop_times"]
