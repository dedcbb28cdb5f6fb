"""What the daily report takes from markets and incidents: counts in SQL, by the names report fields source."""

from __future__ import annotations

from datetime import date

from lianfang.bot.context import Context
from lianfang.bot.report_parts import ReportPart
from lianfang.models.incidents import KIND_RUMOUR, incidents_by_kind, open_count
from lianfang.models.markets import closed_count, inspections_on


def market_checks_today(ctx: Context, day: date) -> int:
    """Count the day's market inspections."""
    return inspections_on(session=ctx.session, day=day)


def markets_closed(ctx: Context, day: date) -> int:
    """Count the markets closed now (``day`` keeps the figures' shape: closures are as they stand)."""
    del day
    return closed_count(session=ctx.session)


def incidents_today(ctx: Context, day: date) -> int:
    """Count the day's incidents, every kind."""
    return sum(incidents_by_kind(session=ctx.session, day=day).values())


def rumours_today(ctx: Context, day: date) -> int:
    """Count the day's rumour incidents (造谣传谣)."""
    return incidents_by_kind(session=ctx.session, day=day)[KIND_RUMOUR]


def incidents_open(ctx: Context, day: date) -> int:
    """Count the incidents still being handled."""
    del day
    return open_count(session=ctx.session)


REPORT = ReportPart(
    figures={
        "market_checks_today": market_checks_today,
        "markets_closed": markets_closed,
        "incidents_today": incidents_today,
        "rumours_today": rumours_today,
        "incidents_open": incidents_open,
    }
)
"""The report fields a 保障组 or 社会稳定组 template may source from markets and incidents."""
