"""Spans that hold numbers but are no field: dates, times, ages and counts."""

from __future__ import annotations

import re

from lianfang.handlers.shared.freetext.text import HAN_DIGIT_CLASS, Message

HAN = HAN_DIGIT_CLASS + "十"
NOT_FIELDS = re.compile(
    rf"(?=[\d第{HAN}])"  # first characters: see text.alternation
    r"(?:\d{4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}[日号]?)?"
    rf"|\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]?|[{HAN}]{{1,3}}月(?:[{HAN}]{{1,3}}[日号])?"
    r"|\d{1,2}[:：]\d{2}|(?<![\d.])\d{1,2}\s*点(?![\d])半?"
    r"|(?<![\d.])\d+(?:周岁|岁|天|口人|口|只|瓶|支|个|次|人|周|小时|分钟|年|月|家|箱|包|件|元|块)"
    rf"|第\s*[\d{HAN}]+\s*(?:天|次|网格|组|批|周)|[\d{HAN}]+(?:网格)|(?<![\d.])\d{{1,2}}[日号](?=[从回返到去来]))"
)
"""Dates (``1月20日``, ``一月二十号``), times (``3点``), ages (``72岁``), counts (``3口人``) and grid numbers."""


def mask_non_fields(message: Message) -> None:
    """Mask the numbers that are no field, so no extractor takes a date or an age for a temperature."""
    for match in NOT_FIELDS.finditer(message.masked):
        message.mask(match.start(), match.end())
