"""The temperature field: Arabic or Chinese numerals, the latest reading, corrections dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lianfang.handlers.shared.freetext.text import HAN_DIGITS, Message, han_int

LOW = 34.0
HIGH = 43.0
ARABIC = re.compile(
    r"(?<![\d.#-])(?P<whole>[34]\d)\s*(?:(?:[.,]|点|度)\s*(?P<tenth>\d)\d?(?!\d)|(?P<unit>度|℃|°C?|C\b)|(?P<bare>(?![\d])))"
)
HAN = re.compile(
    r"(?<![零〇一二两三四五六七八九十])(?P<whole>[三四]十[一二三四五六七八九]?|三[四五六七八九]|四[零一二])"
    r"(?:(?P<sep>度|点)(?P<tenth>[零〇一二三四五六七八九](?![零〇一二三四五六七八九十栋单号楼]))?)"
)
DROPPED_DECIMAL = re.compile(r"(?:体温|温度|temp|T)\s*[:：]?\s*(?P<whole>3[4-9]|4[0-2])(?P<tenth>\d)(?!\d)", re.I)
"""``体温365``: a reading typed without its point is read as one decimal."""
LABEL = re.compile(r"(?:体温|温度|腋温|额温|口温|temp(?:erature)?|T|测温|量了|复测|最高)\s*[:：]?\s*$", re.I)
"""What makes a bare two-digit number a reading (``体温 37``)."""
CORRECTED = re.compile(r"(?:不是|并非|而不是|not)\s*$", re.I)
LATEST = re.compile(r"(?:复测|复查|下午|晚上|现在|目前|第二次|最新|今天|今日|刚才|再测)\S{0,3}\s*$")
BEFORE_WINDOW = 8


@dataclass(frozen=True)
class Reading:
    """One temperature the message gives, where it stands, and whether the text marks it as the latest."""

    at: int
    value: float
    latest: bool


def _readings(message: Message) -> list[Reading]:
    text = message.masked
    found: dict[int, float] = {}
    for match in DROPPED_DECIMAL.finditer(text):
        found[match.start("whole")] = int(match.group("whole")) + int(match.group("tenth")) / 10
    for match in ARABIC.finditer(text):
        at = match.start()
        if at in found:
            continue
        if match.group("bare") is not None and not LABEL.search(message.folded[max(0, at - BEFORE_WINDOW) : at]):
            continue
        tenth = match.group("tenth")
        found[at] = int(match.group("whole")) + (int(tenth) / 10 if tenth else 0)
    for match in HAN.finditer(text):
        whole = han_int(match.group("whole"))
        tenth = match.group("tenth")
        if whole is None or (match.group("sep") == "点" and not tenth):
            continue
        found[match.start()] = whole + (HAN_DIGITS[tenth] / 10 if tenth else 0)
    readings = []
    for at, value in sorted(found.items()):
        before = message.folded[max(0, at - BEFORE_WINDOW) : at]
        if not LOW <= value <= HIGH or CORRECTED.search(before) or message.is_other(at):
            continue
        readings.append(Reading(at, round(float(value), 1), bool(LATEST.search(before))))
    return readings


def read_temperature(message: Message, *, pair: bool = False) -> float | None:
    """Return the latest reading the message marks as such, else the last one; None when there is none.

    With ``pair`` (two people named together, then their readings: ``陈爷爷和陈奶奶 36.4 36.6``) an unmarked list
    of readings gives the first person's, the first.
    """
    readings = _readings(message)
    if not readings:
        return None
    marked = [reading for reading in readings if reading.latest]
    if marked:
        return marked[-1].value
    return readings[0 if pair else -1].value
