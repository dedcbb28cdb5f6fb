"""Health: body temperature, symptom words, travel histories, measures and when a record is alarming."""

from __future__ import annotations

import re
from typing import Any

from lianfang.bot.context import Context
from lianfang.bot.forms import Choice, FieldError, FormField
from lianfang.bot.types import Text
from lianfang.handlers.shared.alert_settings import ALERTS
from lianfang.handlers.shared.masking import HISTORY_CONTACT, HISTORY_NONE, HISTORY_OTHER, HISTORY_WUHAN
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS
from lianfang.models.checks import MEASURE_CENTRAL, MEASURE_HOME, MEASURE_NONE, MEASURE_REFERRED

TEMPERATURE_MIN = 34.0
TEMPERATURE_MAX = 43.0
NO_SYMPTOMS = "无"
SYMPTOM_SPLIT = re.compile(r"[,，、;；/\s]+")
TEMPERATURE_TOKEN = re.compile(r"^(\d{2}(?:[.,，]\d{1,2})?)\s*(?:°C|℃|度|C)?$", re.IGNORECASE)
"""A temperature, with a decimal point or a decimal comma (``37,9``)."""
DECIMAL_COMMAS = str.maketrans(",，", "..")
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
HISTORY_KEYS = {
    HISTORY_NONE: "check.history_none",
    HISTORY_WUHAN: "check.history_wuhan",
    HISTORY_CONTACT: "check.history_contact",
    HISTORY_OTHER: "privacy.history_other",
}
"""What a group chat is told of a history: its category only."""


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
    """Read a list of symptoms; known words are normalized, others kept as typed."""
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


def show_temperature(value: Any) -> Text:
    """Show a recorded temperature to one decimal."""
    return Text("check.temperature_value", {"value": f"{float(value):.1f}"})


def fever_threshold(ctx: Context) -> float:
    """Return the temperature from which a check raises an alert."""
    if ctx.settings.fever_threshold is not None:
        return ctx.settings.fever_threshold
    return ALERTS.of(ctx.org).fever_threshold


def alarming_symptoms(ctx: Context, symptoms: str) -> list[str]:
    """Return the listed alert symptoms among those recorded."""
    recorded = [s for s in symptoms.split("、") if s]
    return [s for s in recorded if s in ALERTS.of(ctx.org).symptoms]


def known_symptoms(ctx: Context) -> frozenset[str]:
    """Return the symptom words a group chat may be told: the usual ones and the org's alert symptoms."""
    return frozenset((*SYMPTOM_WORDS, NO_SYMPTOMS, *ALERTS.of(ctx.org).symptoms))


TEMPERATURE_FIELD = FormField(
    "temperature",
    Text("check.ask_temperature"),
    Text("check.label_temperature"),
    parse=parse_temperature,
    optional=True,
    display=show_temperature,
)
SYMPTOMS_FIELD = FormField(
    "symptoms",
    Text("check.ask_symptoms"),
    Text("check.label_symptoms"),
    parse=parse_symptoms,
    choices=symptom_choices,
)
MEASURE_FIELD = FormField("measure", Text("check.ask_measure"), Text("check.label_measure"), choices=measure_choices)
