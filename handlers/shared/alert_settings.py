"""The org file's [alerts] section: what in a health check raises an alert, and how alerts are escalated."""

from typing import Self

from lianfang.bot.org import NonBlank, OrgModel, OrgSection, raise_if, repeats
from pydantic import Field, model_validator

SECTION_NAME = "alerts"
DEFAULT_FEVER_THRESHOLD = 37.3
MIN_FEVER_THRESHOLD = 36.0
MAX_FEVER_THRESHOLD = 40.0
DEFAULT_ACK_MINUTES = 10
MAX_ACK_MINUTES = 24 * 60
DEFAULT_MAX_ESCALATIONS = 3
MAX_ESCALATIONS = 20


class Alerts(OrgModel):
    """Describe what in a health check raises an alert."""

    fever_threshold: float = Field(
        default=DEFAULT_FEVER_THRESHOLD, ge=MIN_FEVER_THRESHOLD, le=MAX_FEVER_THRESHOLD, strict=True
    )
    symptoms: list[NonBlank]
    ack_minutes: int = Field(default=DEFAULT_ACK_MINUTES, ge=1, le=MAX_ACK_MINUTES, strict=True)
    """An alert nobody acknowledged within this many minutes is re-sent and escalated to the leaders."""
    max_escalations: int = Field(default=DEFAULT_MAX_ESCALATIONS, ge=0, le=MAX_ESCALATIONS, strict=True)
    """How many times an unacknowledged alert is re-sent before the bot stops (and logs it)."""

    @model_validator(mode="after")
    def _check_unique_symptoms(self) -> Self:
        """Reject a symptom word listed twice."""
        raise_if(
            [(("symptoms", index), f"{self.symptoms[index]!r} is listed twice") for index in repeats(self.symptoms)]
        )
        return self


ALERTS = OrgSection(SECTION_NAME, Alerts, required=True)
"""The [alerts] table: required, since it names the symptom words."""
