"""Meetings (例会): scheduling with invitations, reminders, check-in (签到), minutes with decisions, the record."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.meetings.commands import COMMANDS, FORMS
from lianfang.handlers.meetings.jobs import MEETING_JOBS, meeting_times
from lianfang.handlers.meetings.org_check import meeting_member_problems
from lianfang.handlers.meetings.settings import MEETINGS

FEATURE = Feature(
    name="meetings",
    org_members=meeting_member_problems,
    commands=COMMANDS,
    forms=FORMS,
    jobs=MEETING_JOBS,
    settings=MEETINGS,
    menu=(MenuEntry("meeting", label=Text("meeting.menu"), private_at=87, help=Text("meeting.help"), help_at=67),),
)

__all__ = ["FEATURE", "MEETINGS", "meeting_times"]
