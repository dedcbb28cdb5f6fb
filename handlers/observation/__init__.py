"""Key persons under observation (重点人员): follow-ups, escalation, release."""

from lianfang.bot.feature import Feature
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.observation.followups import COMMANDS, FORMS, mark_not_done, send_followup_lists
from lianfang.handlers.observation.jobs import FOLLOWUP_JOB, followup_times
from lianfang.handlers.observation.placement import start_from_check, start_from_visit
from lianfang.handlers.observation.settings import OBSERVATION
from lianfang.handlers.shared.access import in_screening_group, sees_all_communities

FEATURE = Feature(
    name="observation",
    settings=OBSERVATION,
    commands=COMMANDS,
    forms=FORMS,
    jobs=(FOLLOWUP_JOB,),
    menu=(
        MenuEntry("followup", label=Text("menu.followup"), private_at=60),
        MenuEntry(help=Text("observation.help"), help_at=30, shown_to=in_screening_group),
        MenuEntry(help=Text("observation.help_manage"), help_at=70, shown_to=sees_all_communities),
    ),
)

__all__ = ["FEATURE", "followup_times", "mark_not_done", "send_followup_lists", "start_from_check", "start_from_visit"]
