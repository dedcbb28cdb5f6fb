"""The last guard before a group chat: no person's full name, phone, ID number or address ever goes out.

The outbox runs every message not bound for a member's private chat through ``inspect`` before sending it. The
message names its subjects (the persons it is about); a loader given by the composition root reads their records.
Whatever the text looks like (full-width digits, spaces or dashes inside numbers, +86, zero-width characters
inside names, Chinese numerals), it is normalized before matching. A message that fails is not sent: it is kept
as failed with ``REASON_PRIVACY`` and the admins are told its number privately, never its content.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lianfang.bot.i18n import render
from lianfang.bot.personal_text import normalize, split_address
from lianfang.bot.types import ChatRef, OutgoingMessage, Subject, Text
from lianfang.models.members import ROLE_ADMIN, identities_of, list_members
from lianfang.models.outbox import REASON_PRIVACY, Claimed, FailureKind, enqueue, mark_failed
from sqlmodel import Session

logger = logging.getLogger(__name__)

FOUND_NAME = "name"
FOUND_PHONE = "phone"
FOUND_ID_NUMBER = "id number"
FOUND_ADDRESS = "address"
FOUND_MOBILE_PATTERN = "mobile pattern"
FOUND_ID_PATTERN = "id pattern"
FOUND_ROOM_PATTERN = "room pattern"
"""What the guard found, named without the data itself (for the log)."""

CHINESE_DIGITS = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")
DATE = re.compile(r"(?<![\d\-./])(?:19|20)\d{2}([\-./])\d{1,2}\1\d{1,2}(?![\d\-./])")
"""A written date (2020-01-28): its digits are no phone or ID number, even next to other numbers."""
DIGIT_SEPARATORS = re.compile(r"(?<=\d)[ \t\-.·_/()~—–]{1,3}(?=\d)")
SEPARATORS = re.compile(r"[\s\-.·_/()~—–,:;，、：；*]+")
MOBILE = re.compile(r"(?<!\d)(?:\+?(?:00)?86)?1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![\da-z])(?:\d{17}[\dx]|\d{15})(?![\da-z])")
ROOM = re.compile(r"\d+单元\d+|\d{3,}室|\broom\s*(?:no\.?)?\s*#?\d+|\b(?:apt|flat)\.?\s*#?\d+")
"""Addresses beyond the building, whoever they belong to: 2单元501, 301室, Room 501."""
MIN_NAME = 2
MIN_PHONE = 7
LOCAL_NUMBER = 8
"""A landline's digits after its area code (0731-84512345)."""


@dataclass(frozen=True)
class PersonalData:
    """What identifies one person, as their record holds it."""

    name: str
    address: str
    phone: str | None = None
    id_number: str | None = None


PersonLoader = Callable[[Session, Sequence[Subject]], list[PersonalData]]
"""Read the personal data of a message's subjects."""


def compact(text: str) -> str:
    """Return text normalized for matching: NFKC, no invisible characters, lower case, no spaces or separators."""
    return SEPARATORS.sub("", normalize(text))


def numbers_view(text: str, *, chinese: bool = True) -> str:
    """Return text normalized for finding numbers: dates blanked, numbers joined, Chinese numerals as digits
    (unless ``chinese`` is off: a name like 孙八 must not join the phone written after it)."""
    text = normalize(text)
    text = text.translate(CHINESE_DIGITS) if chinese else text
    text = DATE.sub("#", text)
    return DIGIT_SEPARATORS.sub("", text)


def _strings(value: Any, lang: str) -> Iterator[str]:
    """Yield a parameter as text, and each nested parameter too."""
    if isinstance(value, Text):
        yield render(value, lang)
        for param in value.params.values():
            yield from _strings(param, lang)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item, lang)
    elif value is not None:
        yield str(value)


def message_text(message: OutgoingMessage) -> str:
    """Return everything a reader of a message sees or can reach: lines, parameters, buttons, a document's words."""
    parts: list[str] = []
    for line in message.lines:
        parts += _strings(line, message.lang)
    for button in message.buttons:
        parts += _strings(button.label, message.lang)
        parts.append(button.value)
    if message.document is not None:
        parts += [message.document.file_name, message.document.text]
    return "\n".join(parts)


def find_patterns(text: str) -> list[str]:
    """Return what looks like anybody's mobile, ID number or room in a text."""
    views = (numbers_view(text), numbers_view(text, chinese=False))
    found = []
    for pattern, what in ((MOBILE, FOUND_MOBILE_PATTERN), (ID_NUMBER, FOUND_ID_PATTERN), (ROOM, FOUND_ROOM_PATTERN)):
        if any(pattern.search(view) for view in views):
            found.append(what)
    return found


def _phones(phone: str) -> list[str]:
    digits = re.sub(r"\D", "", normalize(phone))
    if len(digits) < MIN_PHONE:
        return []
    return [digits, digits[-LOCAL_NUMBER:]] if digits.startswith("0") and len(digits) > LOCAL_NUMBER else [digits]


def find_person(text: str, person: PersonalData) -> list[str]:
    """Return which of a person's data appear in a text beyond what a group may see."""
    flat = compact(text)
    flat_numbers = compact(numbers_view(text))
    found = []
    name = compact(person.name)
    if len(name) >= MIN_NAME and name in flat:
        found.append(FOUND_NAME)
    if person.phone and any(digits in flat_numbers for digits in _phones(person.phone)):
        found.append(FOUND_PHONE)
    if person.id_number and compact(person.id_number) in flat_numbers:
        found.append(FOUND_ID_NUMBER)
    _kept, hidden = split_address(person.address)
    pieces = [compact(numbers_view(piece)) for piece in [person.address, *hidden]]
    if any(len(piece) >= MIN_NAME and piece in flat_numbers for piece in pieces):
        found.append(FOUND_ADDRESS)
    return found


def inspect(message: OutgoingMessage, persons: Sequence[PersonalData]) -> list[str]:
    """Return what in a message must not reach a group chat (nothing: it may go)."""
    text = message_text(message)
    found = find_patterns(text)
    for person in persons:
        found += [item for item in find_person(text, person) if item not in found]
    return found


def guard(session: Session, message: OutgoingMessage, loader: PersonLoader | None) -> list[str]:
    """Inspect a message bound for a group chat against its subjects' records."""
    persons = loader(session, message.subjects) if loader is not None and message.subjects else []
    return inspect(message, persons)


def block(*, session: Session, claimed: Claimed, found: list[str], now: datetime) -> None:
    """Keep a message as failed for privacy, and tell each admin privately its number, never its content."""
    logger.warning("outbox message %s to a group chat blocked: it carries %s", claimed.id, ", ".join(found))
    mark_failed(session=session, message_id=claimed.id, error=REASON_PRIVACY, kind=FailureKind.PRIVACY)
    admins = list_members(session=session, roles=(ROLE_ADMIN,))
    identities = identities_of(session=session, member_ids=[admin.id for admin in admins if admin.id is not None])
    for admin in admins:
        identity = identities.get(admin.id or 0)
        if identity is None:
            continue
        chat = ChatRef(identity.platform, identity.chat_id)
        notice = OutgoingMessage(chat, (Text("privacy.blocked", {"number": claimed.id}),), admin.lang, private=True)
        enqueue(session=session, platform=chat.platform, chat_id=chat.chat_id, payload=notice.to_json(), now=now)
