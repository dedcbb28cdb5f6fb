"""Minutes (纪要): the decisions, one per line with an optional owner group, and the record sent after a meeting."""

from __future__ import annotations

import logging
import re
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import FieldError, Form, FormField, static_fields
from lianfang.bot.types import ChatRef, Text
from lianfang.handlers.meetings.meetings import (
    decision_lines,
    excused_names,
    group_named,
    meeting_params,
    names,
    roll_of,
)
from lianfang.handlers.meetings.supervising import supervise_buttons
from lianfang.handlers.shared.audiences import group_chat, send_privately
from lianfang.models.meetings import MAX_DECISION, Meeting, attendees_of, decisions_of, record_minutes
from lianfang.models.members import Member
from sqlmodel import col, select

logger = logging.getLogger(__name__)

FORM_MINUTES = "meeting_minutes"
MAX_DECISIONS = 20
NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[.、)）:：]|[一二三四五六七八九十]+\s*[、.])\s*")
DECISION_SPLIT = re.compile(r"[\n；]")
"""Decisions come one per line, or in one line separated by full-width semicolons (a chat line on a phone)."""
OWNER = re.compile(r"^(?P<owner>[^：:]{1,16})[：:]\s*(?P<text>.+)$")


def parse_decisions(text: str, ctx: Context) -> list[list[str]]:
    """Read decisions, one per line or separated by ；; one that starts with a group's name and a colon is its."""
    lines = [NUMBERING.sub("", line).strip() for line in DECISION_SPLIT.split(text)]
    lines = [line for line in lines if line]
    if not lines:
        raise FieldError("form.error_empty")
    if len(lines) > MAX_DECISIONS:
        raise FieldError("meeting.error_too_many_decisions", limit=MAX_DECISIONS)
    decisions = []
    for line in lines:
        owner = ""
        match = OWNER.match(line)
        group = group_named(ctx, match["owner"].strip()) if match else None
        if match and group is not None:
            owner, line = group.key, match["text"].strip()
        if len(line) > MAX_DECISION:
            raise FieldError("form.error_too_long", limit=MAX_DECISION, length=len(line))
        decisions.append([line, owner])
    return decisions


def show_decisions(value: Any) -> Text:
    """Show the decisions in the form's summary."""
    return Text.raw("\n".join(f"{index}. {text}" for index, (text, _owner) in enumerate(value, start=1)))


def send_record(ctx: Context, meeting: Meeting) -> None:
    """Send the after-meeting record to the attendees privately and to the chats of the groups involved.

    The groups' chats get names only; excuse reasons (which may be about someone's health) stay out of them.
    """
    assert meeting.id is not None
    roll = roll_of(ctx, meeting, after=True)
    params = meeting_params(ctx, meeting)
    head = Text("meeting.record", params)
    decisions = decision_lines(ctx, meeting)
    tail = [Text("meeting.decisions_title"), *decisions] if decisions else [Text("meeting.no_decisions")]

    def body(reasons: bool) -> list[Text]:
        roll_params = {
            "attended": names(roll.attending),
            "excused": excused_names(roll.excused, reasons=reasons),
            "absent": names(roll.absent),
        }
        return [head, Text("meeting.roll_after", roll_params), *tail]

    rows = attendees_of(session=ctx.session, meeting_id=meeting.id)
    ids = [row.member_id for row in rows]
    members = list(ctx.session.exec(select(Member).where(col(Member.id).in_(ids)))) if ids else []
    send_privately(ctx, members, body(reasons=True))
    owners = {decision.owner_group for decision in decisions_of(session=ctx.session, meeting_id=meeting.id)}
    groups = ({m.group_key for m in members} | {meeting.group_key} | owners) - {""}
    chats: dict[tuple[str, str], ChatRef] = {}
    for key in sorted(groups):
        chat = group_chat(ctx, key)
        if chat is not None:
            chats.setdefault((chat.platform, chat.chat_id), chat)
    for chat in chats.values():
        ctx.send(chat, body(reasons=False), ctx.settings.default_language)


def submit_minutes(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Store the minutes' decisions (kept as 'to supervise') and send the after-meeting record."""
    meeting = ctx.session.get(Meeting, int(context["meeting"]))
    if meeting is None:
        ctx.reply("meeting.not_found_plain")
        return
    decisions = [(text, owner) for text, owner in data["decisions"]]
    record_minutes(session=ctx.session, meeting=meeting, now=ctx.now, decisions=decisions)
    logger.info("minutes of meeting %s recorded: %d decisions", meeting.id, len(decisions))
    saved = Text("meeting.minutes_saved", {**meeting_params(ctx, meeting), "count": len(decisions)})
    ctx.reply(saved, buttons=supervise_buttons(ctx, meeting))
    send_record(ctx, meeting)


MINUTES_FORM = Form(
    FORM_MINUTES,
    Text("meeting.minutes_title"),
    static_fields(
        FormField(
            "decisions",
            Text("meeting.ask_decisions"),
            Text("meeting.label_decisions"),
            parse=parse_decisions,
            display=show_decisions,
        )
    ),
    submit_minutes,
)
