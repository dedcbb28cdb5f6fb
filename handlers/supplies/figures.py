"""What the daily report takes from supplies: the 疫情变化 supplies line, counted in SQL."""

from __future__ import annotations

from datetime import date

from lianfang.bot.context import Context
from lianfang.bot.report_parts import ReportPart
from lianfang.bot.types import Text
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.models.stock import all_on_hand
from lianfang.models.supplies import (
    STATUS_ALLOCATED,
    STATUS_APPROVED,
    STATUS_ISSUED,
    STATUS_OPEN,
    open_by_status,
    supply_figures,
)


def supplies_lines(ctx: Context, day: date) -> list[Text]:
    """Return the 疫情变化 section's supplies lines: key items on hand, stock-outs, open requests by status; each
    only once there is something to say.

    Stock is as it stands now (running totals): the report is built on its own day.
    """
    rules = SUPPLIES.of(ctx.org)
    levels = all_on_hand(session=ctx.session)
    lines: list[Text] = []
    key_items = [item for item in rules.items if item.key]
    if key_items and levels:
        held = "，".join(
            f"{item.name} {sum(levels.get((item.name, place.key), 0) for place in rules.places)}{item.unit}"
            for item in key_items
        )
        lines.append(Text("supplies_report.on_hand", {"items": held}))
    empty = [
        f"{place.name}{item.name}"
        for item in rules.items
        for place in rules.places
        if (item.name, place.key) in levels and levels[(item.name, place.key)] == 0
    ]
    if empty:
        lines.append(Text("supplies_report.stock_outs", {"count": len(empty), "which": "、".join(empty)}))
    if any(open_by_status(session=ctx.session).values()):
        lines.append(supplies_line(ctx, day))
    return lines


def supplies_line(ctx: Context, day: date) -> Text:
    """Return the line of open requests by status (as they stand now; ``day`` keeps the figures' shape)."""
    del day
    by_status = open_by_status(session=ctx.session)
    return Text(
        "supplies_report.requests",
        {
            "open": by_status[STATUS_OPEN],
            "approved": by_status[STATUS_APPROVED],
            "allocated": by_status[STATUS_ALLOCATED],
            "issued": by_status[STATUS_ISSUED],
        },
    )


def report_summary(ctx: Context, day: date) -> list[Text]:
    """Return the supplies lines of the merged report's 疫情变化 section: needs raised and open, then stock and
    requests by status once there is stock or a request in the flow."""
    figures = supply_figures(session=ctx.session, day=day)
    params = {"raised": figures.raised_today, "open": figures.open_total, "urgent": figures.open_urgent}
    return [Text("report.figures_supplies", params), *supplies_lines(ctx, day)]


REPORT = ReportPart(summary=report_summary)
"""What supplies add to the merged daily report."""
