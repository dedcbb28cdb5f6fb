"""The org file's [meetings] section: reminder times, the check-in window, and the recurring meetings."""

from __future__ import annotations

from datetime import time

from lianfang.bot.org import ClockTime, Identifier, Located, NonBlank, Org, OrgModel, OrgSection, Weekday, repeats
from pydantic import Field

SECTION_NAME = "meetings"
DEFAULT_EVE_TIME = time(18, 0)
DEFAULT_BEFORE_MINUTES = 30
DEFAULT_CHECKIN_OPENS = 15
DEFAULT_CHECKIN_CLOSES = 30
DEFAULT_DURATION = 60
MAX_MINUTES = 12 * 60
KIND_UNITS = "units"
EVERY_DAY: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RecurringMeeting(OrgModel):
    """Describe a meeting held at the same time on some weekdays (every day by default)."""

    key: Identifier
    title: NonBlank
    group: Identifier = KIND_UNITS
    """A group's key for its 工作组例会, or "units" for the 成员单位例会."""
    time: ClockTime
    weekdays: list[Weekday] = Field(default_factory=lambda: list(EVERY_DAY))
    duration_minutes: int = Field(default=DEFAULT_DURATION, ge=5, le=MAX_MINUTES, strict=True)
    place: NonBlank
    organiser: NonBlank
    """The member (by name) who gets the answer list and records the minutes."""
    attendees: list[NonBlank] = Field(min_length=1)
    """Group keys or names, roles (admin, leader, group_lead, reporter, staff) or members' names."""


class MeetingRules(OrgModel):
    """Describe when meeting reminders go out, when check-in is open, and the recurring meetings."""

    eve_time: ClockTime = DEFAULT_EVE_TIME
    before_minutes: int = Field(default=DEFAULT_BEFORE_MINUTES, ge=1, le=MAX_MINUTES, strict=True)
    checkin_opens_minutes: int = Field(default=DEFAULT_CHECKIN_OPENS, ge=0, le=MAX_MINUTES, strict=True)
    """How long before the start attendees may check in."""
    checkin_closes_minutes: int = Field(default=DEFAULT_CHECKIN_CLOSES, ge=0, le=MAX_MINUTES, strict=True)
    """How long after the start attendees may still check in."""
    recurring: list[RecurringMeeting] = Field(default_factory=list)


def meeting_problems(org: Org, rules: MeetingRules) -> Located:
    """Require each recurring meeting's key to be unique and its group to exist."""
    keys = [meeting.key for meeting in rules.recurring]
    problems: Located = [
        (("recurring", index, "key"), f"{keys[index]!r} is used by an earlier meeting too") for index in repeats(keys)
    ]
    for index, meeting in enumerate(rules.recurring):
        if meeting.group != KIND_UNITS and org.group(meeting.group) is None:
            known = ", ".join(group.key for group in org.groups)
            problems.append(
                (("recurring", index, "group"), f'no group has key {meeting.group!r} ("units" or one of: {known})')
            )
    return problems


MEETINGS = OrgSection(SECTION_NAME, MeetingRules, check=meeting_problems)
