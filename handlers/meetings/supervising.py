"""A meeting's decision becomes a 督办 item in one tap: owner group (the decision's, if it names one) and due date."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import Choice, FieldError, Form, FormField
from lianfang.bot.i18n import render
from lianfang.bot.org import Group
from lianfang.bot.types import Button, Text
from lianfang.handlers.meetings.meetings import group_named, may_manage
from lianfang.handlers.meetings.scheduling import CMD_MEETING
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.shared.labels import group_label
from lianfang.handlers.shared.parsers import parse_record_number, shown_number
from lianfang.handlers.supervision import due_from_text, supervise_decision
from lianfang.models.meetings import (
    DECISION_TO_SUPERVISE,
    Meeting,
    MeetingDecision,
    decision_at,
    decisions_of,
    mark_supervised,
)
from lianfang.models.members import ROLE_STAFF, Member

logger = logging.getLogger(__name__)

FORM_SUPERVISE = "meeting_supervise"
ACTION_SUPERVISE = "supervise"
SUPERVISE_WORDS = (ACTION_SUPERVISE, "督办", "转督办")
DUE_FORMAT = "%Y-%m-%d %H:%M"


def supervise_buttons(ctx: Context, meeting: Meeting) -> list[Button]:
    """Offer one 转督办 button per decision not yet made a 督办 item."""
    assert meeting.id is not None
    return [
        Button(
            Text("meeting.button_supervise", {"position": d.position}),
            f"/{CMD_MEETING} {ACTION_SUPERVISE} {meeting.id} {d.position}",
        )
        for d in decisions_of(session=ctx.session, meeting_id=meeting.id)
        if d.status == DECISION_TO_SUPERVISE
    ]


def _find(ctx: MemberContext, ref: str, position: str) -> tuple[Meeting, MeetingDecision] | None:
    """Return the meeting and decision named, refusing (as not found) what the speaker may not manage."""
    number = parse_record_number(ref)
    meeting = ctx.session.get(Meeting, number) if number else None
    if meeting is None or meeting.id is None or not may_manage(ctx, ctx.member, meeting):
        ctx.refuse(Text("meeting.not_found", {"number": shown_number(ref)}))
        return None
    place = parse_record_number(position)
    decision = decision_at(session=ctx.session, meeting_id=meeting.id, position=place) if place else None
    if decision is None:
        ctx.refuse(Text("meeting.decision_unknown", {"number": meeting.id, "position": shown_number(position)}))
        return None
    if decision.status != DECISION_TO_SUPERVISE:
        ctx.refuse(Text("meeting.decision_already", {"number": meeting.id, "position": decision.position}))
        return None
    return meeting, decision


def start_supervise(ctx: MemberContext, words: list[str]) -> None:
    """``supervise N M`` opens the short form (owner group prefilled from the decision); ``supervise N M 组 日期``
    goes straight to the summary."""
    if len(words) < 2:
        ctx.reply("meeting.usage")
        return
    found = _find(ctx, words[0], words[1])
    if found is None:
        return
    meeting, decision = found
    prefill: dict[str, Any] = {}
    group = ctx.org.group(decision.owner_group) if decision.owner_group else None
    if len(words) >= 3:
        group = group_named(ctx, words[2])
        if group is None:
            ctx.refuse(Text("meeting.unknown_group", {"name": words[2][:20]}))
            return
    allowed = allowed_groups(ctx, ctx.member, meeting)
    if group is not None and len(words) >= 3 and group not in allowed:
        ctx.refuse(Text("meeting.supervise_own_group", {"group": group_label(group)}))
        return
    if group is not None and group in allowed:
        prefill["lead_group"] = group.key
    if len(words) >= 4:
        try:
            prefill["due"] = parse_due(" ".join(words[3:]), ctx)
        except FieldError as error:
            ctx.refuse(error.text())
            return
    context = {"meeting": meeting.id, "position": decision.position}
    lead = Text("meeting.supervise_lead", {"number": meeting.id, "position": decision.position, "text": decision.text})
    ctx.start_form(FORM_SUPERVISE, prefill=prefill, context=context, lead=lead)


def parse_due(text: str, ctx: Context) -> str:
    """Read the due date as 督办 items take it; keep it as local ISO text in the draft."""
    return due_from_text(ctx, text).isoformat()


def show_due(value: Any) -> Text:
    """Show the due date in the summary."""
    return Text.raw(datetime.fromisoformat(str(value)).strftime(DUE_FORMAT))


def allowed_groups(ctx: Context, member: Member | None, meeting: Meeting | None) -> list[Group]:
    """Return the groups a member may make a decision's lead group: any for those who create 督办 items (leaders,
    admins, 综合组 other than staff), else only the meeting's own group (a group lead's 工作组例会)."""
    if member is None or meeting is None:
        return []
    if is_overseer(ctx, member) and member.role != ROLE_STAFF:
        return list(ctx.org.groups)
    own = ctx.org.group(meeting.group_key) if meeting.group_key else None
    return [own] if own is not None else []


def supervise_fields(ctx: Context, context: dict[str, Any]) -> list[FormField]:
    """Ask the lead group among those allowed, and the due date."""
    meeting = ctx.session.get(Meeting, int(context.get("meeting") or 0))
    groups = allowed_groups(ctx, ctx.member, meeting)
    choices = [Choice(g.key, group_label(g), (g.name, g.name_en)) for g in groups]
    return [
        FormField(
            "lead_group",
            Text("meeting.ask_lead_group"),
            Text("meeting.label_lead_group"),
            choices=lambda _ctx, _data: choices,
        ),
        FormField("due", Text("meeting.ask_due"), Text("meeting.label_due"), parse=parse_due, display=show_due),
    ]


def submit_supervise(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Mark the decision supervised (once) and open its 督办 item, delivered to the lead group, in one transaction."""
    meeting = ctx.session.get(Meeting, int(context["meeting"]))
    decision = None
    if meeting is not None and meeting.id is not None:
        decision = decision_at(session=ctx.session, meeting_id=meeting.id, position=int(context["position"]))
    if meeting is None or decision is None or decision.id is None or not may_manage(ctx, ctx.member, meeting):
        ctx.reply("meeting.not_found_plain")
        return
    if data["lead_group"] not in {g.key for g in allowed_groups(ctx, ctx.member, meeting)}:
        ctx.reply("meeting.not_found_plain")  # a forged answer: the form offers only allowed groups
        return
    position, text = decision.position, decision.text
    due = datetime.fromisoformat(data["due"])
    if due <= ctx.now:
        ctx.reply("meeting.supervise_due_passed")
        return
    if not mark_supervised(session=ctx.session, decision_id=decision.id):
        ctx.reply(Text("meeting.decision_already", {"number": meeting.id, "position": position}))
        return
    reference = render(
        Text("meeting.supervise_reference", {"number": meeting.id, "position": position}),
        ctx.settings.default_language,
    )
    item, reached = supervise_decision(
        ctx, creator_id=ctx.member_id, content=text, lead_group=data["lead_group"], due_at=due, reference=reference
    )
    logger.info("decision %s of meeting %s became 督办 item %s", position, meeting.id, item)
    group = ctx.org.group(data["lead_group"])
    params = {
        "number": meeting.id,
        "position": position,
        "item": item,
        "group": group_label(group) if group is not None else data["lead_group"],
        "due": due.strftime(DUE_FORMAT),
        "count": reached,
    }
    ctx.reply(Text("meeting.supervised", params))


SUPERVISE_FORM = Form(
    FORM_SUPERVISE,
    Text("meeting.supervise_title"),
    supervise_fields,
    submit_supervise,
)
