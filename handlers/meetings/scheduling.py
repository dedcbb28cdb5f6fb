"""Scheduling a meeting by form, the invitations with 参加 and 请假, and the attendees' answers."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from lianfang.bot.context import Context, MemberContext
from lianfang.bot.forms import Choice, FieldError, Form, FormField, static_fields
from lianfang.bot.types import Button, Text
from lianfang.handlers.meetings.meetings import (
    may_schedule_group,
    may_schedule_units,
    meeting_params,
    resolve_attendees,
)
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.labels import group_label, member_label
from lianfang.handlers.shared.parsers import FULLWIDTH_DIGITS, parse_int, parse_text
from lianfang.handlers.shared.standins import stand_ins
from lianfang.models.base import to_db_time
from lianfang.models.meetings import (
    ANSWER_ATTEND,
    ANSWER_EXCUSED,
    KIND_GROUP,
    KIND_UNITS,
    MAX_AGENDA,
    MAX_PLACE,
    MAX_REASON,
    MAX_TITLE,
    Meeting,
    add_meeting,
    attendance,
)
from lianfang.models.members import Member

logger = logging.getLogger(__name__)

FORM_MEETING = "meeting"
FORM_EXCUSE = "meeting_excuse"
CMD_MEETING = "meeting"
ACTION_ATTEND = "attend"
ACTION_EXCUSE = "excuse"
GROUP_PREFIX = "group:"
DATE_TIME = re.compile(
    r"^(?:(?P<word>今天|明天|后天)|(?:(?P<year>\d{4})\s*[-/.年]\s*)?(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?)"
    r"\s*(?P<hour>\d{1,2})\s*[:：点]\s*(?P<minute>\d{2})?\s*分?$"
)
DAY_WORDS = {"今天": 0, "明天": 1, "后天": 2}
MAX_DAYS_AHEAD = 366
MIN_DURATION = 5
MAX_DURATION = 12 * 60
HOURS_PER_DAY = 24
MINUTES_PER_HOUR = 60


def kind_choices(ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the kinds of meeting the speaker may schedule."""
    member = ctx.member
    if member is None:
        return []
    choices = []
    if may_schedule_units(ctx, member):
        choices.append(Choice(KIND_UNITS, Text("meeting.kind_units"), ("成员单位", "units")))
    for group in ctx.org.groups:
        if may_schedule_group(ctx, member, group.key):
            label = Text("meeting.kind_group", {"group": group_label(group)})
            choices.append(Choice(GROUP_PREFIX + group.key, label, (group.name, group.name_en)))
    return choices


def parse_start(text: str, ctx: Context) -> str:
    """Read when a meeting starts (明天 8:30, 2020-01-29 08:30, 1月29日 8点); refuse the past and far future."""
    match = DATE_TIME.match(text.translate(FULLWIDTH_DIGITS).strip())
    if match is None:
        raise FieldError("meeting.error_start")
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if hour >= HOURS_PER_DAY or minute >= MINUTES_PER_HOUR:
        raise FieldError("meeting.error_start")
    if match["word"]:
        day = ctx.today + timedelta(days=DAY_WORDS[match["word"]])
    else:
        try:
            day = date(int(match["year"] or ctx.today.year), int(match["month"]), int(match["day"]))
        except ValueError:
            raise FieldError("meeting.error_start") from None
    start = datetime.combine(day, time(hour, minute), ctx.tz)
    if start <= ctx.now:
        raise FieldError("meeting.error_past", start=start.strftime("%Y-%m-%d %H:%M"))
    if day > ctx.today + timedelta(days=MAX_DAYS_AHEAD):
        raise FieldError("meeting.error_far")
    return start.isoformat()


def parse_attendees(text: str, ctx: Context) -> str:
    """Check an attendee list (groups, roles, names) and keep it as typed, cleaned."""
    resolve_attendees(ctx, text)
    return text.strip()


def duration_choices(_ctx: Context, _data: dict[str, Any]) -> list[Choice]:
    """Offer the usual durations; any other number of minutes may be typed."""
    return [Choice(str(m), Text("meeting.minutes_choice", {"minutes": m})) for m in (30, 60, 90)]


def show_start(value: Any) -> Text:
    """Show a stored start as 2020-01-29 08:30."""
    return Text.raw(datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M"))


MEETING_FIELDS = (
    FormField("kind", Text("meeting.ask_kind"), Text("meeting.label_kind"), choices=kind_choices),
    FormField("title", Text("meeting.ask_title"), Text("meeting.label_title"), parse=parse_text(MAX_TITLE)),
    FormField("start", Text("meeting.ask_start"), Text("meeting.label_start"), parse=parse_start, display=show_start),
    FormField(
        "duration",
        Text("meeting.ask_duration"),
        Text("meeting.label_duration"),
        parse=parse_int(MIN_DURATION, MAX_DURATION),
        choices=duration_choices,
    ),
    FormField("place", Text("meeting.ask_place"), Text("meeting.label_place"), parse=parse_text(MAX_PLACE)),
    FormField(
        "attendees",
        Text("meeting.ask_attendees"),
        Text("meeting.label_attendees"),
        parse=parse_attendees,
        optional=True,
    ),
    FormField(
        "agenda", Text("meeting.ask_agenda"), Text("meeting.label_agenda"), parse=parse_text(MAX_AGENDA), optional=True
    ),
)


def invite(ctx: Context, meeting: Meeting, members: list[Member]) -> list[Member]:
    """Send each attendee a private invitation with 参加 and 请假; return those reached."""
    organiser = ctx.session.get(Member, meeting.organiser_id) if meeting.organiser_id else None
    params = {**meeting_params(ctx, meeting), "organiser": member_label(organiser) if organiser else "-"}
    lines = [Text("meeting.invitation", params)]
    if meeting.agenda:
        lines.append(Text("meeting.agenda", {"agenda": meeting.agenda}))
    buttons = [
        Button(Text("meeting.button_attend"), f"/{CMD_MEETING} {ACTION_ATTEND} {meeting.id}"),
        Button(Text("meeting.button_excuse"), f"/{CMD_MEETING} {ACTION_EXCUSE} {meeting.id}"),
    ]
    return send_privately(ctx, members, lines, buttons=buttons)


def submit_meeting(ctx: MemberContext, data: dict[str, Any], _context: dict[str, Any]) -> None:
    """Store a meeting and invite its attendees; a group meeting without a list invites the whole group."""
    value = str(data["kind"])
    group_key = value.removeprefix(GROUP_PREFIX) if value.startswith(GROUP_PREFIX) else ""
    kind = KIND_GROUP if group_key else KIND_UNITS
    start = datetime.fromisoformat(data["start"])
    if start <= ctx.now:  # the form may have waited since the answer was given
        ctx.reply("meeting.error_past_now")
        return
    spec = data.get("attendees") or (group_key if group_key else "")
    if not spec:
        ctx.reply("meeting.error_no_attendees")
        return
    members = stand_ins(ctx, resolve_attendees(ctx, spec), start.astimezone(ctx.tz).date())
    meeting = add_meeting(
        session=ctx.session,
        meeting=Meeting(
            title=data["title"],
            kind=kind,
            group_key=group_key,
            day=start.astimezone(ctx.tz).date(),
            starts_at=to_db_time(start),
            duration_minutes=int(data["duration"]),
            place=data["place"],
            agenda=data.get("agenda") or "",
            organiser_id=ctx.member_id,
            created_at=to_db_time(ctx.now),
        ),
        member_ids=[m.id for m in members if m.id is not None],
    )
    reached = invite(ctx, meeting, members)
    logger.info("meeting %s scheduled with %d attendees", meeting.id, len(members))
    ctx.reply(
        Text("meeting.scheduled", {**meeting_params(ctx, meeting), "invited": len(members), "reached": len(reached)})
    )


def answer(ctx: MemberContext, action: str, number: int) -> None:
    """Record 参加, or start the 请假 reason, for an invitation; refuse strangers to it and started meetings."""
    meeting = ctx.session.get(Meeting, number)
    invitation = attendance(session=ctx.session, meeting_id=number, member_id=ctx.member_id) if meeting else None
    if meeting is None or invitation is None:
        ctx.refuse("meeting.not_invited")
        return
    if ctx.now >= meeting.starts_at.astimezone(ctx.tz):
        ctx.refuse(Text("meeting.answer_closed", meeting_params(ctx, meeting)))
        return
    if action == ACTION_ATTEND:
        invitation.answer, invitation.reason = ANSWER_ATTEND, ""
        ctx.session.add(invitation)
        ctx.reply(Text("meeting.attending", meeting_params(ctx, meeting)))
        return
    ctx.start_form(FORM_EXCUSE, context={"meeting": number})


def submit_excuse(ctx: MemberContext, data: dict[str, Any], context: dict[str, Any]) -> None:
    """Mark the speaker excused with a reason, and tell the organiser privately."""
    number = int(context["meeting"])
    meeting = ctx.session.get(Meeting, number)
    invitation = attendance(session=ctx.session, meeting_id=number, member_id=ctx.member_id) if meeting else None
    if meeting is None or invitation is None or ctx.now >= meeting.starts_at.astimezone(ctx.tz):
        ctx.reply("meeting.answer_closed_plain")
        return
    invitation.answer, invitation.reason = ANSWER_EXCUSED, data["reason"]
    ctx.session.add(invitation)
    ctx.reply(Text("meeting.excused", meeting_params(ctx, meeting)))
    organiser = ctx.session.get(Member, meeting.organiser_id) if meeting.organiser_id else None
    if organiser is not None and organiser.id != ctx.member_id:
        params = {**meeting_params(ctx, meeting), "name": member_label(ctx.member), "reason": data["reason"]}
        send_privately(ctx, [organiser], [Text("meeting.excused_notice", params)])


MEETING_FORM = Form(FORM_MEETING, Text("meeting.title"), static_fields(*MEETING_FIELDS), submit_meeting)
EXCUSE_FORM = Form(
    FORM_EXCUSE,
    Text("meeting.excuse_title"),
    static_fields(
        FormField("reason", Text("meeting.ask_reason"), Text("meeting.label_reason"), parse=parse_text(MAX_REASON))
    ),
    submit_excuse,
    confirm=False,
)
