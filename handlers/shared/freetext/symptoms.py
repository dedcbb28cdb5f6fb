"""The symptoms field: the seven symptoms the person has now, never a negated, resolved or conditional one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lianfang.handlers.shared.freetext.lexicon import (
    CONDITIONAL_AFTER,
    CONDITIONALS,
    EVERYONE,
    NEGATED_AFTER,
    NEGATION_LIST_JOINERS,
    NEGATIONS,
    NO_COMPLAINT,
    NOT_RESOLVED,
    OTHER_COMPLAINTS,
    POSITIVE_AFTER,
    RESOLVED_AFTER,
    SPLIT_SYMPTOMS,
    SYMPTOM_WORDS,
)
from lianfang.handlers.shared.freetext.text import Message, alternation

SYMPTOM = re.compile(alternation([*SYMPTOM_WORDS, *SPLIT_SYMPTOMS]), re.I)
NO_COMPLAINT_WORDS = re.compile(alternation([*NO_COMPLAINT, *OTHER_COMPLAINTS]), re.I)
NO_SYMPTOM_LABEL = re.compile(
    r"(?:症状|symptoms?)\s*[:：]?\s*(?:无|没有|冇|none|no\b|否)|(?:^|\s)无(?=\s|$)"
    r"|(?:没|无|冇|未见|未发现)(?:有|得)?(?:啥|什么|任何|明显|其他|别的)?(?:症状|不适|异常|不舒服|毛病)",
    re.I,
)
"""``症状：无``, a lone ``无``, and the ways of saying "nothing wrong" the word list does not spell out."""
MEASURE_LABEL = re.compile(r"(?:措施|处置|处理)\s*[:：]?\s*$")
RESOLUTION_LEAD = re.compile(r"^[\s,，]*(?:今天|现在|目前|已经|现|已|都|也)*")
AFTER_WINDOW = 10
NEGATION_WINDOW = 10
EVERYONE_WINDOW = 6
PLACE_AFTER = "门诊"
"""发热门诊 is a place, not a symptom."""
REVERSAL_BEFORE = "退"
"""退烧: a fever that went down."""


@dataclass(frozen=True)
class Mention:
    """One symptom word in the message and what the text says of it."""

    start: int
    end: int
    symptom: str
    negated: bool
    cue: str


def _negation_before(prefix: str) -> str:
    """Return the negation that ends ``prefix`` (``不``, ``没有``, ``no ``), or an empty string."""
    folded = prefix.casefold()
    return next((cue.strip() for cue in NEGATIONS if folded.endswith(cue)), "")


def about_everyone(message: Message, start: int, end: int) -> bool:
    """Tell whether the words around a span speak of everyone (``均无症状``, ``都是武汉回来的``)."""
    near = message.folded[max(0, start - EVERYONE_WINDOW) : end + EVERYONE_WINDOW]
    return any(word in near for word in EVERYONE)


def _resolved(message: Message, end: int) -> bool:
    raw = message.folded[end : end + AFTER_WINDOW].lstrip(" ,，")
    lead = RESOLUTION_LEAD.match(raw)
    after = raw[lead.end() :] if lead else raw
    if any(after.startswith(word) for word in NOT_RESOLVED):
        return False
    return any(text.startswith(word) for text in (raw, after) for word in RESOLVED_AFTER)


def _conditional(message: Message, start: int, end: int) -> bool:
    clause = message.folded[message.clause_start(start) : start]
    if any(cue in clause for cue in CONDITIONALS):
        return True
    after = message.folded[end : end + AFTER_WINDOW]
    stop = re.search(r"[\s,，;；。]", after)
    return any(cue in after[: stop.start() if stop else None] for cue in CONDITIONAL_AFTER)


def _mentions(message: Message) -> list[Mention]:
    text = message.masked
    mentions: list[Mention] = []
    for match in SYMPTOM.finditer(text):
        start, end = match.span()
        word = match.group(0)
        if (
            text.startswith(PLACE_AFTER, end)
            or text[end:].casefold().startswith(" clinic")
            or (start > 0 and text[start - 1] == REVERSAL_BEFORE)
        ):
            continue
        if message.is_other(start) and not about_everyone(message, start, end):
            continue
        symptom = SYMPTOM_WORDS.get(word) or SYMPTOM_WORDS.get(word.casefold()) or SPLIT_SYMPTOMS[word]
        if _conditional(message, start, end):
            continue
        if _resolved(message, end):
            mentions.append(Mention(start, end, symptom, True, ""))  # a health statement, but not a symptom now
            continue
        cue = _negation_before(message.folded[max(0, start - NEGATION_WINDOW) : start])
        negated = bool(cue)
        if not negated and mentions:
            previous = mentions[-1]
            gap = message.folded[previous.end : start]
            joined = all(ch in NEGATION_LIST_JOINERS for ch in gap) or (previous.cue == "否认" and not gap.strip())
            if previous.negated and joined:
                negated, cue = True, previous.cue
        after = message.folded[end : end + 3]
        if any(after.startswith(mark) for mark in NEGATED_AFTER):
            negated = True
        if any(after.startswith(mark) for mark in POSITIVE_AFTER):
            negated = False
        mentions.append(Mention(start, end, symptom, negated, cue))
    return mentions


def _says_none(message: Message) -> bool:
    """Tell whether the message makes a health statement about the person that names none of the seven."""
    text = message.masked
    for pattern in (NO_COMPLAINT_WORDS, NO_SYMPTOM_LABEL):
        for match in pattern.finditer(text):
            start = match.start()
            if MEASURE_LABEL.search(message.folded[max(0, start - 4) : start]):
                continue
            if message.is_other(start) and not about_everyone(message, start, match.end()):
                continue
            return True
    return False


def read_symptoms(message: Message) -> list[str] | None:
    """Return the person's current symptoms, sorted; ``[]`` when the text says none; None when it says nothing."""
    mentions = _mentions(message)
    present = sorted({mention.symptom for mention in mentions if not mention.negated})
    if present:
        return present
    if mentions or _says_none(message):
        return []
    return None
