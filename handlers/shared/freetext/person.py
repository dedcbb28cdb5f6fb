"""The name field: the checked person's own name, never the addressee, the worker, a doctor or a relative."""

from __future__ import annotations

import re

from lianfang.handlers.shared.freetext.lexicon import RELATIONS, words
from lianfang.handlers.shared.freetext.names import (
    COMMON_WORDS,
    COMPOUND_SURNAMES,
    LABELS,
    OFFICIALS,
    PREFIX_TITLES,
    SURNAMES,
    TITLES,
    WORKER_LABELS,
)
from lianfang.handlers.shared.freetext.text import Message, alternation

WORDS = frozenset(COMMON_WORDS) | frozenset(LABELS) | frozenset(RELATIONS) | frozenset(OFFICIALS)
LONGEST_WORD = max(len(word) for word in WORDS)
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
LATIN_NAME = re.compile(r"\b(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+|[A-Z][a-z]{1,6}(?:\s+[A-Z][a-z]{1,6}){1,2})\b")
LATIN_NOT_NAMES = frozenset(
    words(
        "wuhan|hubei|changsha|hunan|beijing|shanghai|shenzhen|guangzhou|changde|yueyang|fever|cough|home|no|none|"
        "fine|ok|temp|sent|back|from|the|central|contact|close|quarantine|hospital|clinic|symptoms|all|good"
    )
)
POINTER = re.compile(r"^的?(?:" + "|".join(RELATIONS) + ")")
"""``王德明的老伴``: a relative's name that points at the person, who is then unnamed."""
BEFORE_WINDOW = 6
PAIR_JOINER = re.compile(r"[\s和与及跟、,，/]{1,3}")
TITLE = re.compile(alternation(TITLES))
NOT_THE_PERSON_BEFORE = re.compile("(?:" + "|".join(re.escape(w) for w in (*WORKER_LABELS, *RELATIONS)) + ")$")
"""A worker's label or a relation right before a name: the name is not the person checked's."""
COMPOUND_SURNAME = re.compile(alternation(COMPOUND_SURNAMES))
OFFICIAL = re.compile(alternation(OFFICIALS))
PARTICLES = frozenset("的了说讲是在和与及跟不没无冇未也都男女已从到去回")
MAX_GIVEN = 2


def _word_at(text: str, at: int, *, shortest: int = 1) -> str | None:
    """Return the longest everyday word starting at a position, if any is at least ``shortest`` long."""
    for size in range(min(LONGEST_WORD, len(text) - at), shortest - 1, -1):
        if text[at : at + size] in WORDS:
            return text[at : at + size]
    return None


def _title_at(text: str, at: int) -> str | None:
    match = TITLE.match(text, at)
    return match.group(0) if match else None


def _official_at(text: str, at: int) -> bool:
    return OFFICIAL.match(text, at) is not None


def _one_more(run: str, at: int) -> bool:
    """Tell whether exactly one character that starts no word stands at ``at`` before the run ends or a word starts."""
    if at >= len(run) or _word_at(run, at, shortest=2) or run[at] in PARTICLES:
        return False
    return at + 1 == len(run) or _word_at(run, at + 1, shortest=1) is not None


def _candidate(run: str, at: int) -> tuple[str, int] | None:
    """Read a name starting at ``at`` in a run of Han characters: (name as typed, where it ends) or None."""
    compound = COMPOUND_SURNAME.match(run, at)
    surname = compound.group(0) if compound else None
    if surname is None and run[at] in PREFIX_TITLES and at + 1 < len(run) and run[at + 1] in SURNAMES:
        end = at + 2
        if end == len(run) or _word_at(run, end) or _title_at(run, end):
            return run[at:end], end
        return None
    if surname is None:
        if run[at] not in SURNAMES:
            return None
        surname = run[at]
    end = at + len(surname)
    limit = end + MAX_GIVEN
    while end < len(run) and end < limit:
        if _official_at(run, end):
            return None
        title = _title_at(run, end)
        if title is not None:
            if end == at + len(surname):
                return run[at : end + len(title)], end + len(title)
            break
        # a name's given characters may be words of their own (张家豪, 郭沫若); a particle ends the name unless it
        # is the first given character with one more after it (沈从文, but not 王从武汉)
        first = end == at + len(surname)
        if _word_at(run, end, shortest=2) or (run[end] in PARTICLES and not (first and _one_more(run, end + 1))):
            break
        end += 1
    if end == at + len(surname):
        return None
    if end == limit and end < len(run) and not (_word_at(run, end) or _title_at(run, end)):
        if _official_at(run, end):
            return None
        if run[end - 1] in SURNAMES and len(surname) == 1:
            end -= 1  # 何强何丽: two names typed together
    return run[at:end], end


def _excluded(message: Message, start: int) -> bool:
    """Tell whether a name at a position belongs to someone other than the person checked."""
    before = message.folded[max(0, start - BEFORE_WINDOW) : start].rstrip(" :：")
    if before.endswith("@") or NOT_THE_PERSON_BEFORE.search(before):
        return True
    return message.is_other(start)


def _han_names(message: Message) -> list[tuple[int, int, str | None]]:
    found: list[tuple[int, int, str | None]] = []
    for match in HAN_RUN.finditer(message.masked):
        run, base = match.group(0), match.start()
        at = 0
        while at < len(run):
            word = _word_at(run, at, shortest=2)
            candidate = None if word else _candidate(run, at)
            if candidate is None:
                at += len(word) if word else 1
                continue
            name, end = candidate
            if POINTER.match(run[end:]):
                found.append((base + at, base + end, None))
            elif not _excluded(message, base + at):
                found.append((base + at, base + end, name))
            at = end
    return found


def read_name(message: Message) -> tuple[str | None, bool]:
    """Return the first person's name as typed (a title after a full name dropped), or None.

    Also return whether a second name is joined to it (``陈爷爷和陈奶奶``, ``何强 何丽``): the message is about a
    pair, and its readings are given in the same order.
    """
    found = _han_names(message)
    for match in LATIN_NAME.finditer(message.masked):
        words = {word.casefold() for word in match.group(0).split()}
        if not words & LATIN_NOT_NAMES and not _excluded(message, match.start()):
            found.append((match.start(), match.end(), message.text[match.start() : match.end()]))
    if not found:
        return None, False
    found.sort()
    pair = len(found) > 1 and found[0][2] is not None and found[1][2] is not None
    pair = pair and PAIR_JOINER.fullmatch(message.folded[found[0][1] : found[1][0]]) is not None
    return found[0][2], pair
