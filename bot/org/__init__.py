"""Describe, load and check the organisation file of one sub-district's joint-prevention set-up."""

from lianfang.bot.org.loader import check_org, default_org_path, load_org, locate_problems
from lianfang.bot.org.problems import Loc, Located, OrgError, Problem, format_field, invalid, raise_if, repeats
from lianfang.bot.org.schedule import DEFAULT_QUIET_HOURS, WEEKDAYS, Schedule, Weekday
from lianfang.bot.org.schema import (
    DEFAULT_FULL_DATA_ROLES,
    ROLES,
    Access,
    Community,
    FieldType,
    Group,
    LeadingGroup,
    Org,
    ReportField,
    Role,
)
from lianfang.bot.org.section import OrgSection, org_model
from lianfang.bot.org.values import CalendarDate, ClockTime, Identifier, NonBlank, OrgModel, format_time

__all__ = [
    "DEFAULT_FULL_DATA_ROLES",
    "DEFAULT_QUIET_HOURS",
    "ROLES",
    "WEEKDAYS",
    "Access",
    "CalendarDate",
    "ClockTime",
    "Community",
    "FieldType",
    "Group",
    "Identifier",
    "LeadingGroup",
    "Loc",
    "Located",
    "NonBlank",
    "Org",
    "OrgError",
    "OrgModel",
    "OrgSection",
    "Problem",
    "ReportField",
    "Role",
    "Schedule",
    "Weekday",
    "check_org",
    "default_org_path",
    "format_field",
    "format_time",
    "invalid",
    "load_org",
    "locate_problems",
    "org_model",
    "raise_if",
    "repeats",
]
