"""What the parser understood from one message: the seven fields of a check, each None when the text is silent."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FIELDS = ("address", "name", "phone", "temperature", "symptoms", "history", "measure")
"""The keys of ``lianfang parse check``, in order."""


@dataclass(frozen=True)
class Understood:
    """The fields of a check read from free text; None where the text does not say, ``[]`` symptoms for none."""

    address: str | None = None
    name: str | None = None
    phone: str | None = None
    temperature: float | None = None
    symptoms: list[str] | None = None
    history: str | None = None
    measure: str | None = None
    others: bool = False
    """The message speaks of more than one person; the fields are the first person's."""

    def as_json(self) -> dict[str, Any]:
        """Return the printed fields, exactly ``FIELDS``."""
        fields = asdict(self)
        return {key: fields[key] for key in FIELDS}

    @property
    def is_check(self) -> bool:
        """Tell whether the message reads as a check: it names a person, a place or a temperature."""
        return any(value is not None for value in self.as_json().values())
