"""``lianfang org check`` with a database: each group's ``backup_reporter`` must be an active member of it."""

from __future__ import annotations

from lianfang.bot.org import Located, Org
from lianfang.handlers.shared.org_members import name_problem
from sqlmodel import Session


def backup_reporter_problems(session: Session, org: Org) -> Located:
    """Name each group whose backup reporter is not exactly one active member of the group."""
    problems: Located = []
    for index, group in enumerate(org.groups):
        if group.backup_reporter and (problem := name_problem(session, group.backup_reporter, group_key=group.key)):
            problems.append((("groups", index, "backup_reporter"), problem))
    return problems
