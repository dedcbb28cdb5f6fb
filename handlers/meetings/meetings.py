"""Meetings as people read them: who may schedule which, who is invited, and a meeting's card and lists."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lianfang.bot.context import Context
from lianfang.bot.forms import FieldError
from lianfang.bot.org import Group, Org
from lianfang.bot.types import Text
from lianfang.handlers.meetings.settings import MEETINGS
from lianfang.handlers.shared.access import is_overseer
from lianfang.handlers.shared.labels import group_label
from lianfang.models.meetings import (
    ANSWER_ATTEND,
    ANSWER_EXCUSED,
    DECISION_SUPERVISED,
    DECISION_TO_SUPERVISE,
    KIND_UNITS,
    Meeting,
    MeetingAttendee,
    attendees_of,
    decisions_of,
)
from lianfang.models.members import (
    ROLE_ADMIN,
    ROLE_GROUP_LEAD,
    ROLE_LEADER,
    ROLE_REPORTER,
    ROLE_STAFF,
    Member,
    list_members,
    members_named,
)
from sqlmodel import col, select

logger = logging.getLogger(__name__)

DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%H:%M"
NAME_SEPARATOR = "、"
TOKEN_SPLIT = re.compile(r"[、,，;；\s]+")
ROLE_WORDS = {
    ROLE_ADMIN: ROLE_ADMIN,
    "管理员": ROLE_ADMIN,
    ROLE_LEADER: ROLE_LEADER,
    "领导": ROLE_LEADER,
    "领导小组": ROLE_LEADER,
    "领导小组成员": ROLE_LEADER,
    ROLE_GROUP_LEAD: ROLE_GROUP_LEAD,
    "组长": ROLE_GROUP_LEAD,
    "工作组组长": ROLE_GROUP_LEAD,
    "各组组长": ROLE_GROUP_LEAD,
    ROLE_REPORTER: ROLE_REPORTER,
    "报送员": ROLE_REPORTER,
    ROLE_STAFF: ROLE_STAFF,
    "工作人员": ROLE_STAFF,
}
"""Words that name everyone of a role, in an attendee list."""
MAX_TOKENS = 30


def may_schedule_units(ctx: Context, member: Member) -> bool:
    """Tell whether a member may schedule a 成员单位例会: 综合组 members, admins and leaders."""
    return is_overseer(ctx, member)


def may_schedule_group(ctx: Context, member: Member, group_key: str) -> bool:
    """Tell whether a member may schedule a group's meeting: its leads, and whoever schedules member-unit ones."""
    return may_schedule_units(ctx, member) or (member.role == ROLE_GROUP_LEAD and member.group_key == group_key)


def may_schedule(ctx: Context, member: Member) -> bool:
    """Tell whether a member may schedule any meeting."""
    return may_schedule_units(ctx, member) or member.role == ROLE_GROUP_LEAD


def may_manage(ctx: Context, member: Member, meeting: Meeting) -> bool:
    """Tell whether a member may record a meeting's minutes and tick its attendance: its organiser or 综合组."""
    return member.id == meeting.organiser_id or is_overseer(ctx, member)


def group_named(ctx: Context, ref: str) -> Group | None:
    """Return the group a key or a (Chinese or English) name refers to."""
    return group_in(ctx.org, ref)


def group_in(org: Org, ref: str) -> Group | None:
    """Return the group of an org a key or a (Chinese or English) name refers to."""
    folded = ref.casefold()
    return next((g for g in org.groups if ref == g.name or folded in (g.key, g.name_en.casefold())), None)


def resolve_attendees(ctx: Context, spec: str, *, strict: bool = True) -> list[Member]:
    """Return the active members an attendee list names: groups, roles or members' names, each once.

    With ``strict`` an unknown or shared name raises FieldError; without, it is left out (recurring meetings).
    """
    tokens = [token for token in TOKEN_SPLIT.split(spec.strip()) if token]
    if len(tokens) > MAX_TOKENS:
        raise FieldError("meeting.error_too_many_attendees", limit=MAX_TOKENS)
    found: dict[int, Member] = {}
    for token in tokens:
        group = group_named(ctx, token)
        role = ROLE_WORDS.get(token.casefold())
        if group is not None:
            members = list_members(session=ctx.session, group_key=group.key)
        elif role is not None:
            members = list_members(session=ctx.session, roles=(role,))
        else:
            members = [m for m in members_named(session=ctx.session, ref=token) if m.active]
            if len(members) != 1:
                if strict:
                    key = "meeting.error_unknown_attendee" if not members else "meeting.error_shared_name"
                    raise FieldError(key, name=token[:32])
                logger.warning("a recurring meeting's attendee %r names %d active members", token, len(members))
                continue
        found.update({m.id: m for m in members if m.id is not None})
    if strict and not found:
        raise FieldError("meeting.error_no_attendees")
    return list(found.values())


def kind_label(ctx: Context, meeting: Meeting) -> Text:
    """Return 成员单位例会 or the group's 工作组例会."""
    group = ctx.org.group(meeting.group_key) if meeting.kind != KIND_UNITS else None
    if group is None:
        return Text("meeting.kind_units")
    return Text("meeting.kind_group", {"group": group_label(group)})


def meeting_params(ctx: Context, meeting: Meeting) -> dict[str, object]:
    """Return the parameters every message about a meeting uses."""
    start = meeting.starts_at.astimezone(ctx.tz)
    end = start + timedelta(minutes=meeting.duration_minutes)
    return {
        "number": meeting.id,
        "title": meeting.title,
        "kind": kind_label(ctx, meeting),
        "date": start.strftime(DATE_FORMAT),
        "start": start.strftime(TIME_FORMAT),
        "end": end.strftime(TIME_FORMAT),
        "place": meeting.place,
    }


def checkin_window(ctx: Context, meeting: Meeting) -> tuple[datetime, datetime]:
    """Return when check-in opens and closes for a meeting."""
    rules = MEETINGS.of(ctx.org)
    start = meeting.starts_at.astimezone(ctx.tz)
    return (
        start - timedelta(minutes=rules.checkin_opens_minutes),
        start + timedelta(minutes=rules.checkin_closes_minutes),
    )


@dataclass(frozen=True)
class Roll:
    """A meeting's attendees sorted by what they did: attended, excused (with reasons), absent, no answer yet."""

    attending: list[Member]
    """Said they would come (before the meeting) or checked in (after)."""
    excused: list[tuple[Member, str]]
    absent: list[Member]
    checked_in: list[Member]


def roll_of(ctx: Context, meeting: Meeting, *, after: bool) -> Roll:
    """Sort a meeting's attendees; ``after`` the meeting, those who did not check in and were not excused are
    absent, before it those who did not answer are."""
    assert meeting.id is not None
    rows = attendees_of(session=ctx.session, meeting_id=meeting.id)
    ids = [row.member_id for row in rows]
    members = {m.id: m for m in ctx.session.exec(select(Member).where(col(Member.id).in_(ids)))} if ids else {}
    attending: list[Member] = []
    excused: list[tuple[Member, str]] = []
    absent: list[Member] = []
    checked: list[Member] = []
    for row in rows:
        member = members[row.member_id]
        if row.checked_in_at is not None:
            checked.append(member)
        if after:
            if row.checked_in_at is not None:
                attending.append(member)
            elif row.answer == ANSWER_EXCUSED:
                excused.append((member, row.reason))
            else:
                absent.append(member)
        elif row.answer == ANSWER_ATTEND:
            attending.append(member)
        elif row.answer == ANSWER_EXCUSED:
            excused.append((member, row.reason))
        else:
            absent.append(member)
    return Roll(attending, excused, absent, checked)


def names(members: Sequence[Member]) -> str:
    """Join members' names for one line, or a dash."""
    return NAME_SEPARATOR.join(m.name for m in members) or "-"


def excused_names(excused: Sequence[tuple[Member, str]], *, reasons: bool) -> str:
    """Join the excused members' names, with their reasons where the reader may see them (privately)."""
    if not excused:
        return "-"
    return NAME_SEPARATOR.join(f"{m.name}（{reason}）" if reasons and reason else m.name for m, reason in excused)


def decision_lines(ctx: Context, meeting: Meeting) -> list[Text]:
    """Return the minutes' decisions, each with its owner and its 'to supervise' mark."""
    assert meeting.id is not None
    lines: list[Text] = []
    for decision in decisions_of(session=ctx.session, meeting_id=meeting.id):
        group = ctx.org.group(decision.owner_group) if decision.owner_group else None
        owner = group_label(group) if group is not None else Text("meeting.no_owner")
        params = {"position": decision.position, "text": decision.text, "owner": owner}
        lines.append(Text(DECISION_KEYS.get(decision.status, "meeting.decision"), params))
    return lines


def meeting_card(ctx: Context, meeting: Meeting, attendee: MeetingAttendee | None = None) -> list[Text]:
    """Return one meeting as /meeting N shows it privately: what, when, where, answers or attendance, minutes."""
    lines = [Text("meeting.card", meeting_params(ctx, meeting))]
    if meeting.agenda:
        lines.append(Text("meeting.agenda", {"agenda": meeting.agenda}))
    after = ctx.now >= meeting.starts_at.astimezone(ctx.tz)
    roll = roll_of(ctx, meeting, after=after)
    excused = excused_names(roll.excused, reasons=True)
    if after:
        lines.append(
            Text(
                "meeting.roll_after",
                {"attended": names(roll.attending), "excused": excused, "absent": names(roll.absent)},
            )
        )
    else:
        lines.append(
            Text(
                "meeting.roll_before",
                {"attending": names(roll.attending), "excused": excused, "none": names(roll.absent)},
            )
        )
    if attendee is not None:
        lines.append(Text(ANSWER_KEYS.get(attendee.answer, "meeting.your_answer_none")))
    decisions = decision_lines(ctx, meeting)
    if decisions:
        lines += [Text("meeting.decisions_title"), *decisions]
    return lines


DECISION_KEYS = {DECISION_TO_SUPERVISE: "meeting.decision", DECISION_SUPERVISED: "meeting.decision_supervised"}
ANSWER_KEYS = {ANSWER_ATTEND: "meeting.your_answer_attend", ANSWER_EXCUSED: "meeting.your_answer_excused"}
