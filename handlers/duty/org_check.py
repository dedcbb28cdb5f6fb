"""``lianfang org check`` with a database: each day's leader named in ``[duty]`` must be one active member."""

from __future__ import annotations

from lianfang.bot.org import Located, Org
from lianfang.handlers.duty.settings import DUTY, SECTION_NAME
from lianfang.handlers.shared.org_members import name_problem
from sqlmodel import Session


def duty_member_problems(session: Session, org: Org) -> Located:
    """Name each ``[[duty.leaders]]`` entry whose leader is not exactly one active member."""
    problems: Located = []
    for index, entry in enumerate(DUTY.of(org).leaders):
        if problem := name_problem(session, entry.leader):
            problems.append(((SECTION_NAME, "leaders", index, "leader"), problem))
    return problems
