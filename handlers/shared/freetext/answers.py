"""The answers a reading gives to the health questions that checks, verifications and follow-ups share."""

from __future__ import annotations

from typing import Any

from lianfang.handlers.shared.freetext.result import Understood
from lianfang.handlers.shared.health import MEASURE_FIELD, NO_SYMPTOMS, SYMPTOMS_FIELD, TEMPERATURE_FIELD


def symptoms_answer(symptoms: list[str]) -> str:
    """Return symptoms as the symptom question stores them: ``咳嗽、乏力``, or ``无`` for none."""
    return "、".join(symptoms) or NO_SYMPTOMS


def health_answers(understood: Understood) -> dict[str, Any]:
    """Return the temperature, symptoms and measure a reading gives, by the shared questions' names."""
    answers: dict[str, Any] = {}
    if understood.temperature is not None:
        answers[TEMPERATURE_FIELD.name] = understood.temperature
    if understood.symptoms is not None:
        answers[SYMPTOMS_FIELD.name] = symptoms_answer(understood.symptoms)
    if understood.measure is not None:
        answers[MEASURE_FIELD.name] = understood.measure
    return answers
