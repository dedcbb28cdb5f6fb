"""Check results (排查登记): the form, the one-line shortcut, and the immediate fever/symptom alert."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, FieldError, Form, FormField, Parser, static_fields
from lianfang.bot.types import Subject, Text
from lianfang.handlers.alerts.alerts import raise_alert, source_subjects
from lianfang.handlers.observation.start import start_from_check
from lianfang.handlers.referrals.referrals import open_referral
from lianfang.handlers.shared.common import (
    FULLWIDTH_DIGITS,
    choice_label,
    community_choices,
    community_default,
    community_label,
    local_time,
    parse_text,
)
from lianfang.handlers.shared.masking import (
    HISTORY_CONTACT,
    HISTORY_NONE,
    HISTORY_OTHER,
    HISTORY_WUHAN,
    MaskedCase,
    masked_case,
)
from lianfang.models.checks import MEASURE_CENTRAL, MEASURE_HOME, MEASURE_NONE, MEASURE_REFERRED, add_check

logger = logging.getLogger(__name__)

FORM_CHECK = "check"
TEMPERATURE_MIN = 34.0
TEMPERATURE_MAX = 43.0
NO_SYMPTOMS = "无"
SYMPTOM_SPLIT = re.compile(r"[,，、;；/\s]+")
PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
TEMPERATURE_TOKEN = re.compile(r"^(\d{2}(?:[.,，]\d{1,2})?)\s*(?:°C|℃|度|C)?$", re.IGNORECASE)
"""A temperature, with a decimal point or a decimal comma (``37,9``)."""
DECIMAL_COMMAS = str.maketrans(",，", "..")
ADDRESS_HINT = re.compile(r"\d|栋|幢|单元|号|室|楼|路|街|巷|小区|村")
MAX_ADDRESS = 200
MAX_PERSON = 64
MAX_HISTORY = 500
MAX_SHOWN = 100
"""Characters of a one-line ``/check``'s leftovers quoted back to the user."""
ELLIPSIS = "…"
LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z.' -]*$")
LINE_ADDRESS = "address"
LINE_PERSON = "person"
LINE_PHONE = "phone"
LINE_TEMPERATURE = "temperature"
LINE_SYMPTOMS = "symptoms"
"""The fields a one-line ``/check`` may answer, by the name of the form's field."""

HISTORY_KEYS = {
    HISTORY_NONE: "check.history_none",
    HISTORY_WUHAN: "check.history_wuhan",
    HISTORY_CONTACT: "check.history_contact",
    HISTORY_OTHER: "privacy.history_other",
}
"""What a group chat is told of a history: its category only."""

SYMPTOM_WORDS = ("发热", "咳嗽", "乏力", "呼吸困难", "腹泻", "咽痛", "头痛")
SYMPTOM_ENGLISH = {
    "fever": "发热",
    "cough": "咳嗽",
    "fatigue": "乏力",
    "dyspnea": "呼吸困难",
    "breathless": "呼吸困难",
    "diarrhea": "腹泻",
    "sore throat": "咽痛",
    "headache": "头痛",
    "none": NO_SYMPTOMS,
    "no": NO_SYMPTOMS,
}
SYMPTOM_ALIASES = {"发烧": "发热", "咳": "咳嗽", "气促": "呼吸困难", "拉肚子": "腹泻", "没有": NO_SYMPTOMS}


def measure_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the measures a field worker can take."""
    return [
        Choice(MEASURE_HOME, Text("check.measure_home"), ("居家", "居家观察", "home")),
        Choice(MEASURE_CENTRAL, Text("check.measure_central"), ("集中", "集中观察", "central")),
        Choice(MEASURE_REFERRED, Text("check.measure_referred"), ("转诊", "发热门诊", "referred", "clinic")),
        Choice(MEASURE_NONE, Text("check.measure_none"), ("无", "none", "不需要")),
    ]


def history_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer common travel and contact histories; anything else may be typed."""
    return [
        Choice(HISTORY_NONE, Text("check.history_none"), ("无", "没有", "none", "no")),
        Choice(HISTORY_WUHAN, Text("check.history_wuhan"), ("武汉", "wuhan")),
        Choice(HISTORY_CONTACT, Text("check.history_contact"), ("接触", "contact")),
    ]


SYMPTOM_CHOICE_KEYS = ("check.symptom_0", "check.symptom_1", "check.symptom_2", "check.symptom_3", "check.symptom_4")
"""The labels of the symptoms offered as choices: the first of ``SYMPTOM_WORDS``, in order."""


def symptom_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the usual symptoms; several may be typed, separated by commas."""
    no = Choice(NO_SYMPTOMS, Text("check.symptoms_none"), ("none", "no", "没有"))
    offered = zip(SYMPTOM_WORDS, SYMPTOM_CHOICE_KEYS, strict=False)  # the other words are typed, not offered
    return [no, *(Choice(word, Text(key)) for word, key in offered)]


def parse_temperature(text: str, _ctx: Context) -> float:
    """Read a body temperature in °C within a plausible range."""
    match = TEMPERATURE_TOKEN.match(text.translate(FULLWIDTH_DIGITS).strip())
    if match is None:
        raise FieldError("check.error_temperature")
    value = float(match.group(1).translate(DECIMAL_COMMAS))
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise FieldError("check.error_temperature_range", low=TEMPERATURE_MIN, high=TEMPERATURE_MAX)
    return value


def normalize_symptom(word: str) -> str | None:
    """Map a typed symptom word (Chinese or English) to its stored Chinese form."""
    word = word.strip()
    folded = word.casefold()
    if folded in SYMPTOM_ENGLISH:
        return SYMPTOM_ENGLISH[folded]
    if word in SYMPTOM_ALIASES:
        return SYMPTOM_ALIASES[word]
    if word in SYMPTOM_WORDS or word == NO_SYMPTOMS:
        return word
    return None


def parse_symptoms(text: str, _ctx: Context) -> str:
    """Read a list of symptoms; known words are normalised, others kept as typed."""
    words = [w for w in SYMPTOM_SPLIT.split(text) if w]
    if not words:
        raise FieldError("form.error_empty")
    if len(text) > 200:
        raise FieldError("form.error_too_long", limit=200, length=len(text))
    found: list[str] = []
    for word in words:
        symptom = normalize_symptom(word) or word
        if symptom not in found:
            found.append(symptom)
    if NO_SYMPTOMS in found and len(found) > 1:
        found.remove(NO_SYMPTOMS)
    return "、".join(found)


def parse_phone(text: str, _ctx: Context) -> str:
    """Read a mainland mobile or landline number."""
    cleaned = re.sub(r"[\s()（）]", "", text.translate(FULLWIDTH_DIGITS)).removeprefix("+86")
    if not PHONE.match(cleaned):
        raise FieldError("check.error_phone")
    return cleaned


LINE_PARSERS: dict[str, Parser] = {
    LINE_ADDRESS: parse_text(MAX_ADDRESS),
    LINE_PERSON: parse_text(MAX_PERSON),
    LINE_PHONE: parse_phone,
    LINE_TEMPERATURE: parse_temperature,
}


def _show_temperature(value: Any) -> Text:
    return Text("check.temperature_value", {"value": f"{float(value):.1f}"})


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
    FormField(
        "temperature",
        Text("check.ask_temperature"),
        Text("check.label_temperature"),
        parse=parse_temperature,
        optional=True,
        display=_show_temperature,
    ),
    FormField(
        "symptoms",
        Text("check.ask_symptoms"),
        Text("check.label_symptoms"),
        parse=parse_symptoms,
        choices=symptom_choices,
    ),
    FormField(
        "history",
        Text("check.ask_history"),
        Text("check.label_history"),
        parse=parse_text(MAX_HISTORY),
        choices=history_choices,
    ),
    FormField(
        "measure",
        Text("check.ask_measure"),
        Text("check.label_measure"),
        choices=measure_choices,
    ),
)


def fever_threshold(ctx: Context) -> float:
    """Return the temperature from which a check raises an alert."""
    if ctx.settings.fever_threshold is not None:
        return ctx.settings.fever_threshold
    return ctx.org.alerts.fever_threshold


def alarming_symptoms(ctx: Context, symptoms: str) -> list[str]:
    """Return the listed alert symptoms among those recorded."""
    recorded = [s for s in symptoms.split("、") if s]
    return [s for s in recorded if s in ctx.org.alerts.symptoms]


def submit_check(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store a check result; alert the leadership and 综合组 at once on fever or a listed symptom."""
    temperature = data.get("temperature")
    symptoms = data.get("symptoms") or NO_SYMPTOMS
    fever = temperature is not None and temperature >= fever_threshold(ctx)
    alarming = alarming_symptoms(ctx, symptoms)
    is_alert = fever or bool(alarming)
    record = add_check(
        session=ctx.session,
        now=ctx.now,
        day=ctx.today,
        member_id=ctx.member.id,
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


def known_symptoms(ctx: Context) -> frozenset[str]:
    """Return the symptom words a group chat may be told: the usual ones and the org's alert symptoms."""
    return frozenset((*SYMPTOM_WORDS, NO_SYMPTOMS, *ctx.org.alerts.symptoms))


def masked_alert_case(ctx: Context, data: dict[str, Any], symptoms: str) -> MaskedCase:
    """Return the masked view of the person and health record an alert is about."""
    return masked_case(
        name=data["person"],
        address=data["address"],
        phone=data.get("phone"),
        symptoms=symptoms,
        known_symptoms=known_symptoms(ctx),
        history=str(data.get("history") or HISTORY_NONE),
    )


def _masked_symptoms(case: MaskedCase) -> Text:
    """Return the recognised symptom words, saying so when free text was left out."""
    words = "、".join(case.symptoms)
    if not case.unlisted_symptoms:
        return Text.raw(words)
    return Text("privacy.symptoms_more", {"symptoms": words}) if words else Text("privacy.symptoms_unlisted")


def alert_lines(
    ctx: MemberContext,
    *,
    record_id: int | None,
    data: dict[str, Any],
    symptoms: str,
    masked: bool,
    title: Text | None = None,
) -> list[Text]:
    """Return the lines of an alert about one check result: built from the masked view, or in full."""
    history = str(data.get("history") or HISTORY_NONE)
    shown: dict[str, Any]
    if masked:
        case = masked_alert_case(ctx, data, symptoms)
        view = case.person
        shown = {"person": view.name, "address": view.address, "phone": view.phone}
        shown |= {"symptoms": _masked_symptoms(case), "history": Text(HISTORY_KEYS[case.history])}
    else:
        shown = {"person": data["person"], "address": data["address"], "phone": data.get("phone")}
        history_text = choice_label(history_choices(ctx, data), history) or Text.raw(history)
        shown |= {"symptoms": symptoms, "history": history_text}
    community = ctx.org.community(data["community"])
    temperature = data.get("temperature")
    lines = [
        title or Text("alert.title", {"number": record_id}),
        Text(
            "alert.person",
            {
                "community": community_label(community) if community else Text.raw(data["community"]),
                "address": shown["address"],
                "person": shown["person"],
            },
        ),
        Text(
            "alert.health",
            {
                "temperature": _show_temperature(temperature)
                if temperature is not None
                else Text("alert.no_temperature"),
                "symptoms": shown["symptoms"],
            },
        ),
        Text("alert.history", {"history": shown["history"]}),
        Text("alert.measure", {"measure": choice_label(measure_choices(ctx, data), data["measure"])}),
        Text("alert.by", {"name": ctx.member.name, "time": local_time(ctx, ctx.now)}),
    ]
    if shown["phone"]:
        lines.insert(2, Text("alert.phone", {"phone": shown["phone"]}))
    return lines


def raise_check_alert(
    ctx: MemberContext,
    *,
    record_id: int | None,
    data: dict[str, Any],
    symptoms: str,
    title: Text | None = None,
    visit_id: int | None = None,
    subjects: tuple[Subject, ...] = (),
) -> None:
    """Alert at once about a check result or a ledger visit (see ``handlers.alerts.raise_alert``)."""
    check_id = None if visit_id is not None else record_id
    raise_alert(
        ctx,
        check_id=check_id,
        visit_id=visit_id,
        community=data["community"],
        masked=alert_lines(ctx, record_id=record_id, data=data, symptoms=symptoms, masked=True, title=title),
        full=alert_lines(ctx, record_id=record_id, data=data, symptoms=symptoms, masked=False, title=title),
        subjects=(*subjects, *source_subjects(check_id=check_id, visit_id=visit_id)),
    )


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
    """Start a check result, prefilled from a one-line entry; say which words of it were not understood."""
    line = parse_check_line(ctx, args) if args else CheckLine({}, [])
    if line.leftovers:
        shown = " ".join(line.leftovers)
        ctx.reply("check.line_leftovers", tokens=shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN] + ELLIPSIS)
    ctx.start_form(FORM_CHECK, prefill=line.prefill, defaults=community_default(ctx))


CHECK_FORM = Form(FORM_CHECK, Text("check.title"), static_fields(*CHECK_FIELDS), submit_check)

COMMANDS = (Command("check", check_command, aliases=("排查", "登记"), private_only=True),)
FORMS = (CHECK_FORM,)
