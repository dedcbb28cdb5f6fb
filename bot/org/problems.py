"""Problems found in an org file: where they are (file, line, field) and how validators report them."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]
"""A location inside the org, such as ("groups", 2, "key")."""
Located = list[tuple[Loc, str]]
"""Problems as (location, message) pairs, the location relative to the model that found them."""

VALUE_ERROR = "org_value"  # a plain message raised by one of our validators
CROSS_FIELD_ERROR = "org_cross_field"  # ctx["problems"] holds (relative loc, message) pairs


@dataclass(frozen=True)
class Problem:
    """One problem found in an org file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        """Format as `file:line: field: message`, leaving out what is unknown."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return ": ".join(part for part in (where, self.field, self.message) if part)


class OrgError(Exception):
    """Raised when an org file cannot be loaded; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("invalid org file:\n" + "\n".join(str(problem) for problem in self.problems))


def format_field(loc: Loc) -> str:
    """Format a location such as ("groups", 2, "key") as `groups[2].key`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def invalid(message: str) -> PydanticCustomError:
    """Build a validation error whose text is exactly `message`."""
    return PydanticCustomError(VALUE_ERROR, "{message}", {"message": message})


def raise_if(problems: Located) -> None:
    """Raise one error carrying every cross-field problem with its location inside the model."""
    if problems:
        summary = "; ".join(f"{format_field(loc)}: {message}" for loc, message in problems)
        raise PydanticCustomError(CROSS_FIELD_ERROR, "{message}", {"message": summary, "problems": tuple(problems)})


def repeats(values: Iterable[Hashable]) -> list[int]:
    """Return the indices of values equal to an earlier value."""
    seen: set[Hashable] = set()
    found = []
    for index, value in enumerate(values):
        if value in seen:
            found.append(index)
        seen.add(value)
    return found
