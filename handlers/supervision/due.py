"""Due dates as people type them: 1月30日, 1月30日 18:00, 2020-01-30, 1/30 9点, 明天; never in the past."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from lianfang.bot.context import Context
from lianfang.bot.forms import FieldError
from lianfang.handlers.supervision.settings import SUPERVISION

DATE = re.compile(r"^(?:(?P<year>\d{4})\s*[年\-/.]\s*)?(?P<month>\d{1,2})\s*[月\-/.]\s*(?P<day>\d{1,2})\s*[日号]?")
RELATIVE = {
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "昨天": -1,
    "today": 0,
    "tomorrow": 1,
    "yesterday": -1,
}
TIME = re.compile(r"^(?P<hour>\d{1,2})\s*(?:[:：点时]\s*(?P<minute>\d{1,2})?\s*分?)?$")
DATE_LIKE = re.compile(
    r"^(?:\d{4}\s*[年\-/.])?\d{1,2}\s*[月\-/.]|^(?:今天|今日|明天|明日|后天|昨天|today|tomorrow)", re.I
)
"""A word that is meant as a date, well formed or not (1月32日 is meant as one)."""
YEAR_WRAP = timedelta(days=183)
"""A month and day further back than this mean next year's (1月5日 typed in December)."""
MAX_AHEAD = timedelta(days=366)
SHOWN_FORMAT = "%m月%d日 %H:%M"


def looks_like_date(word: str) -> bool:
    """Tell whether a word is meant as a date (the one-line entry's second word)."""
    return DATE_LIKE.match(word.strip()) is not None


def read_due(text: str, now: datetime, tz: tzinfo, default_time: time) -> datetime:
    """Read a due date and optional time, local to ``tz``; refuse one that is unreadable, impossible or past."""
    local = now.astimezone(tz)
    text = text.strip()
    day, rest = read_day(text, local.date())
    moment = _read_time(rest, default_time)
    due = datetime.combine(day, moment, tz)
    if due <= local:
        raise FieldError("supervision.error_due_past", due=due.strftime(SHOWN_FORMAT))
    if due - local > MAX_AHEAD:
        raise FieldError("supervision.error_due_far")
    return due


def read_day(text: str, today: date) -> tuple[date, str]:
    """Return the day a text starts with and the rest of it; raise a FieldError if it starts with none."""
    for word, offset in RELATIVE.items():
        if text.lower().startswith(word):
            return today + timedelta(days=offset), text[len(word) :]
    match = DATE.match(text)
    if match is None:
        raise FieldError("supervision.error_due_format")
    year = int(match.group("year")) if match.group("year") else today.year
    try:
        day = date(year, int(match.group("month")), int(match.group("day")))
    except ValueError:
        raise FieldError("supervision.error_due_no_such_day", text=text[: match.end()]) from None
    if match.group("year") is None and today - day > YEAR_WRAP:
        day = day.replace(year=year + 1)
    return day, text[match.end() :]


def _read_time(text: str, default_time: time) -> time:
    """Return the time of day a text gives, or the default when it gives none."""
    text = text.strip()
    if not text:
        return default_time
    match = TIME.match(text)
    if match is None:
        raise FieldError("supervision.error_due_format")
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if hour > 23 or minute > 59:
        raise FieldError("supervision.error_due_format")
    return time(hour, minute)


def parse_due(text: str, ctx: Context) -> datetime:
    """Read a due date typed as a form answer."""
    return read_due(text, ctx.now, ctx.tz, SUPERVISION.of(ctx.org).due_time)


def parse_due_answer(text: str, ctx: Context) -> str:
    """Read a due date typed as a form answer; keep it as ISO text, as a draft stores answers."""
    return parse_due(text, ctx).isoformat()


def shown_due(ctx: Context, moment: datetime) -> str:
    """Format a due time as people read it: 01月30日 17:00."""
    return moment.astimezone(ctx.tz).strftime(SHOWN_FORMAT)
