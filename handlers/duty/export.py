"""``lianfang duty export``: a month's roster with leaders, check-ins and handovers as .xlsx."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from lianfang.bot.context import Context
from lianfang.bot.i18n import render
from lianfang.bot.types import Text
from lianfang.handlers.duty.roster import DATE_FORMAT, PERSON_STATUS_KEYS, TIME_FORMAT, leader_of, roster_of

COLUMNS = (
    "duty.column_date",
    "duty.column_shift",
    "duty.column_leader",
    "duty.column_person",
    "duty.column_phone",
    "duty.column_note",
    "duty.column_status",
    "duty.column_checked_in",
    "duty.column_handover",
)
SHEET_TITLE = "duty.sheet_title"
MONTH_DAYS = 32
"""Days to step from the 1st into the next month, whatever the month's length."""


def month_days(month: date) -> list[date]:
    """Return the days of the month a date is in."""
    first = month.replace(day=1)
    after = (first + timedelta(days=MONTH_DAYS)).replace(day=1)
    return [first + timedelta(days=offset) for offset in range((after - first).days)]


def export_roster(ctx: Context, out: Path, month: date) -> int:
    """Write the month's roster, one row per person and shift, to ``out``; return how many rows were written."""
    from openpyxl import Workbook

    lang = ctx.settings.default_language
    days = month_days(month)
    leaders = {day: leader_of(ctx, day) for day in days}
    book = Workbook(write_only=True)
    sheet = book.create_sheet(render(Text(SHEET_TITLE, {"month": month.strftime("%Y-%m")}), lang))
    sheet.append([render(Text(column), lang) for column in COLUMNS])
    rows = 0
    for entry in roster_of(ctx, days):
        leader = leaders[entry.assignment.day]
        checked = entry.assignment.checked_in_at
        handover = entry.assignment.handover_note if entry.assignment.handover_at is not None else ""
        if entry.assignment.handover_at is not None and not handover:
            handover = render(Text("duty.button_handover_nil"), lang)
        sheet.append(
            [
                entry.assignment.day.strftime(DATE_FORMAT),
                entry.shift.name,
                leader.name if leader is not None else "",
                entry.member.name,
                entry.assignment.phone,
                entry.assignment.note,
                render(Text(PERSON_STATUS_KEYS[entry.status(ctx.now)]), lang),
                checked.astimezone(ctx.tz).strftime(f"{DATE_FORMAT} {TIME_FORMAT}") if checked else "",
                handover,
            ]
        )
        rows += 1
    book.save(out)
    return rows
