"""/meeting (例会): list, show, schedule, answer, minutes; /checkin (签到) at a meeting."""

from __future__ import annotations

import logging
from datetime import timedelta

from lianfang.bot.context import MemberContext
from lianfang.bot.dispatcher import Command
from lianfang.bot.types import Button, Text
from lianfang.handlers.meetings.meetings import (
    checkin_window,
    may_manage,
    may_schedule,
    meeting_card,
    meeting_params,
    roll_of,
)
from lianfang.handlers.meetings.minutes import FORM_MINUTES, MINUTES_FORM
from lianfang.handlers.meetings.scheduling import (
    ACTION_ATTEND,
    ACTION_EXCUSE,
    CMD_MEETING,
    EXCUSE_FORM,
    FORM_MEETING,
    MEETING_FORM,
    answer,
)
from lianfang.handlers.meetings.supervising import SUPERVISE_FORM, SUPERVISE_WORDS, start_supervise, supervise_buttons
from lianfang.handlers.shared.labels import member_label
from lianfang.handlers.shared.parsers import parse_record_number, shown_number
from lianfang.models.base import to_db_time
from lianfang.models.meetings import (
    ANSWER_ATTEND,
    ANSWER_EXCUSED,
    DECISION_TO_SUPERVISE,
    Meeting,
    attendance,
    attendees_of,
    decisions_of,
    invitations_of,
)
from lianfang.models.members import members_named

logger = logging.getLogger(__name__)

CMD_CHECKIN = "checkin"
ACTION_NEW = "new"
ACTION_MINUTES = "minutes"
ACTION_TICK = "tick"
TICK_WORDS = (ACTION_TICK, "代签")
TICK_ARGS = 3
"""``tick N WHO``: the action, the meeting's number, and the member's number or name."""
NEW_WORDS = (ACTION_NEW, "新建", "安排")
MINUTES_WORDS = (ACTION_MINUTES, "纪要")
LISTED = 10
LISTED_SINCE = timedelta(hours=12)
"""A meeting stays in the list this long after its start, for its check-in and minutes."""


def list_meetings(ctx: MemberContext) -> None:
    """List the speaker's meetings from today on, each with its answer, and offer to schedule one if allowed."""
    rows = invitations_of(session=ctx.session, member_id=ctx.member_id, since=ctx.now - LISTED_SINCE)[:LISTED]
    lines = [Text("meeting.list_title")]
    buttons = []
    for meeting, invitation in rows:
        params = {
            **meeting_params(ctx, meeting),
            "answer": Text(ANSWER_LABELS.get(invitation.answer, "meeting.answer_none")),
        }
        lines.append(Text("meeting.list_line", params))
        buttons.append(Button(Text("meeting.button_show", {"number": meeting.id}), f"/{CMD_MEETING} {meeting.id}"))
    if not rows:
        lines.append(Text("meeting.list_empty"))
    if may_schedule(ctx, ctx.member):
        buttons.append(Button(Text("meeting.button_new"), f"/{CMD_MEETING} {ACTION_NEW}"))
    ctx.reply(*lines, buttons=buttons)


def show_meeting(ctx: MemberContext, number: int, typed: str) -> None:
    """Show one meeting to its attendees, its organiser and 综合组."""
    meeting = ctx.session.get(Meeting, number) if number else None
    invitation = attendance(session=ctx.session, meeting_id=number, member_id=ctx.member_id) if meeting else None
    if meeting is None or (invitation is None and not may_manage(ctx, ctx.member, meeting)):
        ctx.refuse(Text("meeting.not_found", {"number": shown_number(typed)}))
        return
    buttons = []
    if may_manage(ctx, ctx.member, meeting) and ctx.now >= checkin_window(ctx, meeting)[0]:
        roll = roll_of(ctx, meeting, after=True)
        ticked = {m.id for m in roll.checked_in}
        buttons += [
            Button(Text("meeting.button_tick", {"name": m.name}), f"/{CMD_MEETING} {ACTION_TICK} {meeting.id} {m.id}")
            for m in [*roll.absent, *(m for m, _reason in roll.excused)]
            if m.id not in ticked
        ]
    if may_manage(ctx, ctx.member, meeting) and ctx.now >= meeting.starts_at.astimezone(ctx.tz):
        buttons.append(Button(Text("meeting.button_minutes"), f"/{CMD_MEETING} {ACTION_MINUTES} {meeting.id}"))
        buttons += supervise_buttons(ctx, meeting)
    ctx.reply(*meeting_card(ctx, meeting, invitation), buttons=buttons)


def start_minutes(ctx: MemberContext, number: int, typed: str) -> None:
    """Start the minutes of a meeting that has begun, for its organiser or 综合组."""
    meeting = ctx.session.get(Meeting, number) if number else None
    if meeting is None or not may_manage(ctx, ctx.member, meeting):
        ctx.refuse(Text("meeting.not_found", {"number": shown_number(typed)}))
        return
    if ctx.now < meeting.starts_at.astimezone(ctx.tz):
        ctx.refuse(Text("meeting.minutes_too_early", meeting_params(ctx, meeting)))
        return
    assert meeting.id is not None
    if any(d.status != DECISION_TO_SUPERVISE for d in decisions_of(session=ctx.session, meeting_id=meeting.id)):
        # New minutes replace the decisions; one already a 督办 item must not vanish from under it.
        ctx.refuse(Text("meeting.minutes_locked", meeting_params(ctx, meeting)))
        return
    ctx.start_form(FORM_MINUTES, context={"meeting": meeting.id})


def meeting_command(ctx: MemberContext, args: str) -> None:
    """Route /meeting: nothing lists, N shows, new schedules, attend/excuse N answers, minutes N records."""
    words = args.split()
    if not words:
        list_meetings(ctx)
        return
    action = words[0].casefold()
    if action in NEW_WORDS:
        if not may_schedule(ctx, ctx.member):
            ctx.reply("meeting.not_allowed")
            return
        ctx.start_form(FORM_MEETING)
        return
    if action in SUPERVISE_WORDS:
        start_supervise(ctx, words[1:])
        return
    if action in TICK_WORDS and len(words) == TICK_ARGS:
        tick(ctx, words[1], words[2])
        return
    if len(words) == 1 and (number := parse_record_number(words[0])) is not None:
        show_meeting(ctx, number, words[0])
        return
    number = parse_record_number(words[1]) if len(words) == 2 else None
    if number is None:
        ctx.reply("meeting.usage")
    elif action in (ACTION_ATTEND, "参加"):
        answer(ctx, ACTION_ATTEND, number)
    elif action in (ACTION_EXCUSE, "请假"):
        answer(ctx, ACTION_EXCUSE, number)
    elif action in MINUTES_WORDS:
        start_minutes(ctx, number, words[1])
    else:
        ctx.reply("meeting.usage")


def tick(ctx: MemberContext, ref: str, who: str) -> None:
    """Check an attendee in for them, as the organiser (or 综合组) ticks names from check-in time on."""
    number = parse_record_number(ref)
    meeting = ctx.session.get(Meeting, number) if number else None
    if meeting is None or not may_manage(ctx, ctx.member, meeting):
        ctx.refuse(Text("meeting.not_found", {"number": shown_number(ref)}))
        return
    if ctx.now < checkin_window(ctx, meeting)[0]:
        ctx.refuse(Text("meeting.tick_early", meeting_params(ctx, meeting)))
        return
    assert meeting.id is not None
    invited = {row.member_id: row for row in attendees_of(session=ctx.session, meeting_id=meeting.id)}
    members = [(m, invited[m.id]) for m in members_named(session=ctx.session, ref=who) if m.id in invited]
    if len(members) != 1:
        ctx.refuse(Text("meeting.tick_unknown", {"name": who[:32]}))
        return
    member, invitation = members[0]
    if invitation.checked_in_at is None:
        invitation.checked_in_at = to_db_time(ctx.now)
        ctx.session.add(invitation)
    ctx.reply(Text("meeting.ticked", {**meeting_params(ctx, meeting), "name": member_label(member)}))


def checkin_command(ctx: MemberContext, args: str) -> None:
    """Check the speaker in at the meeting whose window is open now (or the one named)."""
    rows = invitations_of(session=ctx.session, member_id=ctx.member_id, since=ctx.now - LISTED_SINCE)
    if args:
        number = parse_record_number(args)
        rows = [row for row in rows if row[0].id == number]
        if not rows:
            ctx.refuse(Text("meeting.not_found", {"number": shown_number(args)}))
            return
    open_now = [(m, a) for m, a in rows if checkin_window(ctx, m)[0] <= ctx.now <= checkin_window(ctx, m)[1]]
    if not open_now:
        if not rows:
            ctx.reply("meeting.checkin_none")
            return
        meeting = rows[0][0]
        opens, closes = checkin_window(ctx, meeting)
        params = {**meeting_params(ctx, meeting), "opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}
        ctx.refuse(Text("meeting.checkin_closed", params))
        return
    meeting, invitation = open_now[0]
    if invitation.checked_in_at is not None:
        ctx.refuse(Text("meeting.checkin_already", meeting_params(ctx, meeting)))
        return
    invitation.checked_in_at = to_db_time(ctx.now)
    ctx.session.add(invitation)
    ctx.reply(Text("meeting.checked_in", {**meeting_params(ctx, meeting), "time": ctx.now.strftime("%H:%M")}))


ANSWER_LABELS = {ANSWER_ATTEND: "meeting.answer_attend", ANSWER_EXCUSED: "meeting.answer_excused"}
COMMANDS = (
    Command(CMD_MEETING, meeting_command, aliases=("例会",), private_only=True),
    Command(CMD_CHECKIN, checkin_command, aliases=("签到",)),
)
FORMS = (MEETING_FORM, EXCUSE_FORM, MINUTES_FORM, SUPERVISE_FORM)
