"""Sending the report files: after the merged report at the deadline, again after a 补报, and on ``/report file``."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.db import session_scope
from lianfang.bot.dispatcher import Command
from lianfang.bot.i18n import render
from lianfang.bot.jobs import Job, JobRuntime
from lianfang.bot.types import ChatRef, Document, OutgoingMessage, Text
from lianfang.handlers.daily_report import deadline_of, parse_report_date
from lianfang.handlers.report_files.content import ReportContent, build_content
from lianfang.handlers.report_files.settings import AUDIENCE_LEADERSHIP, REPORT
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.shared.audiences import group_chat
from lianfang.models.members import CHAT_LEADERSHIP, bound_chats
from lianfang.models.reports import reports_of_day
from lianfang.models.send_ledger import KIND_REPORT, claim, first_day, is_claimed, ledger_key

logger = logging.getLogger(__name__)

KIND_FILES = "report_files"
"""The send ledger's kind for the files of a day (one row per version)."""
FIRST_VERSION = "first"
LOOKBACK_DAYS = 7
"""How many past days a tick looks at for a 补报 that came after the files went out."""
FORMAT_DOCX = "docx"
FORMAT_XLSX = "xlsx"
FORMAT_PNG = "png"
CAPTIONS = {False: "report_files.caption", True: "report_files.caption_updated"}
FILE_NAMES = {False: "report_files.file_name", True: "report_files.file_name_updated"}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG_MIME = "image/png"
PACKAGE = "lianfang.handlers.report_files"


@dataclass(frozen=True)
class FileKind:
    """One of the report's files: how it is built, its type, and what its caption calls it."""

    suffix: str
    mime_type: str
    build: Callable[[ReportContent], bytes]
    kind: str


def built_by(module: str, function: str) -> Callable[[ReportContent], bytes]:
    """Return a file builder that imports its module (in this package) when first used.

    python-docx and matplotlib take about 65 MB; an instance that never makes a file (most of the day) does not load
    them.
    """

    def build(content: ReportContent) -> bytes:
        made: bytes = getattr(importlib.import_module(f"{PACKAGE}.{module}"), function)(content)
        return made

    return build


FILE_KINDS = {
    FORMAT_DOCX: FileKind(FORMAT_DOCX, DOCX_MIME, built_by("document", "build_docx"), "report_files.kind_docx"),
    FORMAT_XLSX: FileKind(FORMAT_XLSX, XLSX_MIME, built_by("workbook", "build_xlsx"), "report_files.kind_xlsx"),
    FORMAT_PNG: FileKind(FORMAT_PNG, PNG_MIME, built_by("chart", "build_png"), "report_files.kind_png"),
}
"""The files sent with the report, in the order they go out."""


def file_name(content: ReportContent, kind: FileKind) -> str:
    """Return a file's name: the org, the report and the day, marked 更新版 when it is."""
    key = FILE_NAMES[content.updated]
    stem = render(Text(key, {"name": content.org_name, "date": content.day.strftime("%Y%m%d")}), content.lang)
    return f"{stem}.{kind.suffix}"


def report_documents(content: ReportContent) -> list[tuple[FileKind, Document]]:
    """Build every file of a report; each carries its words, for the outbox's privacy guard."""
    words = content.plain_text()
    documents = []
    for kind in FILE_KINDS.values():
        data = kind.build(content)
        documents.append((kind, Document(file_name(content, kind), len(data), kind.mime_type, data=data, text=words)))
    return documents


def send_files(ctx: Context, chats: list[ChatRef], content: ReportContent, *, private: bool = False) -> None:
    """Send the report's files to chats, each file as a document under a one-line caption."""
    date_text = content.day.isoformat()
    for kind, document in report_documents(content):
        caption = Text(CAPTIONS[content.updated], {"date": date_text, "kind": Text(kind.kind)})
        for chat in chats:
            ctx.send(chat, [caption], ctx.settings.default_language, document=document, private=private)


def file_chats(ctx: Context) -> list[ChatRef]:
    """Return the chats the day's files go to: 综合组's, and the leadership chats when ``[report] files_to`` says."""
    chats: dict[tuple[str, str], ChatRef] = {}
    coordination = group_chat(ctx, ctx.org.coordination_group)
    if coordination is not None:
        chats[coordination.platform, coordination.chat_id] = coordination
    if AUDIENCE_LEADERSHIP in REPORT.of(ctx.org).files_to:
        for binding in bound_chats(session=ctx.session, kind=CHAT_LEADERSHIP):
            chats.setdefault((binding.platform, binding.chat_id), ChatRef(binding.platform, binding.chat_id))
    return list(chats.values())


def latest_late_report(ctx: Context, day: date) -> str | None:
    """Return when the day's latest 补报 or correction came in, or None: it names the files' version."""
    late = [report.submitted_at for report in reports_of_day(session=ctx.session, day=day).values() if report.is_late]
    return max(late).isoformat() if late else None


def post_files(ctx: Context, day: date) -> bool:
    """Send a day's files once its merged report went out, and again, as 更新版, after each 补报; True if sent.

    With no 综合组 chat bound yet, nothing is claimed: the files go on the first tick after one is bound.
    """
    if not is_claimed(session=ctx.session, key=ledger_key(day, KIND_REPORT)):
        return False
    chats = file_chats(ctx)
    if not chats:
        return False
    late = latest_late_report(ctx, day)
    first = ledger_key(day, KIND_FILES, FIRST_VERSION)
    if claim(session=ctx.session, day=day, kind=KIND_FILES, key=first, now=ctx.now):
        # The first files already hold every report in so far: a late one must not send them again.
        if late is not None:
            claim(session=ctx.session, day=day, kind=KIND_FILES, key=ledger_key(day, KIND_FILES, late), now=ctx.now)
        updated = False
    elif late is not None and claim(
        session=ctx.session, day=day, kind=KIND_FILES, key=ledger_key(day, KIND_FILES, late), now=ctx.now
    ):
        updated = True
    else:
        return False
    send_files(ctx, chats, build_content(ctx, day, updated=updated))
    logger.info("report files of %s sent to %d chat(s) (updated=%s)", day, len(chats), updated)
    return True


def run_files(runtime: JobRuntime, now: datetime) -> list[OutgoingMessage]:
    """Send the files of every recent day whose report went out, or whose 补报 came in, since the last tick."""
    sent: list[OutgoingMessage] = []
    today = now.astimezone(runtime.tz).date()
    with session_scope(runtime.engine) as session:
        start = first_day(session=session)
    if start is None:
        return sent
    for offset in range(LOOKBACK_DAYS, -1, -1):
        day = today - timedelta(days=offset)
        if day < start:
            continue
        # One transaction per day: a failure on one day leaves the others sent.
        with session_scope(runtime.engine) as session:
            ctx = runtime.context(session, now)
            post_files(ctx, day)
            sent += ctx.sent
    return sent


FILES_JOB = Job("report-files", run_files)
"""Run on every tick, after the loop (jobs run in feature order): at the deadline, and for a 补报 on the next tick."""


def report_file_command(ctx: MemberContext, args: str) -> None:
    """Send a day's report files here (today's as a preview before the deadline), to the roles ``/report`` serves."""
    if not is_overseer(ctx, ctx.member):
        ctx.reply("common.not_allowed")
        return
    word = args.strip()
    day = ctx.today if not word else parse_report_date(word, ctx.today)
    if day is None:
        ctx.reply("report.bad_date")
        return
    if day > ctx.today:
        ctx.reply("report.future_date", date=day.isoformat())
        return
    preview = day == ctx.today and ctx.now < deadline_of(ctx, day)
    private = ctx.msg is not None and ctx.msg.is_private
    send_files(ctx, [ctx.chat], build_content(ctx, day, preview=preview), private=private)


COMMANDS = (Command("report file", report_file_command, aliases=("报告文件", "日报文件")),)
