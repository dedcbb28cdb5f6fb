"""``lianfang org check`` with a database: a recurring meeting's organiser, and each attendee given by name (not a
group or a role), must be one active member."""

from __future__ import annotations

from lianfang.bot.org import Located, Org
from lianfang.handlers.meetings.meetings import ROLE_WORDS, group_in
from lianfang.handlers.meetings.settings import MEETINGS, SECTION_NAME
from lianfang.handlers.shared.org_members import name_problem
from sqlmodel import Session


def meeting_member_problems(session: Session, org: Org) -> Located:
    """Name each organiser or attendee name of ``[[meetings.recurring]]`` that is not exactly one active member."""
    problems: Located = []
    for index, meeting in enumerate(MEETINGS.of(org).recurring):
        if problem := name_problem(session, meeting.organiser):
            problems.append(((SECTION_NAME, "recurring", index, "organiser"), problem))
        for position, token in enumerate(meeting.attendees):
            if group_in(org, token) is not None or token.casefold() in ROLE_WORDS:
                continue
            if problem := name_problem(session, token):
                problems.append(((SECTION_NAME, "recurring", index, "attendees", position), problem))
    return problems
