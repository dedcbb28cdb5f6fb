"""Creating 督办 items: the form, the one-line entry, and delivery to the lead group's leads and reporter."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import Choice, FieldError, Form, FormField, file_answer
from lianfang.bot.org import Group
from lianfang.bot.types import Document, Text, TextError
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.labels import group_label
from lianfang.handlers.shared.parsers import parse_text
from lianfang.handlers.supervision.cards import card, groups_text, handler_buttons
from lianfang.handlers.supervision.due import SHOWN_FORMAT, TIME, looks_like_date, parse_due_answer
from lianfang.handlers.supervision.scope import HANDLER_ROLES
from lianfang.handlers.supervision.settings import SUPERVISION
from lianfang.models.files import get_kept_file
from lianfang.models.members import ROLE_LEADER, Member, list_members
from lianfang.models.supervision import (
    MAX_CONTENT,
    MAX_REFERENCE,
    PRIORITY_NORMAL,
    PRIORITY_URGENT,
    SOURCE_INSTRUCTION,
    SOURCE_MEETING,
    SOURCE_OTHER,
    SOURCE_SUPERIOR,
    SupervisionItem,
    create_item,
    item_colour,
)

logger = logging.getLogger(__name__)

FORM_ITEM = "supervise"
OCTET_STREAM = "application/octet-stream"
GROUP_SEPARATORS = re.compile(r"[\s,，、;；/]+")
GROUP_SUFFIX = "组"
URGENT_WORDS = ("紧急", "急", "加急", "urgent")
NORMAL_WORDS = ("一般", "普通", "normal")


def find_group(ctx: Context, word: str) -> Group | None:
    """Return the group a word names: its key, Chinese or English name, or the Chinese name without 组."""
    word = word.strip()
    folded = word.casefold()
    for group in ctx.org.groups:
        names = {group.key, group.name, group.name_en.casefold(), group.name.removesuffix(GROUP_SUFFIX)}
        if word in names or folded in names:
            return group
    return None


def unknown_group(ctx: Context, word: str) -> TextError:
    """Return the refusal of a word that names no group, listing the groups."""
    names = "、".join(group.name for group in ctx.org.groups)
    return FieldError("supervision.unknown_group", word=word[:20], groups=names)


def group_choices(ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the org's working groups."""
    return [
        Choice(group.key, group_label(group), (group.name, group.name_en, group.name.removesuffix(GROUP_SUFFIX)))
        for group in ctx.org.groups
    ]


def parse_assisting(text: str, ctx: Context) -> str:
    """Read assisting groups typed as names separated by 、 or spaces; return their keys separated by spaces."""
    keys: list[str] = []
    for word in GROUP_SEPARATORS.split(text.strip()):
        if not word:
            continue
        group = find_group(ctx, word)
        if group is None:
            raise unknown_group(ctx, word)
        if group.key not in keys:
            keys.append(group.key)
    if not keys:
        raise FieldError("form.error_empty")
    return " ".join(keys)


def source_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the sources of an item."""
    return [
        Choice(SOURCE_INSTRUCTION, Text("supervision.source_instruction"), ("批示",)),
        Choice(SOURCE_MEETING, Text("supervision.source_meeting"), ("例会", "会议")),
        Choice(SOURCE_SUPERIOR, Text("supervision.source_superior"), ("上级",)),
        Choice(SOURCE_OTHER, Text("supervision.source_other")),
    ]


def priority_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer normal or urgent."""
    return [
        Choice(PRIORITY_NORMAL, Text("supervision.priority_normal"), NORMAL_WORDS),
        Choice(PRIORITY_URGENT, Text("supervision.priority_urgent"), URGENT_WORDS),
    ]


def show_due(value: str) -> Text:
    """Show a stored due time (ISO, local) as people read it."""
    return Text.raw(datetime.fromisoformat(value).strftime(SHOWN_FORMAT))


def item_fields(ctx: Context, _context: dict[str, Any]) -> list[FormField]:
    """Return the questions of a new item."""
    return [
        FormField("lead_group", Text("supervision.ask_group"), Text("supervision.label_group"), choices=group_choices),
        FormField(
            "content", Text("supervision.ask_content"), Text("supervision.label_content"), parse=parse_text(MAX_CONTENT)
        ),
        FormField(
            "due",
            Text("supervision.ask_due"),
            Text("supervision.label_due"),
            parse=parse_due_answer,
            display=show_due,
        ),
        FormField("source", Text("supervision.ask_source"), Text("supervision.label_source"), choices=source_choices),
        FormField(
            "reference",
            Text("supervision.ask_reference"),
            Text("supervision.label_reference"),
            parse=parse_text(MAX_REFERENCE),
            optional=True,
        ),
        FormField(
            "attachment",
            Text("supervision.ask_attachment"),
            Text("supervision.label_attachment"),
            optional=True,
            takes_file=True,
        ),
        FormField(
            "assist_groups",
            Text("supervision.ask_assist"),
            Text("supervision.label_assist"),
            parse=parse_assisting,
            optional=True,
            display=lambda value: groups_text(ctx, tuple(str(value).split())),
        ),
        FormField(
            "priority", Text("supervision.ask_priority"), Text("supervision.label_priority"), choices=priority_choices
        ),
    ]


def read_line(ctx: Context, text: str) -> dict[str, Any]:
    """Read ``排查组 1月30日 [18:00] [紧急] 内容`` into form answers; raise a TextError for a bad group or date."""
    words = text.split()
    group = find_group(ctx, words[0])
    if group is None:
        raise unknown_group(ctx, words[0])
    answers: dict[str, Any] = {"lead_group": group.key}
    rest = words[1:]
    if rest and looks_like_date(rest[0]):
        typed = rest.pop(0)
        if rest and TIME.match(rest[0]):
            typed += " " + rest.pop(0)
        answers["due"] = parse_due_answer(typed, ctx)
    if rest and rest[0] in URGENT_WORDS:
        answers["priority"] = PRIORITY_URGENT
        rest.pop(0)
    if rest:
        answers["content"] = parse_text(MAX_CONTENT)(" ".join(rest), ctx)
    return answers


def start_item(ctx: MemberContext, args: str) -> None:
    """Open the form for a new item, prefilled from a one-line entry when one is given."""
    if not args:
        ctx.start_form(FORM_ITEM)
        return
    try:
        prefill = read_line(ctx, args)
    except TextError as error:
        ctx.reply(error.text())
        return
    source = SOURCE_INSTRUCTION if ctx.member.role == ROLE_LEADER else SOURCE_OTHER
    defaults = {
        "source": source,
        "reference": None,
        "attachment": None,
        "assist_groups": None,
        "priority": PRIORITY_NORMAL,
    }
    ctx.start_form(FORM_ITEM, prefill=prefill, defaults={k: v for k, v in defaults.items() if k not in prefill})


def submit_item(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store a new item and deliver it to the lead group."""
    due = datetime.fromisoformat(data["due"])
    if due <= ctx.now:
        # The draft waited past its due time: ask again rather than store an item born overdue.
        ctx.reply("supervision.error_due_passed")
        return
    item = create_item(
        session=ctx.session,
        now=ctx.now,
        creator_id=ctx.member_id,
        source=data["source"],
        content=data["content"],
        lead_group=data["lead_group"],
        due_at=due,
        priority=data.get("priority") or PRIORITY_NORMAL,
        reference=data.get("reference") or "",
        assist_groups=tuple((data.get("assist_groups") or "").split()),
        attachment_id=attached[0] if (attached := file_answer(data.get("attachment"))) else None,
    )
    logger.info("supervision item %s created by member %s for %s", item.id, ctx.member_id, item.lead_group)
    reached = deliver(ctx, item)
    key = "supervision.created" if reached else "supervision.created_unreached"
    ctx.reply(Text(key, {"number": item.id, "count": len(reached)}))


def handlers_of(ctx: Context, item: SupervisionItem) -> list[Member]:
    """Return the lead group's leads and reporters, who get the item."""
    return list_members(session=ctx.session, group_key=item.lead_group, roles=HANDLER_ROLES)


def deliver(ctx: Context, item: SupervisionItem, lead: Text | None = None) -> list[Member]:
    """Send an item to its lead group's leads and reporters privately, with its buttons; return who it reached."""
    assert item.id is not None
    rules = SUPERVISION.of(ctx.org).colour_rules()
    colour = item_colour(session=ctx.session, item_id=item.id, now=ctx.now, rules=rules)
    lines = [lead or Text("supervision.delivered_title"), *card(ctx, item, colour)]
    reached = send_privately(ctx, handlers_of(ctx, item), lines, buttons=handler_buttons(item))
    document = attachment_of(ctx, item)
    if document is not None:
        key = "supervision.photo_title" if item.inspection_id is not None else "supervision.attachment_title"
        send_privately(ctx, reached, [Text(key, {"number": item.id})], document=document)
    return reached


def attachment_of(ctx: Context, item: SupervisionItem) -> Document | None:
    """Return the photo or file of an item's 批示 (a 整改 item's: the problem's photo) as a document, or None."""
    return kept_document(ctx, item.attachment_id)


def kept_document(ctx: Context, file_id: int | None) -> Document | None:
    """Return a kept photo or file as a document to send privately, or None."""
    kept = get_kept_file(session=ctx.session, file_id=file_id) if file_id else None
    if kept is None:
        return None
    return Document(kept.file_name, kept.size, kept.mime_type or OCTET_STREAM, data=kept.data)


ITEM_FORM = Form(FORM_ITEM, Text("supervision.title"), item_fields, submit_item)
