"""Members the org file names (a backup reporter, a day's duty leader, a meeting's organiser), checked by name
against the members table when ``lianfang org check`` has a database."""

from __future__ import annotations

from lianfang.models.members import members_named
from sqlmodel import Session


def name_problem(session: Session, name: str, *, group_key: str | None = None) -> str | None:
    """Return why a name does not name exactly one active member (of the group, if given); None when it does."""
    found = [m for m in members_named(session=session, ref=name) if m.active and group_key in (None, m.group_key)]
    if len(found) == 1:
        return None
    if not found:
        where = f" of group {group_key!r}" if group_key is not None else ""
        return f"no active member{where} is named {name!r} (see `lianfang members` or invite them)"
    return f"{len(found)} active members are named {name!r}; the bot cannot tell which is meant"
