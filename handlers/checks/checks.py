"""Check results (排查登记): the form, the one-line shortcut, and the immediate fever/symptom alert."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import FieldError, Form, FormField, Parser, static_fields
from lianfang.bot.types import Text
from lianfang.handlers.alerts import raise_check_alert
from lianfang.handlers.checks.free_text import (
    FORM_CHECK,
    compounds,
    read_plain_check,
    start_understood,
    understood_answers,
)
from lianfang.handlers.observation import start_from_check
from lianfang.handlers.referrals import open_referral
from lianfang.handlers.shared.freetext import parse_check
from lianfang.handlers.shared.health import (
    HISTORY_KEYS,
    MEASURE_FIELD,
    NO_SYMPTOMS,
    SYMPTOM_SPLIT,
    SYMPTOMS_FIELD,
    TEMPERATURE_FIELD,
    alarming_symptoms,
    fever_threshold,
    history_choices,
    normalize_symptom,
    parse_symptoms,
    parse_temperature,
)
from lianfang.handlers.shared.labels import community_choices, community_default
from lianfang.handlers.shared.masking import HISTORY_NONE
from lianfang.handlers.shared.parsers import parse_phone, parse_text
from lianfang.models.checks import MEASURE_REFERRED, add_check

logger = logging.getLogger(__name__)

SHORTCUT_EXTRAS = ("history", "measure")
"""What the free-text parser adds to a fixed-order shortcut, which has no place for them."""
ADDRESS_HINT = re.compile(r"\d|栋|幢|单元|号|室|楼|路|街|巷|小区|村")
MAX_ADDRESS = 200
MAX_PERSON = 64
MAX_HISTORY = 500
LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z.' -]*$")
LINE_ADDRESS = "address"
LINE_PERSON = "person"
LINE_PHONE = "phone"
LINE_TEMPERATURE = "temperature"
LINE_SYMPTOMS = "symptoms"
"""The fields a one-line ``/check`` may answer, by the name of the form's field."""

LINE_PARSERS: dict[str, Parser] = {
    LINE_ADDRESS: parse_text(MAX_ADDRESS),
    LINE_PERSON: parse_text(MAX_PERSON),
    LINE_PHONE: parse_phone,
    LINE_TEMPERATURE: parse_temperature,
}


def show_history(value: Any) -> Text:
    """Show a history: a category the parser read by its label, anything typed as typed."""
    key = HISTORY_KEYS.get(str(value))
    return Text(key) if key is not None else Text.raw(str(value))


CHECK_FIELDS = (
    FormField(
        "community",
        Text("check.ask_community"),
        Text("check.label_community"),
        choices=lambda ctx, _data: community_choices(ctx.org),
    ),
    FormField("address", Text("check.ask_address"), Text("check.label_address"), parse=parse_text(MAX_ADDRESS)),
    FormField("person", Text("check.ask_person"), Text("check.label_person"), parse=parse_text(MAX_PERSON)),
    FormField("phone", Text("check.ask_phone"), Text("check.label_phone"), parse=parse_phone, optional=True),
    TEMPERATURE_FIELD,
    SYMPTOMS_FIELD,
    FormField(
        "history",
        Text("check.ask_history"),
        Text("check.label_history"),
        parse=parse_text(MAX_HISTORY),
        choices=history_choices,
        display=show_history,
    ),
    MEASURE_FIELD,
)


def submit_check(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store a check result; alert the leadership and 综合组 at once on fever or a listed symptom."""
    temperature = data.get("temperature")
    symptoms = data.get("symptoms") or NO_SYMPTOMS
    fever = temperature is not None and temperature >= fever_threshold(ctx)
    alarming = alarming_symptoms(ctx, symptoms)
    is_alert = fever or bool(alarming)
    record = add_check(
        db=ctx.connection,
        now=ctx.now,
        day=ctx.today,
        member_id=ctx.member_id,
        community=data["community"],
        compound=_compound(ctx, data["community"], data["address"]),
        address=data["address"],
        person=data["person"],
        phone=data.get("phone"),
        temperature=temperature,
        symptoms=symptoms,
        history=str(data.get("history") or HISTORY_NONE),
        measure=data["measure"],
        is_alert=is_alert,
        is_referral=data["measure"] == MEASURE_REFERRED,
    )
    logger.info("check %s stored (alert=%s)", record.id, is_alert)
    lines = [Text("check.saved", {"number": record.id})]
    if is_alert:
        raise_check_alert(ctx, record_id=record.id, data=data, symptoms=symptoms)
        lines.append(Text("check.saved_alert"))
        if data["measure"] != MEASURE_REFERRED:
            lines.append(Text("check.advice_referral"))
    if record.is_referral:
        person = {"person": record.person, "phone": record.phone, "address": record.address}
        lines.append(open_referral(ctx, community=record.community, check_id=record.id, **person))
    lines += start_from_check(ctx, record=record)
    ctx.reply(*lines)


def _compound(ctx: Context, community: str, address: str) -> str | None:
    """Return the compound or road of an address, if the org file lists it for this community."""
    placed = ctx.org.place(address)
    return placed[0] if placed is not None and placed[1] == community else None


@dataclass(frozen=True)
class CheckLine:
    """What a one-line ``/check`` gave: the answers it fills in and the words it could not place."""

    prefill: dict[str, Any]
    leftovers: list[str]


def _parsed(parser: Parser, text: str, ctx: Context) -> Any | None:
    """Return what a field's parser reads from a text, or None when the text does not fit."""
    try:
        return parser(text, ctx)
    except FieldError:
        return None


def _token_symptoms(token: str) -> list[str] | None:
    """Return the symptoms a token names (``咳嗽`` or ``发热、咳嗽``), or None unless every part is one."""
    words = [normalize_symptom(word) for word in SYMPTOM_SPLIT.split(token) if word]
    return None if not words or None in words else [word for word in words if word is not None]


def _kind(ctx: Context, token: str) -> str:
    """Name the field a token of a one-line ``/check`` looks like it answers."""
    if _parsed(parse_temperature, token, ctx) is not None:
        return LINE_TEMPERATURE
    if _parsed(parse_phone, token, ctx) is not None:
        return LINE_PHONE
    if _token_symptoms(token) is not None:
        return LINE_SYMPTOMS
    return LINE_ADDRESS if ADDRESS_HINT.search(token) else LINE_PERSON


def _separator(kind: str, before: str, token: str) -> str | None:
    """Return what joins a token to the run before it of the same kind, or None when it starts a run of its own.

    Address pieces join as written (``3栋 2单元 501`` is ``3栋2单元501``), with a space between latin letters or
    digits; latin words join into one name (``Zhang San``); a Chinese name is one token.
    """
    if kind == LINE_ADDRESS:
        latin = before[-1].isascii() and before[-1].isalnum() and token[0].isascii() and token[0].isalnum()
        return " " if latin else ""
    if kind == LINE_PERSON and LATIN_NAME.match(before) and LATIN_NAME.match(token):
        return " "
    return None


def _runs(ctx: Context, text: str) -> list[tuple[str, str]]:
    """Split a one-line ``/check`` into (kind, text) runs of adjacent tokens that belong together."""
    runs: list[tuple[str, str]] = []
    for token in text.split():
        kind = _kind(ctx, token)
        separator = _separator(kind, runs[-1][1], token) if runs and runs[-1][0] == kind else None
        if separator is None:
            runs.append((kind, token))
        else:
            runs[-1] = (kind, runs[-1][1] + separator + token)
    return runs


def parse_check_line(ctx: Context, text: str) -> CheckLine:
    """Read a one-line ``/check``: address, person, phone, temperature and symptoms, in any order.

    The first run of each kind answers its question (a second name answers the address when nothing looks like
    one); every other run is a leftover, for the user to be told, never dropped silently.
    """
    runs = _runs(ctx, text)
    has_address = any(kind == LINE_ADDRESS for kind, _ in runs)
    prefill: dict[str, Any] = {}
    symptoms: list[str] = []
    leftovers: list[str] = []
    for kind, value in runs:
        if kind == LINE_SYMPTOMS:
            symptoms += _token_symptoms(value) or []
            continue
        field = LINE_ADDRESS if kind == LINE_PERSON and LINE_PERSON in prefill and not has_address else kind
        parsed = None if field in prefill else _parsed(LINE_PARSERS[field], value, ctx)
        if parsed is None:
            leftovers.append(value)
        else:
            prefill[field] = parsed
    if symptoms:
        prefill[LINE_SYMPTOMS] = parse_symptoms(",".join(dict.fromkeys(symptoms)), ctx)
    return CheckLine(prefill, leftovers)


def check_command(ctx: MemberContext, args: str) -> None:
    """Start a check result, prefilled from what was typed after the command.

    The fixed-order shortcut (``3栋2单元501 张三 37.9 咳嗽``) is read token by token as before, with the free-text
    parser adding what the shortcut has no place for (history, measure); any other text is read by the free-text
    parser alone. Either way the questions still open follow, the optional ones included.
    """
    line = parse_check_line(ctx, args) if args else CheckLine({}, [])
    if args:
        understood = parse_check(args, compounds(ctx))
        glued = understood.name is not None and understood.name in str(line.prefill.get(LINE_ADDRESS, ""))
        if line.leftovers or glued:  # free text, not the shortcut (3栋2单元501张三 reads as one address token)
            start_understood(ctx, understood, ask_optional=True)
            return
        extra = understood_answers(ctx, understood)
        line = CheckLine({**{k: v for k, v in extra.items() if k in SHORTCUT_EXTRAS}, **line.prefill}, [])
    ctx.start_form(FORM_CHECK, prefill=line.prefill, defaults=community_default(ctx))


CHECK_FORM = Form(FORM_CHECK, Text("check.title"), static_fields(*CHECK_FIELDS), submit_check)

COMMANDS = (Command("check", check_command, aliases=("排查", "登记"), private_only=True, reads_plain=read_plain_check),)
FORMS = (CHECK_FORM,)
