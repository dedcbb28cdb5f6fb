"""Export of the screening ledger (排查台账) as .xlsx: one sheet per community, the columns districts use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from lianfang.bot.context import Context
from lianfang.bot.i18n import render
from lianfang.bot.types import Text
from lianfang.handlers.screening.verification import SEX_KEYS, STATUS_KEYS
from lianfang.handlers.shared.health import measure_choices
from lianfang.handlers.shared.idcard import id_info
from lianfang.handlers.shared.labels import choice_label, community_name
from lianfang.handlers.shared.masking import mask_address, mask_id_number, mask_name, mask_phone, mask_text
from lianfang.handlers.shared.spreadsheet import fill_cell
from lianfang.models.audit import ACTION_EXPORT, CHANNEL_CLI, MAX_DETAIL, record_access
from lianfang.models.members import list_members
from lianfang.models.screening import STATUS_UNREACHED, ScreeningTarget, ScreeningVisit, ledger_rows

logger = logging.getLogger(__name__)

COLUMNS = (
    "screening.col_index",
    "screening.col_name",
    "screening.col_sex",
    "screening.col_age",
    "screening.col_id_number",
    "screening.col_phone",
    "screening.col_address",
    "screening.col_compound",
    "screening.col_reason",
    "screening.col_arrival_date",
    "screening.col_checker",
    "screening.col_checked_at",
    "screening.col_at_home",
    "screening.col_temperature",
    "screening.col_symptoms",
    "screening.col_measure",
    "screening.col_notes",
)
"""The 台账 columns districts use: 序号, 姓名, 性别, 年龄, 身份证号, 联系电话, 现住址, 所属小区, 事由, 抵达日期,
核查人, 核查时间, 是否在家, 体温, 症状, 处置措施, 备注."""
COLUMN_WIDTHS = {
    "screening.col_name": 10,
    "screening.col_id_number": 21,
    "screening.col_phone": 14,
    "screening.col_address": 30,
    "screening.col_reason": 16,
    "screening.col_checked_at": 17,
    "screening.col_notes": 24,
}
DEFAULT_WIDTH = 9
SHEET_NAME_LIMIT = 31
"""Excel's limit on sheet names."""
DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: rows per sheet name."""

    path: Path | None
    sheets: dict[str, int]

    @property
    def rows(self) -> int:
        """Return the number of people written."""
        return sum(self.sheets.values())


def export_ledger(
    ctx: Context,
    out: Path | BinaryIO,
    *,
    actor: str,
    community: str | None = None,
    channel: str = CHANNEL_CLI,
    member_id: int | None = None,
    file_name: str | None = None,
    full: bool = True,
) -> ExportSummary:
    """Write the ledger (all communities, or one) as .xlsx to a file or stream; record the export in the audit log.

    With ``full`` unset, names, ID numbers, phones, addresses and notes are masked as in group chats. Every text
    cell is written as a plain string, escaped so that no spreadsheet reads it as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    lang = ctx.lang
    rows = ledger_rows(session=ctx.session, community=community)
    names = {m.id: m.name for m in list_members(session=ctx.session)}
    measures = measure_choices(ctx, {})
    by_community: dict[str | None, list[tuple[ScreeningTarget, ScreeningVisit | None]]] = {}
    for target, visit in rows:
        by_community.setdefault(target.community, []).append((target, visit))
    keys: list[str | None] = [c.key for c in ctx.org.communities if community in (None, c.key)]
    keys += [key for key in by_community if key not in keys]

    book = Workbook(write_only=True)
    sheets: dict[str, int] = {}
    for key in keys:
        title = render(community_name(ctx.org, key), lang)[:SHEET_NAME_LIMIT]
        sheet = book.create_sheet(title)
        for index, column in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(column, DEFAULT_WIDTH)
        sheet.append([render(Text(column), lang) for column in COLUMNS])
        members = by_community.get(key, [])
        for number, (target, visit) in enumerate(members, start=1):
            values = _row(ctx, number, target, visit, names, lambda v: choice_label(measures, v), lang)
            sheet.append([fill_cell(WriteOnlyCell(sheet), value) for value in (values if full else _masked(values))])
        sheets[title] = len(members)
    book.save(out)
    path = out if isinstance(out, Path) else None
    summary = ExportSummary(path, sheets)
    name = file_name or (path.name if path else "-")
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=actor,
        action=ACTION_EXPORT,
        channel=channel,
        member_id=member_id,
        detail=f"{name}; {community or 'all'}; {summary.rows} rows{'' if full else '; masked'}"[:MAX_DETAIL],
    )
    logger.info("screening ledger exported: %s rows", summary.rows)
    return summary


def _row(
    ctx: Context,
    number: int,
    target: ScreeningTarget,
    visit: ScreeningVisit | None,
    names: dict[int | None, str],
    measure_label: Callable[[str], Text | None],
    lang: str,
) -> list[Any]:
    info = id_info(target.id_number, today=ctx.today)
    values: list[Any] = [
        number,
        target.name,
        render(Text(SEX_KEYS[info.sex]), lang) if info else "",
        info.age_on(ctx.today) if info else "",
        target.id_number or "",
        target.phone or "",
        target.address,
        target.compound or "",
        target.reason,
        target.arrival_date.strftime(DATE_FORMAT) if target.arrival_date else "",
    ]
    if visit is None:
        return values + [names.get(target.member_id, "")] + [""] * (len(COLUMNS) - len(values) - 1)
    label = measure_label(visit.measure)
    at_home = "" if visit.at_home is None else render(Text("screening.yes" if visit.at_home else "screening.no"), lang)
    reached = "" if visit.reached else render(Text(STATUS_KEYS[STATUS_UNREACHED]), lang)
    return values + [
        names.get(visit.member_id, ""),
        _local(ctx, visit.visited_at),
        at_home or reached,
        visit.temperature if visit.temperature is not None else "",
        visit.symptoms,
        render(label, lang) if label and visit.reached else "",
        visit.notes,
    ]


MASKERS: dict[str, Callable[[str], str]] = {
    "screening.col_name": mask_name,
    "screening.col_id_number": mask_id_number,
    "screening.col_phone": mask_phone,
    "screening.col_address": mask_address,
    "screening.col_symptoms": mask_text,
    "screening.col_notes": mask_text,
}
"""How each personal column is masked for a reader outside ``full_data_roles``."""


def _masked(values: list[Any]) -> list[Any]:
    masker = [MASKERS.get(column) for column in COLUMNS]
    return [
        mask(value) if mask and isinstance(value, str) and value else value
        for mask, value in zip(masker, values, strict=True)
    ]


def _local(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.tz).strftime(TIME_FORMAT)
