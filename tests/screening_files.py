"""Builders of district screening lists as districts send them: .xlsx with title rows, .csv in UTF-8 or GBK."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def id_number(area: str = "430102", birth: str = "19900101", seq: str = "123") -> str:
    """Return a valid 18-character ID number, its check character computed from the standard's rule."""
    first17 = area + birth + seq
    remainder = (12 - sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11) % 11
    return first17 + ("X" if remainder == 10 else str(remainder))


def bad_check(number: str) -> str:
    """Return the number with a wrong check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def write_xlsx(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None, blank_after: int = 0
) -> Path:
    """Write a list: an optional merged title row, a blank row, the header, rows (datetimes as date cells)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if title is not None:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append([])
    sheet.append(list(header))
    for index, row in enumerate(rows, start=1):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd"
        if index == blank_after:
            sheet.append([])
    book.save(path)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8-sig") -> Path:
    """Write a CSV list in an encoding (utf-8-sig writes the BOM Excel adds; gbk is what Excel in China writes)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
