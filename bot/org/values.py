"""The value types an org file is written in: identifiers, non-blank text, clock times and dates."""

import re
from datetime import date, datetime, time
from typing import Annotated

from lianfang.bot.org.problems import invalid
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

IDENTIFIER_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
TIME_PATTERN = re.compile(r"(\d{1,2}):(\d{2})")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60


def format_time(value: time) -> str:
    """Format a clock time as HH:MM, adding seconds only when present."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _check_identifier(value: str) -> str:
    """Accept a lower-case identifier such as `coordination` or `households_checked`."""
    if not IDENTIFIER_PATTERN.fullmatch(value):
        raise invalid(
            f"must be an identifier: a lower-case letter, then lower-case letters, digits or _ (got {value!r})"
        )
    return value


def _parse_time(value: object) -> object:
    """Accept a TOML local time or an "HH:MM" string."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = TIME_PATTERN.fullmatch(value.strip())
        if match:
            hour, minute = int(match[1]), int(match[2])
            if hour < HOURS_PER_DAY and minute < MINUTES_PER_HOUR:
                return time(hour, minute)
    raise invalid(f"must be HH:MM, e.g. 15:30 (got {value!r})")


def _parse_date(value: object) -> object:
    """Accept a TOML local date or a "YYYY-MM-DD" string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise invalid(f"must be a date YYYY-MM-DD, e.g. 2020-01-25 (got {value!r})")


Identifier = Annotated[str, AfterValidator(_check_identifier)]
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Text with its surrounding spaces stripped, never empty (a name, a label, a duty)."""
ClockTime = Annotated[time, BeforeValidator(_parse_time)]
CalendarDate = Annotated[date, BeforeValidator(_parse_date)]


class OrgModel(BaseModel):
    """Reject unknown keys so that a typo in the org file is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")
