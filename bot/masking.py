"""Masking of personal data for group chats: 张*, 138****5678, 4301**********1234."""

from __future__ import annotations

import re

MASK = "*"
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})(\d{10}|\d{7})(\d{3}[\dXx])(?![0-9A-Za-z])")
LAST_DIGITS = re.compile(r"\d+(?=\D*$)")


def mask_name(name: str) -> str:
    """Keep the first character of a name: 张三 → 张*, 欧阳娜娜 → 欧***."""
    name = name.strip()
    if len(name) <= 1:
        return name and MASK
    return name[0] + MASK * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a phone number."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return MASK * len(digits)
    return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str) -> str:
    """Keep the first four and last four characters of an ID number."""
    number = number.strip()
    if len(number) <= 8:
        return MASK * len(number)
    return number[:4] + MASK * (len(number) - 8) + number[-4:]


def mask_address(address: str) -> str:
    """Hide the house or room number at the end of an address: 3栋2单元501 → 3栋2单元***."""
    address = address.strip()
    if LAST_DIGITS.search(address):
        return LAST_DIGITS.sub(lambda m: MASK * len(m.group(0)), address, count=1)
    return address[: (len(address) + 1) // 2] + MASK * 3


def mask_text(text: str) -> str:
    """Mask phone and ID numbers inside free text."""
    text = ID_NUMBER.sub(lambda m: m.group(1) + MASK * len(m.group(2)) + m.group(3), text)
    return MOBILE.sub(lambda m: m.group(1) + MASK * 4 + m.group(3), text)
