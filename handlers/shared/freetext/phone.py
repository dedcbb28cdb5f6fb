"""The phone field: a mobile or landline number with spaces, dashes or +86, never the worker's own."""

from __future__ import annotations

import re

from lianfang.handlers.shared.freetext.text import Message

PHONE = re.compile(
    r"(?<![\d-])(?:(?:\+|00)\s*86[\s-]*)?"
    r"(?P<number>1[3-9]\d(?:[\s-]?\d){8}|[(（]?0\d{2,3}[)）]?[\s-]?\d{3,4}[\s-]?\d{4})(?![\d])"
)
"""A mainland mobile (138 1234 5678) or a landline with its area code (0731-84512345)."""
PARTIAL = re.compile(r"(?:尾号|末尾|后四位)\s*\d+")
WORKER = re.compile(r"(?:网格员|报告人|上报人|填报人|联系人[:：]?我|打我|我的?电话|我手机|有事打)")
"""Words that say a number is the worker's own, looked for just before it."""
WORKER_WINDOW = 8


def read_phone(message: Message) -> str | None:
    """Return the first number given for the person, digits only; mask every number so no other field reads it."""
    found: str | None = None
    text = message.masked
    for match in PARTIAL.finditer(text):
        message.mask(match.start(), match.end())
    for match in PHONE.finditer(message.masked):
        before = message.folded[max(0, match.start() - WORKER_WINDOW) : match.start()]
        message.mask(match.start(), match.end())
        if message.is_other(match.start()):
            message.selves.append(match.end())  # 儿子电话138…: the relative is named for the number only
        if found is None and not WORKER.search(before):  # a relative's number given for the person counts
            found = re.sub(r"\D", "", match.group("number"))
    return found
