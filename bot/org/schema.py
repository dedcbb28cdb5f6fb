"""The org file's core: the sub-district, its leading group, communities, working groups, schedule and access.

Each feature adds its own table to this core as an ``OrgSection`` (see ``lianfang.bot.org.section``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, get_args

from lianfang.bot.org.problems import Located, raise_if, repeats
from lianfang.bot.org.schedule import Schedule
from lianfang.bot.org.values import Identifier, NonBlank, OrgModel
from pydantic import Field, model_validator

if TYPE_CHECKING:
    from lianfang.bot.org.section import OrgSection

Role = Literal["admin", "leader", "group_lead", "reporter", "staff"]
FieldType = Literal["text", "int", "choice"]

ROLES: tuple[str, ...] = get_args(Role)
DEFAULT_FULL_DATA_ROLES: tuple[Role, ...] = ("admin", "leader", "group_lead")
DEFAULT_TEXT_MAX_LENGTH = 2000
DEFAULT_MAX_FULL_VIEWS_PER_HOUR = 200
"""Full records a member may see in an hour before they see masked ones only: a brake on a scraping account."""
MIN_COMMUNITIES_SHARING = 2
"""A compound under this many communities is ambiguous: an address in it could belong to either."""


class ReportField(OrgModel):
    """Describe one typed field of a group's daily report template."""

    key: Identifier
    label: NonBlank
    label_en: NonBlank
    type: FieldType = "text"
    required: bool = Field(default=True, strict=True)
    choices: list[NonBlank] = Field(default_factory=list)
    max_length: int = Field(default=DEFAULT_TEXT_MAX_LENGTH, gt=0, strict=True)
    source: Identifier | None = None
    """A figure the bot fills in from its records; the reporter checks it and may change it before submitting."""

    @model_validator(mode="after")
    def _check_type_options(self) -> Self:
        """Require choices exactly for choice fields and max_length only for text fields."""
        problems: Located = []
        if self.type == "choice":
            if not self.choices:
                problems.append((("choices",), 'a "choice" field needs a non-empty list of choices'))
            problems += [
                (("choices", index), f"{self.choices[index]!r} is listed twice") for index in repeats(self.choices)
            ]
        elif self.choices:
            problems.append((("choices",), f'only "choice" fields take choices (this one is "{self.type}")'))
        if self.source is not None and self.type != "int":
            problems.append((("source",), f'only "int" fields take a source (this one is "{self.type}")'))
        # Compare with the default rather than model_fields_set so a dumped org validates again.
        if self.type != "text" and self.max_length != DEFAULT_TEXT_MAX_LENGTH:
            problems.append((("max_length",), f'only "text" fields take max_length (this one is "{self.type}")'))
        raise_if(problems)
        return self


class Group(OrgModel):
    """Describe one working group (工作组) and its daily report template."""

    key: Identifier
    name: NonBlank
    name_en: NonBlank
    leads: list[NonBlank] = Field(min_length=1)
    departments: list[NonBlank]
    duties: NonBlank
    report: list[ReportField] = Field(min_length=1)
    backup_reporter: str = ""
    """The member of this group (by name) who first stands in for a reporter on leave (代报); empty for none."""

    @model_validator(mode="after")
    def _check_unique_fields(self) -> Self:
        """Require distinct report field keys so answers cannot overwrite each other."""
        keys = [field.key for field in self.report]
        raise_if([(("report", index, "key"), f"{keys[index]!r} is used twice") for index in repeats(keys)])
        return self


class Community(OrgModel):
    """Describe one community (社区) and the compounds and roads it covers."""

    key: Identifier
    name: NonBlank
    name_en: NonBlank
    compounds: list[NonBlank] = Field(default_factory=list)


class LeadingGroup(OrgModel):
    """Describe the leading group (领导小组) that heads the joint-prevention work."""

    leader: NonBlank
    first_deputy: str = ""
    deputies: list[NonBlank] = Field(default_factory=list)
    member_units: list[NonBlank] = Field(default_factory=list)


class Access(OrgModel):
    """Describe which roles may see full (personal) data."""

    full_data_roles: list[Role] = Field(default_factory=lambda: list(DEFAULT_FULL_DATA_ROLES))
    max_full_views_per_hour: int = Field(default=DEFAULT_MAX_FULL_VIEWS_PER_HOUR, ge=1, strict=True)

    @model_validator(mode="after")
    def _check_unique_roles(self) -> Self:
        """Reject a role listed twice."""
        raise_if(
            [
                (("full_data_roles", index), f"{self.full_data_roles[index]!r} is listed twice")
                for index in repeats(self.full_data_roles)
            ]
        )
        return self


class Org(OrgModel):
    """Describe one sub-district: its leading group, communities, working groups, schedule and access."""

    name: NonBlank
    name_en: NonBlank
    district: NonBlank
    coordination_group: NonBlank
    leading_group: LeadingGroup
    communities: list[Community] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    schedule: Schedule
    access: Access = Field(default_factory=Access)

    sections: ClassVar[tuple[OrgSection[Any], ...]] = ()
    """The features' sections this model was composed with (see ``org_model``); none for the core alone."""
    figures: ClassVar[frozenset[str] | None] = None
    """The report figures the features compute, which a report field's ``source`` may name; None leaves it unchecked."""

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        """Require unique group and community keys and names, an existing coordination group and sound sections."""
        problems: Located = []
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
        problems += self._source_problems()
        for section in self.sections:
            problems += section.problems(self)
        raise_if(problems)
        return self

    def _source_problems(self) -> Located:
        """Refuse a report field filled from a figure no feature computes, naming the figures there are."""
        if self.figures is None:
            return []
        known = ", ".join(sorted(self.figures))
        return [
            (("groups", g, "report", f, "source"), f"no feature computes {field.source!r} (figures: {known})")
            for g, group in enumerate(self.groups)
            for f, field in enumerate(group.report)
            if field.source is not None and field.source not in self.figures
        ]

    def _compound_problems(self) -> Located:
        """Refuse a compound listed under two communities, naming it at both places: addresses map to one."""
        places: dict[str, list[tuple[int, int]]] = {}
        for index, community in enumerate(self.communities):
            for position, compound in enumerate(community.compounds):
                places.setdefault(compound, []).append((index, position))
        problems: Located = []
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


def _repeat_problems(items: str, attribute: str, values: Sequence[str]) -> Located:
    """Report each item whose attribute repeats an earlier item's."""
    return [
        ((items, index, attribute), f"{values[index]!r} is used by an earlier entry too") for index in repeats(values)
    ]
