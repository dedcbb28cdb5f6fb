"""Chinese resident ID numbers (GB 11643-1999): check digit, date of birth, sex and age."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Final

CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
"""Check character by (weighted sum mod 11)."""
MODULUS = 11
ID_LENGTH = 18
OLD_ID_LENGTH = 15
OLD_ID_CENTURY = "19"
"""15-digit numbers were issued to people born in the 1900s; the century is inserted to upgrade them."""
EARLIEST_BIRTH = date(1850, 1, 1)
"""Early enough for the sample number in GB 11643-1999 itself (born 1880)."""
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
OLD_ID_PATTERN = re.compile(r"^\d{15}$")
NORMAL_FORM: Final = "NFKC"
SEPARATORS = re.compile(r"[\s\-]")
SEX_MALE = "male"
SEX_FEMALE = "female"

ERROR_FORMAT = "format"
ERROR_CHECKSUM = "checksum"
ERROR_BIRTH = "birth"


class IdNumberError(ValueError):
    """An ID number that is not valid; ``reason`` is one of the ERROR_* names."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdInfo:
    """What an ID number tells: the normalized 18-character number, date of birth and sex."""

    number: str
    birth: date
    sex: str

    def age_on(self, day: date) -> int:
        """Return the age in whole years on a day."""
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))


def check_char(first17: str) -> str:
    """Return the check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARS[total % MODULUS]


def _birth(digits: str) -> date:
    try:
        return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdNumberError(ERROR_BIRTH) from None


def parse_id_number(text: str, *, today: date) -> IdInfo:
    """Validate an 18-digit (or old 15-digit) ID number and return it normalized to 18 characters.

    Old 15-digit numbers have no check digit; they are upgraded (century 19 inserted, check digit computed)
    so that the same person is one record whichever form a list uses.
    """
    # NFKC turns full-width digits and Ｘ (typed with a Chinese input method) into ASCII before any check.
    number = SEPARATORS.sub("", unicodedata.normalize(NORMAL_FORM, text)).upper()
    if OLD_ID_PATTERN.match(number):
        birth = _birth(OLD_ID_CENTURY + number[6:12])
        first17 = number[:6] + OLD_ID_CENTURY + number[6:]
        number = first17 + check_char(first17)
    elif ID_PATTERN.match(number):
        birth = _birth(number[6:14])
        if check_char(number[:17]) != number[17]:
            raise IdNumberError(ERROR_CHECKSUM)
    else:
        raise IdNumberError(ERROR_FORMAT)
    if not EARLIEST_BIRTH <= birth <= today:
        raise IdNumberError(ERROR_BIRTH)
    sex = SEX_MALE if int(number[16]) % 2 else SEX_FEMALE
    return IdInfo(number=number, birth=birth, sex=sex)


def id_info(number: str | None, *, today: date) -> IdInfo | None:
    """Return what a stored ID number tells, or None when there is none or it is not valid."""
    if not number:
        return None
    try:
        return parse_id_number(number, today=today)
    except IdNumberError:
        return None
