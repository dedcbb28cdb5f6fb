"""The org file's [screening] section: the group doing it, extra header names, compounds per staff member."""

from typing import Literal, get_args

from lianfang.bot.org import Identifier, Located, NonBlank, Org, OrgModel, OrgSection, repeats
from pydantic import Field

SECTION_NAME = "screening"
LedgerField = Literal["name", "id_number", "phone", "address", "community", "compound", "reason", "arrival_date"]
LEDGER_FIELDS: tuple[str, ...] = get_args(LedgerField)
DEFAULT_SCREENING_GROUP = "screening"


class StaffCompounds(OrgModel):
    """Give one field staff member (by name) the compounds they verify."""

    member: NonBlank
    compounds: list[NonBlank] = Field(min_length=1)


class Screening(OrgModel):
    """Describe the screening ledger: the group doing it, extra header names, compounds per staff member."""

    group: Identifier = DEFAULT_SCREENING_GROUP
    headers: dict[str, LedgerField] = Field(default_factory=dict)
    """Header names used by the district's lists, mapped to ledger fields (added to the built-in names)."""
    staff: list[StaffCompounds] = Field(default_factory=list)

    def compounds_of(self, member_name: str) -> list[str]:
        """Return the compounds given to a staff member by name."""
        return [c for entry in self.staff if entry.member == member_name for c in entry.compounds]


def screening_problems(org: Org, screening: Screening) -> Located:
    """Require an existing screening group (when named) and compounds that some community lists."""
    problems: Located = []
    if "group" in screening.model_fields_set and org.group(screening.group) is None:
        known = ", ".join(group.key for group in org.groups)
        problems.append((("group",), f"no group has key {screening.group!r} (groups: {known})"))
    listed = {compound for community in org.communities for compound in community.compounds}
    for index, entry in enumerate(screening.staff):
        problems += [
            (("staff", index, "compounds", position), f"{compound!r} is not among any community's compounds")
            for position, compound in enumerate(entry.compounds)
            if compound not in listed
        ]
    members = [entry.member for entry in screening.staff]
    problems += [(("staff", index, "member"), f"{members[index]!r} is listed twice") for index in repeats(members)]
    return problems


SCREENING = OrgSection(SECTION_NAME, Screening, check=screening_problems)
