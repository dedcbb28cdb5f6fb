"""The org file's [duty] section: the shifts, who leads each day, and the times of reminders, check-in and alerts."""

from __future__ import annotations

from datetime import date, time

from lianfang.bot.org import CalendarDate, ClockTime, Identifier, Located, NonBlank, Org, OrgModel, OrgSection, repeats
from pydantic import Field

SECTION_NAME = "duty"
DEFAULT_EVE_TIME = time(18, 0)
DEFAULT_BEFORE_MINUTES = 30
DEFAULT_GRACE_MINUTES = 15
DEFAULT_ESCALATE_MINUTES = 30
DEFAULT_ESCALATE_GROUP = "supervision"
MAX_MINUTES = 12 * 60


class Shift(OrgModel):
    """Describe one shift of every day; one that ends at or before its start ends the next day (夜班 18:00–08:00)."""

    key: Identifier
    name: NonBlank
    name_en: NonBlank
    start: ClockTime
    end: ClockTime


class DayLeader(OrgModel):
    """Name the leader on duty (值班领导) of one day."""

    date: CalendarDate
    leader: NonBlank


def default_shifts() -> list[Shift]:
    """Return the usual two shifts: 白班 08:00–18:00 and 夜班 18:00–08:00."""
    return [
        Shift(key="day", name="白班", name_en="Day shift", start=time(8, 0), end=time(18, 0)),
        Shift(key="night", name="夜班", name_en="Night shift", start=time(18, 0), end=time(8, 0)),
    ]


class DutyRules(OrgModel):
    """Describe the duty roster: its shifts, the day leaders, and when people are reminded, checked and chased."""

    eve_time: ClockTime = DEFAULT_EVE_TIME
    """When whoever is on duty tomorrow gets the eve reminder."""
    before_minutes: int = Field(default=DEFAULT_BEFORE_MINUTES, ge=1, le=MAX_MINUTES, strict=True)
    """How long before a shift the second reminder goes out; check-in opens then too."""
    checkin_grace_minutes: int = Field(default=DEFAULT_GRACE_MINUTES, ge=1, le=MAX_MINUTES, strict=True)
    """How long after the start a check-in is still on time; then the miss is reported."""
    escalate_minutes: int = Field(default=DEFAULT_ESCALATE_MINUTES, ge=1, le=MAX_MINUTES, strict=True)
    """How long after the start a miss still not made good goes to the escalation group's chat."""
    escalate_group: str = ""
    """The group whose chat gets the second miss (执纪督查组); unset, the group keyed ``supervision`` if any."""
    shifts: list[Shift] = Field(default_factory=default_shifts, min_length=1)
    leaders: list[DayLeader] = Field(default_factory=list)

    def shift(self, ref: str) -> Shift | None:
        """Return the shift with this key, Chinese or English name (any case), or None."""
        wanted = ref.strip()
        folded = wanted.casefold()
        return next(
            (s for s in self.shifts if wanted == s.name or folded in (s.key, s.name_en.casefold())),
            None,
        )

    def escalation_key(self, org: Org) -> str:
        """Return the key of the group whose chat gets escalations; empty when unset and there is no default group."""
        if self.escalate_group:
            return self.escalate_group
        return DEFAULT_ESCALATE_GROUP if org.group(DEFAULT_ESCALATE_GROUP) is not None else ""

    def leader_name(self, day: date) -> str | None:
        """Return the name of the leader the org file gives for a day, if any."""
        return next((entry.leader for entry in self.leaders if entry.date == day), None)


def duty_problems(org: Org, rules: DutyRules) -> Located:
    """Require distinct shifts, an existing escalation group, an escalation after the grace, one leader a day."""
    problems: Located = []
    if rules.escalate_group and org.group(rules.escalate_group) is None:
        known = ", ".join(group.key for group in org.groups)
        problems.append((("escalate_group",), f"no group has key {rules.escalate_group!r} (groups: {known})"))
    if rules.escalate_minutes <= rules.checkin_grace_minutes:
        problems.append(
            (
                ("escalate_minutes",),
                f"escalate_minutes {rules.escalate_minutes} must be more than "
                f"checkin_grace_minutes {rules.checkin_grace_minutes}",
            )
        )
    for attribute in ("key", "name"):
        values = [getattr(shift, attribute) for shift in rules.shifts]
        problems += [
            (("shifts", i, attribute), f"{values[i]!r} is used by an earlier shift too") for i in repeats(values)
        ]
    for index, shift in enumerate(rules.shifts):
        if shift.start == shift.end:
            problems.append((("shifts", index, "end"), "a shift must end at another time than it starts"))
    days = [entry.date for entry in rules.leaders]
    problems += [(("leaders", i, "date"), f"{days[i].isoformat()} already has a leader above") for i in repeats(days)]
    return problems


DUTY = OrgSection(SECTION_NAME, DutyRules, check=duty_problems)
