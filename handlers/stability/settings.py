"""The org file's [stability] section: the 社会稳定组, when rectifications are followed up, and the markets."""

from datetime import time

from lianfang.bot.org import ClockTime, Identifier, Located, NonBlank, Org, OrgModel, OrgSection, repeats
from pydantic import Field

SECTION_NAME = "stability"
DEFAULT_STABILITY_GROUP = "stability"
DEFAULT_MARKETS_GROUP = "supplies"
DEFAULT_FOLLOWUP_TIME = time(9, 0)


class Market(OrgModel):
    """Describe one market or shop that is inspected."""

    name: NonBlank = Field(max_length=64)
    community: Identifier | None = None


class Stability(OrgModel):
    """Describe incidents and market inspections: who handles them, when rectifications are followed up."""

    group: Identifier = DEFAULT_STABILITY_GROUP
    """The 社会稳定组: it handles incidents, and its chat hears of each."""
    markets_group: Identifier = DEFAULT_MARKETS_GROUP
    """The group running market inspections with it (保障组: 市场环境整治); its chat hears of closures."""
    followup_time: ClockTime = DEFAULT_FOLLOWUP_TIME
    """When a 责令整改 whose deadline has come is followed up."""
    markets: list[Market] = Field(default_factory=list)

    def market(self, text: str) -> Market | None:
        """Return the listed market a typed name means."""
        return next((market for market in self.markets if market.name == text.strip()), None)


def stability_problems(org: Org, stability: Stability) -> Located:
    """Require existing groups (when named) and communities, and markets listed once."""
    problems: Located = []
    known = ", ".join(group.key for group in org.groups)
    for name in ("group", "markets_group"):
        key = getattr(stability, name)
        if name in stability.model_fields_set and org.group(key) is None:
            problems.append(((name,), f"no group has key {key!r} (groups: {known})"))
    for index, market in enumerate(stability.markets):
        if market.community is not None and org.community(market.community) is None:
            problems.append((("markets", index, "community"), f"no community has key {market.community!r}"))
    names = [market.name for market in stability.markets]
    problems += [(("markets", index), f"{names[index]!r} is listed twice") for index in repeats(names)]
    return problems


STABILITY = OrgSection(SECTION_NAME, Stability, check=stability_problems)
