"""Read a supply need typed as free text: ``东风社区急需口罩2000只、消毒液50瓶，用于卡点``.

Items are the org file's ``[supplies]`` items and the common words of ``supply_words``; a word that is neither is
no item. A quantity is a number written right after the item (``口罩2000只``, ``口罩：两千只``, ``口罩各500``) or
right before it with a unit (``2000只口罩``, ``两箱消毒液``); a number anywhere else (a date, a building, a phone)
is no quantity, and an item without one keeps ``None``: nothing is guessed. Items in a clause saying they were
given, received or counted (``口罩已收到``) or denied (``不缺口罩``, ``手套够了``) are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lianfang.handlers.shared.freetext.supply_words import (
    COMMON_ITEMS,
    NEED_WORDS,
    NOT_A_NEED,
    NOT_A_PURPOSE,
    NOT_URGENT_CONTEXT,
    NOT_URGENT_WORDS,
    ON_HAND,
    PURPOSE_PATTERNS,
    UNITS,
    URGENT_WORDS,
)
from lianfang.handlers.shared.freetext.text import CLAUSE_BREAK, alternation, fold

MAX_CHARS = 1000
MAX_QUANTITY = 10_000_000
HAN_NUMBER = "零〇一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟萬"
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?(?:\s*[万千wW])?|[{HAN_NUMBER}]+)"
UNIT = alternation(UNITS)
GAP = (
    r"(?:各|每样|每种)?\s*[:：]?\s*(?:数量|数目)?(?:为|是)?\s*[:：]?\s*(?:还|再|共|约|大约|大概|总共|一共)?"
    r"(?:需要|需|要|缺口|缺|差|申请|申领)?\s*"
)
AFTER = re.compile(rf"(?P<each>{GAP})(?P<n>{NUMBER})\s*(?P<u>{UNIT})?", re.I)
BEFORE = re.compile(rf"(?P<n>{NUMBER})\s*(?P<u>{UNIT})\s*的?\s*$", re.I)
NOT_QUANTITY_NEXT = re.compile(r"[栋幢号岁月日点时分楼层室单元块%年期户人米度次天周\d.]")
"""A number followed by one of these is a building, an age, a date or money, not a quantity."""
DENIED_BEFORE = re.compile(r"(?:不需要|不用|不缺|无需|不要|没有缺)\s*$")
DENIED_AFTER = re.compile(r"\s*(?:够了|够用|足够|充足|不缺|不用了|不要了|不需要|暂不需要|不要)")
NEXT_CLAUSE_ASK = re.compile(
    rf"\s*(?:麻烦|请|帮忙)?(?:还|再)?(?:急需|需要|需|要|缺|申请|补充|送|调|拨|发)\s*(?P<n>{NUMBER})\s*(?P<u>{UNIT})"
)
LIST_JOIN = re.compile(r"^[\s、,，和及与跟以及还有]*$")
HAN_DIGITS = {
    char: value
    for value, chars in enumerate(("零〇", "一壹", "二两贰", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖"))
    for char in chars
}
HAN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
PURPOSES = tuple(re.compile(pattern) for pattern in PURPOSE_PATTERNS)
PURPOSE_TRAIL = re.compile(r"(?:的|等|使用|用)+$")


@dataclass(frozen=True)
class SupplyItem:
    """One item a need asks for: its name, and the quantity and unit when the text gives them."""

    item: str
    quantity: int | None = None
    unit: str | None = None


@dataclass(frozen=True)
class SupplyReading:
    """What a supply message asks for; each field None when the text does not say."""

    items: tuple[SupplyItem, ...] = ()
    urgent: bool | None = None
    community: str | None = None
    """The community's key."""
    purpose: str | None = None
    asks: bool = False
    """The text has a need word (需要, 缺, 急需, 申请)."""

    def as_json(self) -> dict[str, Any]:
        """Return what ``lianfang parse supply`` prints."""
        return {
            "items": [{"item": i.item, "quantity": i.quantity, "unit": i.unit} for i in self.items],
            "urgent": self.urgent,
            "community": self.community,
            "purpose": self.purpose,
        }

    @property
    def is_need(self) -> bool:
        """Tell whether the text reads as a need: an item with a quantity, or an item and a need word."""
        return bool(self.items) and (self.asks or any(item.quantity is not None for item in self.items))


@dataclass(eq=False)
class _Found:
    item: str
    start: int
    end: int
    quantity: int | None = None
    unit: str | None = None
    span: tuple[int, int] | None = None
    each: bool = False


def han_number(word: str) -> int | None:
    """Read a Chinese number (``两千``, ``一万五千``, ``五百``, ``一万五``), or None."""
    total = section = digit = 0
    last_unit = 1
    for char in word:
        if char in HAN_DIGITS:
            digit = HAN_DIGITS[char]
        elif char in HAN_UNITS:
            last_unit = HAN_UNITS[char]
            section += (digit or 1) * last_unit
            digit = 0
        elif char in "万萬":
            total += (section + digit) * 10_000
            section = digit = 0
            last_unit = 10_000
        else:
            return None
    if digit and last_unit >= 100 and word[-2:-1] not in HAN_DIGITS:
        digit *= last_unit // 10  # 一万五 is 15000, 两千五 is 2500
    value = total + section + digit
    return value or None


def read_quantity(word: str) -> int | None:
    """Read a typed quantity (``2000``, ``2,000``, ``1.5万``, ``两千``), or None when it is no whole count in range."""
    word = word.replace(" ", "")
    if word and word[0] in HAN_NUMBER:
        value = han_number(word)
    else:
        scale = 10_000 if word[-1:] in "万wW" else 1000 if word[-1:] == "千" else 1
        number = float(word.rstrip("万千wW").replace(",", ""))
        value = int(number * scale) if (number * scale).is_integer() else None
    return value if value is not None and 1 <= value <= MAX_QUANTITY else None


@lru_cache(maxsize=8)
def _item_words(items: tuple[str, ...]) -> dict[str, str]:
    """Return each typed word's stored name: an org item by its own name, a common word by its name, or by the org
    item of that name."""
    configured = {name.casefold(): name for name in items}
    words: dict[str, str] = {}
    for name, aliases in COMMON_ITEMS.items():
        stored = configured.get(name.casefold(), name)
        for alias in aliases:
            words[alias.casefold()] = stored
    words.update(configured)
    return words


@lru_cache(maxsize=8)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Match any item word, longest first; a latin one (``N95``) not inside a longer latin word or number."""
    ordered = sorted(words, key=len, reverse=True)
    parts = [rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])" if w.isascii() else re.escape(w) for w in ordered]
    return re.compile("|".join(parts), re.I)


def _clause(text: str, position: int) -> tuple[int, int]:
    start = 0
    for match in CLAUSE_BREAK.finditer(text, 0, position):
        start = match.end()
    after = CLAUSE_BREAK.search(text, position)
    return start, after.start() if after else len(text)


def _quantity_after(text: str, found: _Found, taken: list[tuple[int, int]]) -> None:
    match = AFTER.match(text, found.end)
    if match is None:
        return
    if match.group("u") is None and (NOT_QUANTITY_NEXT.match(text, match.end()) or match.group("n")[0] in HAN_NUMBER):
        return
    quantity = read_quantity(match.group("n"))
    if quantity is None:
        return
    found.quantity, found.unit = quantity, match.group("u")
    found.each = match.group("each").lstrip().startswith(("各", "每"))
    found.span = (match.start("n"), match.end())
    taken.append(found.span)


def _quantity_before(text: str, found: _Found, taken: list[tuple[int, int]]) -> None:
    match = BEFORE.search(text, 0, found.start)
    if match is None or any(start < match.end() and match.start() < end for start, end in taken):
        return
    if match.start() > 0 and re.match(r"[\d.]", text[match.start() - 1]):
        return
    quantity = read_quantity(match.group("n"))
    if quantity is not None:
        found.quantity, found.unit = quantity, match.group("u")
        taken.append((match.start(), match.end()))


def _denied(text: str, found: _Found) -> bool:
    """Tell whether the item's clause says it was given or received, or that it is not needed."""
    clause_start, clause_end = _clause(text, found.start)
    if any(word in text[clause_start:clause_end] for word in NOT_A_NEED):
        return True
    return bool(DENIED_BEFORE.search(text, clause_start, found.start) or DENIED_AFTER.match(text, found.end))


def _on_hand(text: str, found: _Found) -> bool:
    """Tell whether the item's clause says how much is left (``防护服只剩2套了``)."""
    clause_start, clause_end = _clause(text, found.start)
    return any(word in text[clause_start:clause_end] for word in ON_HAND)


def _quantity_next_clause(text: str, found: _Found, found_all: list[_Found], taken: list[tuple[int, int]]) -> None:
    """Read ``口罩用完了，急需2000只``: the next clause asks a quantity and names no item of its own."""
    _, clause_end = _clause(text, found.start)
    if clause_end >= len(text):
        return
    gap = CLAUSE_BREAK.match(text, clause_end)
    next_start = gap.end() if gap else clause_end
    after = CLAUSE_BREAK.search(text, next_start)
    next_end = after.start() if after else len(text)
    if any(next_start <= other.start < next_end for other in found_all):
        return
    match = NEXT_CLAUSE_ASK.match(text, next_start)
    if match is None or any(start < match.end() and match.start() < end for start, end in taken):
        return
    quantity = read_quantity(match.group("n"))
    if quantity is not None:
        found.quantity, found.unit = quantity, match.group("u")
        taken.append((match.start(), match.end()))


def _share_each(text: str, found: list[_Found]) -> None:
    """Give ``口罩、手套各500只``'s quantity to every item listed before the one that carries it."""
    for index, current in enumerate(found):
        if not current.each:
            continue
        for earlier in reversed(found[:index]):
            following = found[found.index(earlier) + 1]
            if earlier.quantity is not None or not LIST_JOIN.match(text[earlier.end : following.start]):
                break
            earlier.quantity, earlier.unit = current.quantity, current.unit


def _named_better(item: str, counted: list[str]) -> bool:
    """Tell whether an item without a quantity is a kind then named with one (``口罩告急，需外科口罩3000只``)."""
    return any(other != item and other.endswith(item) for other in counted)


def read_items(text: str, items: Sequence[str] = ()) -> list[SupplyItem]:
    """Return the items a folded text asks for, in text order, each once."""
    words = _item_words(tuple(items))
    pattern = _words_pattern(tuple(words))
    found = [_Found(words[m.group().casefold()], m.start(), m.end()) for m in pattern.finditer(text)]
    found = [one for one in found if not _denied(text, one)]
    left = [one for one in found if _on_hand(text, one)]
    taken: list[tuple[int, int]] = []
    for one in found:
        if one not in left:
            _quantity_after(text, one, taken)
    for one in found:
        if one.quantity is None and one not in left:
            _quantity_before(text, one, taken)
    for one in found:
        if one.quantity is None:
            _quantity_next_clause(text, one, found, taken)
    found = [one for one in found if one not in left or one.quantity is not None]
    _share_each(text, found)
    counted = [one.item for one in found if one.quantity is not None]
    found = [one for one in found if one.quantity is not None or not _named_better(one.item, counted)]
    kept: dict[str, SupplyItem] = {}
    for one in found:
        if one.item not in kept or kept[one.item].quantity is None:
            kept[one.item] = SupplyItem(one.item, one.quantity, one.unit)
    return list(kept.values())


def read_urgency(text: str) -> bool | None:
    """Return True for 急/急需/紧急, False for 不急, None when the text does not say."""
    if any(word in text for word in NOT_URGENT_WORDS):
        return False
    cleaned = text
    for word in NOT_URGENT_CONTEXT:
        cleaned = cleaned.replace(word, " ")
    return True if any(word in cleaned for word in URGENT_WORDS) else None


def read_community(text: str, communities: Sequence[tuple[str, str]]) -> str | None:
    """Return the key of the community named first (by its name, a compound, or its name without 社区)."""
    best: tuple[int, int, str] | None = None
    for name, key in communities:
        position = text.find(name)
        if name and position >= 0 and (best is None or (position, -len(name)) < best[:2]):
            best = (position, -len(name), key)
    return best[2] if best else None


def read_purpose(text: str) -> str | None:
    """Return what the need is for (``用于卡点值守`` gives 卡点值守), or None."""
    for pattern in PURPOSES:
        match = pattern.search(text)
        if match:
            purpose = PURPOSE_TRAIL.sub("", match.group("p"))
            if len(purpose) >= 2 and not any(word in purpose for word in NOT_A_PURPOSE):
                return purpose
    return None


def community_words(communities: Sequence[tuple[str, str, Sequence[str]]]) -> list[tuple[str, str]]:
    """Return (word, key) pairs for ``read_community`` from (key, name, compounds): the name, the name without
    社区 when two characters or more are left, and each compound."""
    pairs: list[tuple[str, str]] = []
    for key, name, compounds in communities:
        pairs.append((name, key))
        short = name.removesuffix("社区")
        if short != name and len(short) >= 2:
            pairs.append((short, key))
        pairs += [(compound, key) for compound in compounds]
    return pairs


def parse_supply(text: str, *, items: Sequence[str] = (), communities: Sequence[tuple[str, str]] = ()) -> SupplyReading:
    """Read a supply need: the items (``items`` are the org file's item names), urgency, community and purpose.

    ``communities`` holds (word, community key) pairs, as ``community_words`` makes them.
    """
    folded = fold(text[:MAX_CHARS])
    found = read_items(folded, items)
    return SupplyReading(
        items=tuple(found),
        urgent=read_urgency(folded),
        community=read_community(folded, communities),
        purpose=read_purpose(folded) if found else None,
        asks=any(word in folded for word in NEED_WORDS),
    )
