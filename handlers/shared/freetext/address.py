"""The address field: the verbatim span from the compound or road to the last building, unit or room."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lianfang.handlers.shared.freetext.text import HAN_DIGIT_CLASS, Message

NUM = rf"(?:\d+|[{HAN_DIGIT_CLASS}十百]+|[A-Za-z](?![A-Za-z]))"
UNIT = r"(?:号楼|栋|幢|东|座|单元|楼|层|室|房|号|门)"
PIECE = rf"第?{NUM} ?{UNIT}"
DASH = r"\d+#?(?:-\d+){1,2}(?![\d.])|\d+#\d+(?:-\d+)?(?![\d.])"
ROOM = rf"(?:\d{{2,4}}|[{HAN_DIGIT_CLASS}]{{3,4}})(?:室|房)?(?![\d.,度点岁天号栋幢℃°])"
ROOM_SPACED = rf"(?:\d{{3,4}}|[{HAN_DIGIT_CLASS}]{{3,4}})(?:室|房)?(?![\d.,度点岁天号栋幢℃°])"
"""A room typed after a space has three or four digits: ``3栋 37`` is a building and a temperature."""
CHAIN = re.compile(rf"(?<![\d#-])(?:{DASH}|{PIECE}(?:\s*{PIECE})*(?:{ROOM}|\s+{ROOM_SPACED})?)")
BUILDING = re.compile(r"号楼|栋|幢|东|座|单元|楼|#|-")
"""A chain is an address only if it names a building or unit (a lone ``20号`` or ``3门`` is not)."""
GENERIC_PLACE = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:小区|新村|花园|家园|公寓|大院|苑|路|街|巷|大道|村|院)$")
PLACE_CUT = re.compile(
    r".*(?:社区|家住|住在|住址|地址|核查|上门|去了|去|到|在|的|是|网格|户主|报告|今天|刚|位于|来自|现住|居住)"
)
"""Words before a place name that are not part of it: the span starts after the last of them."""
LEFT_SPACE = " \t"


def _place_before(message: Message, end: int, compounds: Sequence[str]) -> int | None:
    """Return where a compound or road typed right before ``end`` (only spaces between) starts, or None."""
    text = message.folded
    stop = end
    while stop > 0 and text[stop - 1] in LEFT_SPACE:
        stop -= 1
    for name in compounds:
        if text.endswith(name, 0, stop):
            return stop - len(name)
    start = stop
    while start > 0 and "\u4e00" <= text[start - 1] <= "\u9fff" and stop - start < 10:
        start -= 1
    run = text[start:stop]
    match = GENERIC_PLACE.search(run)
    if match is None:
        return None
    cut = PLACE_CUT.match(run)
    begin = cut.end() if cut is not None else 0
    name = run[begin:]
    return stop - len(name) if len(name) >= 2 and GENERIC_PLACE.search(name) else None


def read_address(message: Message, compounds: Sequence[str]) -> str | None:
    """Return the first address as typed and mask it; later addresses mark where other people are spoken of."""
    found: str | None = None
    for match in CHAIN.finditer(message.masked):
        chain = match.group(0).rstrip()
        if not BUILDING.search(chain):
            place = _place_before(message, match.start(), compounds)
            if place is None or "号" not in chain:
                continue
        else:
            place = _place_before(message, match.start(), compounds)
        start = match.start() if place is None else place
        end = match.start() + len(chain)
        if found is None:
            found = message.text[start:end].strip()
        else:
            message.others.append(start)
        message.mask(start, end)
    if found is None:
        for name in compounds:
            at = message.masked.find(name)
            if at >= 0:
                message.mask(at, at + len(name))
                return name
    return found
