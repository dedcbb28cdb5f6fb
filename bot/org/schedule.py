"""The org file's [schedule]: when reports are asked for, chased and due, on which days, and the quiet hours."""

import difflib
from datetime import date, datetime, time, timedelta
from typing import Literal, Self, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from lianfang.bot.org.problems import Loc, Located, invalid, raise_if, repeats
from lianfang.bot.org.values import CalendarDate, ClockTime, OrgModel, format_time
from pydantic import Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)  # index matches date.weekday()
DEFAULT_QUIET_HOURS = (time(22, 0), time(7, 0))
"""Nothing but urgent alerts goes out from 22:00 to 07:00; a merged report due then waits until 07:00."""


class Schedule(OrgModel):
    """Describe when reports are asked for, chased and due, and on which days."""

    reminder: ClockTime
    chasers: list[ClockTime] = Field(default_factory=list)
    deadline: ClockTime
    working_days: list[Weekday] = Field(min_length=1)
    holidays: list[CalendarDate] = Field(default_factory=list)
    extra_working_days: list[CalendarDate] = Field(default_factory=list)
    timezone: str | None = None
    quiet_hours: tuple[ClockTime, ClockTime] = DEFAULT_QUIET_HOURS
    """From when to when (local time, across midnight if the end is earlier) scheduled messages wait."""

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        """Accept only IANA time zone names that zoneinfo knows."""
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            message = f"unknown timezone {value!r}"
            close = difflib.get_close_matches(value, available_timezones(), n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            raise invalid(message) from None
        return value

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        """Require reminder < chasers < deadline, distinct weekdays and no date both off and on."""
        problems: Located = []
        reminder, deadline = format_time(self.reminder), format_time(self.deadline)
        if self.deadline <= self.reminder:
            problems.append((("deadline",), f"deadline {deadline} must be after reminder {reminder}"))
        for index, chaser in enumerate(self.chasers):
            if not self.reminder < chaser < self.deadline:
                problems.append(
                    (
                        ("chasers", index),
                        f"chaser {format_time(chaser)} must be after reminder {reminder} "
                        f"and before deadline {deadline}",
                    )
                )
            elif index and chaser <= self.chasers[index - 1]:
                problems.append((("chasers", index), "chasers must be in ascending order without repeats"))
        problems += [
            (("working_days", index), f"{self.working_days[index]!r} is listed twice")
            for index in repeats(self.working_days)
        ]
        holidays = set(self.holidays)
        problems += [
            (("extra_working_days", index), f"{day} is also listed in holidays; keep it in one list")
            for index, day in enumerate(self.extra_working_days)
            if day in holidays
        ]
        start, end = self.quiet_hours
        if start == end:
            problems.append((("quiet_hours",), f"quiet hours start and end at {format_time(start)}; give two times"))
        else:
            quiet = f"{format_time(start)}-{format_time(end)}"
            steps: list[tuple[Loc, time]] = [(("reminder",), self.reminder), (("deadline",), self.deadline)]
            steps += [(("chasers", index), chaser) for index, chaser in enumerate(self.chasers)]
            problems += [
                (loc, f"{format_time(moment)} falls in the quiet hours {quiet}")
                for loc, moment in steps
                if self.is_quiet(moment)
            ]
        raise_if(problems)
        return self

    def is_quiet(self, moment: time) -> bool:
        """Tell whether a local clock time falls in the quiet hours (start included, end excluded)."""
        start, end = self.quiet_hours
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end

    def quiet_end(self, moment: datetime) -> datetime:
        """Return when the quiet hours around a local moment end (the moment itself when it is not quiet)."""
        if not self.is_quiet(moment.time()):
            return moment
        end = datetime.combine(moment.date(), self.quiet_hours[1], moment.tzinfo)
        return end if end > moment else end + timedelta(days=1)

    def is_working_day(self, day: date) -> bool:
        """Tell whether reports are due on `day`: extra working days, then holidays, then weekdays."""
        if isinstance(day, datetime):
            day = day.date()
        if day in self.extra_working_days:
            return True
        if day in self.holidays:
            return False
        return WEEKDAYS[day.weekday()] in self.working_days
