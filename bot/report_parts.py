"""What features add to the merged daily report: figures a report field may be prefilled from, and lines."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from lianfang.bot.types import Text

if TYPE_CHECKING:
    from lianfang.bot.context import Context
    from lianfang.bot.feature import Feature

FigureCount = Callable[["Context", date], int]
"""Count one figure for a day from the records (in SQL)."""
ReportLines = Callable[["Context", date], list[Text]]
"""Return a feature's lines of one day's report, built from masked views (the report goes to group chats)."""


@dataclass(frozen=True)
class ReportSection:
    """A feature's own section of the merged report; the report numbers it."""

    title: Text
    lines: ReportLines
    """Its lines of one day; none leaves the section out that day."""


@dataclass(frozen=True)
class ReportPart:
    """What one feature adds to the merged daily report."""

    figures: Mapping[str, FigureCount] = field(default_factory=dict)
    """Figures a report field's ``source`` may name, by that name; the group's form is prefilled with them."""
    summary: ReportLines | None = None
    """Its lines in the 疫情变化 section; none when it has nothing to say that day."""
    section: ReportSection | None = None
    """Its own section, after the group sections."""


@dataclass(frozen=True)
class ReportParts:
    """The report parts of a set of features, in their declared order."""

    parts: tuple[ReportPart, ...] = ()

    @classmethod
    def of(cls, features: Iterable[Feature]) -> ReportParts:
        """Collect the report parts of the features; a figure name may be declared by one feature only."""
        parts = tuple(feature.report for feature in features if feature.report is not None)
        names = [name for part in parts for name in part.figures]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"report figures declared twice: {', '.join(twice)}")
        return cls(parts)

    @property
    def figure_names(self) -> tuple[str, ...]:
        """Return the name of every figure, in declared order."""
        return tuple(name for part in self.parts for name in part.figures)

    def figure_values(self, ctx: Context, day: date, names: Iterable[str]) -> dict[str, int]:
        """Count the named figures for a day; names no feature declares are left out."""
        counts = {name: count for part in self.parts for name, count in part.figures.items()}
        return {name: counts[name](ctx, day) for name in names if name in counts}

    def summary_lines(self, ctx: Context, day: date) -> list[Text]:
        """Return every feature's lines of the 疫情变化 section for a day."""
        return [line for part in self.parts if part.summary is not None for line in part.summary(ctx, day)]

    def sections(self, ctx: Context, day: date) -> list[tuple[Text, list[Text]]]:
        """Return the title and lines of every feature's own section of a day's report that has lines, in order."""
        found = [(part.section.title, part.section.lines(ctx, day)) for part in self.parts if part.section is not None]
        return [(title, lines) for title, lines in found if lines]
