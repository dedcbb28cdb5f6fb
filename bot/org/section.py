"""A feature's table in the org file, and the org model composed from the core and the features' tables."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, cast

from lianfang.bot.org.problems import Located
from lianfang.bot.org.schema import Org
from pydantic import BaseModel, Field, create_model

SectionModel = TypeVar("SectionModel", bound=BaseModel)


@dataclass(frozen=True)
class OrgSection(Generic[SectionModel]):
    """Declare one feature's table in the org file: its name, its model, and how it is checked against the core.

    A section that is not required defaults to its model built with no arguments. ``check`` returns the section's
    problems that need the rest of the org (a group it names must exist, say), located inside the section.
    """

    name: str
    model: type[SectionModel]
    required: bool = False
    check: Callable[[Org, SectionModel], Located] | None = None

    def of(self, org: Org) -> SectionModel:
        """Return this section of an org composed with it."""
        return cast(SectionModel, getattr(org, self.name))

    def problems(self, org: Org) -> Located:
        """Return the cross-section problems of this section in `org`, located from the org's root."""
        if self.check is None:
            return []
        return [((self.name, *loc), message) for loc, message in self.check(org, self.of(org))]


def org_model(sections: Sequence[OrgSection[Any]], figures: Collection[str] | None = None) -> type[Org]:
    """Return the org model made of the core and these sections, in their order (one class per section list).

    ``figures`` are the report figures the features compute; a report field's ``source`` must name one of them.
    """
    return _composed(tuple(sections), None if figures is None else frozenset(figures))


@cache
def _composed(sections: tuple[OrgSection[Any], ...], figures: frozenset[str] | None) -> type[Org]:
    """Compose the org model once per section list, so each load does not build a new class."""
    if not sections and figures is None:
        return Org
    fields: dict[str, Any] = {
        section.name: (section.model, Field() if section.required else Field(default_factory=section.model))
        for section in sections
    }
    model = create_model(Org.__name__, __base__=Org, __module__=Org.__module__, **fields)
    model.sections = sections
    model.figures = figures
    return model
