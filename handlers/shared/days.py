"""Days as people type them in a command: 今天, 明天, 后天, 2020-01-29, 2020/1/29 or 1月29日."""

from __future__ import annotations

import re
from datetime import date, timedelta

from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS

DAY_WORDS = {"今天": 0, "明天": 1, "后天": 2}
DAY_PATTERN = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")


def parse_day(text: str, today: date) -> date | None:
    """Read a typed day; a date without a year is in today's year; None if it is none of these or no real date."""
    if text in DAY_WORDS:
        return today + timedelta(days=DAY_WORDS[text])
    match = DAY_PATTERN.match(text.translate(FULLWIDTH_DIGITS))
    if match is None:
        return None
    try:
        return date(int(match[1] or today.year), int(match[2]), int(match[3]))
    except ValueError:
        return None
