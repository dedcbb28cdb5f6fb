"""Free text understood: a field worker's message read as a check, offline, by rules and the domain's words."""

from lianfang.handlers.shared.freetext.answers import health_answers, symptoms_answer
from lianfang.handlers.shared.freetext.parser import parse_check
from lianfang.handlers.shared.freetext.result import FIELDS, Understood

__all__ = ["FIELDS", "Understood", "health_answers", "parse_check", "symptoms_answer"]
