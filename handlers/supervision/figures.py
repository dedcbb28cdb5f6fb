"""The 督办 figures and the 督办事项 section of the merged daily report, as pure functions of a day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from lianfang.bot.context import Context
from lianfang.bot.types import Text
from lianfang.handlers.supervision.cards import content_for, group_name
from lianfang.handlers.supervision.settings import SUPERVISION
from lianfang.models.supervision import COLOUR_RED, open_items, supervision_figures
from sqlmodel import Session

FIGURE_OPEN = "supervision_open"
FIGURE_OVERDUE = "supervision_overdue"
FIGURE_CLOSED_TODAY = "supervision_closed_today"
FIGURES = (FIGURE_OPEN, FIGURE_OVERDUE, FIGURE_CLOSED_TODAY)
"""The report figures this feature computes, by the name a report field's ``source`` gives."""
SECTION_LINES = 10
"""Overdue items listed by name in the report section; the count covers the rest."""


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Return the start of a local day and of the next."""
    start = datetime.combine(day, time(0), tz)
    return start, start + timedelta(days=1)


def figure_values(session: Session, day: date, tz: tzinfo, now: datetime) -> dict[str, int]:
    """Return the day's 督办 figures, counted in SQL: open and overdue items at ``now`` (or the day's end, if
    earlier), and items confirmed done that day."""
    start, end = day_bounds(day, tz)
    figures = supervision_figures(session=session, start=start, end=end, now=min(now, end))
    return {FIGURE_OPEN: figures.open, FIGURE_OVERDUE: figures.overdue, FIGURE_CLOSED_TODAY: figures.closed_today}


def report_section(ctx: Context, day: date) -> list[Text]:
    """Return the report's 督办事项 section: open, of which overdue (with group and content), closed and new today.

    The report goes to group chats, so contents are masked.
    """
    start, end = day_bounds(day, ctx.tz)
    moment = min(ctx.now, end)
    figures = supervision_figures(session=ctx.session, start=start, end=end, now=moment)
    lines = [
        Text("supervision.report_title"),
        Text(
            "supervision.report_counts",
            {
                "open": figures.open,
                "overdue": figures.overdue,
                "closed": figures.closed_today,
                "new": figures.new_today,
            },
        ),
    ]
    rules = SUPERVISION.of(ctx.org).colour_rules()
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
