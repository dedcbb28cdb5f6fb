"""What ``lianfang doctor`` finds: one finding per check, with the fix when it failed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """How a check came out: passed, failed (doctor exits non-zero), or not applicable here."""

    OK = "OK"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Finding:
    """One check's outcome: its name, what was seen, and what the operator should do when it failed."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        """Return the line doctor prints for it."""
        text = f"{self.status.value:<4} {self.name}: {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix and self.status is Status.FAIL else text


def ok(name: str, detail: str) -> Finding:
    """Return a passed check."""
    return Finding(name, Status.OK, detail)


def fail(name: str, detail: str, fix: str) -> Finding:
    """Return a failed check with its fix."""
    return Finding(name, Status.FAIL, detail, fix)


def skip(name: str, detail: str) -> Finding:
    """Return a check that does not apply to this setup."""
    return Finding(name, Status.SKIP, detail)
