"""The meeting steps as a pure tick: recurring meetings created and announced, reminders, the answer list at start.

Every send is claimed once in the send ledger, keyed by the meeting, so no restart or second instance repeats it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from lianfang.bot.context import Context
from lianfang.bot.jobs import Job, in_one_transaction
from lianfang.bot.org import WEEKDAYS, Org
from lianfang.bot.types import Text
from lianfang.handlers.meetings.meetings import excused_names, meeting_params, names, resolve_attendees, roll_of
from lianfang.handlers.meetings.scheduling import invite
from lianfang.handlers.meetings.settings import KIND_UNITS, MEETINGS, RecurringMeeting
from lianfang.handlers.shared.audiences import send_privately
from lianfang.handlers.shared.standins import stand_ins
from lianfang.models.base import to_db_time
from lianfang.models.meetings import (
    ANSWER_EXCUSED,
    KIND_GROUP,
    Meeting,
    add_meeting,
    attendees_of,
    meetings_between,
    series_meeting,
)
from lianfang.models.members import Member, members_named
from lianfang.models.send_ledger import claim, ledger_key
from sqlmodel import col, select

logger = logging.getLogger(__name__)

KIND_MEETING = "meeting"
"""The send ledger's kind for meeting sends."""
STEP_EVE = "eve"
STEP_BEFORE = "before"
STEP_ANSWERS = "answers"
ONE_DAY = timedelta(days=1)
DUE = timedelta(seconds=1)
"""Added to a window's end so a step is due at its very moment (the cron fires at 08:00 for an 08:30 start)."""


def eve_times(org: Org) -> list[time]:
    """Return when tomorrow's recurring meetings are created and the eve reminders are due: the eve time."""
    return [MEETINGS.of(org).eve_time]


def before_times(org: Org) -> list[time]:
    """Return when the reminders of the recurring meetings are due: the minutes before each start."""
    rules = MEETINGS.of(org)
    day = date(2000, 1, 1)
    return sorted(
        {(datetime.combine(day, m.time) - timedelta(minutes=rules.before_minutes)).time() for m in rules.recurring}
    )


def start_times(org: Org) -> list[time]:
    """Return when the answer lists of the recurring meetings are due: each start."""
    return sorted({meeting.time for meeting in MEETINGS.of(org).recurring})


def meeting_times(org: Org) -> list[time]:
    """Return the local times something is due: the eve reminder, and each recurring meeting's reminder and start."""
    return sorted({moment for job in MEETING_JOBS for moment in job.times(org)})


def _claim(ctx: Context, meeting: Meeting, step: str) -> bool:
    """Claim one step of one meeting; True only for the one caller that did."""
    return claim(
        session=ctx.session,
        day=meeting.day,
        kind=KIND_MEETING,
        key=ledger_key(meeting.day, KIND_MEETING, step, meeting.id),
        now=ctx.now,
    )


def _eve(ctx: Context, day: date) -> datetime:
    """Return the moment of the eve reminder of a day's meetings."""
    return datetime.combine(day - ONE_DAY, MEETINGS.of(ctx.org).eve_time, ctx.tz)


def _organiser(ctx: Context, series: RecurringMeeting) -> Member | None:
    found = [m for m in members_named(session=ctx.session, ref=series.organiser) if m.active]
    if len(found) != 1:
        logger.warning(
            "recurring meeting %s: organiser %r names %d active members", series.key, series.organiser, len(found)
        )
        return None
    return found[0]


def create_recurring(ctx: Context) -> None:
    """Create and announce the recurring meetings of today (not yet begun) and, from the eve time, of tomorrow."""
    rules = MEETINGS.of(ctx.org)
    days = [ctx.today] + ([ctx.today + ONE_DAY] if ctx.now >= _eve(ctx, ctx.today + ONE_DAY) else [])
    for day in days:
        for series in rules.recurring:
            start = datetime.combine(day, series.time, ctx.tz)
            if WEEKDAYS[day.weekday()] not in series.weekdays or start <= ctx.now:
                continue
            if series_meeting(session=ctx.session, series=series.key, day=day) is not None:
                continue
            members = stand_ins(ctx, resolve_attendees(ctx, " ".join(series.attendees), strict=False), day)
            organiser = _organiser(ctx, series)
            meeting = add_meeting(
                session=ctx.session,
                meeting=Meeting(
                    title=series.title,
                    kind=KIND_UNITS if series.group == KIND_UNITS else KIND_GROUP,
                    group_key="" if series.group == KIND_UNITS else series.group,
                    day=day,
                    starts_at=to_db_time(start),
                    duration_minutes=series.duration_minutes,
                    place=series.place,
                    organiser_id=organiser.id if organiser else None,
                    series=series.key,
                    created_at=to_db_time(ctx.now),
                ),
                member_ids=[m.id for m in members if m.id is not None],
            )
            invite(ctx, meeting, members)
            logger.info("recurring meeting %s of %s created as %s", series.key, day, meeting.id)


def _expected(ctx: Context, meeting: Meeting) -> list[Member]:
    """Return the attendees who did not ask to be excused."""
    assert meeting.id is not None
    ids = [a.member_id for a in attendees_of(session=ctx.session, meeting_id=meeting.id) if a.answer != ANSWER_EXCUSED]
    return list(ctx.session.exec(select(Member).where(col(Member.id).in_(ids)))) if ids else []


def remind_eve(ctx: Context) -> None:
    """Remind tomorrow's attendees, once, from the eve time until the quiet hours; an invitation sent on the eve
    already reminds."""
    local = ctx.now.astimezone(ctx.tz)
    tomorrow = ctx.today + ONE_DAY
    if local < _eve(ctx, tomorrow) or ctx.org.schedule.is_quiet(local.time()):
        return
    start, end = (datetime.combine(day, time(0), ctx.tz) for day in (tomorrow, tomorrow + ONE_DAY))
    for meeting in meetings_between(session=ctx.session, start=start, end=end):
        if _claim(ctx, meeting, STEP_EVE) and meeting.created_at < to_db_time(_eve(ctx, tomorrow)):
            send_privately(ctx, _expected(ctx, meeting), [Text("meeting.eve_reminder", meeting_params(ctx, meeting))])


def remind_before(ctx: Context) -> None:
    """Remind the attendees, once, in the minutes before the start."""
    before = timedelta(minutes=MEETINGS.of(ctx.org).before_minutes)
    for meeting in meetings_between(session=ctx.session, start=ctx.now, end=ctx.now + before + DUE):
        if _claim(ctx, meeting, STEP_BEFORE):
            send_privately(
                ctx, _expected(ctx, meeting), [Text("meeting.before_reminder", meeting_params(ctx, meeting))]
            )


def send_answers(ctx: Context) -> None:
    """Give the organiser, once, at the start, the answer list: attending, excused with reasons, no answer."""
    for meeting in meetings_between(session=ctx.session, start=ctx.now - ONE_DAY, end=ctx.now + DUE):
        end = meeting.starts_at.astimezone(ctx.tz) + timedelta(minutes=meeting.duration_minutes)
        if ctx.now >= end or meeting.organiser_id is None or not _claim(ctx, meeting, STEP_ANSWERS):
            continue
        organiser = ctx.session.get(Member, meeting.organiser_id)
        roll = roll_of(ctx, meeting, after=False)
        params = {
            **meeting_params(ctx, meeting),
            "attending": names(roll.attending),
            "excused": excused_names(roll.excused, reasons=True),
            "none": names(roll.absent),
        }
        if organiser is not None:
            send_privately(ctx, [organiser], [Text("meeting.answers", params)])


MEETING_JOBS = (
    Job("meetings-create-recurring", in_one_transaction(create_recurring), times=eve_times),
    Job("meetings-remind-eve", in_one_transaction(remind_eve), times=eve_times),
    Job("meetings-remind-before", in_one_transaction(remind_before), times=before_times),
    Job("meetings-send-answers", in_one_transaction(send_answers), times=start_times),
)
"""The meeting steps, each in its own transaction, in this order, with the times they are due at (a meeting
scheduled by the form, at any time, is caught by the catch-up tick); nothing is sent in the quiet hours. The names
are the cron triggers' ids and log names only: the send ledger keys its claims by meeting and step."""
