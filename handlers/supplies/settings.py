"""The org file's [supplies] section: the group that runs supplies, chasing, items, places and budget lines."""

from datetime import time

from lianfang.bot.org import ClockTime, Identifier, Located, NonBlank, Org, OrgModel, OrgSection, repeats
from pydantic import Field

SECTION_NAME = "supplies"
DEFAULT_SUPPLIES_GROUP = "supplies"
DEFAULT_CHASE_HOURS = 4
MAX_CHASE_HOURS = 72
DEFAULT_URGENT_CHASE_MINUTES = 60
MAX_URGENT_CHASE_MINUTES = 24 * 60
DEFAULT_STOCK_CHECK = time(9, 0)
MAX_THRESHOLD = 10_000_000
MAX_BUDGET_YUAN = 1_000_000_000


class Item(OrgModel):
    """Describe one stocked item: its name (as staff type it), unit and low-stock threshold."""

    name: NonBlank = Field(max_length=64)
    unit: NonBlank = Field(max_length=16)
    threshold: int = Field(default=0, ge=0, le=MAX_THRESHOLD, strict=True)
    """Stock at or below this alerts the 保障组 chat, once a day per place."""
    key: bool = False
    """A key item, shown on the 疫情变化 supplies line of the daily report."""


class Place(OrgModel):
    """Describe one place stock is kept: the 街道仓库, a community's store."""

    key: Identifier
    name: NonBlank = Field(max_length=32)
    community: Identifier | None = None


class BudgetLine(OrgModel):
    """Describe one budget line purchases are recorded against, with its amount in yuan."""

    key: Identifier
    name: NonBlank
    amount: int = Field(ge=0, le=MAX_BUDGET_YUAN, strict=True)


class Supplies(OrgModel):
    """Describe how supplies are requested, chased, stocked and paid for."""

    group: Identifier = DEFAULT_SUPPLIES_GROUP
    """The working group whose leads approve requests and whose chat gets stock alerts (保障组)."""
    chase_hours: int = Field(default=DEFAULT_CHASE_HOURS, ge=1, le=MAX_CHASE_HOURS, strict=True)
    urgent_chase_minutes: int = Field(
        default=DEFAULT_URGENT_CHASE_MINUTES, ge=5, le=MAX_URGENT_CHASE_MINUTES, strict=True
    )
    stock_check: ClockTime = DEFAULT_STOCK_CHECK
    """When the day's low-stock, stock-out and expiry check runs."""
    items: list[Item] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    budget: list[BudgetLine] = Field(default_factory=list)

    def item(self, text: str) -> Item | None:
        """Return the item a typed name means."""
        return next((item for item in self.items if item.name == text.strip()), None)

    def place(self, text: str) -> Place | None:
        """Return the place a typed name or key means."""
        typed = text.strip()
        return next((place for place in self.places if typed in (place.key, place.name)), None)

    def place_named(self, key: str) -> str:
        """Return a place's name by key (the key itself if the place is gone from the org file)."""
        found = next((place for place in self.places if place.key == key), None)
        return found.name if found else key

    def line(self, text: str) -> BudgetLine | None:
        """Return the budget line a typed name or key means."""
        typed = text.strip()
        return next((line for line in self.budget if typed in (line.key, line.name)), None)


def supplies_problems(org: Org, supplies: Supplies) -> Located:
    """Require an existing group (when named) and communities, and names listed once."""
    problems: Located = []
    if "group" in supplies.model_fields_set and org.group(supplies.group) is None:
        known = ", ".join(group.key for group in org.groups)
        problems.append((("group",), f"no group has key {supplies.group!r} (groups: {known})"))
    for index, place in enumerate(supplies.places):
        if place.community is not None and org.community(place.community) is None:
            problems.append((("places", index, "community"), f"no community has key {place.community!r}"))
    for table, names in (
        ("items", [item.name for item in supplies.items]),
        ("places", [place.key for place in supplies.places]),
        ("places", [place.name for place in supplies.places]),
        ("budget", [line.key for line in supplies.budget]),
    ):
        problems += [((table, index), f"{names[index]!r} is listed twice") for index in repeats(names)]
    return problems


SUPPLIES = OrgSection(SECTION_NAME, Supplies, check=supplies_problems)
