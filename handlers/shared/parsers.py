"""Parsers of typed answers shared by the features: free text, whole numbers and record numbers."""

from __future__ import annotations

import re

from lianfang.bot.context import Context
from lianfang.bot.forms import FieldError, Parser
from lianfang.models.base import MAX_ID

NUMBER_PREFIXES = "#＃№"
DIGITS = re.compile(r"[0-9]+")
MAX_RECORD_DIGITS = len(str(MAX_ID))
NO_RECORD = 0
"""What a number too large to be any record reads as: ids start at 1, so it finds nothing."""
MAX_NUMBER_SHOWN = 12
"""Characters of a typed number echoed back in a "no such number" answer."""
PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
"""A mainland mobile or landline number, once spaces, brackets and +86 are gone."""
PHONE_NOISE_CHARS = re.compile(r"[\s()（）]")
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－", "0123456789.-")


def parse_text(max_length: int) -> Parser:
    """Return a parser for free text up to ``max_length`` characters."""

    def parse(text: str, _ctx: Context) -> str:
        if not text:
            raise FieldError("form.error_empty")
        if len(text) > max_length:
            raise FieldError("form.error_too_long", limit=max_length, length=len(text))
        return text

    return parse


def read_int(text: str, low: int, high: int) -> int:
    """Read a whole number within [low, high], Chinese full-width digits accepted; raise FieldError otherwise."""
    cleaned = text.translate(FULLWIDTH_DIGITS).replace(",", "").replace("，", "").strip()
    try:
        value = int(cleaned)
    except ValueError:
        raise FieldError("form.error_not_int") from None
    if not low <= value <= high:
        raise FieldError("form.error_int_range", low=low, high=high)
    return value


def parse_int(low: int, high: int) -> Parser:
    """Return a form parser for a whole number within [low, high] (see ``read_int``)."""

    def parse(text: str, _ctx: Context) -> int:
        return read_int(text, low, high)

    return parse


def parse_record_number(text: str) -> int | None:
    """Read a record number typed as ``12``, ``#12`` or ``＃１２``; None when the text is not a number.

    A number beyond any id reads as ``NO_RECORD``, so the caller's lookup finds nothing and says so.
    """
    ref = text.strip().translate(FULLWIDTH_DIGITS).lstrip(NUMBER_PREFIXES).strip()
    if not DIGITS.fullmatch(ref):
        return None
    if len(ref) > MAX_RECORD_DIGITS or int(ref) > MAX_ID:
        return NO_RECORD
    return int(ref)


def shown_number(text: str) -> str:
    """Return a typed number as it is echoed back in a "no such number" answer: trimmed and cut short."""
    return text.strip()[:MAX_NUMBER_SHOWN] or "-"


def phone_of(text: str) -> str:
    """Return the mainland mobile or landline number a text holds, cleaned; raise a field error if it holds none."""
    cleaned = PHONE_NOISE_CHARS.sub("", text.translate(FULLWIDTH_DIGITS)).removeprefix("+86")
    if not PHONE.match(cleaned):
        raise FieldError("check.error_phone")
    return cleaned


def parse_phone(text: str, _ctx: Context) -> str:
    """Read a mainland mobile or landline number typed as a form answer."""
    return phone_of(text)
