"""Free text understood: a field worker's message read as a check or a supply need, offline, by rules and the
domain's words."""

from lianfang.handlers.shared.freetext.answers import health_answers, symptoms_answer
from lianfang.handlers.shared.freetext.parser import parse_check
from lianfang.handlers.shared.freetext.result import FIELDS, Understood
from lianfang.handlers.shared.freetext.supply import (
    SupplyItem,
    SupplyReading,
    community_words,
    parse_supply,
)
from lianfang.handlers.shared.freetext.supply_words import DEFAULT_UNITS

__all__ = [
    "DEFAULT_UNITS",
    "FIELDS",
    "SupplyItem",
    "SupplyReading",
    "Understood",
    "community_words",
    "health_answers",
    "parse_check",
    "parse_supply",
    "symptoms_answer",
]
