"""``lianfang org check``'s second half: the member names the org file gives, checked against the database.

The file itself is checked without a database; the names (a group's ``backup_reporter``, a day's duty leader, a
meeting's organiser) need the members table, so they are checked only when the configured database exists and
answers, and the check says which it did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lianfang.app.features import FIGURES, ORG_MEMBER_CHECKS, ORG_SECTIONS
from lianfang.app.platforms import Settings
from lianfang.bot.db import sqlite_file
from lianfang.bot.org import Located, OrgError, Problem, load_org, locate_problems
from pydantic import ValidationError
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
"""How long a check waits for PostgreSQL before saying it could not reach it."""


@dataclass
class MemberCheck:
    """What the check of member names found: whether it ran (and why not), and the problems with file:line."""

    note: str
    checked: bool = False
    problems: list[Problem] = field(default_factory=list)


def check_member_names(path: str | Path) -> MemberCheck:
    """Check the member names an (otherwise valid) org file gives against the configured database, if reachable."""
    try:
        settings = Settings()
    except ValidationError:
        return MemberCheck("member names not checked: the settings (LIANFANG_*) are not valid")
    url = settings.database_url
    file = sqlite_file(url)
    if url.startswith("sqlite") and (file is None or not file.exists()):
        return MemberCheck(f"member names not checked: no database yet ({file or url})")
    try:
        org = load_org(path, ORG_SECTIONS, FIGURES)
    except OrgError:  # checked just before; a file changed meanwhile is reported by the next run
        return MemberCheck("member names not checked: the org file changed while it was checked")
    connect_args = {} if url.startswith("sqlite") else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, connect_args=connect_args)
    located: Located = []
    try:
        with Session(engine) as session:
            for check in ORG_MEMBER_CHECKS:
                located += check(session, org)
    except SQLAlchemyError as error:
        logger.debug("org check: the database did not answer", exc_info=True)
        return MemberCheck(f"member names not checked: the database cannot be read ({type(error).__name__})")
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    return MemberCheck(f"member names checked against the database {where}", True, locate_problems(path, located))
