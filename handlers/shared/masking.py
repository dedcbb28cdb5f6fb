"""Masking of personal data for group chats: 张*, 138****5678, 4301**********1234, 朝阳新村3栋***.

Group messages are built from a masked view (``MaskedPerson``, ``MaskedCase``) made by one function here, so no
call site masks a field by itself and none can forget one.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from lianfang.bot.personal_text import FULLWIDTH_DIGITS, normalize, split_address, visible

MASK = "*"
HIDDEN = MASK * 3
SEP = r"[ \t\-.·]?"
"""A space, dash or dot written inside a number (138 1234-5678)."""
MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)?86{SEP})?1[3-9](?:{SEP}\d){{9}}(?!\d)")
ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])\d(?:{SEP}\d){{16}}{SEP}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d(?:{SEP}\d){{14}}(?![0-9A-Za-z])"
)
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
    folded = normalize(history or "").strip()
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


def masked_person(*, name: str, address: str, phone: str | None = None, id_number: str | None = None) -> MaskedPerson:
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
