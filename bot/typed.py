"""What people type on phones: fold IME forms (full width, odd spaces) and find the button a typed label names."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Final

from lianfang.bot.i18n import LANGUAGES, render
from lianfang.bot.types import Button

NFKC: Final = "NFKC"
WIDTH_TAGS = ("<wide>", "<narrow>")
"""Decomposition tags of the full- and half-width forms a Chinese IME types for ASCII."""
SPACE_CATEGORY = "Zs"
LETTER_OR_DIGIT = ("L", "N")
"""Unicode category initials a button label keeps when compared with typed text."""


def _routing_char(ch: str) -> str:
    folded = unicodedata.normalize(NFKC, ch)
    return folded if len(folded) == 1 else ch


def route_fold(text: str) -> str:
    """Return ``text`` under NFKC one character at a time (``／ｊｏｉｎ　加入：`` → ``/join 加入:``), same length.

    Keeping the length lets a parser find a command's argument at the same place in the text as typed.
    """
    return "".join(_routing_char(ch) for ch in text)


def _width_char(ch: str) -> str:
    if unicodedata.category(ch) == SPACE_CATEGORY:
        return " "
    if unicodedata.decomposition(ch).startswith(WIDTH_TAGS):
        folded = unicodedata.normalize(NFKC, ch)
        if folded.isascii() and folded.isalnum():
            return folded
    return ch


def fold_width(text: str) -> str:
    """Turn full-width letters and digits into ASCII and every kind of space into a plain one.

    For what people write (answers, a command's argument): ``Ｍ３３ＵＵＰ４Ｌ`` and ``１３８…`` become ASCII, while
    Chinese punctuation (``，：（）``) is kept as typed, since it is shown back in reports.
    """
    return "".join(_width_char(ch) for ch in text)


def match_key(text: str) -> str:
    """Return the form of typed text that is compared with words: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize(NFKC, text).casefold().split())


def label_key(text: str) -> str:
    """Return a button label or typed text reduced to its letters and digits (``✅ 确认收到`` → ``确认收到``)."""
    folded = unicodedata.normalize(NFKC, text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch).startswith(LETTER_OR_DIGIT))


def typed_button(text: str, buttons: Iterable[Button]) -> Button | None:
    """Return the first button whose label, in any language, is what ``text`` says (emoji and punctuation aside)."""
    typed = label_key(text)
    if not typed:
        return None
    for button in buttons:
        if any(label_key(render(button.label, lang)) == typed for lang in LANGUAGES):
            return button
    return None
