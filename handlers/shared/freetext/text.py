"""Normalising a message: full-width folding that keeps every position, Chinese numerals, and masking."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FOLD_TABLE = {**FULLWIDTH, 0x3000: ord(" "), 0x00A0: ord(" "), ord("。"): ord(" "), ord("；"): ord(";")}
"""Full-width ASCII to ASCII and odd blanks to spaces: one character for one, so a span maps back to the text."""
MASK = "\ue000"
"""What a consumed span is overwritten with: no extractor reads it as a digit, a letter or a Han character."""
HAN_DIGIT_CLASS = "零〇一二两三四五六七八九"
HAN_DIGITS = {char: (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9)[index] for index, char in enumerate(HAN_DIGIT_CLASS)}
CLAUSE_BREAK = re.compile(r"[\s,;!?、，；！？。:：()（）\[\]【】~…]+")


def alternation(words: Iterable[str]) -> str:
    """Return a regex matching any of the words, longest first, latin ones whole.

    A lookahead on the words' first characters comes first: Python's regex engine would otherwise try every
    alternative at every position, which made this the parser's slowest step.
    """
    ordered = sorted({word.strip() for word in words if word.strip()}, key=len, reverse=True)
    firsts = {word[0].casefold() for word in ordered} | {word[0].upper() for word in ordered}
    parts = [rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word) for word in ordered]
    return "(?=[" + re.escape("".join(sorted(firsts))) + "])(?:" + "|".join(parts) + ")"


def fold(text: str) -> str:
    """Fold full-width ASCII to ASCII and odd blanks to spaces, keeping the length."""
    return text.translate(FOLD_TABLE)


def han_int(word: str) -> int | None:
    """Read a Chinese whole number under 100 (``三十七``, ``十二``, ``三七``), or None."""
    if not word:
        return None
    if "十" in word:
        tens, _, ones = word.partition("十")
        if "十" in ones:
            return None
        high = HAN_DIGITS.get(tens, -1) if tens else 1
        low = HAN_DIGITS.get(ones, -1) if ones else 0
        return None if high < 0 or low < 0 else high * 10 + low
    value = 0
    for char in word:
        if char not in HAN_DIGITS:
            return None
        value = value * 10 + HAN_DIGITS[char]
    return value


@dataclass
class Message:
    """One message being read: the text as typed, its folded form, and a working copy with consumed spans masked."""

    text: str
    folded: str = ""
    work: list[str] = field(default_factory=list)
    others: list[int] = field(default_factory=list)
    """Where the message turns to another person (a relative, a second address)."""
    selves: list[int] = field(default_factory=list)
    """Where it turns back to the person checked (本人, 她)."""

    def __post_init__(self) -> None:
        self.folded = fold(self.text)
        self.work = list(self.folded)

    @property
    def masked(self) -> str:
        """Return the working copy as a string."""
        return "".join(self.work)

    def mask(self, start: int, end: int) -> None:
        """Overwrite a consumed span."""
        self.work[start:end] = MASK * (end - start)

    def is_other(self, position: int) -> bool:
        """Tell whether the words at a position are about someone other than the person checked."""
        other = max((p for p in self.others if p <= position), default=-1)
        self_ = max((p for p in self.selves if p <= position), default=-1)
        return other > self_

    def clause_start(self, position: int) -> int:
        """Return where the clause holding a position starts."""
        start = 0
        for match in CLAUSE_BREAK.finditer(self.folded, 0, position):
            start = match.end()
        return start
