"""Export of 督办台账 and 问题台账 as .xlsx, with the columns offices use; every export is audited."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.exports import Export
from lianfang.bot.i18n import render
from lianfang.bot.types import Document, Text
from lianfang.handlers.shared.access import sees_full_data
from lianfang.handlers.shared.spreadsheet import fill_cell
from lianfang.handlers.supervision.cards import (
    COLOUR_TEXT,
    SOURCE_TEXT,
    group_name,
    groups_text,
    state_label,
)
from lianfang.handlers.supervision.inspections import KIND_TEXT, subject_text, took
from lianfang.handlers.supervision.settings import SUPERVISION
from lianfang.models.audit import ACTION_EXPORT, CHANNEL_CLI, CHANNEL_PRIVATE, record_access
from lianfang.models.inspections import inspections_of
from lianfang.models.members import list_members
from lianfang.models.supervision import (
    ACTION_PROGRESS,
    ACTION_REPORT_DONE,
    ACTION_RETURN,
    SupervisionItem,
    evidence_names,
    items_with_colour,
    kept_file_names,
    latest_notes,
    rectifications,
)

ITEM_COLUMNS = (
    "supervision.col_index",
    "supervision.col_source",
    "supervision.col_reference",
    "supervision.col_content",
    "supervision.col_lead",
    "supervision.col_assist",
    "supervision.col_creator",
    "supervision.col_created",
    "supervision.col_due",
    "supervision.col_state",
    "supervision.col_colour",
    "supervision.col_progress",
    "supervision.col_closed",
    "supervision.col_extensions",
    "supervision.col_returns",
    "supervision.col_evidence",
)
"""督办台账: 序号, 来源, 文号, 内容, 牵头单位, 配合单位, 交办人, 交办时间, 办理时限, 状态, 颜色, 办理情况, 办结时间,
延期次数, 退回次数."""
PROBLEM_COLUMNS = (
    "supervision.col_index",
    "supervision.col_inspection",
    "supervision.col_inspection_day",
    "supervision.col_inspection_kind",
    "supervision.col_subject",
    "supervision.col_problem",
    "supervision.col_lead",
    "supervision.col_due",
    "supervision.col_state",
    "supervision.col_took",
    "supervision.col_flagged",
    "supervision.col_photo",
)
"""问题台账: 序号, 督查编号, 督查日期, 督查方式, 督查对象, 问题, 整改单位, 整改时限, 状态, 整改用时, 问责提示."""
SHEET_ITEMS = "supervision.sheet_items"
SHEET_PROBLEMS = "supervision.sheet_problems"
NOTE_ACTIONS = (ACTION_PROGRESS, ACTION_REPORT_DONE, ACTION_RETURN)
"""The notes that tell how an item is being handled (办理情况)."""
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "%Y-%m-%d %H:%M"
EXPORT_LIMIT = 100_000
EVIDENCE_SEPARATOR = "、"
WIDE = {"supervision.col_content": 40, "supervision.col_problem": 40, "supervision.col_progress": 30}
DEFAULT_WIDTH = 12


@dataclass(frozen=True)
class SupervisionExport:
    """What an export wrote: items and problems."""

    items: int
    problems: int


def export_supervision(
    ctx: Context,
    out: Path | BinaryIO,
    *,
    actor: str,
    channel: str = CHANNEL_CLI,
    member_id: int | None = None,
) -> SupervisionExport:
    """Write 督办台账 and 问题台账 as two sheets of one .xlsx; record the export in the audit log."""
    from openpyxl import Workbook

    lang = ctx.lang
    rules = SUPERVISION.of(ctx.org).colour_rules()
    items = items_with_colour(session=ctx.session, now=ctx.now, rules=rules)
    names = {m.id: m.name for m in list_members(session=ctx.session)} | {
        m.id: m.name for m in list_members(session=ctx.session, active=False)
    }
    notes = latest_notes(session=ctx.session, actions=NOTE_ACTIONS)
    evidence = evidence_names(session=ctx.session)
    book = Workbook(write_only=True)
    rows = [
        [*_item_row(ctx, number, item, colour, names, notes), EVIDENCE_SEPARATOR.join(evidence.get(item.id or 0, []))]
        for number, (item, colour) in enumerate(items, 1)
    ]
    _sheet(book, render(Text(SHEET_ITEMS), lang), ITEM_COLUMNS, rows, lang)
    problems = rectifications(session=ctx.session, limit=EXPORT_LIMIT)
    inspections = inspections_of(session=ctx.session, ids=[i.inspection_id for i, _ in problems if i.inspection_id])
    photos = kept_file_names(session=ctx.session, file_ids=[i.attachment_id for i, _ in problems if i.attachment_id])
    problem_rows = []
    for number, (item, flagged) in enumerate(reversed(problems), 1):
        inspection = inspections.get(item.inspection_id or 0)
        problem_rows.append(
            [
                number,
                item.inspection_id,
                inspection.day.isoformat() if inspection else "",
                Text(KIND_TEXT[inspection.kind]) if inspection else "",
                subject_text(ctx, f"{inspection.subject_kind}:{inspection.subject}") if inspection else "",
                item.content,
                group_name(ctx, item.lead_group),
                _local(ctx, item.due_at),
                state_label(item.state),
                took(ctx, item),
                Text("supervision.col_flagged_yes") if flagged else "",
                photos.get(item.attachment_id or 0, ""),
            ]
        )
    _sheet(book, render(Text(SHEET_PROBLEMS), lang), PROBLEM_COLUMNS, problem_rows, lang)
    book.save(out)
    record_access(
        session=ctx.session,
        now=ctx.now,
        actor=actor,
        action=ACTION_EXPORT,
        channel=channel,
        member_id=member_id,
        detail=f"supervision {len(rows)} items, {len(problem_rows)} problems",
    )
    return SupervisionExport(items=len(rows), problems=len(problem_rows))


def _item_row(
    ctx: Context,
    number: int,
    item: SupervisionItem,
    colour: str | None,
    names: dict[int | None, str],
    notes: dict[int, str],
) -> list[Any]:
    """Return one row of 督办台账."""
    return [
        number,
        Text(SOURCE_TEXT[item.source]),
        item.reference,
        item.content,
        group_name(ctx, item.lead_group),
        groups_text(ctx, item.assisting),
        names.get(item.creator_id, ""),
        _local(ctx, item.created_at),
        _local(ctx, item.due_at),
        state_label(item.state),
        Text(COLOUR_TEXT[colour]) if colour else "",
        notes.get(item.id or 0, ""),
        _local(ctx, item.closed_at) if item.closed_at else "",
        item.extensions,
        item.returns,
    ]


def _sheet(book: Any, title: str, columns: Sequence[str], rows: list[list[Any]], lang: str) -> None:
    """Add a sheet: the header, then the rows; labels rendered, text typed as plain strings."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(column, DEFAULT_WIDTH)
    sheet.append([render(Text(column), lang) for column in columns])
    for values in rows:
        sheet.append([fill_cell(WriteOnlyCell(sheet), render(v, lang) if isinstance(v, Text) else v) for v in values])


def _local(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.tz).strftime(TIME_FORMAT)


def send_export(ctx: MemberContext) -> None:
    """Send both ledgers as .xlsx in a private chat, to roles in ``full_data_roles``; audited as a chat export."""
    if not sees_full_data(ctx, ctx.member):
        ctx.reply("supervision.may_not_export")
        return
    buffer = io.BytesIO()
    summary = export_supervision(ctx, buffer, actor=ctx.member.name, channel=CHANNEL_PRIVATE, member_id=ctx.member_id)
    data = buffer.getvalue()
    name = render(Text("supervision.export_file", {"date": ctx.today.strftime("%Y%m%d")}), ctx.lang)
    document = Document(name, len(data), XLSX_MIME, data=data)
    ctx.reply(
        Text("supervision.export_ready", {"items": summary.items, "problems": summary.problems}), document=document
    )


EXPORT = Export(
    "supervision",
    ("督办", "督办台账"),
    Text("supervision.export_label"),
    send=lambda ctx, _rest: send_export(ctx),
    allowed=sees_full_data,
    refusal=Text("supervision.may_not_export"),
)
"""``/export supervision`` (导出 督办): both ledgers, as ``/supervise export`` sends them."""
