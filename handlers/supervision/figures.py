"""The 督办 figures and the 督办事项 section of the merged daily report, as pure functions of a day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from lianfang.bot.context import Context
from lianfang.bot.report_parts import ReportPart, ReportSection
from lianfang.bot.types import Text
from lianfang.handlers.supervision.cards import content_for, group_name
from lianfang.handlers.supervision.settings import SUPERVISION
from lianfang.models.inspections import inspections_on
from lianfang.models.supervision import COLOUR_RED, SupervisionFigures, open_items, supervision_figures

FIGURE_OPEN = "supervision_open"
FIGURE_OVERDUE = "supervision_overdue"
FIGURE_CLOSED_TODAY = "supervision_closed_today"
FIGURE_INSPECTIONS = "inspections_today"
SECTION_LINES = 10
"""Overdue items listed by name in the report section; the count covers the rest."""


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Return the start of a local day and of the next."""
    start = datetime.combine(day, time(0), tz)
    return start, start + timedelta(days=1)


def _figures(ctx: Context, day: date) -> SupervisionFigures:
    """Count the day's figures in SQL: open and overdue at ``now`` (or the day's end, if earlier), closed and new
    that day."""
    start, end = day_bounds(day, ctx.tz)
    return supervision_figures(session=ctx.session, start=start, end=end, now=min(ctx.now, end))


def count_open(ctx: Context, day: date) -> int:
    """Count the items open on a day."""
    return _figures(ctx, day).open


def count_overdue(ctx: Context, day: date) -> int:
    """Count the open items overdue on a day."""
    return _figures(ctx, day).overdue


def count_closed(ctx: Context, day: date) -> int:
    """Count the items confirmed done on a day."""
    return _figures(ctx, day).closed_today


def count_inspections(ctx: Context, day: date) -> int:
    """Count the inspections of a day (the 执纪督查组's 督查次数)."""
    return inspections_on(session=ctx.session, day=day)


def section_lines(ctx: Context, day: date) -> list[Text]:
    """Return the report's 督办事项 lines: open, of which overdue (with group and content), closed and new today.

    The report goes to group chats, so contents are masked; a day without any item leaves the section out.
    """
    figures = _figures(ctx, day)
    if not (figures.open or figures.closed_today or figures.new_today):
        return []
    params = {
        "open": figures.open,
        "overdue": figures.overdue,
        "closed": figures.closed_today,
        "new": figures.new_today,
    }
    lines = [Text("supervision.report_counts", params)]
    rules = SUPERVISION.of(ctx.org).colour_rules()
    moment = min(ctx.now, day_bounds(day, ctx.tz)[1])
    overdue = open_items(session=ctx.session, now=moment, rules=rules, colour=COLOUR_RED, limit=SECTION_LINES)
    lines += [
        Text(
            "supervision.report_overdue",
            {
                "number": item.id,
                "group": group_name(ctx, item.lead_group),
                "content": content_for(item, in_group=True, short=True),
            },
        )
        for item, _colour in overdue
    ]
    return lines


REPORT = ReportPart(
    figures={
        FIGURE_OPEN: count_open,
        FIGURE_OVERDUE: count_overdue,
        FIGURE_CLOSED_TODAY: count_closed,
        FIGURE_INSPECTIONS: count_inspections,
    },
    section=ReportSection(Text("supervision.report_title"), section_lines),
)
"""What 督办 adds to the merged daily report: four figures and the 督办事项 section."""
