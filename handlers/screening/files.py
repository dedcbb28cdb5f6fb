"""Files in chat: a district list sent to the bot is checked, then imported on confirmation; /export ledger."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import FILE_COMMAND, Command
from lianfang.bot.exports import EXPORT_COMMAND, Export, export_command
from lianfang.bot.i18n import render
from lianfang.bot.types import FETCH_TOO_LARGE, Button, Document, Text
from lianfang.handlers.screening.export import export_ledger
from lianfang.handlers.screening.importing import (
    SUPPORTED_SUFFIXES,
    ImportFileError,
    ImportReport,
    RowProblem,
    import_rows,
    notify_replaced,
    read_table_data,
    strip_invisible,
)
from lianfang.handlers.screening.verification import notify_assignees
from lianfang.handlers.shared.access import may_import_lists, sees_all_communities, sees_full_data
from lianfang.handlers.shared.held_files import HELD_SCREENING_LIST, find_held_file, hold_file
from lianfang.models.audit import CHANNEL_PRIVATE
from lianfang.models.files import decide_pending_import

logger = logging.getLogger(__name__)

CMD_IMPORT = "import"
EXPORT_LEDGER = "ledger"
ACTION_ALL = "all"
"""Import a list in which every row is good."""
ACTION_GOOD = "good"
"""Import only the good rows of a list with bad ones."""
ACTION_CANCEL = "cancel"
OUTCOME_IMPORTED = "imported"
OUTCOME_CANCELLED = "cancelled"
OUTCOMES = {ACTION_ALL: OUTCOME_IMPORTED, ACTION_GOOD: OUTCOME_IMPORTED, ACTION_CANCEL: OUTCOME_CANCELLED}
ALREADY_KEYS = {OUTCOME_IMPORTED: "files.already_imported", OUTCOME_CANCELLED: "files.already_cancelled"}
"""What a second answer to a decided list is told, by the first answer's outcome."""
LISTED_ROWS = 20
"""Problem rows listed in the answer; the rest are counted (a district list can have hundreds)."""
LEDGER_WORDS = (EXPORT_LEDGER, "台账", "排查台账")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BYTES_PER_MB = 1024 * 1024


# -- who may do what --------------------------------------------------------------------------------------


def worth_fetching(ctx: MemberContext) -> bool:
    """Tell whether a file is worth downloading: an importer sent a list type the import reads."""
    attachment = ctx.msg.attachment if ctx.msg is not None else None
    return (
        attachment is not None
        and may_import_lists(ctx, ctx.member)
        and Path(attachment.file_name).suffix.lower() in SUPPORTED_SUFFIXES
    )


# -- receiving a list -------------------------------------------------------------------------------------


def file_received(ctx: MemberContext, _args: str) -> None:
    """Check a list sent in a private chat and ask whether to import it; nothing is written yet."""
    assert ctx.msg is not None and ctx.msg.attachment is not None
    attachment = ctx.msg.attachment
    file_name = strip_invisible(attachment.file_name)
    if not may_import_lists(ctx, ctx.member):
        ctx.reply("files.import_not_allowed")
        return
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        ctx.reply("screening.error_file_type", suffix=suffix or "-")
        return
    limit = ctx.settings.max_import_bytes
    if attachment.error == FETCH_TOO_LARGE or (attachment.size is not None and attachment.size > limit):
        ctx.reply("files.too_large", limit=_megabytes(limit))
        return
    if attachment.data is None:
        ctx.reply("files.download_failed")
        return
    try:
        rows = read_table_data(file_name, attachment.data)
        report = _run(ctx, file_name, rows, dry_run=True)
    except ImportFileError as error:
        ctx.reply(Text("files.file_refused", {"file": file_name, "reason": error.text()}))
        return
    lines = [_summary(file_name, report), *_listed("screening.import_rejected_title", report.rejected)]
    lines += _listed("screening.import_cleaned_title", report.cleaned)
    lines += _listed("screening.import_merged_title", report.merged)
    if not report.good:
        ctx.reply(*lines, Text("files.nothing_good"))
        return
    pending = hold_file(
        ctx, kind=HELD_SCREENING_LIST, file_name=file_name, data=attachment.data, bad_rows=report.bad_rows
    )
    minutes = ctx.settings.import_confirm_minutes
    good = len(report.good)
    if report.rejected:
        question = Text("files.confirm_good", {"bad": report.bad_rows, "good": good, "minutes": minutes})
        label = Text("files.button_import_good", {"good": good})
        confirm = Button(label, f"/{CMD_IMPORT} {ACTION_GOOD} {pending.token}")
    else:
        question = Text("files.confirm_all", {"good": good, "minutes": minutes})
        confirm = Button(Text("files.button_import"), f"/{CMD_IMPORT} {ACTION_ALL} {pending.token}")
    cancel = Button(Text("files.button_cancel"), f"/{CMD_IMPORT} {ACTION_CANCEL} {pending.token}")
    logger.info("screening list received for confirmation: %s rows, %s bad", report.rows, report.bad_rows)
    ctx.reply(*lines)
    # the question on its own, short, so WeCom can show it as a button card
    ctx.reply(Text("files.confirm_title"), question, buttons=[confirm, cancel])


def import_command(ctx: MemberContext, args: str) -> None:
    """Carry out the importer's answer to a list they sent: import it (once) or cancel."""
    action, _, token = args.strip().partition(" ")
    if not action:
        ctx.reply("files.import_hint")
        return
    pending = find_held_file(ctx, kind=HELD_SCREENING_LIST, token=token.strip())
    if action not in OUTCOMES or pending is None or (action == ACTION_ALL and pending.bad_rows):
        ctx.reply("files.import_unknown")  # a forged or mistyped answer, or someone else's list
        return
    if pending.decided_at is not None:
        ctx.reply(ALREADY_KEYS[pending.outcome or OUTCOME_IMPORTED])  # decided_at and outcome are set together
        return
    file_name, data = pending.file_name, pending.data
    claimed = decide_pending_import(
        session=ctx.session, pending_id=pending.id or 0, outcome=OUTCOMES[action], now=ctx.now
    )
    if not claimed:
        ctx.reply("files.import_expired")  # not decided before, so the claim failed on the expiry
        return
    if action == ACTION_CANCEL:
        ctx.reply("files.import_cancelled")
        return
    try:
        report = _run(ctx, file_name, read_table_data(file_name, data), only_valid=True)
    except ImportFileError as error:  # the org's headers changed since the list was checked
        ctx.reply(Text("files.file_refused", {"file": file_name, "reason": error.text()}))
        return
    notify_assignees(ctx, report.assigned)
    notify_replaced(ctx, report)
    ctx.reply(
        Text(
            "screening.import_done",
            {
                "rows": report.rows,
                "good": len(report.good),
                "bad": report.bad_rows,
                "added": report.added,
                "merged": report.updated,
                "unassigned": len(report.unassigned),
            },
        ),
        *_listed("screening.import_unassigned_title", report.unassigned),
    )


def _run(
    ctx: MemberContext, file_name: str, rows: list, *, dry_run: bool = False, only_valid: bool = False
) -> ImportReport:
    return import_rows(
        ctx,
        rows,
        file_name=file_name,
        batch=Path(file_name).stem,
        actor=ctx.member.name,
        channel=CHANNEL_PRIVATE,
        member_id=ctx.member.id,
        importer=ctx.member,
        dry_run=dry_run,
        only_valid=only_valid,
    )


def _summary(file_name: str, report: ImportReport) -> Text:
    return Text(
        "files.import_summary",
        {
            "file": file_name,
            "rows": report.rows,
            "good": len(report.good),
            "bad": report.bad_rows,
            "merged": len(report.merged),
            "unassigned": len(report.unassigned),
        },
    )


def _listed(title: str, problems: list[RowProblem]) -> list[Text]:
    """Return a titled list of row problems, the first ``LISTED_ROWS`` of them and a count of the rest."""
    if not problems:
        return []
    lines = [Text(title, {"count": len(problems)}), *(p.text() for p in problems[:LISTED_ROWS])]
    if len(problems) > LISTED_ROWS:
        lines.append(Text("files.more_rows", {"count": len(problems) - LISTED_ROWS}))
    return lines


def _megabytes(size: int) -> str:
    return f"{size / BYTES_PER_MB:g}"


# -- export -----------------------------------------------------------------------------------------------


def names_community(ctx: Context, args: str) -> bool:
    """Tell whether words after ``/export`` name a community: ``/export 东风社区`` sends that community's ledger."""
    words = args.split()
    return bool(words) and ctx.org.community(words[0]) is not None


def send_ledger(ctx: MemberContext, args: str) -> None:
    """Send the screening ledger as .xlsx (all communities, or one) to a member who sees every community.

    Scope is the per-record rule's (admins, leaders, 综合组, the screening group's leads); whether the file
    shows names, ID numbers and phones in full is the unmasking rule's (``org.access.full_data_roles``).
    """
    if not sees_all_communities(ctx, ctx.member):
        ctx.reply("files.export_not_allowed")
        return
    words = args.split(maxsplit=1)
    if words and words[0].casefold() in LEDGER_WORDS:
        words = words[1:]
    ref = words[0].strip() if words else ""
    community = ctx.org.community(ref) if ref else None
    if ref and community is None:
        ctx.reply("files.export_unknown_community", community=ref[:32])
        return
    key = community.key if community else None
    file_name = render(Text("files.export_file_name", {"date": f"{ctx.today:%Y%m%d}"}), ctx.lang)
    buffer = io.BytesIO()
    summary = export_ledger(
        ctx,
        buffer,
        actor=ctx.member.name,
        community=key,
        channel=CHANNEL_PRIVATE,
        member_id=ctx.member.id,
        file_name=file_name,
        full=sees_full_data(ctx, ctx.member),
    )
    data = buffer.getvalue()
    document = Document(file_name, len(data), XLSX_MIME, data=data)
    ctx.reply(Text("files.export_ready", {"rows": summary.rows, "sheets": len(summary.sheets)}), document=document)


COMMANDS = (
    Command(FILE_COMMAND, file_received, private_only=True, fetch_if=worth_fetching),
    Command(CMD_IMPORT, import_command, aliases=("导入",), private_only=True),
    Command(EXPORT_COMMAND, export_command, aliases=("导出",), private_only=True),
)
"""``/export`` is screening's, as the ledger was the first export; it sends whatever export a feature declares."""
EXPORTS = (
    Export(
        EXPORT_LEDGER,
        LEDGER_WORDS[1:],
        Text("files.export_label"),
        send=send_ledger,
        allowed=sees_all_communities,
        refusal=Text("files.export_not_allowed"),
        takes_rest=names_community,
    ),
)
"""The ledger: ``/export ledger`` (导出台账), and ``/export 东风社区`` for one community, as before."""
