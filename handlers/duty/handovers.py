"""Handover (交接班): the person on duty leaves a note, or nothing new, as the shift ends; the next shift gets it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import Form, FormField, static_fields
from lianfang.bot.types import Button, Text
from lianfang.handlers.duty.roster import OnDuty, on_duty, roster_of, shift_params
from lianfang.handlers.duty.settings import DUTY
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.labels import member_label
from lianfang.handlers.shared.parsers import parse_record_number, parse_text, shown_number
from lianfang.models.duty import MAX_HANDOVER, DutyAssignment, record_handover

logger = logging.getLogger(__name__)

FORM_HANDOVER = "duty_handover"
ACTION_HANDOVER = "handover"
HANDOVER_WORDS = (ACTION_HANDOVER, "交接")
NIL_WORDS = ("nil", "无", "无新情况")
ONE_DAY = timedelta(days=1)


def handover_buttons(entry: OnDuty) -> list[Button]:
    """Return the buttons of the handover question: nothing new, or write the matters."""
    return [
        Button(Text("duty.button_handover_nil"), f"/duty {ACTION_HANDOVER} {entry.id} nil"),
        Button(Text("duty.button_handover_write"), f"/duty {ACTION_HANDOVER} {entry.id}"),
    ]


def _around(ctx: Context, entry: OnDuty) -> list[OnDuty]:
    day = entry.assignment.day
    return roster_of(ctx, [day - ONE_DAY, day, day + ONE_DAY])


def handover_lines(ctx: Context, entry: OnDuty) -> list[Text]:
    """Return what the shift before this one handed over, one line per person who recorded it."""
    return [
        line
        for before in _around(ctx, entry)
        if before.end == entry.start and before.assignment.handover_at is not None
        for line in handover_lines_of(before)
    ]


def _pass_on(ctx: Context, entry: OnDuty) -> None:
    """Give a handover recorded late to the next shift's people already checked in (the others get it on check-in)."""
    lines = handover_lines_of(entry)
    after = [e.member for e in _around(ctx, entry) if e.start == entry.end and e.checked_in]
    if after:
        send_privately(ctx, after, lines)


def handover_lines_of(entry: OnDuty) -> list[Text]:
    """Return one person's recorded handover as the next shift reads it."""
    params = {"name": member_label(entry.member), "note": entry.assignment.handover_note}
    return [Text("duty.handover_note" if entry.assignment.handover_note else "duty.handover_nil", params)]


def _own(ctx: MemberContext, ref: str) -> OnDuty | None:
    """Return the speaker's assignment a number names, having answered why not when it is not one to hand over."""
    number = parse_record_number(ref)
    assignment = ctx.session.get(DutyAssignment, number) if number else None
    if assignment is None:
        ctx.refuse(Text("duty.unknown_number", {"number": shown_number(ref)}))
        return None
    if assignment.member_id != ctx.member_id:
        ctx.refuse("duty.not_yours")
        return None
    entry = on_duty(DUTY.of(ctx.org), ctx.tz, assignment, ctx.member)
    if entry is None or ctx.now < entry.start:
        ctx.refuse("duty.handover_early")
        return None
    if assignment.handover_at is not None:
        ctx.refuse("duty.handover_done")
        return None
    return entry


def handover_command(ctx: MemberContext, words: list[str]) -> None:
    """Record nothing new (``handover N nil``), or start the handover note (``handover N``)."""
    if not words or len(words) > len(("number", "nil")):
        ctx.reply("duty.usage")
        return
    entry = _own(ctx, words[0])
    if entry is None:
        return
    if len(words) == 1:
        ctx.start_form(FORM_HANDOVER, context={"assignment": entry.id})
        return
    if words[1].casefold() not in NIL_WORDS:
        ctx.reply("duty.usage")
        return
    _record(ctx, entry, "")


def _record(ctx: MemberContext, entry: OnDuty, note: str) -> None:
    record_handover(session=ctx.session, assignment=entry.assignment, note=note, now=ctx.now)
    logger.info("handover of duty assignment %s recorded", entry.id)
    ctx.reply(Text("duty.handover_saved", shift_params(ctx, entry)))
    _pass_on(ctx, entry)


def submit_handover(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Record the handover note, unless one was recorded meanwhile."""
    entry = _own(ctx, str(context["assignment"]))
    if entry is not None:
        _record(ctx, entry, data["note"])


HANDOVER_FORM = Form(
    FORM_HANDOVER,
    Text("duty.handover_title"),
    static_fields(
        FormField("note", Text("duty.ask_handover"), Text("duty.label_handover"), parse=parse_text(MAX_HANDOVER))
    ),
    submit_handover,
)
