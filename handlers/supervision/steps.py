"""The steps people take on a 督办 item: accept, report progress, ask for and decide on extensions, report done,
confirm or return, withdraw; and who is told of each."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import FieldError, Form, FormField, file_answer
from lianfang.bot.types import Button, Text
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.labels import member_label
from lianfang.handlers.shared.parsers import parse_text
from lianfang.handlers.supervision.cards import HANDLER_ACTIONS, buttons_for, handler_buttons, overseer_buttons
from lianfang.handlers.supervision.cards import state_label as state_text
from lianfang.handlers.supervision.due import TIME, parse_due_answer, shown_due
from lianfang.handlers.supervision.items import handlers_of, kept_document, show_due
from lianfang.handlers.supervision.scope import handles, oversees
from lianfang.models.members import Member, get_member
from lianfang.models.supervision import (
    ACTION_ACCEPT,
    ACTION_APPROVE_EXTENSION,
    ACTION_CONFIRM,
    ACTION_PROGRESS,
    ACTION_REFUSE_EXTENSION,
    ACTION_REPORT_DONE,
    ACTION_REQUEST_EXTENSION,
    ACTION_RETURN,
    ACTION_WITHDRAW,
    MAX_NOTE,
    SupervisionItem,
    act,
    get_item,
    may_act,
)

logger = logging.getLogger(__name__)

FORM_STEP = "supervise_step"
VERBS: dict[str, str] = {
    "accept": ACTION_ACCEPT,
    "签收": ACTION_ACCEPT,
    "progress": ACTION_PROGRESS,
    "进展": ACTION_PROGRESS,
    "报进展": ACTION_PROGRESS,
    "extend": ACTION_REQUEST_EXTENSION,
    "延期": ACTION_REQUEST_EXTENSION,
    "申请延期": ACTION_REQUEST_EXTENSION,
    "done": ACTION_REPORT_DONE,
    "办结": ACTION_REPORT_DONE,
    "报办结": ACTION_REPORT_DONE,
    "confirm": ACTION_CONFIRM,
    "确认": ACTION_CONFIRM,
    "确认办结": ACTION_CONFIRM,
    "return": ACTION_RETURN,
    "退回": ACTION_RETURN,
    "approve": ACTION_APPROVE_EXTENSION,
    "同意": ACTION_APPROVE_EXTENSION,
    "同意延期": ACTION_APPROVE_EXTENSION,
    "refuse": ACTION_REFUSE_EXTENSION,
    "不同意": ACTION_REFUSE_EXTENSION,
    "不同意延期": ACTION_REFUSE_EXTENSION,
    "withdraw": ACTION_WITHDRAW,
    "撤销": ACTION_WITHDRAW,
}
"""What may follow ``/supervise N``: the word a button carries, or its Chinese word typed."""
NOTE_PROMPT = {
    ACTION_PROGRESS: "supervision.ask_progress",
    ACTION_REPORT_DONE: "supervision.ask_done",
    ACTION_RETURN: "supervision.ask_return",
    ACTION_WITHDRAW: "supervision.ask_withdraw",
    ACTION_REQUEST_EXTENSION: "supervision.ask_extension_reason",
}
"""The steps that need a note, and the question that asks for it."""
DONE_KEY = {
    ACTION_ACCEPT: "supervision.did_accept",
    ACTION_PROGRESS: "supervision.did_progress",
    ACTION_REQUEST_EXTENSION: "supervision.did_ask_extension",
    ACTION_APPROVE_EXTENSION: "supervision.did_approve",
    ACTION_REFUSE_EXTENSION: "supervision.did_refuse",
    ACTION_REPORT_DONE: "supervision.did_report_done",
    ACTION_CONFIRM: "supervision.did_confirm",
    ACTION_RETURN: "supervision.did_return",
    ACTION_WITHDRAW: "supervision.did_withdraw",
}
"""What the member who took a step is told."""
TOLD_CREATOR = {
    ACTION_ACCEPT: "supervision.told_accept",
    ACTION_PROGRESS: "supervision.told_progress",
    ACTION_REQUEST_EXTENSION: "supervision.told_ask_extension",
    ACTION_REPORT_DONE: "supervision.told_report_done",
}
"""What the creator is told of the lead group's steps."""
TOLD_HANDLERS = {
    ACTION_APPROVE_EXTENSION: "supervision.told_approve",
    ACTION_REFUSE_EXTENSION: "supervision.told_refuse",
    ACTION_CONFIRM: "supervision.told_confirm",
    ACTION_RETURN: "supervision.told_return",
    ACTION_WITHDRAW: "supervision.told_withdraw",
}
"""What the lead group's handlers are told of the creator's decisions."""
EVIDENCE_STEPS = (ACTION_PROGRESS, ACTION_REPORT_DONE)
"""The steps whose form asks for an optional photo or file as evidence, after the note."""


def may_take(ctx: Context, member: Member, item: SupervisionItem, action: str) -> bool:
    """Tell whether a member may take a step: the lead group's steps for its handlers, the rest for overseers."""
    return handles(member, item) if action in HANDLER_ACTIONS else oversees(ctx, member, item)


def take_step(ctx: MemberContext, item: SupervisionItem, action: str, text: str) -> None:
    """Take a step typed or tapped on an item; ask for its note (or date) first when none came with it."""
    if not may_take(ctx, ctx.member, item, action):
        ctx.reply("supervision.not_yours", number=item.id)
        return
    if not may_act(item, action):
        _not_now(ctx, item)
        return
    if action == ACTION_REQUEST_EXTENSION:
        _extension(ctx, item, text)
        return
    if action in NOTE_PROMPT and not text:
        context = {"item": item.id, "action": action}
        ctx.start_form(FORM_STEP, context=context, lead=Text("supervision.step_title", {"number": item.id}))
        return
    if text and len(text) > MAX_NOTE:
        ctx.reply("form.error_too_long", limit=MAX_NOTE, length=len(text))
        return
    perform(ctx, item, action, note=text)


def _extension(ctx: MemberContext, item: SupervisionItem, text: str) -> None:
    """Ask for an extension: ``延期 2月2日 [18:00] 理由`` at once, else through the form (date, then reason)."""
    prefill: dict[str, Any] = {}
    words = text.split()
    if words:
        typed = words.pop(0)
        if words and TIME.match(words[0]):
            typed += " " + words.pop(0)
        try:
            prefill["due"] = parse_due_answer(typed, ctx)
        except FieldError as error:
            ctx.reply(error.text())
            return
    reason = " ".join(words)
    if "due" in prefill and reason and len(reason) <= MAX_NOTE:
        perform(ctx, item, ACTION_REQUEST_EXTENSION, note=reason, due=datetime.fromisoformat(prefill["due"]))
        return
    context = {"item": item.id, "action": ACTION_REQUEST_EXTENSION}
    ctx.start_form(
        FORM_STEP, prefill=prefill, context=context, lead=Text("supervision.step_title", {"number": item.id})
    )


def perform(
    ctx: MemberContext,
    item: SupervisionItem,
    action: str,
    *,
    note: str = "",
    due: datetime | None = None,
    evidence_id: int | None = None,
) -> None:
    """Record a step and tell those it concerns; a step the item no longer allows is answered, nothing changed.

    Evidence goes privately to the creator with the notice (for a report of done, with the confirm buttons).
    """
    if due is not None and due <= item.due_at and action == ACTION_REQUEST_EXTENSION:
        ctx.reply("supervision.error_extension_earlier", due=shown_due(ctx, item.due_at))
        return
    was = item.requested_due_at
    if not act(
        session=ctx.session,
        item=item,
        action=action,
        member_id=ctx.member_id,
        now=ctx.now,
        note=note,
        due_at=due,
        evidence_id=evidence_id,
    ):
        ctx.session.refresh(item)
        _not_now(ctx, item)
        return
    logger.info("supervision item %s: %s by member %s", item.id, action, ctx.member_id)
    params: dict[str, Any] = {
        "number": item.id,
        "name": member_label(ctx.member),
        "note": note or "-",
        "due": shown_due(ctx, item.requested_due_at or was or item.due_at),
        "state": state_text(item.state),
    }
    ctx.reply(Text(DONE_KEY[action], params), buttons=buttons_for(ctx, ctx.member, item))
    if action in TOLD_CREATOR:
        creator = get_member(session=ctx.session, member_id=item.creator_id)
        if creator is not None and creator.id != ctx.member_id:
            told = [Text(TOLD_CREATOR[action], params)]
            document = kept_document(ctx, evidence_id)
            if document is not None:
                told.append(Text("supervision.evidence_attached", {"number": item.id}))
            send_privately(ctx, [creator], told, buttons=overseer_buttons(item))
            if document is not None:
                evidence = Text("supervision.evidence_title", {"number": item.id, "name": member_label(ctx.member)})
                send_privately(ctx, [creator], [evidence], document=document)
    if action in TOLD_HANDLERS:
        others = [member for member in handlers_of(ctx, item) if member.id != ctx.member_id]
        buttons: list[Button] = handler_buttons(item)
        send_privately(ctx, others, [Text(TOLD_HANDLERS[action], params)], buttons=buttons)


def _not_now(ctx: Context, item: SupervisionItem) -> None:
    """Say where an item stands when a step no longer fits it (a double tap, extending a closed item)."""
    member = ctx.member
    buttons = buttons_for(ctx, member, item) if member is not None else []
    ctx.reply(Text("supervision.not_now", {"number": item.id, "state": state_text(item.state)}), buttons=buttons)


def step_fields(_ctx: Context, context: dict[str, Any]) -> list[FormField]:
    """Return the questions of a step: the new date and a reason for an extension, else the note."""
    action = context.get("action", ACTION_PROGRESS)
    note = FormField(
        "note",
        Text(NOTE_PROMPT.get(action, "supervision.ask_progress")),
        Text("supervision.label_note"),
        parse=parse_text(MAX_NOTE),
    )
    if action in EVIDENCE_STEPS:
        evidence = FormField(
            "evidence",
            Text("supervision.ask_evidence"),
            Text("supervision.label_evidence"),
            optional=True,
            takes_file=True,
        )
        return [note, evidence]
    if action != ACTION_REQUEST_EXTENSION:
        return [note]
    due = FormField(
        "due",
        Text("supervision.ask_extension_due"),
        Text("supervision.label_due"),
        parse=parse_due_answer,
        display=show_due,
    )
    return [due, note]


def submit_step(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Take the step the form was for, if the item still allows it."""
    item = get_item(session=ctx.session, item_id=int(context.get("item", 0)))
    action = str(context.get("action", ""))
    if item is None or action not in DONE_KEY:
        ctx.reply("supervision.unknown", number=context.get("item", "-"))
        return
    if not may_take(ctx, ctx.member, item, action):
        ctx.reply("supervision.not_yours", number=item.id)
        return
    due = datetime.fromisoformat(data["due"]) if data.get("due") else None
    attached = file_answer(data.get("evidence"))
    perform(ctx, item, action, note=data.get("note") or "", due=due, evidence_id=attached[0] if attached else None)


STEP_FORM = Form(FORM_STEP, Text("supervision.step_form"), step_fields, submit_step, confirm=False)
