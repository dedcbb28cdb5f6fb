"""Masking of personal data for group chats: 张*, 138****5678, 4301**********1234, 朝阳新村3栋***.

Group messages are built from a masked view (``MaskedPerson``, ``MaskedCase``) made by one function here, so no
call site masks a field by itself and none can forget one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

MASK = "*"
HIDDEN = MASK * 3
SEP = r"[ \t\-.·]?"
"""A space, dash or dot written inside a number (138 1234-5678)."""
MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)?86{SEP})?1[3-9](?:{SEP}\d){{9}}(?!\d)")
ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])\d(?:{SEP}\d){{16}}{SEP}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d(?:{SEP}\d){{14}}(?![0-9A-Za-z])"
)
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

HISTORY_NONE = "none"
HISTORY_WUHAN = "wuhan"
HISTORY_CONTACT = "contact"
HISTORY_OTHER = "other"
"""Categories of a travel or contact history: all a group chat is told of it."""
HISTORY_WORDS = {
    HISTORY_WUHAN: ("武汉", "湖北", "wuhan", "hubei"),
    HISTORY_CONTACT: ("接触", "密接", "同住", "确诊", "疑似", "病例", "contact"),
}
NO_HISTORY_WORDS = frozenset({"", HISTORY_NONE, "无", "没有", "否", "no"})


def visible(text: str) -> str:
    """Return text without invisible characters (zero-width spaces and joiners, bidi marks)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != INVISIBLE_CATEGORY)


def normalise(text: str) -> str:
    """Return text as it is compared: NFKC (full-width to ASCII), without invisible characters, in lower case."""
    return visible(unicodedata.normalize("NFKC", text)).casefold()


def mask_name(name: str) -> str:
    """Keep the first character of a name: 张三 → 张*, 欧阳娜娜 → 欧***."""
    name = visible(name).strip()
    if len(name) <= 1:
        return name and MASK
    return name[0] + MASK * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a phone number."""
    digits = re.sub(r"\D", "", phone.translate(FULLWIDTH_DIGITS))
    if len(digits) < 8:
        return MASK * len(digits)
    return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str) -> str:
    """Keep the first four and last four characters of an ID number."""
    number = visible(number).translate(FULLWIDTH_DIGITS).strip().upper()
    if len(number) <= 8:
        return MASK * len(number)
    return number[:4] + MASK * (len(number) - 8) + number[-4:]


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


def mask_address(address: str) -> str:
    """Keep the compound and building, hide the rest: 朝阳新村3栋2单元501 → 朝阳新村3栋***."""
    kept, hidden = split_address(address)
    if not any(hidden):
        return kept
    return f"{kept} {HIDDEN}" if kept and kept[-1].isascii() and kept[-1].isalnum() else kept + HIDDEN


def mask_text(text: str) -> str:
    """Mask phone and ID numbers inside free text, however they are spaced or written (full-width, +86)."""
    text = visible(text).translate(FULLWIDTH_DIGITS)
    text = ID_NUMBER.sub(lambda m: mask_id_number(re.sub(r"[^0-9Xx]", "", m.group(0))), text)
    return MOBILE.sub(lambda m: _mask_mobile(m.group(0)), text)


def _mask_mobile(found: str) -> str:
    digits = re.sub(r"\D", "", found)
    return mask_phone(digits[-11:])


def history_category(history: str | None) -> str:
    """Return the category of a travel or contact history: none, Wuhan, contact, or other."""
    folded = normalise(history or "").strip()
    if folded in NO_HISTORY_WORDS:
        return HISTORY_NONE
    for category, words in HISTORY_WORDS.items():
        if folded == category or any(word in folded for word in words):
            return category
    return HISTORY_OTHER


@dataclass(frozen=True)
class MaskedPerson:
    """A person as a group chat may see them; every field is already masked."""

    name: str
    address: str
    phone: str | None = None
    id_number: str | None = None


@dataclass(frozen=True)
class MaskedCase:
    """A person's health record as a group chat may see it: recognised symptom words and the history's category."""

    person: MaskedPerson
    symptoms: tuple[str, ...]
    """Only the recognised symptom words; free text never reaches a group."""
    unlisted_symptoms: bool
    """Something else was written too (it stays in the full, private copy)."""
    history: str
    """One of the ``HISTORY_*`` categories."""


def masked_person(
    *, name: str, address: str, phone: str | None = None, id_number: str | None = None
) -> MaskedPerson:
    """Project a person's record onto what a group may see."""
    return MaskedPerson(
        name=mask_name(name),
        address=mask_address(address),
        phone=mask_phone(phone) if phone else None,
        id_number=mask_id_number(id_number) if id_number else None,
    )


def masked_case(
    *,
    name: str,
    address: str,
    phone: str | None = None,
    id_number: str | None = None,
    symptoms: str,
    known_symptoms: Collection[str],
    history: str | None,
) -> MaskedCase:
    """Project a health record onto what a group may see; ``symptoms`` is the stored 、-separated list."""
    recorded = [word.strip() for word in symptoms.split("、") if word.strip()]
    recognised = tuple(word for word in recorded if word in known_symptoms)
    return MaskedCase(
        person=masked_person(name=name, address=address, phone=phone, id_number=id_number),
        symptoms=recognised,
        unlisted_symptoms=len(recognised) < len(recorded),
        history=history_category(history),
    )
