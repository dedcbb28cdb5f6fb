"""Checks typed as free text: the parser's reading turned into the check form's answers, and the practised path.

A plain private message the parser reads as a check opens the check form with every field it understood filled in,
the optional fields it did not find left out, and the summary ("我理解为：…") shown at once when nothing required
is missing: one message and one tap on 提交.
"""

from __future__ import annotations

from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.types import Text
from lianfang.handlers.shared.freetext import Understood, parse_check, symptoms_answer
from lianfang.handlers.shared.labels import community_default

FORM_CHECK = "check"
MIN_FIELDS = 2
"""A plain message opens a check only when the parser reads at least this many fields: a lone name is chatter."""
OPTIONAL_FIELDS = ("phone", "temperature")
"""The check form's optional questions, not asked on the practised path when the text leaves them out."""
MAX_ADDRESS = 200
MAX_PERSON = 64
LEAD_KEYS = {False: "freetext.understood", True: "freetext.understood_first_person"}
"""The line before what was understood: plain, or saying the message spoke of more than one person."""


def compounds(ctx: Context) -> tuple[str, ...]:
    """Return the org file's compound and road names, longest first: they identify the community."""
    return tuple(name for name, _ in ctx.org.compound_index)


def understood_answers(ctx: Context, understood: Understood) -> dict[str, Any]:
    """Return the check form's answers the parser's reading gives, by form field."""
    answers: dict[str, Any] = {}
    if understood.address and len(understood.address) <= MAX_ADDRESS:
        answers["address"] = understood.address
        placed = ctx.org.place(understood.address)
        if placed is not None:
            answers["community"] = placed[1]
    if understood.name and len(understood.name) <= MAX_PERSON:
        answers["person"] = understood.name
    if understood.phone:
        answers["phone"] = understood.phone
    if understood.temperature is not None:
        answers["temperature"] = understood.temperature
    if understood.symptoms is not None:
        answers["symptoms"] = symptoms_answer(understood.symptoms)
    if understood.history:
        answers["history"] = understood.history
    if understood.measure:
        answers["measure"] = understood.measure
    return answers


def start_understood(ctx: MemberContext, understood: Understood, *, ask_optional: bool) -> None:
    """Open the check form filled in from the parser's reading; with ``ask_optional``, phone and temperature left
    out are asked too (the guided ``/check``), else they stay empty."""
    answers = understood_answers(ctx, understood)
    defaults: dict[str, Any] = community_default(ctx)
    if not ask_optional:
        defaults.update({name: None for name in OPTIONAL_FIELDS if name not in answers})
    lead = Text(LEAD_KEYS[understood.others])
    ctx.start_form(FORM_CHECK, prefill=answers, defaults=defaults, lead=lead)


def read_plain_check(ctx: MemberContext, text: str) -> bool:
    """Take a plain private message that reads as a check to the check summary; False for anything else."""
    understood = parse_check(text, compounds(ctx))
    if sum(value is not None for value in understood.as_json().values()) < MIN_FIELDS:
        return False
    start_understood(ctx, understood, ask_optional=False)
    return True
