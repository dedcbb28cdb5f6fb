"""How personal data is written: text folded for comparison, and an address split at its building.

The privacy guard (``bot.privacy``) and the masking of group messages (``handlers.shared.masking``) both read
text this way, so what one hides the other recognises.
"""

from __future__ import annotations

import re
import unicodedata

FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
NUMERALS = "0-9零〇一二三四五六七八九十两"
BUILDING = re.compile(rf"^(.*?[{NUMERALS}A-Za-z]+\s*(?:栋|幢|号楼|座|楼(?![{NUMERALS}])))")
"""A Chinese address up to its building: 朝阳新村3栋, 8号院十二幢, 幸福里A座."""
BUILDING_EN = re.compile(r"\b(?:bldg|building|block|blk|tower)\b\.?\s*(?:no\.?\s*)?#?\s*[0-9A-Za-z]+", re.IGNORECASE)
"""An English building: Bldg 3, Building No. 5, Block B."""
HOUSE_NUMBER = re.compile(rf"[{NUMERALS}]")
LONG_DIGITS = re.compile(r"\d{5,}")
INVISIBLE_CATEGORY = "Cf"
"""Unicode format characters: zero-width spaces and joiners, bidi marks, soft hyphens."""


def visible(text: str) -> str:
    """Return text without invisible characters (zero-width spaces and joiners, bidi marks)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != INVISIBLE_CATEGORY)


def normalize(text: str) -> str:
    """Return text as it is compared: NFKC (full-width to ASCII), without invisible characters, in lower case."""
    return visible(unicodedata.normalize("NFKC", text)).casefold()


def split_address(address: str) -> tuple[str, list[str]]:
    """Split an address into what a group may see (compound and building) and the hidden parts.

    Unit, floor, room and anything after the building are hidden; without a building, everything from the first
    house number on. A phone or ID number written before the building hides the lot.
    """
    address = visible(address).translate(FULLWIDTH_DIGITS).strip()
    match = BUILDING.match(address)
    if match is not None and not LONG_DIGITS.search(match.group(1)):
        kept = match.group(1)
        return kept, [address[len(kept) :]]
    english = BUILDING_EN.search(address)
    if english is not None:
        parts = [part.strip() for part in re.split(r"[,，]", address) if part.strip()]
        building = english.group(0).strip()
        compounds = [p for p in parts if not HOUSE_NUMBER.search(p)]
        hidden = [p for p in parts if HOUSE_NUMBER.search(p) and p != building]
        hidden = [p.replace(building, "").strip(" ,") for p in hidden] if building in address else hidden
        return ", ".join([*compounds, building]), [p for p in hidden if p]
    number = HOUSE_NUMBER.search(address)
    if number is not None and number.start() > 0:
        return address[: number.start()].rstrip(), [address[number.start() :]]
    if number is not None:
        return "", [address]
    half = (len(address) + 1) // 2
    return address[:half], [address[half:]]
