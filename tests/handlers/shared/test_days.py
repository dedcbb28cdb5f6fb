"""Days as people type them in a command."""

from __future__ import annotations

from datetime import date

from lianfang.handlers.shared.days import parse_day

TODAY = date(2020, 1, 28)


def test_words_dates_and_nonsense() -> None:
    assert parse_day("明天", TODAY) == date(2020, 1, 29)
    assert parse_day("2020-01-30", TODAY) == parse_day("1月30日", TODAY) == parse_day("２０２０/1/30", TODAY)
    assert parse_day("2020-02-30", TODAY) is None
    assert parse_day("下周", TODAY) is None
