"""Read a field worker's free-text check: each field by its extractor, in an order that keeps them apart."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lianfang.handlers.shared.freetext.address import read_address
from lianfang.handlers.shared.freetext.history import read_history
from lianfang.handlers.shared.freetext.lexicon import RELATIONS, SELVES
from lianfang.handlers.shared.freetext.masks import mask_non_fields
from lianfang.handlers.shared.freetext.measure import read_measure
from lianfang.handlers.shared.freetext.names import SURNAMES
from lianfang.handlers.shared.freetext.person import read_name
from lianfang.handlers.shared.freetext.phone import read_phone
from lianfang.handlers.shared.freetext.result import Understood
from lianfang.handlers.shared.freetext.symptoms import read_symptoms
from lianfang.handlers.shared.freetext.temperature import read_temperature
from lianfang.handlers.shared.freetext.text import CLAUSE_BREAK, Message, alternation

MAX_CHARS = 1000
"""Longer texts are read up to here: a check is a few lines, and the parser stays fast on a pasted essay."""
RELATION = re.compile(alternation(RELATIONS), re.I)
SELF = re.compile(alternation(SELVES))
PERSISTENT = ("另外", "另一户", "对门")
"""Words that turn to another household: they stay spoken of, named or not."""
CASE_AFTER = re.compile(r"(?:是|为)?(?:确诊|疑似)")
LEFTOVER = re.compile(r"[\s\W_\ue000]+")
MAX_LEFTOVER = 2
"""An address alone is a check only when little else is typed (``东风小区3栋``), not in chatter about a place."""


def _persons(message: Message) -> None:
    """Mark where the message turns to another person and back.

    A relative named (``妻子刘芳``) stays spoken of until the text turns back (``她本人``); one unnamed
    (``老伴咳嗽``) only for its clause. ``王德明的老伴`` and ``武汉回来的亲戚`` point at someone, and ``同事确诊``
    is the person's contact history: neither turns the message to another person.
    """
    text = message.folded
    for match in RELATION.finditer(text):
        start, end = match.span()
        if text[start - 1 : start] == "的" or CASE_AFTER.match(text, end):
            continue
        message.others.append(start)
        if match.group(0) not in PERSISTENT and not (
            end + 1 < len(text) and text[end] in SURNAMES and "\u4e00" <= text[end + 1] <= "\u9fff"
        ):
            brk = CLAUSE_BREAK.search(text, end)
            message.selves.append(brk.start() if brk else len(text))
    for match in SELF.finditer(message.folded):
        message.selves.append(match.start())


def parse_check(text: str, compounds: Sequence[str] = (), *, known_person: bool = False) -> Understood:
    """Read a check from free text; ``compounds`` are the org file's compound and road names, longest first.

    A text that names no person, place or temperature reads as nothing (chatter), unless ``known_person`` says it
    follows a record number (``/verify 12 无症状 居家观察``).
    """
    message = Message(text[:MAX_CHARS])
    _persons(message)
    phone = read_phone(message)
    mask_non_fields(message)
    address = read_address(message, compounds)
    name, pair = read_name(message)
    temperature = read_temperature(message, pair=pair)
    symptoms = read_symptoms(message)
    history = read_history(message)
    measure = read_measure(message)
    if name is None and address is None and temperature is None and not known_person:
        return Understood()
    if (name, temperature, phone, symptoms, history, measure) == (None,) * 6 and not known_person:
        leftover = LEFTOVER.sub("", message.masked)
        if len(leftover) > MAX_LEFTOVER:
            return Understood()
    return Understood(
        address=address,
        name=name,
        phone=phone,
        temperature=temperature,
        symptoms=symptoms,
        history=history,
        measure=measure,
        others=bool(message.others) or pair,
    )
