"""A drill's ``set:`` lines: org settings changed for one drill, on top of its org file, checked by the org schema.

Each line is one TOML key/value with a dotted key, ``supervision.accountability_days = 1``. Tables merge key by key;
any other value, a list included, replaces the file's whole. The merged org is written as a TOML file of its own, so
the drill's ``$ lianfang`` lines read the same settings as the app does.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from lianfang.bot.org import Org, OrgError, Problem, format_field, load_org
from lianfang.bot.org.loader import FILE_ENCODING
from lianfang.bot.org.section import OrgSection

MERGED_FILE = "drill-org.toml"
"""The org file with the drill's settings applied, in the drill's temporary folder."""


@dataclass(frozen=True)
class Override:
    """One org setting a drill changes: where it was written, its dotted path and its value."""

    line: int
    path: tuple[str, ...]
    value: Any

    @property
    def name(self) -> str:
        """Return the dotted path as written, ``supervision.accountability_days``."""
        return format_field(self.path)


def parse_setting(line: int, text: str) -> Override:
    """Read one ``section.key = value`` line; raise ValueError saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"not a TOML setting 'section.key = value': {error}") from None
    path: list[str] = []
    value: Any = data
    while isinstance(value, dict) and len(value) == 1:
        key, value = next(iter(value.items()))
        path.append(key)
    if not path or value == {}:
        raise ValueError("a setting reads 'section.key = value', e.g. supervision.accountability_days = 1")
    return Override(line, tuple(path), value)


def apply_overrides(data: dict[str, Any], overrides: Sequence[Override]) -> dict[str, Any]:
    """Return the org data with each setting applied: its tables created or merged, its value replaced."""
    merged: dict[str, Any] = _copy(data)
    for override in overrides:
        table = merged
        for key in override.path[:-1]:
            inner = table.get(key)
            if not isinstance(inner, dict):
                inner = {}
                table[key] = inner
            table = inner
        _merge(table, override.path[-1], override.value)
    return merged


def _merge(table: dict[str, Any], key: str, value: Any) -> None:
    """Set one key of a table: a table value merges into the table there, anything else replaces it."""
    here = table.get(key)
    if isinstance(value, dict) and isinstance(here, dict):
        for inner, inner_value in value.items():
            _merge(here, inner, inner_value)
        return
    table[key] = _copy(value)


def load_with_overrides(
    org_path: Path,
    overrides: Sequence[Override],
    folder: Path,
    sections: Sequence[OrgSection[Any]],
    figures: Collection[str],
    *,
    drill: Path,
) -> tuple[Path, Org]:
    """Load an org file with a drill's settings applied, written to ``folder``; OrgError names the drill's lines."""
    load_org(org_path, sections, figures)  # the file alone first, so its own problems carry its own lines
    data = tomllib.loads(org_path.read_text(encoding=FILE_ENCODING))
    merged = folder / MERGED_FILE
    merged.write_text(dump_toml(apply_overrides(data, overrides)), encoding="utf-8")
    try:
        return merged, load_org(merged, sections, figures)
    except OrgError as error:
        raise OrgError([_placed(problem, overrides, org_path, drill) for problem in error.problems]) from None


def _placed(problem: Problem, overrides: Sequence[Override], org_path: Path, drill: Path) -> Problem:
    """Place a problem of the merged org on the ``set:`` line it comes from, else on the org file (no line)."""
    for override in reversed(overrides):
        name = override.name
        if problem.field == name or problem.field.startswith((name + ".", name + "[")) or _within(problem, name):
            return Problem(str(drill), override.line, problem.field, problem.message)
    return Problem(str(org_path), None, problem.field, problem.message)


def _within(problem: Problem, name: str) -> bool:
    """Tell whether a problem of a whole table (a check across its fields) covers a setting inside it."""
    return bool(problem.field) and name.startswith(problem.field + ".")


def _copy(value: Any) -> Any:
    """Copy nested tables and lists, so the applied settings never change what they were applied to."""
    if isinstance(value, dict):
        return {key: _copy(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_copy(inner) for inner in value]
    return value


def dump_toml(data: dict[str, Any]) -> str:
    """Write org data as TOML, one top-level key a line with inline values (tomllib reads back the same data)."""
    return "".join(f"{_key(key)} = {_value(value)}\n" for key, value in data.items())


def _key(key: str) -> str:
    """Return a key quoted, which TOML accepts for any key."""
    return json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    """Return a TOML inline value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(inner) for inner in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(key)} = {_value(inner)}" for key, inner in value.items()) + "}"
    raise TypeError(f"no TOML value for {type(value).__name__}")
