"""Meetings (例会): the meeting, its attendees with their answers and check-ins, and the decisions of its minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from lianfang.models.base import to_db_time
from sqlalchemy import Index, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, col, select

KIND_UNITS = "units"
"""成员单位例会: a meeting of the member units."""
KIND_GROUP = "group"
"""工作组例会: one working group's meeting."""
ANSWER_NONE = ""
ANSWER_ATTEND = "attend"
ANSWER_EXCUSED = "excused"
DECISION_TO_SUPERVISE = "to_supervise"
"""A decision not yet made a 督办 item (待督办)."""
DECISION_SUPERVISED = "supervised"
"""A decision made a 督办 item (已转督办); the item's 文号 names the meeting and the decision."""
MAX_TITLE = 64
MAX_PLACE = 200
MAX_AGENDA = 1000
MAX_REASON = 200
MAX_DECISION = 500


class Meeting(SQLModel, table=True):
    """One meeting: what, when, where, who organises it, and its minutes once recorded."""

    __table_args__ = (
        UniqueConstraint("series", "day", name="uq_meeting_series_day"),
        Index("ix_meeting_starts_at", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=MAX_TITLE)
    kind: str = Field(max_length=8)
    group_key: str = Field(default="", max_length=32)
    day: date
    starts_at: datetime
    duration_minutes: int
    place: str = Field(max_length=MAX_PLACE)
    agenda: str = Field(default="", max_length=MAX_AGENDA)
    organiser_id: int | None = Field(default=None, foreign_key="member.id")
    series: str | None = Field(default=None, max_length=32)
    """The org file's recurring meeting this one is an instance of, if any."""
    minutes_at: datetime | None = None
    created_at: datetime


class MeetingAttendee(SQLModel, table=True):
    """One invited member: their answer (attend or excused, with a reason) and their check-in."""

    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_meetingattendee_meeting_member"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    answer: str = Field(default=ANSWER_NONE, max_length=8)
    reason: str = Field(default="", max_length=MAX_REASON)
    checked_in_at: datetime | None = None


class MeetingDecision(SQLModel, table=True):
    """One decision of a meeting's minutes, with the group that owns it."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    text: str = Field(max_length=MAX_DECISION)
    owner_group: str = Field(default="", max_length=32)
    status: str = Field(default=DECISION_TO_SUPERVISE, max_length=16)


def add_meeting(*, session: Session, meeting: Meeting, member_ids: Sequence[int]) -> Meeting:
    """Store a new meeting and invite its attendees, each once."""
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    for member_id in dict.fromkeys(member_ids):
        session.add(MeetingAttendee(meeting_id=meeting.id, member_id=member_id))
    session.flush()
    return meeting


def series_meeting(*, session: Session, series: str, day: date) -> Meeting | None:
    """Return the instance of a recurring meeting on a day, if created."""
    return session.exec(select(Meeting).where(Meeting.series == series, Meeting.day == day)).first()


def meetings_between(*, session: Session, start: datetime, end: datetime) -> list[Meeting]:
    """Return the meetings starting in [start, end), by start."""
    statement = select(Meeting).where(Meeting.starts_at >= to_db_time(start), Meeting.starts_at < to_db_time(end))
    return list(session.exec(statement.order_by(col(Meeting.starts_at), col(Meeting.id))))


def attendees_of(*, session: Session, meeting_id: int) -> list[MeetingAttendee]:
    """Return a meeting's attendees in invitation order."""
    statement = select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id)
    return list(session.exec(statement.order_by(col(MeetingAttendee.id))))


def attendance(*, session: Session, meeting_id: int, member_id: int) -> MeetingAttendee | None:
    """Return one member's invitation to a meeting, if invited."""
    statement = select(MeetingAttendee).where(
        MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.member_id == member_id
    )
    return session.exec(statement).first()


def invitations_of(*, session: Session, member_id: int, since: datetime) -> list[tuple[Meeting, MeetingAttendee]]:
    """Return a member's meetings starting from a moment on, with their invitation."""
    statement = (
        select(Meeting, MeetingAttendee)
        .where(
            MeetingAttendee.meeting_id == Meeting.id,
            MeetingAttendee.member_id == member_id,
            Meeting.starts_at >= to_db_time(since),
        )
        .order_by(col(Meeting.starts_at))
    )
    return [(meeting, attendee) for meeting, attendee in session.exec(statement)]


def decisions_of(*, session: Session, meeting_id: int) -> list[MeetingDecision]:
    """Return a meeting's decisions in order."""
    statement = select(MeetingDecision).where(MeetingDecision.meeting_id == meeting_id)
    return list(session.exec(statement.order_by(col(MeetingDecision.position))))


def record_minutes(
    *, session: Session, meeting: Meeting, now: datetime, decisions: Sequence[tuple[str, str]]
) -> list[MeetingDecision]:
    """Store a meeting's decisions as (text, owner group), replacing earlier minutes."""
    assert meeting.id is not None
    for old in decisions_of(session=session, meeting_id=meeting.id):
        session.delete(old)
    session.flush()
    stored = [
        MeetingDecision(meeting_id=meeting.id, position=position, text=text, owner_group=owner)
        for position, (text, owner) in enumerate(decisions, start=1)
    ]
    session.add_all(stored)
    meeting.minutes_at = to_db_time(now)
    session.add(meeting)
    session.flush()
    return stored


def decision_at(*, session: Session, meeting_id: int, position: int) -> MeetingDecision | None:
    """Return a meeting's decision by its position in the minutes."""
    statement = select(MeetingDecision).where(
        MeetingDecision.meeting_id == meeting_id, MeetingDecision.position == position
    )
    return session.exec(statement).first()


def mark_supervised(*, session: Session, decision_id: int) -> bool:
    """Mark a decision made a 督办 item, once: False if it already was (a double tap, another session)."""
    statement = (
        update(MeetingDecision)
        .where(col(MeetingDecision.id) == decision_id, col(MeetingDecision.status) == DECISION_TO_SUPERVISE)
        .values(status=DECISION_SUPERVISED)
    )
    done = session.connection().execute(statement).rowcount == 1
    session.expire_all()  # the decision loaded earlier in this session now shows its new status
    return done
