"""``/duty import`` (值班导入): a roster sent to the bot in chat, checked and previewed, imported on 确认 once."""

from __future__ import annotations

import logging
from typing import Any

from lianfang.bot.context import MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Form, FormField, file_answer, static_fields
from lianfang.bot.types import Button, Text
from lianfang.handlers.duty.importing import (
    COL_DATE,
    COL_LEADER,
    COL_NOTE,
    COL_PHONE,
    COL_SHIFT,
    COL_STAFF,
    RosterFileError,
    RosterImport,
    check_roster,
    import_rows,
    read_data,
)
from lianfang.handlers.duty.roster import DATE_FORMAT, names_of
from lianfang.handlers.shared.held_files import HELD_DUTY_ROSTER, find_held_file, hold_file
from lianfang.models.files import (
    decide_pending_import,
    delete_kept_files,
    get_kept_file,
)
from lianfang.models.members import ROLE_ADMIN, ROLE_GROUP_LEAD, ROLE_LEADER, Member
from sqlmodel import col, select

logger = logging.getLogger(__name__)

CMD_DUTY_IMPORT = "duty import"
"""A subcommand of ``/duty``: ``/duty import`` reaches it, and so does 值班导入."""
FORM_DUTY_IMPORT = "duty_import"
FIELD_FILE = "roster"
ACTION_CONFIRM = "confirm"
ACTION_CANCEL = "cancel"
OUTCOME_IMPORTED = "imported"
OUTCOME_CANCELLED = "cancelled"
OUTCOMES = {ACTION_CONFIRM: OUTCOME_IMPORTED, ACTION_CANCEL: OUTCOME_CANCELLED}
ALREADY_KEYS = {OUTCOME_IMPORTED: "duty.upload_already_imported", OUTCOME_CANCELLED: "duty.upload_already_cancelled"}
"""What a second tap on a decided roster is told, by the first tap's outcome."""
LISTED_ROWS = 20
"""Problem lines listed in the answer; the rest are counted (a roster may have a month of rows)."""
COLUMNS = "、".join((COL_DATE, COL_SHIFT, COL_LEADER, COL_STAFF, COL_PHONE, COL_NOTE))


def may_manage_roster(ctx: MemberContext, member: Member) -> bool:
    """Tell whether a member may replace the roster: admins, leaders and the 综合组's leads."""
    return member.role in (ROLE_ADMIN, ROLE_LEADER) or (
        member.role == ROLE_GROUP_LEAD and member.group_key == ctx.org.coordination_group
    )


def import_command(ctx: MemberContext, args: str) -> None:
    """Ask for a roster file; ``confirm TOKEN`` imports a previewed one (once), ``cancel TOKEN`` drops it."""
    if not may_manage_roster(ctx, ctx.member):
        ctx.reply("duty.upload_not_allowed")
        return
    action, _, token = args.strip().partition(" ")
    if not action:
        ctx.start_form(FORM_DUTY_IMPORT)
        return
    if action.casefold() not in OUTCOMES or not token.strip():
        ctx.reply("duty.upload_usage")
        return
    decide(ctx, action.casefold(), token.strip())


def _rejected(result: RosterImport) -> list[Text]:
    """Return the answer to a roster with bad rows: how many, then each problem by row, the first ones listed."""
    lines = [Text("duty.import_rejected", {"count": len({p.row for p in result.problems})})]
    lines += [problem.line() for problem in result.problems[:LISTED_ROWS]]
    if len(result.problems) > LISTED_ROWS:
        lines.append(Text("duty.upload_more", {"count": len(result.problems) - LISTED_ROWS}))
    return lines


def preview(ctx: MemberContext, result: RosterImport) -> list[Text]:
    """Return what an import would write: the shifts, the days they span, the leaders and the people on duty."""
    ids = {a[2] for a in result.assignments} | set(result.leaders.values())
    members = {m.id: m for m in ctx.session.exec(select(Member).where(col(Member.id).in_(ids)))} if ids else {}
    staff = [members[i] for i in dict.fromkeys(a[2] for a in result.assignments) if i in members]
    leaders = [members[i] for i in dict.fromkeys(result.leaders[d] for d in sorted(result.leaders)) if i in members]
    days = result.days
    lines = [
        Text(
            "duty.upload_preview",
            {
                "rows": result.rows,
                "assignments": len(result.assignments),
                "days": len(days),
                "first": days[0].strftime(DATE_FORMAT),
                "last": days[-1].strftime(DATE_FORMAT),
            },
        ),
        Text("duty.upload_preview_staff", {"people": names_of(staff) or "-"}),
    ]
    if leaders:
        lines.append(Text("duty.upload_preview_leaders", {"people": names_of(leaders)}))
    return lines


def submit_upload(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Check the roster sent; answer its bad rows, or show what it would write and keep it for 确认."""
    kept = file_answer(data.get(FIELD_FILE))
    row = get_kept_file(session=ctx.session, file_id=kept[0]) if kept is not None else None
    if row is None:
        ctx.reply("duty.upload_usage")
        return
    file_name, content = row.file_name, bytes(row.data)
    delete_kept_files(connection=ctx.connection, file_ids=[kept[0]] if kept else [])  # held below until 确认
    try:
        result = check_roster(ctx, read_data(file_name, content))
    except RosterFileError as error:
        # the question again, so another file can be sent at once
        ctx.start_form(FORM_DUTY_IMPORT, lead=Text("duty.upload_refused", {"file": file_name, "reason": error.text()}))
        return
    if result.problems:
        ctx.reply(*_rejected(result))
        return
    if not result.assignments and not result.leaders:
        ctx.reply("duty.import_empty")
        return
    pending = hold_file(ctx, kind=HELD_DUTY_ROSTER, file_name=file_name, data=content)
    minutes = ctx.settings.import_confirm_minutes
    buttons = [
        Button(Text("duty.button_import"), f"/{CMD_DUTY_IMPORT} {ACTION_CONFIRM} {pending.token}"),
        Button(Text("duty.button_import_cancel"), f"/{CMD_DUTY_IMPORT} {ACTION_CANCEL} {pending.token}"),
    ]
    logger.info("duty roster received for confirmation: %d rows", result.rows)
    ctx.reply(*preview(ctx, result), Text("duty.upload_confirm", {"minutes": minutes}), buttons=buttons)


def decide(ctx: MemberContext, action: str, token: str) -> None:
    """Carry out the answer to a previewed roster: import it, once, or drop it."""
    pending = find_held_file(ctx, kind=HELD_DUTY_ROSTER, token=token)
    if pending is None or pending.id is None:
        ctx.refuse("duty.upload_unknown")  # a mistyped answer, or someone else's roster
        return
    if pending.decided_at is not None:
        ctx.refuse(ALREADY_KEYS.get(pending.outcome or "", "duty.upload_already_imported"))
        return
    file_name, content = pending.file_name, bytes(pending.data)
    if not decide_pending_import(session=ctx.session, pending_id=pending.id, outcome=OUTCOMES[action], now=ctx.now):
        ctx.refuse("duty.upload_expired")  # not decided before, so the claim failed on the expiry
        return
    if action == ACTION_CANCEL:
        ctx.reply("duty.upload_cancelled")
        return
    try:
        result = import_rows(ctx, read_data(file_name, content))
    except RosterFileError as error:  # the org's shifts changed since the preview
        ctx.reply(Text("duty.upload_refused", {"file": file_name, "reason": error.text()}))
        return
    if result.problems:  # the roster or the members changed since the preview
        ctx.reply(*_rejected(result))
        return
    params = {"rows": result.rows, "assignments": len(result.assignments), "days": len(result.days)}
    ctx.reply(Text("duty.import_done", params))


UPLOAD_FORM = Form(
    FORM_DUTY_IMPORT,
    Text("duty.upload_title"),
    static_fields(
        FormField(
            FIELD_FILE,
            Text("duty.upload_ask", {"columns": COLUMNS}),
            Text("duty.upload_label"),
            takes_file=True,
        )
    ),
    submit_upload,
    confirm=False,
)
UPLOAD_COMMAND = Command(CMD_DUTY_IMPORT, import_command, aliases=("值班导入", "导入值班表"), private_only=True)
