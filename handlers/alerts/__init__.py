"""Urgent alerts (重要情况随时报告), acknowledged by button and escalated until they are."""

from lianfang.bot.feature import Feature
from lianfang.bot.jobs import Job, in_one_transaction
from lianfang.bot.menu import MenuEntry
from lianfang.bot.types import Text
from lianfang.handlers.alerts.alerts import (
    COMMANDS,
    ack_button,
    escalate_alerts,
    may_acknowledge,
    raise_alert,
    source_subjects,
)
from lianfang.handlers.alerts.cases import alert_lines, masked_alert_case, raise_check_alert
from lianfang.handlers.shared.alert_settings import ALERTS

ESCALATION_JOB = Job("alert-escalation", in_one_transaction(escalate_alerts), in_quiet_hours=True)
"""Unacknowledged alerts ring at any hour; they stop after ``max_escalations`` rounds, so never all night."""

FEATURE = Feature(
    name="alerts",
    settings=ALERTS,
    commands=COMMANDS,
    jobs=(ESCALATION_JOB,),
    menu=(MenuEntry(help=Text("help.ack"), help_at=100, shown_to=may_acknowledge),),
)

__all__ = [
    "FEATURE",
    "ack_button",
    "alert_lines",
    "masked_alert_case",
    "may_acknowledge",
    "raise_alert",
    "raise_check_alert",
    "source_subjects",
]
