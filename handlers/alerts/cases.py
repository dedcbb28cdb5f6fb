"""Alerts about one person's health record: a check result, a ledger visit or a follow-up, masked and in full."""

from __future__ import annotations

from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.types import Subject, Text
from lianfang.handlers.alerts.alerts import raise_alert, source_subjects
from lianfang.handlers.shared.health import (
    HISTORY_KEYS,
    history_choices,
    known_symptoms,
    measure_choices,
    show_temperature,
)
from lianfang.handlers.shared.labels import choice_label, community_label, local_time
from lianfang.handlers.shared.masking import HISTORY_NONE, MaskedCase, masked_case


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
                "temperature": show_temperature(temperature)
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
