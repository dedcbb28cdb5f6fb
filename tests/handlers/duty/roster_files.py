"""Roster files and members for the duty tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lianfang.bot.db import session_scope
from lianfang.handlers.duty.importing import RosterImport, import_roster

from tests.fakes import Harness
from tests.screening_files import write_xlsx

HEADER = ["日期", "班次", "值班领导", "值班人员", "联系电话", "备注"]


def roster(folder: Path, rows: Sequence[Sequence[Any]], name: str = "值班表.xlsx") -> Path:
    """Write a roster with the issue's columns."""
    return write_xlsx(folder / name, HEADER, rows, title="春节值班表")


def import_file(harness: Harness, path: Path) -> RosterImport:
    """Import a roster as the CLI does, in one transaction."""
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        return import_roster(ctx, path)
