"""Describe, load and check the organisation file of one sub-district's joint-prevention set-up."""

import contextlib
import difflib
import re
import tomllib
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]
FigureSource = Literal["checks_today", "alerts_today", "referrals_today", "ledger_verified_total", "key_persons_today"]
"""Figures a daily report field can be filled from: people checked today (/check and ledger visits), fever or
symptom cases today, referrals opened today, people verified on the ledger so far, key persons put under
observation today."""
Role = Literal["admin", "leader", "group_lead", "reporter", "staff"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FieldType = Literal["text", "int", "choice"]
LedgerField = Literal["name", "id_number", "phone", "address", "community", "compound", "reason", "arrival_date"]

ROLES: tuple[str, ...] = get_args(Role)
WEEKDAYS: tuple[str, ...] = get_args(Weekday)  # index matches date.weekday()
DEFAULT_FULL_DATA_ROLES: tuple[Role, ...] = ("admin", "leader", "group_lead")
LEDGER_FIELDS: tuple[str, ...] = get_args(LedgerField)
DEFAULT_SCREENING_GROUP = "screening"

EXAMPLES_PACKAGE = "lianfang.examples"
DEFAULT_ORG_FILE = "wulipai.toml"
FILE_ENCODING = "utf-8-sig"  # tolerate the BOM that Windows Notepad writes

DEFAULT_FEVER_THRESHOLD = 37.3
MIN_FEVER_THRESHOLD = 36.0
MAX_FEVER_THRESHOLD = 40.0
DEFAULT_ACK_MINUTES = 10
MAX_ACK_MINUTES = 24 * 60
DEFAULT_MAX_ESCALATIONS = 3
MAX_ESCALATIONS = 20
DEFAULT_REFERRAL_CHASE_HOURS = 4
MAX_REFERRAL_CHASE_HOURS = 72
DEFAULT_TEXT_MAX_LENGTH = 2000
DEFAULT_OBSERVATION_DAYS = 14
MAX_OBSERVATION_DAYS = 60
DEFAULT_FOLLOWUP_TIME = time(9, 0)
DEFAULT_FOLLOWUP_ESCALATE = time(15, 0)
DEFAULT_LOST_AFTER_DAYS = 3
DEFAULT_QUIET_HOURS = (time(22, 0), time(7, 0))
"""Nothing but urgent alerts goes out from 22:00 to 07:00; a merged report due then waits until 07:00."""

IDENTIFIER_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
TIME_PATTERN = re.compile(r"(\d{1,2}):(\d{2})")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
MIN_COMMUNITIES_SHARING = 2
"""A compound under this many communities is ambiguous: an address in it could belong to either."""
TOML_POSITION_PATTERN = re.compile(r"\s*\(at line (\d+), column \d+\)$")
TOML_END_PATTERN = re.compile(r"\s*\(at end of document\)$")
HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60

VALUE_ERROR = "org_value"  # a plain message raised by one of our validators
CROSS_FIELD_ERROR = "org_cross_field"  # ctx["problems"] holds (relative loc, message) pairs

PLAIN_MESSAGES = {
    "missing": "Field required",
    "extra_forbidden": "unknown field (typo?)",
    "string_type": "must be text in quotes",
    "string_too_short": "must not be empty",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": 'must be a list, e.g. ["a", "b"]',
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dict_type": "must be a table",
}


def _invalid(message: str) -> PydanticCustomError:
    """Build a validation error whose text is exactly `message`."""
    return PydanticCustomError(VALUE_ERROR, "{message}", {"message": message})


def _raise_if(problems: list[tuple[Loc, str]]) -> None:
    """Raise one error carrying every cross-field problem with its location inside the model."""
    if problems:
        summary = "; ".join(f"{format_field(loc)}: {message}" for loc, message in problems)
        raise PydanticCustomError(CROSS_FIELD_ERROR, "{message}", {"message": summary, "problems": tuple(problems)})


def _repeats(values: Iterable[Hashable]) -> list[int]:
    """Return the indices of values equal to an earlier value."""
    seen: set[Hashable] = set()
    repeats = []
    for index, value in enumerate(values):
        if value in seen:
            repeats.append(index)
        seen.add(value)
    return repeats


def _format_time(value: time) -> str:
    """Format a clock time as HH:MM, adding seconds only when present."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _check_identifier(value: str) -> str:
    """Accept a lower-case identifier such as `coordination` or `households_checked`."""
    if not IDENTIFIER_PATTERN.fullmatch(value):
        raise _invalid(
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
    raise _invalid(f"must be HH:MM, e.g. 15:30 (got {value!r})")


def _parse_date(value: object) -> object:
    """Accept a TOML local date or a "YYYY-MM-DD" string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _invalid(f"must be a date YYYY-MM-DD, e.g. 2020-01-25 (got {value!r})")


Identifier = Annotated[str, AfterValidator(_check_identifier)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ClockTime = Annotated[time, BeforeValidator(_parse_time)]
CalendarDate = Annotated[date, BeforeValidator(_parse_date)]


class _Model(BaseModel):
    """Reject unknown keys so that a typo in the org file is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


class ReportField(_Model):
    """Describe one typed field of a group's daily report template."""

    key: Identifier
    label: Text
    label_en: Text
    type: FieldType = "text"
    required: bool = Field(default=True, strict=True)
    choices: list[Text] = Field(default_factory=list)
    max_length: int = Field(default=DEFAULT_TEXT_MAX_LENGTH, gt=0, strict=True)
    source: FigureSource | None = None
    """A figure the bot fills in from its records; the reporter checks it and may change it before submitting."""

    @model_validator(mode="after")
    def _check_type_options(self) -> Self:
        """Require choices exactly for choice fields and max_length only for text fields."""
        problems: list[tuple[Loc, str]] = []
        if self.type == "choice":
            if not self.choices:
                problems.append((("choices",), 'a "choice" field needs a non-empty list of choices'))
            problems += [
                (("choices", index), f"{self.choices[index]!r} is listed twice") for index in _repeats(self.choices)
            ]
        elif self.choices:
            problems.append((("choices",), f'only "choice" fields take choices (this one is "{self.type}")'))
        if self.source is not None and self.type != "int":
            problems.append((("source",), f'only "int" fields take a source (this one is "{self.type}")'))
        # Compare with the default rather than model_fields_set so a dumped org validates again.
        if self.type != "text" and self.max_length != DEFAULT_TEXT_MAX_LENGTH:
            problems.append((("max_length",), f'only "text" fields take max_length (this one is "{self.type}")'))
        _raise_if(problems)
        return self


class Group(_Model):
    """Describe one working group (工作组) and its daily report template."""

    key: Identifier
    name: Text
    name_en: Text
    leads: list[Text] = Field(min_length=1)
    departments: list[Text]
    duties: Text
    report: list[ReportField] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_unique_fields(self) -> Self:
        """Require distinct report field keys so answers cannot overwrite each other."""
        keys = [field.key for field in self.report]
        _raise_if([(("report", index, "key"), f"{keys[index]!r} is used twice") for index in _repeats(keys)])
        return self


class Community(_Model):
    """Describe one community (社区) and the compounds and roads it covers."""

    key: Identifier
    name: Text
    name_en: Text
    compounds: list[Text] = Field(default_factory=list)


class LeadingGroup(_Model):
    """Describe the leading group (领导小组) that heads the joint-prevention work."""

    leader: Text
    first_deputy: str = ""
    deputies: list[Text] = Field(default_factory=list)
    member_units: list[Text] = Field(default_factory=list)


class Schedule(_Model):
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
            raise _invalid(message) from None
        return value

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        """Require reminder < chasers < deadline, distinct weekdays and no date both off and on."""
        problems: list[tuple[Loc, str]] = []
        reminder, deadline = _format_time(self.reminder), _format_time(self.deadline)
        if self.deadline <= self.reminder:
            problems.append((("deadline",), f"deadline {deadline} must be after reminder {reminder}"))
        for index, chaser in enumerate(self.chasers):
            if not self.reminder < chaser < self.deadline:
                problems.append(
                    (
                        ("chasers", index),
                        f"chaser {_format_time(chaser)} must be after reminder {reminder} "
                        f"and before deadline {deadline}",
                    )
                )
            elif index and chaser <= self.chasers[index - 1]:
                problems.append((("chasers", index), "chasers must be in ascending order without repeats"))
        problems += [
            (("working_days", index), f"{self.working_days[index]!r} is listed twice")
            for index in _repeats(self.working_days)
        ]
        holidays = set(self.holidays)
        problems += [
            (("extra_working_days", index), f"{day} is also listed in holidays; keep it in one list")
            for index, day in enumerate(self.extra_working_days)
            if day in holidays
        ]
        start, end = self.quiet_hours
        if start == end:
            problems.append((("quiet_hours",), f"quiet hours start and end at {_format_time(start)}; give two times"))
        else:
            quiet = f"{_format_time(start)}-{_format_time(end)}"
            steps: list[tuple[Loc, time]] = [(("reminder",), self.reminder), (("deadline",), self.deadline)]
            steps += [(("chasers", index), chaser) for index, chaser in enumerate(self.chasers)]
            problems += [
                (loc, f"{_format_time(moment)} falls in the quiet hours {quiet}")
                for loc, moment in steps
                if self.is_quiet(moment)
            ]
        _raise_if(problems)
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


class Alerts(_Model):
    """Describe what in a health check raises an alert."""

    fever_threshold: float = Field(
        default=DEFAULT_FEVER_THRESHOLD, ge=MIN_FEVER_THRESHOLD, le=MAX_FEVER_THRESHOLD, strict=True
    )
    symptoms: list[Text]
    ack_minutes: int = Field(default=DEFAULT_ACK_MINUTES, ge=1, le=MAX_ACK_MINUTES, strict=True)
    """An alert nobody acknowledged within this many minutes is re-sent and escalated to the leaders."""
    max_escalations: int = Field(default=DEFAULT_MAX_ESCALATIONS, ge=0, le=MAX_ESCALATIONS, strict=True)
    """How many times an unacknowledged alert is re-sent before the bot stops (and logs it)."""

    @model_validator(mode="after")
    def _check_unique_symptoms(self) -> Self:
        """Reject a symptom word listed twice."""
        _raise_if(
            [(("symptoms", index), f"{self.symptoms[index]!r} is listed twice") for index in _repeats(self.symptoms)]
        )
        return self


class Access(_Model):
    """Describe which roles may see full (personal) data."""

    full_data_roles: list[Role] = Field(default_factory=lambda: list(DEFAULT_FULL_DATA_ROLES))

    @model_validator(mode="after")
    def _check_unique_roles(self) -> Self:
        """Reject a role listed twice."""
        _raise_if(
            [
                (("full_data_roles", index), f"{self.full_data_roles[index]!r} is listed twice")
                for index in _repeats(self.full_data_roles)
            ]
        )
        return self


class StaffCompounds(_Model):
    """Give one field staff member (by name) the compounds they verify."""

    member: Text
    compounds: list[Text] = Field(min_length=1)


class Screening(_Model):
    """Describe the screening ledger: the group doing it, extra header names, compounds per staff member."""

    group: Identifier = DEFAULT_SCREENING_GROUP
    headers: dict[str, LedgerField] = Field(default_factory=dict)
    """Header names used by the district's lists, mapped to ledger fields (added to the built-in names)."""
    staff: list[StaffCompounds] = Field(default_factory=list)

    def compounds_of(self, member_name: str) -> list[str]:
        """Return the compounds given to a staff member by name."""
        return [c for entry in self.staff if entry.member == member_name for c in entry.compounds]


class Referrals(_Model):
    """Describe how fever-clinic referrals are followed."""

    chase_hours: int = Field(default=DEFAULT_REFERRAL_CHASE_HOURS, ge=1, le=MAX_REFERRAL_CHASE_HOURS, strict=True)
    """An open referral with no new step for this many hours is chased (its referrer, and the screening group)."""


class ObservationRules(_Model):
    """Describe the observation of key persons: how long, when followed up, when escalated, when lost."""

    days: int = Field(default=DEFAULT_OBSERVATION_DAYS, ge=1, le=MAX_OBSERVATION_DAYS, strict=True)
    """Days of observation counted from the last exposure."""
    followup_time: ClockTime = DEFAULT_FOLLOWUP_TIME
    """When each staff member gets the day's list of follow-ups."""
    escalate_at: ClockTime = DEFAULT_FOLLOWUP_ESCALATE
    """When follow-ups still not recorded become not done and go to the 排查组 leads."""
    lost_after_days: int = Field(default=DEFAULT_LOST_AFTER_DAYS, ge=1, le=MAX_OBSERVATION_DAYS, strict=True)
    """Consecutive days without seeing the person after which they are lost to follow-up."""


class Org(_Model):
    """Describe one sub-district: its leading group, communities, working groups, schedule and alerts."""

    name: Text
    name_en: Text
    district: Text
    coordination_group: Text
    leading_group: LeadingGroup
    communities: list[Community] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    schedule: Schedule
    alerts: Alerts
    access: Access = Field(default_factory=Access)
    referrals: Referrals = Field(default_factory=Referrals)
    screening: Screening = Field(default_factory=Screening)
    observation: ObservationRules = Field(default_factory=ObservationRules)

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        """Require unique group and community keys and names, and an existing coordination group."""
        problems: list[tuple[Loc, str]] = []
        problems += _repeat_problems("groups", "key", [group.key for group in self.groups])
        problems += _repeat_problems("groups", "name", [group.name for group in self.groups])
        problems += _repeat_problems("communities", "key", [c.key for c in self.communities])
        problems += _repeat_problems("communities", "name", [c.name for c in self.communities])
        problems += _repeat_problems("communities", "name_en", [c.name_en.casefold() for c in self.communities])
        if self.group(self.coordination_group) is None:
            known = ", ".join(group.key for group in self.groups)
            problems.append(
                (
                    ("coordination_group",),
                    f"no group has key {self.coordination_group!r} (groups: {known})",
                )
            )
        problems += self._compound_problems()
        problems += self._screening_problems()
        problems += self._observation_problems()
        _raise_if(problems)
        return self

    def _compound_problems(self) -> list[tuple[Loc, str]]:
        """Refuse a compound listed under two communities, naming it at both places: addresses map to one."""
        places: dict[str, list[tuple[int, int]]] = {}
        for index, community in enumerate(self.communities):
            for position, compound in enumerate(community.compounds):
                places.setdefault(compound, []).append((index, position))
        problems: list[tuple[Loc, str]] = []
        for compound, found in places.items():
            keys = [self.communities[index].key for index, _position in found]
            if len(set(keys)) < MIN_COMMUNITIES_SHARING:
                continue
            for index, position in found:
                others = ", ".join(repr(key) for key in dict.fromkeys(keys) if key != self.communities[index].key)
                problems.append(
                    (
                        ("communities", index, "compounds", position),
                        f"{compound!r} is also listed under community {others}; a compound belongs to one community",
                    )
                )
        return problems

    def _screening_problems(self) -> list[tuple[Loc, str]]:
        """Require an existing screening group (when named) and compounds that some community lists."""
        problems: list[tuple[Loc, str]] = []
        screening = self.screening
        if "group" in screening.model_fields_set and self.group(screening.group) is None:
            known = ", ".join(group.key for group in self.groups)
            problems.append((("screening", "group"), f"no group has key {screening.group!r} (groups: {known})"))
        listed = {compound for community in self.communities for compound in community.compounds}
        for index, entry in enumerate(screening.staff):
            problems += [
                (
                    ("screening", "staff", index, "compounds", position),
                    f"{compound!r} is not among any community's compounds",
                )
                for position, compound in enumerate(entry.compounds)
                if compound not in listed
            ]
        members = [entry.member for entry in screening.staff]
        problems += [
            (("screening", "staff", index, "member"), f"{members[index]!r} is listed twice")
            for index in _repeats(members)
        ]
        return problems

    def _observation_problems(self) -> list[tuple[Loc, str]]:
        """Require follow-up time < escalation time < the daily report deadline."""
        rules = self.observation
        followup, escalate = _format_time(rules.followup_time), _format_time(rules.escalate_at)
        problems: list[tuple[Loc, str]] = []
        if rules.escalate_at <= rules.followup_time:
            problems.append(
                (("observation", "escalate_at"), f"escalate_at {escalate} must be after followup_time {followup}")
            )
        elif rules.escalate_at >= self.schedule.deadline:
            deadline = _format_time(self.schedule.deadline)
            problems.append(
                (
                    ("observation", "escalate_at"),
                    f"escalate_at {escalate} must be before the report deadline {deadline}",
                )
            )
        return problems

    def group(self, key: str) -> Group | None:
        """Return the group with this key, or None."""
        return next((group for group in self.groups if group.key == key), None)

    @cached_property
    def compound_index(self) -> list[tuple[str, str]]:
        """Return (compound or road name, community key) pairs, longest first: 朝阳新村二期 wins over 朝阳新村."""
        pairs = [(compound, c.key) for c in self.communities for compound in c.compounds]
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def place(self, address: str) -> tuple[str, str] | None:
        """Return (compound, community key) for the longest compound or road name found in an address, or None."""
        return next(((name, key) for name, key in self.compound_index if name in address), None)

    def community(self, key_or_name: str) -> Community | None:
        """Return the community matching a key, Chinese name or English name (any case), or None."""
        wanted = key_or_name.strip()
        folded = wanted.casefold()
        for community in self.communities:
            if wanted == community.name or folded in (community.key, community.name_en.casefold()):
                return community
        return None


def _repeat_problems(items: str, attribute: str, values: Sequence[str]) -> list[tuple[Loc, str]]:
    """Report each item whose attribute repeats an earlier item's."""
    return [
        ((items, index, attribute), f"{values[index]!r} is used by an earlier entry too") for index in _repeats(values)
    ]


@dataclass(frozen=True)
class Problem:
    """One problem found in an org file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        """Format as `file:line: field: message`, leaving out what is unknown."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return ": ".join(part for part in (where, self.field, self.message) if part)


class OrgError(Exception):
    """Raised when an org file cannot be loaded; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("invalid org file:\n" + "\n".join(str(problem) for problem in self.problems))


def format_field(loc: Loc) -> str:
    """Format a location such as ("groups", 2, "key") as `groups[2].key`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def default_org_path() -> Path:
    """Return the path of the bundled sample org file (五里牌街道)."""
    return Path(str(files(EXAMPLES_PACKAGE) / DEFAULT_ORG_FILE))


def check_org(path: str | Path) -> list[Problem]:
    """Return every problem found in an org file; an empty list means it is fine."""
    return _read(Path(path))[1]


def load_org(path: str | Path) -> Org:
    """Load an org file, raising OrgError with every problem found."""
    org, problems = _read(Path(path))
    if org is None:
        raise OrgError(problems)
    return org


def _read(path: Path) -> tuple[Org | None, list[Problem]]:
    """Read, parse and validate an org file without raising for bad content."""
    file = str(path)
    try:
        text = path.read_text(encoding=FILE_ENCODING)
    except UnicodeDecodeError:
        return None, [Problem(file, None, "", "not UTF-8 text; save the file as UTF-8")]
    except OSError as exc:
        return None, [Problem(file, None, "", f"cannot read file: {exc.strerror or exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(file, text, exc)]
    try:
        org = Org.model_validate(data)
    except ValidationError as exc:
        return None, _validation_problems(file, text, exc)
    return org, []


def _syntax_problem(file: str, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    """Turn a TOML syntax error into a problem, taking its line from tomllib's message."""
    message = str(error)
    line: int | None = None
    if match := TOML_POSITION_PATTERN.search(message):
        line = int(match[1])
        message = message[: match.start()]
    elif match := TOML_END_PATTERN.search(message):
        line = max(1, len(text.splitlines()))
        message = message[: match.start()]
    return Problem(file, line, "", f"TOML syntax error: {message}")


def _validation_problems(file: str, text: str, error: ValidationError) -> list[Problem]:
    """Turn pydantic errors into problems with plain messages and line numbers, in file order."""
    index = _LineIndex(text)
    located: list[tuple[Loc, str]] = []
    for detail in error.errors(include_url=False):
        loc: Loc = tuple(detail["loc"])
        if detail["type"] == CROSS_FIELD_ERROR:
            located += [(loc + inner, message) for inner, message in detail["ctx"]["problems"]]
        else:
            located.append((loc, _plain_message(loc, detail)))
    problems = [Problem(file, index.line_for(loc), format_field(loc), message) for loc, message in located]
    return sorted(problems, key=lambda problem: (problem.line is None, problem.line or 0))


def _plain_message(loc: Loc, detail: Any) -> str:
    """Say what is wrong in words an administrator editing the file understands."""
    kind: str = detail["type"]
    ctx: dict[str, Any] = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        suggestion = difflib.get_close_matches(str(loc[-1]), _known_fields(loc[:-1]), n=1)
        hint = f"; did you mean {suggestion[0]!r}?" if suggestion else ""
        return PLAIN_MESSAGES[kind] + hint
    if kind in PLAIN_MESSAGES:
        return PLAIN_MESSAGES[kind]
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must have at least {minimum} items"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}"
    message: str = detail["msg"]
    return message.removeprefix("Value error, ")


def _known_fields(loc: Loc) -> list[str]:
    """Return the field names of the model found at `loc` inside Org, for typo suggestions."""
    model: type[BaseModel] = Org
    for part in loc:
        if isinstance(part, int):
            continue  # a list element: the element model was unwrapped with the list field
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


class _ScanStop(Exception):
    """Raised inside the line scanner when the text is not shaped as expected."""


class _LineIndex:
    """Map each location in a TOML document (e.g. ("groups", 2, "report", 0, "type")) to its line."""

    _BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
    _SCALAR_END = frozenset(",]}#\r\n")

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._newlines = [offset for offset, char in enumerate(text) if char == "\n"]
        self._lines: dict[Loc, int] = {}
        self._array_counts: dict[Loc, int] = {}
        self._table: Loc = ()
        # On a surprise keep the lines found so far; lookups fall back to enclosing locations.
        with contextlib.suppress(_ScanStop, IndexError):
            self._scan()

    def line_for(self, loc: Loc) -> int | None:
        """Return the line of `loc`, else of its closest enclosing location, else None."""
        for end in range(len(loc), 0, -1):
            line = self._lines.get(loc[:end])
            if line is not None:
                return line
        return None

    def _line(self) -> int:
        return bisect_left(self._newlines, self._pos) + 1

    def _char(self) -> str:
        return self._text[self._pos : self._pos + 1]

    def _skip(self, *, newlines: bool) -> None:
        """Skip spaces and comments, and line breaks too when `newlines` is set."""
        text = self._text
        while self._pos < len(text):
            char = text[self._pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self._pos += 1
            elif char == "#":
                end = text.find("\n", self._pos)
                self._pos = len(text) if end < 0 else end
            else:
                return

    def _expect(self, token: str) -> None:
        self._skip(newlines=False)
        if not self._text.startswith(token, self._pos):
            raise _ScanStop
        self._pos += len(token)

    def _scan(self) -> None:
        while True:
            self._skip(newlines=True)
            if self._pos >= len(self._text):
                return
            line = self._line()
            if self._text.startswith("[[", self._pos):
                self._pos += 2
                parts = self._key()
                self._expect("]]")
                self._open_table(parts, line, is_array=True)
            elif self._char() == "[":
                self._pos += 1
                parts = self._key()
                self._expect("]")
                self._open_table(parts, line, is_array=False)
            else:
                parts = self._key()
                self._expect("=")
                self._record(self._table, parts, line)
                self._value(self._table + parts)

    def _open_table(self, parts: Loc, line: int, *, is_array: bool) -> None:
        """Enter a `[table]` or `[[array]]` section, resolving earlier arrays to their last element."""
        path: Loc = ()
        for part in parts[:-1]:
            path += (part,)
            self._lines.setdefault(path, line)
            if path in self._array_counts:
                path += (self._array_counts[path] - 1,)
        path += (parts[-1],)
        self._lines.setdefault(path, line)
        if is_array:
            index = self._array_counts.get(path, 0)
            self._array_counts[path] = index + 1
            path += (index,)
            self._lines[path] = line
        self._table = path

    def _record(self, table: Loc, parts: Loc, line: int) -> None:
        path = table
        for part in parts:
            path += (part,)
            self._lines.setdefault(path, line)

    def _key(self) -> Loc:
        """Read a possibly dotted, possibly quoted key."""
        parts: list[str] = []
        while True:
            self._skip(newlines=False)
            char = self._char()
            if char == '"':
                parts.append(self._basic_string())
            elif char == "'":
                parts.append(self._literal_string())
            else:
                match = self._BARE_KEY.match(self._text, self._pos)
                if not match:
                    raise _ScanStop
                parts.append(match[0])
                self._pos = match.end()
            self._skip(newlines=False)
            if self._char() != ".":
                return tuple(parts)
            self._pos += 1

    def _basic_string(self) -> str:
        self._pos += 1
        start = self._pos
        while self._text[self._pos] != '"':
            self._pos += 2 if self._text[self._pos] == "\\" else 1
        self._pos += 1
        return self._text[start : self._pos - 1]

    def _literal_string(self) -> str:
        end = self._text.index("'", self._pos + 1)
        value = self._text[self._pos + 1 : end]
        self._pos = end + 1
        return value

    def _multiline_string(self, quotes: str) -> None:
        self._pos += len(quotes)
        while not self._text.startswith(quotes, self._pos):
            self._pos += 2 if quotes == '"""' and self._text[self._pos] == "\\" else 1
        self._pos += len(quotes)
        for _ in range(2):  # up to two quotes right before the closing ones belong to the string
            if self._char() == quotes[0]:
                self._pos += 1

    def _value(self, path: Loc) -> None:
        self._skip(newlines=False)
        char = self._char()
        if self._text.startswith('"""', self._pos) or self._text.startswith("'''", self._pos):
            self._multiline_string(self._text[self._pos : self._pos + 3])
        elif char == '"':
            self._basic_string()
        elif char == "'":
            self._literal_string()
        elif char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        else:
            while self._pos < len(self._text) and self._text[self._pos] not in self._SCALAR_END:
                self._pos += 1

    def _array(self, path: Loc) -> None:
        self._pos += 1
        index = 0
        while True:
            self._skip(newlines=True)
            if self._char() == "]":
                self._pos += 1
                return
            self._lines.setdefault(path + (index,), self._line())
            self._value(path + (index,))
            self._skip(newlines=True)
            if self._char() == ",":
                self._pos += 1
                index += 1
            elif self._char() == "]":
                self._pos += 1
                return
            else:
                raise _ScanStop

    def _inline_table(self, path: Loc) -> None:
        self._pos += 1
        while True:
            self._skip(newlines=True)
            if self._char() == "}":
                self._pos += 1
                return
            line = self._line()
            parts = self._key()
            self._expect("=")
            self._record(path, parts, line)
            self._value(path + parts)
            self._skip(newlines=True)
            if self._char() == ",":
                self._pos += 1
            elif self._char() == "}":
                self._pos += 1
                return
            else:
                raise _ScanStop
