"""Dated buttons: a card carries the day it was sent for, so a tap on yesterday's card cannot act on today.

A dated button's value ends with its day (``/daily nil 2020-01-28``). A tap brings the day back and the command
checks it against today. Typed words mean now: typing a button's label runs its value without the day (see
``bot.dispatcher``), so ``无新情况`` typed on 01-29 reports for 01-29 even if the latest card was 01-28's.
"""

from __future__ import annotations

import re
from datetime import date

from lianfang.bot.context import Context
from lianfang.bot.types import Text

DAY_SUFFIX = re.compile(r"^(?P<rest>.*?)\s*(?<![\w-])(?P<day>\d{4}-\d{2}-\d{2})$", re.DOTALL)
"""The ISO day a dated button's value ends with, after a space (or alone, as the whole argument)."""


def dated(value: str, day: date) -> str:
    """Return a button value that carries the day it is for (``/daily nil`` → ``/daily nil 2020-01-28``)."""
    return f"{value} {day.isoformat()}"


def split_day(text: str) -> tuple[str, date | None]:
    """Return a command's arguments without the day a dated button put at their end, and that day (or None).

    A date-shaped ending that is no real day (``2020-13-45``) is left in the arguments, for the command to refuse.
    """
    match = DAY_SUFFIX.match(text.strip())
    if match is None:
        return text.strip(), None
    try:
        day = date.fromisoformat(match.group("day"))
    except ValueError:
        return text.strip(), None
    return match.group("rest").strip(), day


def undated(value: str) -> str:
    """Return a button value without its day: what typing the button's label runs, since typed words mean now."""
    rest, day = split_day(value)
    return value if day is None else rest


def stale_notice(ctx: Context, day: date | None) -> list[Text]:
    """Return what to answer a tap on a card of another day than today (nothing is done), or [] for a fresh one."""
    if day is None or day == ctx.today:
        return []
    return [
        Text("stale.card", {"day": day.isoformat()}),
        Text("stale.nothing_changed", {"today": ctx.today.isoformat()}),
    ]
