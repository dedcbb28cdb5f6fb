"""督查 inspections: ``/inspect`` records one, each problem found becomes a 整改 item owned by the inspected group;
``/inspect list`` is the problem ledger (问题台账)."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.forms import Choice, FieldError, Form, FormField, file_answer
from lianfang.bot.types import Text
from lianfang.handlers.shared.labels import community_label
from lianfang.handlers.supervision.cards import group_name, state_label
from lianfang.handlers.supervision.due import TIME, looks_like_date, parse_due_answer, read_day, shown_due
from lianfang.handlers.supervision.items import deliver, find_group, group_choices
from lianfang.handlers.supervision.scope import in_supervision_group, sees_every_item
from lianfang.models.inspections import (
    KIND_ROUTINE,
    KIND_SPECIAL,
    KIND_UNANNOUNCED,
    MAX_SUBJECT,
    SUBJECT_COMMUNITY,
    SUBJECT_GROUP,
    SUBJECT_UNIT,
    record_inspection,
)
from lianfang.models.members import ROLE_GROUP_LEAD, Member
from lianfang.models.supervision import MAX_CONTENT, SOURCE_INSPECTION, SupervisionItem, create_item, rectifications

logger = logging.getLogger(__name__)

FORM_INSPECT = "inspect"
COMMAND = "inspect"
LIST_WORDS = ("list", "台账", "问题台账", "问题")
NONE_WORDS = frozenset({"无", "没有", "未发现问题", "无问题", "none", "no"})
PROBLEM_SEPARATORS = re.compile(r"[\n；;]+")
NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[.、)）]|[（(]\d{1,2}[)）])\s*")
SUBJECT_SEPARATOR = ":"
LEDGER_LIMIT = 30
MAX_PROBLEM_PHOTOS = 10
"""Problems of one inspection asked for a photo each; later ones are recorded without."""
PHOTO_FIELD = "photo_"
KIND_TEXT = {
    KIND_ROUTINE: "supervision.kind_routine",
    KIND_SPECIAL: "supervision.kind_special",
    KIND_UNANNOUNCED: "supervision.kind_unannounced",
}


def may_inspect(ctx: Context, member: Member) -> bool:
    """Tell whether a member records inspections: the 执纪督查组, and each group's leads (their own group)."""
    return in_supervision_group(ctx, member) or member.role == ROLE_GROUP_LEAD


def parse_subject(text: str, ctx: Context) -> str:
    """Read what was inspected: a group, a community, or a unit by name; a group lead may name only their group."""
    member = ctx.member
    group = find_group(ctx, text)
    own_only = member is not None and not in_supervision_group(ctx, member)
    if own_only and (group is None or member is None or group.key != member.group_key):
        raise FieldError("supervision.inspect_own_group")
    if group is not None:
        return f"{SUBJECT_GROUP}{SUBJECT_SEPARATOR}{group.key}"
    community = ctx.org.community(text)
    if community is not None:
        return f"{SUBJECT_COMMUNITY}{SUBJECT_SEPARATOR}{community.key}"
    if not text or len(text) > MAX_SUBJECT:
        raise FieldError("form.error_too_long", limit=MAX_SUBJECT, length=len(text))
    return f"{SUBJECT_UNIT}{SUBJECT_SEPARATOR}{text}"


def subject_text(ctx: Context, value: str) -> Text:
    """Show what was inspected by its name."""
    kind, _, key = value.partition(SUBJECT_SEPARATOR)
    if kind == SUBJECT_GROUP:
        return group_name(ctx, key)
    community = ctx.org.community(key) if kind == SUBJECT_COMMUNITY else None
    return community_label(community) if community else Text.raw(key)


def kind_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the kinds of inspection."""
    return [
        Choice(KIND_ROUTINE, Text(KIND_TEXT[KIND_ROUTINE]), ("例行",)),
        Choice(KIND_SPECIAL, Text(KIND_TEXT[KIND_SPECIAL]), ("专项",)),
        Choice(KIND_UNANNOUNCED, Text(KIND_TEXT[KIND_UNANNOUNCED])),
    ]


def day_choices(ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer today; another day may be typed."""
    return [Choice(ctx.today.isoformat(), Text("supervision.day_today"), ("今天",))]


def parse_day(text: str, ctx: Context) -> str:
    """Read the day of the inspection: today, 昨天 or a date, never in the future."""
    day, rest = read_day(text, ctx.today)
    if rest.strip():
        raise FieldError("supervision.error_due_format")
    if day > ctx.today:
        raise FieldError("supervision.error_inspection_future")
    return day.isoformat()


def parse_findings(text: str, ctx: Context) -> list[list[str]]:
    """Read the problems found, one a line (or separated by ；), each ending with its deadline; 无 for none."""
    if text.strip().lower() in NONE_WORDS:
        return []
    problems: list[list[str]] = []
    for number, line in enumerate(filter(None, (part.strip() for part in PROBLEM_SEPARATORS.split(text))), 1):
        words = NUMBERING.sub("", line).split()
        due_words: list[str] = []
        if len(words) > 1 and TIME.match(words[-1]) and looks_like_date(words[-2]):
            due_words = words[-2:]
        elif words and looks_like_date(words[-1]):
            due_words = words[-1:]
        description = " ".join(words[: len(words) - len(due_words)])
        if not due_words or not description:
            raise FieldError("supervision.error_problem", number=number)
        if len(description) > MAX_CONTENT:
            raise FieldError("form.error_too_long", limit=MAX_CONTENT, length=len(description))
        problems.append([description, parse_due_answer(" ".join(due_words), ctx)])
    if not problems:
        raise FieldError("form.error_empty")
    return problems


def show_findings(value: list[list[str]]) -> Text:
    """Show the problems found: how many, or none."""
    return Text("supervision.findings_value", {"count": len(value)})


def inspect_fields(ctx: Context, _context: dict[str, Any]) -> list[FormField]:
    """Return the questions of an inspection."""
    return [
        FormField(
            "subject",
            Text("supervision.ask_subject"),
            Text("supervision.label_subject"),
            parse=parse_subject,
            display=lambda value: subject_text(ctx, value),
        ),
        FormField(
            "owner",
            Text("supervision.ask_owner"),
            Text("supervision.label_owner"),
            choices=group_choices,
            when=lambda data: not str(data.get("subject", "")).startswith(SUBJECT_GROUP + SUBJECT_SEPARATOR),
        ),
        FormField("kind", Text("supervision.ask_kind"), Text("supervision.label_kind"), choices=kind_choices),
        FormField(
            "day", Text("supervision.ask_day"), Text("supervision.label_day"), parse=parse_day, choices=day_choices
        ),
        FormField(
            "findings",
            Text("supervision.ask_findings"),
            Text("supervision.label_findings"),
            parse=parse_findings,
            display=show_findings,
        ),
        *(photo_field(number) for number in range(1, MAX_PROBLEM_PHOTOS + 1)),
    ]


def photo_field(number: int) -> FormField:
    """Return the optional photo question of the problem with this number, asked when there is such a problem."""
    return FormField(
        f"{PHOTO_FIELD}{number}",
        Text("supervision.ask_problem_photo", {"number": number}),
        Text("supervision.label_problem_photo", {"number": number}),
        optional=True,
        takes_file=True,
        when=lambda data: len(data.get("findings") or []) >= number,
    )


def submit_inspection(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store an inspection; each problem becomes a 整改 item owned by the inspected group, delivered to it."""
    kind, _, subject = str(data["subject"]).partition(SUBJECT_SEPARATOR)
    owner = subject if kind == SUBJECT_GROUP else str(data["owner"])
    problems = [(text, datetime.fromisoformat(due)) for text, due in data["findings"]]
    if any(due <= ctx.now for _text, due in problems):
        ctx.reply("supervision.error_due_passed")
        return
    inspection = record_inspection(
        session=ctx.session,
        now=ctx.now,
        day=date.fromisoformat(data["day"]),
        inspector_id=ctx.member_id,
        subject_kind=kind,
        subject=subject,
        owner_group=owner,
        kind=data["kind"],
        problems=len(problems),
    )
    numbers = []
    for number, (text, due) in enumerate(problems, 1):
        photo = file_answer(data.get(f"{PHOTO_FIELD}{number}"))
        item = create_item(
            session=ctx.session,
            now=ctx.now,
            creator_id=ctx.member_id,
            source=SOURCE_INSPECTION,
            content=text,
            lead_group=owner,
            due_at=due,
            inspection_id=inspection.id,
            attachment_id=photo[0] if photo else None,
        )
        deliver(ctx, item, lead=Text("supervision.rectify_title", {"inspection": inspection.id}))
        numbers.append(str(item.id))
    logger.info("inspection %s recorded by member %s: %s problems", inspection.id, ctx.member_id, len(problems))
    if numbers:
        ctx.reply("supervision.inspection_saved", number=inspection.id, count=len(numbers), items="、".join(numbers))
    else:
        ctx.reply("supervision.inspection_clean", number=inspection.id)


def inspect_command(ctx: MemberContext, args: str) -> None:
    """Record an inspection (``/inspect``) or show the problem ledger (``/inspect list``)."""
    member = ctx.member
    if not may_inspect(ctx, member) and not sees_every_item(ctx, member):
        ctx.reply("supervision.may_not_inspect")
        return
    if args.strip().lower() in LIST_WORDS:
        problem_ledger(ctx)
        return
    if not may_inspect(ctx, member):
        ctx.reply("supervision.may_not_inspect")
        return
    ctx.start_form(FORM_INSPECT)


def problem_ledger(ctx: MemberContext) -> None:
    """List the 整改 items: group, deadline, status, how long rectification took, and the 问责提示 flag."""
    member = ctx.member
    groups = None if sees_every_item(ctx, member) else (member.group_key,)
    found = rectifications(session=ctx.session, groups=groups, limit=LEDGER_LIMIT)
    if not found:
        ctx.reply("supervision.ledger_none")
        return
    lines = [Text("supervision.ledger_title", {"count": len(found)})]
    for item, flagged in found:
        params = {
            "number": item.id,
            "group": group_name(ctx, item.lead_group),
            "content": item.content,
            "due": shown_due(ctx, item.due_at),
            "state": state_label(item.state),
            "took": took(ctx, item),
        }
        lines.append(Text("supervision.ledger_line", params))
        if flagged:
            lines.append(Text("supervision.ledger_flagged"))
    ctx.reply(*lines)


def took(ctx: Context, item: SupervisionItem) -> Text:
    """Return how long a rectification took, or how late it is."""
    if item.closed_at is not None:
        days = max(1, -(-(item.closed_at - item.created_at).total_seconds() // 86400))
        late = item.closed_at > item.due_at
        return Text("supervision.took_late" if late else "supervision.took", {"days": int(days)})
    if item.due_at <= ctx.now:
        return Text("supervision.took_overdue", {"days": max(1, (ctx.now - item.due_at).days)})
    return Text("supervision.took_open")


INSPECT_FORM = Form(FORM_INSPECT, Text("supervision.inspect_title"), inspect_fields, submit_inspection)
INSPECT_COMMAND = Command(COMMAND, inspect_command, aliases=("督查",), private_only=True, arg_words={"list": "台账"})
