"""The supplies ledger (物资台账) as .xlsx: requests, stock on hand, movements, purchases and budget lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.exports import Export
from lianfang.bot.i18n import render
from lianfang.bot.types import Document, Text
from lianfang.handlers.shared.labels import community_name
from lianfang.handlers.shared.spreadsheet import safe_value
from lianfang.handlers.supplies.cards import status_text
from lianfang.handlers.supplies.funds import FEN_PER_YUAN, may_see_funds, yuan
from lianfang.handlers.supplies.settings import SUPPLIES
from lianfang.models.audit import ACTION_EXPORT, CHANNEL_CLI, CHANNEL_PRIVATE, record_access
from lianfang.models.stock import all_on_hand, movements
from lianfang.models.supplies import SupplyNeed, purchases, spent_by_line
from sqlmodel import col, select

logger = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "%Y-%m-%d %H:%M"
SHEETS = (
    "supplies_export.sheet_requests",
    "supplies_export.sheet_stock",
    "supplies_export.sheet_movements",
    "supplies_export.sheet_purchases",
    "supplies_export.sheet_budget",
)
REQUEST_COLUMNS = (
    "supplies_export.col_number",
    "supplies_export.col_day",
    "supplies_export.col_item",
    "supplies_export.col_quantity",
    "supplies_export.col_unit",
    "supplies_export.col_community",
    "supplies_export.col_status",
    "supplies_export.col_approved",
    "supplies_export.col_received",
    "supplies_export.col_shortfall",
)
STOCK_COLUMNS = ("supplies_export.col_item", "supplies_export.col_place", "supplies_export.col_on_hand")
MOVEMENT_COLUMNS = (
    "supplies_export.col_time",
    "supplies_export.col_kind",
    "supplies_export.col_item",
    "supplies_export.col_place",
    "supplies_export.col_quantity",
    "supplies_export.col_balance",
    "supplies_export.col_batch",
    "supplies_export.col_expiry",
    "supplies_export.col_reason",
    "supplies_export.col_number",
)
PURCHASE_COLUMNS = (
    "supplies_export.col_number",
    "supplies_export.col_item",
    "supplies_export.col_quantity",
    "supplies_export.col_supplier",
    "supplies_export.col_price",
    "supplies_export.col_total",
    "supplies_export.col_line",
    "supplies_export.col_status",
)
BUDGET_COLUMNS = (
    "supplies_export.col_line",
    "supplies_export.col_amount",
    "supplies_export.col_spent",
    "supplies_export.col_remaining",
)


def export_supplies(
    ctx: Context, out: Path | BinaryIO, *, actor: str, member_id: int | None = None, channel: str = CHANNEL_CLI
) -> int:
    """Write the supplies ledger; return the rows written. The export is audited."""
    from openpyxl import Workbook

    lang = ctx.lang
    rules = SUPPLIES.of(ctx.org)
    book = Workbook(write_only=True)
    needs = list(ctx.session.exec(select(SupplyNeed).order_by(col(SupplyNeed.id))))
    request_rows = [
        [
            need.id,
            need.day.isoformat(),
            need.item,
            need.quantity,
            need.unit,
            render(community_name(ctx.org, need.community), lang),
            render(status_text(need.status), lang),
            need.approved_quantity,
            need.received_quantity,
            need.shortfall,
        ]
        for need in needs
    ]
    levels = all_on_hand(session=ctx.session)
    stock_rows = [[item, rules.place_named(place), amount] for (item, place), amount in sorted(levels.items())]
    movement_rows = [
        [
            move.at.astimezone(ctx.tz).strftime(TIME_FORMAT),
            move.kind,
            move.item,
            rules.place_named(move.place),
            move.quantity,
            move.balance,
            move.batch,
            move.expiry.isoformat() if move.expiry else "",
            move.reason,
            move.need_id,
        ]
        for move in movements(session=ctx.session)
    ]
    purchase_rows = [
        [p.id, p.item, p.quantity, p.supplier, yuan(p.unit_price_fen), yuan(p.total_fen), p.budget_line, p.status]
        for p in purchases(session=ctx.session)
    ]
    spent = spent_by_line(session=ctx.session)
    budget_rows = [
        [
            line.name,
            yuan(line.amount * FEN_PER_YUAN),
            yuan(spent.get(line.key, 0)),
            yuan(line.amount * FEN_PER_YUAN - spent.get(line.key, 0)),
        ]
        for line in rules.budget
    ]
    tables: tuple[tuple[tuple[str, ...], list[list[Any]]], ...] = (
        (REQUEST_COLUMNS, request_rows),
        (STOCK_COLUMNS, stock_rows),
        (MOVEMENT_COLUMNS, movement_rows),
        (PURCHASE_COLUMNS, purchase_rows),
        (BUDGET_COLUMNS, budget_rows),
    )
    rows = 0
    for title, (columns, table) in zip(SHEETS, tables, strict=True):
        sheet = book.create_sheet(render(Text(title), lang))
        sheet.append([render(Text(column), lang) for column in columns])
        for row in table:
            sheet.append(_cells(row))
        rows += len(table)
    book.save(out)
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=actor,
        action=ACTION_EXPORT,
        channel=channel,
        member_id=member_id,
        detail=f"supplies ledger; {rows} rows",
    )
    logger.info("supplies ledger exported: %s rows", rows)
    return rows


def send_export(ctx: MemberContext) -> None:
    """Send the supplies ledger as a file to a 保障组 lead, a leader or an admin."""
    if not may_see_funds(ctx, ctx.member):
        ctx.reply("funds.not_allowed")
        return
    buffer = io.BytesIO()
    rows = export_supplies(ctx, buffer, actor=ctx.member.name, member_id=ctx.member_id, channel=CHANNEL_PRIVATE)
    data = buffer.getvalue()
    name = f"物资台账-{ctx.today:%Y%m%d}.xlsx"
    ctx.reply("supplies_export.sent", rows=rows, document=Document(name, len(data), XLSX_MIME, data=data))


def _cells(values: Sequence[Any]) -> list[Any]:
    return [safe_value(value) for value in values]


EXPORT = Export(
    "supplies",
    ("物资", "物资台账"),
    Text("supplies_export.label"),
    send=lambda ctx, _rest: send_export(ctx),
    allowed=may_see_funds,
    refusal=Text("funds.not_allowed"),
)
"""``/export supplies`` (导出 物资): the supplies ledger, as ``/stock export`` sends it, to whom may see the funds."""
