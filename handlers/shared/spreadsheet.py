"""Cells of exported spreadsheets that stay text: no answer a member typed ever runs as a formula."""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""
FORMULA_ESCAPE = "'"
TYPE_STRING = "s"
"""openpyxl's data type of a plain string cell (never a formula, number or error code)."""


def escape_formula(text: str) -> str:
    """Prefix a cell text that a spreadsheet would run as a formula with an apostrophe (OWASP's rule)."""
    return FORMULA_ESCAPE + text if text.startswith(FORMULA_TRIGGERS) else text


def safe_value(value: Any) -> Any:
    """Return a cell value with text escaped (see ``escape_formula``) and anything else unchanged."""
    return escape_formula(value) if isinstance(value, str) else value


def fill_cell(cell: Any, value: Any) -> Any:
    """Fill an openpyxl cell; text is escaped and typed as a string, so '=…' or '#N/A' stay text."""
    if isinstance(value, str):
        cell.value = escape_formula(value)
        cell.data_type = TYPE_STRING
    else:
        cell.value = value
    return cell
